"""A fleet ledger that cannot be opened is said in the window: a bar above the pages gives the
reason and the way to choose another ledger, and the pages that show ledger data say that the
ledger could not be opened instead of an empty state that reads as "nothing yet"."""

import os
import subprocess

from dogtail.rawinput import keyCombo, typeText

from tsgui import App, Tap, scratch_dir

FAILED_TITLE = "The Fleet Ledger Could Not Be Opened"
# Page, its shortcut, and the empty state it shows over a good but empty ledger.
LEDGER_PAGES = [
    ("Fleet", 2, "No Devices in the Fleet Yet"),
    ("Authorities", 3, "No Certificate Authorities"),
    ("Activity", 5, "No Activity Yet"),
]

SCHEMA = "io.github.tagsmith.Tagsmith"


def reset_chosen_ledger():
    """The ledger chosen in Preferences outlives the window: put it back for the next test."""
    subprocess.run(["gsettings", "reset", SCHEMA, "ledger"], check=True)


tap = Tap()
reset_chosen_ledger()
scratch = scratch_dir("tagsmith-gui-ledger-")
garbage = os.path.join(scratch, "garbage.db")
with open(garbage, "wb") as f:
    f.write(b"This is not a SQLite database, only some text that was saved as fleet.db.\n" * 64)
app = App(env={"TAGSMITH_DB": garbage})


def label_containing(text, timeout=20):
    return app.find_matching(lambda n: n.roleName == "label" and text in n.name,
                             root=app.window, timeout=timeout)


def absent(text):
    return not app.window.findChildren(lambda n: n.roleName == "label" and text in n.name)


def show_page(title, shortcut):
    keyCombo(f"<Alt>{shortcut}")
    app.wait_for(lambda: app.content_title() == title)


@tap.test("a ledger that is not a database shows a bar with its path and the reason")
def _():
    bar = label_containing("could not be opened")
    assert garbage in bar.name, bar.name
    assert "not a Tagsmith ledger" in bar.name, bar.name


@tap.test("the pages that show ledger data say it could not be opened, not that they are empty")
def _():
    for title, shortcut, empty_state in LEDGER_PAGES:
        show_page(title, shortcut)
        label_containing(FAILED_TITLE)
        app.wait_for(lambda: absent(empty_state))


@tap.test("the Devices page works without a ledger")
def _():
    show_page("Devices", 1)
    label_containing("No Devices Connected")
    app.wait_for(lambda: absent(FAILED_TITLE))


@tap.test("the bar's button opens Preferences, where another ledger is chosen and opened")
def _():
    good = os.path.join(scratch, "chosen", "fleet.db")
    app.click("Choose Another Ledger…")
    preferences = app.window_named("Preferences")
    app.find_matching(lambda n: n.roleName == "text" and n.name == "Ledger file", preferences)
    # The ledger file is the first field of Preferences, so it has the focus. GTK 4.8's
    # AT-SPI cannot set an entry's text: type it, as a person would.
    typeText(good)
    keyCombo("Return")
    app.wait_for(lambda: os.path.exists(good))
    keyCombo("Escape")
    app.wait_for(lambda: not [w for w in app.node.children if w.name == "Preferences"])
    app.wait_for(lambda: absent("could not be opened"))
    show_page("Fleet", 2)
    label_containing("No Devices in the Fleet Yet")
    app.wait_for(lambda: absent(FAILED_TITLE))
    reset_chosen_ledger()


@tap.test("a folder given as the ledger is said in the bar too")
def _():
    global app
    app.close()
    folder = os.path.join(scratch, "a-folder")
    os.mkdir(folder)
    app = App(env={"TAGSMITH_DB": folder})
    bar = label_containing("could not be opened")
    assert folder in bar.name, bar.name


try:
    tap.done()
finally:
    app.close()
    reset_chosen_ledger()
