"""The window opens, shows its sidebar and every page with a helpful empty state, and
switches pages from the sidebar and from the keyboard; the toast that says a virtual device
is starting goes once the device is identified."""

import os
import subprocess

from dogtail.rawinput import keyCombo

from tsgui import App, Tap, point_at, scratch_dir, wait_for

PAGES = [
    ("Devices", "No Devices Connected"),
    ("Fleet", "No Devices in the Fleet Yet"),
    ("Authorities", "No Certificate Authorities"),
    ("Production", "Production Bench"),
    ("Activity", "No Activity Yet"),
]

tap = Tap()
scratch = scratch_dir("tagsmith-gui-")
# Low enough that a few kits fill the Devices page and it has to scroll.
subprocess.run(["gsettings", "set", "io.github.tagsmith.Tagsmith", "window-height", "480"], check=True)
help_log = os.path.join(scratch, "help.log")
app = App(env={"TAGSMITH_DB": os.path.join(scratch, "fleet.db"), "TAGSMITH_HELP_LOG": help_log})


@tap.test("the window appears with its title")
def _():
    assert app.window.name == "Tagsmith", app.window.name


@tap.test("the sidebar lists every page")
def _():
    for title, _heading in PAGES:
        app.find(title, "list item")


@tap.test("each page has a helpful empty state")
def _():
    for _title, heading in PAGES:
        app.find(heading, "label")


@tap.test("Alt+1 to Alt+5 switch pages and the content title follows")
def _():
    for i, (title, _heading) in enumerate(PAGES, 1):
        keyCombo(f"<Alt>{i}")
        app.wait_for(lambda: app.content_title() == title)


@tap.test("selecting a sidebar row switches the page")
def _():
    sidebar = app.find("Pages", "list")
    for i, (title, _heading) in enumerate(PAGES):
        sidebar.querySelection().selectChild(i)
        app.wait_for(lambda: app.content_title() == title)


@tap.test("F1 asks to show the help page of the page on show")
def _():
    keyCombo("<Alt>2")
    app.wait_for(lambda: app.content_title() == "Fleet")
    keyCombo("F1")

    def logged():
        with open(help_log) as f:
            return f.read().splitlines()
    app.wait_for(lambda: os.path.exists(help_log) and logged())
    assert logged() == ["help:tagsmith/fleet"], logged()


@tap.test("with several kits listed, the Devices list stays below its heading")
def _():
    keyCombo("<Alt>1")
    app.wait_for(lambda: app.content_title() == "Devices")
    for n in range(1, 4):
        app.click("Add a Virtual Device")
        app.wait_for(lambda: len(app.window.findChildren(
            lambda b: b.roleName == "push button" and b.name.startswith("Open Virtual"))) >= n, 60)
    heading = app.find("Connected Devices", "label")
    kits = app.find("Connected devices", "list")
    hx, hy = heading.position
    kx, ky = kits.position
    assert heading.size[1] > 0 and ky >= hy + heading.size[1], (heading.position, heading.size, kits.position)


@tap.test("the keyboard shortcuts window opens")
def _():
    app.window.doActionNamed("win.show-help-overlay")
    app.wait_for(lambda: [w for w in app.node.children if w.name == "Keyboard Shortcuts"])
    keyCombo("Escape")


@tap.test("the toast that says a virtual device is starting goes once the device is identified")
def _():
    global app
    app.close()
    # The virtual device starts only once the test opens its gate, so the toast is seen first;
    # its own folders keep the kits of the other tests off the list.
    gate = os.path.join(scratch, "gate")
    runtime = os.path.join(scratch, "toast-runtime")
    os.makedirs(runtime, mode=0o700)
    emulator = os.path.join(scratch, "gated-emulator")
    with open(emulator, "w") as f:
        f.write(f"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.1; done\n"
                f"exec '{os.environ.get('TAGSMITH_EMULATOR', 'tagsmith-emulator')}' \"$@\"\n")
    os.chmod(emulator, 0o755)
    app = App(env={"TAGSMITH_DB": os.path.join(scratch, "toast.db"), "TAGSMITH_EMULATOR": emulator,
                   "XDG_DATA_HOME": os.path.join(scratch, "toast-data"), "XDG_RUNTIME_DIR": runtime})
    app.wait_for(lambda: app.content_title() == "Devices")
    app.click("Add a Virtual Device")
    toast = lambda: app.window.findChildren(  # noqa: E731
        lambda n: n.roleName == "label" and n.name == "Starting a virtual device…")
    shown = app.wait_for(toast)[0]
    # A toast stays while the pointer is on it: from now on only the window takes it away.
    point_at(app.window, shown)
    assert toast(), "the toast went before the pointer was on it"
    open(gate, "w").close()
    app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual")
                      and " · …" in n.name, app.window, timeout=60)
    wait_for(lambda: not toast(), what="the toast stayed after the virtual device was identified")


try:
    tap.done()
finally:
    app.close()
    subprocess.run(["gsettings", "reset", "io.github.tagsmith.Tagsmith", "window-height"], check=True)
