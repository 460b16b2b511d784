"""The window opens, shows its sidebar and every page with a helpful empty state, and
switches pages from the sidebar and from the keyboard."""

import os

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
app = App(env={"TAGSMITH_DB": os.path.join(scratch, "fleet.db")})


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


@tap.test("the keyboard shortcuts window opens")
def _():
    app.window.doActionNamed("win.show-help-overlay")
    app.wait_for(lambda: [w for w in app.node.children if w.name == "Keyboard Shortcuts"])
    keyCombo("Escape")


try:
    tap.done()
finally:
    app.close()
