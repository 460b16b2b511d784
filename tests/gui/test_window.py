"""The window opens, shows its sidebar and every page with a helpful empty state, and
switches pages from the sidebar and from the keyboard."""

import os
import subprocess

from dogtail.rawinput import keyCombo

from tsgui import App, Tap, scratch_dir

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


try:
    tap.done()
finally:
    app.close()
    subprocess.run(["gsettings", "reset", "io.github.tagsmith.Tagsmith", "window-height"], check=True)
