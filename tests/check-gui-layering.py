#!/usr/bin/python3
"""The window's modules depend on each other in one direction only, so each can be read, built
and tested without the rest:

- no include cycles among the modules of src/gui (a module is a .c with its .h: "ts-window"
  depends on "ts-gui-util" when ts-window.c or ts-window.h includes ts-gui-util.h);
- no widget reaches for the global application: ts_application_get_default() and
  g_application_get_default() appear only in ts-application.[ch] and src/main.c. A page gets
  what it works on from its window (the workspace) and reports through its page's message bin
  (ts_show_toast(), ts_show_error()), never through TsWindow;
- the front ends (src/cli, src/gui, src/main.c) call the workspace and src/provision, never what
  lies below it: no call to ca_ledger_*, ca_csr_*, ca_file_*, ts_modem_*, ts_serial_*,
  ts_nrf91_* or ts_at_*, except the free functions, *_to_string/*_from_string helpers and the
  display helpers listed in ALLOWED_BELOW with the reason each is allowed.

Before looking at the tree the checker runs on small made-up trees, with and without a cycle
and a call below the workspace, so that it cannot pass by finding nothing.

Usage: check-gui-layering.py SOURCE_ROOT"""

import os
import re
import sys
import tempfile

GUI = os.path.join("src", "gui")
GLOBAL_APPLICATION = re.compile(r"\b(ts|g)_application_get_default\s*\(")
ALLOWED_GLOBAL = {os.path.join(GUI, "ts-application.c"), os.path.join(GUI, "ts-application.h"),
                  os.path.join("src", "main.c")}
FRONT_ENDS = (os.path.join("src", "cli"), GUI, os.path.join("src", "main.c"))
BELOW_WORKSPACE = re.compile(r"\b((?:ca_ledger|ca_csr|ca_file|ts_modem|ts_serial|ts_nrf91|ts_at)_\w+)\s*\(")
HARMLESS_SUFFIXES = ("_free", "_to_string", "_from_string")
ALLOWED_BELOW = {
    # Pure text formatting of what a modem said, for showing it: no port, no state.
    "ts_at_display_text",
}
# Comments and string literals, which may name a call without making it.
NOT_CODE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.DOTALL)
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


def calls_below_workspace(source_root):
    """(path, line number, name) of every call a front end makes below the workspace."""
    found = []
    for top in FRONT_ENDS:
        start = os.path.join(source_root, top)
        if os.path.isfile(start):
            paths = [start]
        else:
            paths = [os.path.join(folder, name) for folder, _, names in os.walk(start)
                     for name in sorted(names) if name.endswith((".c", ".h"))]
        for path in sorted(paths):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            # Blank out comments and strings, keeping the line breaks for the line numbers.
            code = NOT_CODE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
            for match in BELOW_WORKSPACE.finditer(code):
                name = match.group(1)
                if name.endswith(HARMLESS_SUFFIXES) or name in ALLOWED_BELOW:
                    continue
                found.append((os.path.relpath(path, source_root),
                              code.count("\n", 0, match.start()) + 1, name))
    return found


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

        front = os.path.join(scratch, "front")
        write_tree(os.path.join(front, "src", "cli"), {
            "verb.c": "/* unlike ca_ledger_open (), which we never call */\n"
                      'static const char *s = "ts_modem_open (";\n'
                      "int f (void) {\n  ts_workspace_open (w);\n  ts_modem_identity_free (i);\n"
                      "  g_print (ts_modem_mode_to_string (m));\n  ts_at_display_text (t);\n"
                      "  ca_ledger_open (path, &error);\n}\n",
        })
        write_tree(os.path.join(front, "src", "gui"), {
            "page.c": "void g (void)\n{\n  ts_serial_open\n    (path);\n  ca_csr_parse (pem);\n}\n",
        })
        write_tree(os.path.join(front, "src", "provision"), {
            "core.c": "void h (void) { ca_ledger_open (path, NULL); }\n",
        })
        with open(os.path.join(front, "src", "main.c"), "w", encoding="utf-8") as f:
            f.write("int main (void) { return ts_nrf91_probe (NULL); }\n")
        found = calls_below_workspace(front)
        assert found == [(os.path.join("src", "cli", "verb.c"), 8, "ca_ledger_open"),
                         (os.path.join("src", "gui", "page.c"), 3, "ts_serial_open"),
                         (os.path.join("src", "gui", "page.c"), 5, "ca_csr_parse"),
                         (os.path.join("src", "main.c"), 1, "ts_nrf91_probe")], found


def main():
    source_root = sys.argv[1]
    self_check()

    failures = []
    for cycle, members in cycles(include_graph(os.path.join(source_root, GUI))):
        failures.append(f"include cycle in src/gui: {' → '.join(cycle)} "
                        f"(one of the cycles among {len(members)} modules: {', '.join(members)})")
    for path, number, line in global_application_calls(source_root):
        failures.append(f"{path}:{number}: uses the global application: {line}")
    below = calls_below_workspace(source_root)
    for path, number, name in below:
        failures.append(f"{path}:{number}: calls {name}() below the workspace; "
                        "call the workspace (src/provision/ts-workspace*.h) instead")

    for failure in failures:
        print(failure)
    if failures:
        print(f"{len(failures)} problem(s): a page takes what it needs from its window "
              "(the workspace, set_workspace()) and reports with ts_show_error() or "
              "ts_show_toast() from ts-gui-util.h, without including ts-window.h or "
              "ts-application.h.")
        return 1
    print("src/gui: no include cycles; the global application is used only where it is made; "
          "the front ends call nothing below the workspace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
