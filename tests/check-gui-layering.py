#!/usr/bin/python3
"""The window's modules depend on each other in one direction only, so each can be read, built
and tested without the rest:

- no include cycles among the modules of src/gui (a module is a .c with its .h: "ts-window"
  depends on "ts-gui-util" when ts-window.c or ts-window.h includes ts-gui-util.h);
- no widget reaches for the global application: ts_application_get_default() and
  g_application_get_default() appear only in ts-application.[ch] and src/main.c. A page gets
  what it works on from its window (the workspace) and reports through the window's
  "win.show-toast" action (ts_show_toast(), ts_show_error()), never through TsWindow.

Before looking at the tree the checker runs on two small made-up trees, one with a cycle and
one without, so that it cannot pass by finding nothing.

Usage: check-gui-layering.py SOURCE_ROOT"""

import os
import re
import sys
import tempfile

GUI = os.path.join("src", "gui")
GLOBAL_APPLICATION = re.compile(r"\b(ts|g)_application_get_default\s*\(")
ALLOWED_GLOBAL = {os.path.join(GUI, "ts-application.c"), os.path.join(GUI, "ts-application.h"),
                  os.path.join("src", "main.c")}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.MULTILINE)


def include_graph(folder):
    """Module → the modules of @folder its .c and .h include."""
    files = [name for name in os.listdir(folder) if name.endswith((".c", ".h"))]
    modules = {name[:-2] for name in files}
    graph = {module: set() for module in modules}
    for name in files:
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for included in INCLUDE.findall(f.read()):
                if included in modules and included != name[:-2]:
                    graph[name[:-2]].add(included)
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), each as one
    cycle through it, so the message shows the includes to remove."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph[module]):
            if other not in index:
                connect(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append((cycle_through(graph, component, min(component)), sorted(component)))

    sys.setrecursionlimit(10000)
    for module in sorted(graph):
        if module not in index:
            connect(module)
    return found


def cycle_through(graph, component, start):
    """A shortest path from @start back to itself inside @component (breadth first)."""
    previous = {start: None}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for other in sorted(graph[module] & component):
            if other == start:
                path = [module]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if other not in previous:
                previous[other] = module
                queue.append(other)
    raise AssertionError(f"{start} is in a component but on no cycle")


def global_application_calls(source_root):
    """(path, line number, line) of every use of the global application outside its own files."""
    calls = []
    for top in ("src",):
        for folder, _, names in os.walk(os.path.join(source_root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, source_root)
                if relative in ALLOWED_GLOBAL:
                    continue
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        if GLOBAL_APPLICATION.search(line):
                            calls.append((relative, number, line.strip()))
    return calls


def write_tree(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)


def self_check():
    """The checker finds a cycle that is there, and none that is not."""
    with tempfile.TemporaryDirectory() as scratch:
        cyclic = os.path.join(scratch, "cyclic")
        write_tree(cyclic, {
            "a.h": '#include "b.h"\n', "a.c": '#include "a.h"\n',
            "b.h": "", "b.c": '#include "b.h"\n#include "c.h"\n',
            "c.h": "", "c.c": '#include "c.h"\n#include "a.h"\n',
            "d.h": "", "d.c": '#include "a.h"\n#include <gtk/gtk.h>\n',
        })
        found = cycles(include_graph(cyclic))
        assert found == [(["a", "b", "c", "a"], ["a", "b", "c"])], found

        acyclic = os.path.join(scratch, "acyclic")
        write_tree(acyclic, {
            "window.h": "", "window.c": '#include "window.h"\n#include "page.h"\n',
            "page.h": "", "page.c": '#include "page.h"\n#include "util.h"\n',
            "util.h": "", "util.c": '#include "util.h"\n#include "config.h"\n',
        })
        assert cycles(include_graph(acyclic)) == []


def main():
    source_root = sys.argv[1]
    self_check()

    failures = []
    for cycle, members in cycles(include_graph(os.path.join(source_root, GUI))):
        failures.append(f"include cycle in src/gui: {' → '.join(cycle)} "
                        f"(one of the cycles among {len(members)} modules: {', '.join(members)})")
    for path, number, line in global_application_calls(source_root):
        failures.append(f"{path}:{number}: uses the global application: {line}")

    for failure in failures:
        print(failure)
    if failures:
        print(f"{len(failures)} problem(s): a page takes what it needs from its window "
              "(the workspace, set_workspace()) and reports with ts_show_error() or "
              "ts_show_toast() from ts-gui-util.h, without including ts-window.h or "
              "ts-application.h.")
        return 1
    print("src/gui: no include cycles; the global application is used only where it is made")
    return 0


if __name__ == "__main__":
    sys.exit(main())
