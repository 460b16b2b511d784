"""Messages people can read, checked as drawn rather than only as read out: an error with
advice stays at the top of its page, whole, until it is dismissed; the new-passphrase prompt
states the ledger's rule and tells a short passphrase from a wrong one; the first start leads
to creating an authority; authority rows count devices; the header shows whether the
authorities are locked, and Ctrl+L locks them.

The window runs with TAGSMITH_TEST_VISIBLE_TEXT, so the labels that must be drawn whole say
in their accessible description whether they are ("drawn whole", "drawn cut", "not drawn"):
screen readers get a label's whole text even when only part of it is drawn."""

import json
import os
import subprocess
import time

from dogtail.rawinput import keyCombo, typeText

from tsgui import App, Tap, scratch_dir

PASSPHRASE = "correct horse battery staple"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
LOCKED = "Authorities Locked. Unlock Them"
UNLOCKED = "Authorities Unlocked. Lock Them"

tap = Tap()
scratch = scratch_dir("tagsmith-gui-messages-")
ledger = os.path.join(scratch, "fleet.db")
# Its own data and runtime folders, so that virtual devices of earlier tests stay away.
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
ENV = {"TAGSMITH_DB": ledger, "TAGSMITH_TEST_VISIBLE_TEXT": "1",
       "XDG_DATA_HOME": os.path.join(scratch, "data"), "XDG_RUNTIME_DIR": runtime}
app = App(env=ENV)
state = {}


def cli(db, *args):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    out = subprocess.run([TAGSMITH, "--db", db, "--pass", "env:TS_TEST_PASS", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def show_page(number, title):
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def shown(name, role="push button"):
    """The nodes named NAME in the main window: GTK leaves hidden widgets out of the tree."""
    return app.window.findChildren(lambda n: n.roleName == role and n.name == name)


def label_in(window, test):
    return app.find_matching(lambda n: n.roleName == "label" and test(n.name), window)


def create_authority(name):
    dialog = app.window_named("New Certificate Authority")
    entry = app.find_matching(lambda n: n.roleName == "text" and n.name == "Name", dialog)
    entry.queryEditableText().setTextContents(name)
    app.click("Create")


def asked_again(title, problem):
    """The problem label of the passphrase dialog TITLE, shown again after a refusal."""
    def look():
        for w in app.node.children:
            if w.name == title:
                found = w.findChildren(lambda n: n.roleName == "label" and problem in n.name)
                if found:
                    return found[0]
        return None
    return app.wait_for(look, timeout=60)


def message(text):
    """The message at the top of the page on show whose text contains TEXT."""
    return app.find_matching(lambda n: n.roleName == "label" and text in n.name, app.window)


@tap.test("first start: Fleet, Devices and Production lead to creating an authority")
def _():
    for number, title in ((2, "Fleet"), (1, "Devices"), (4, "Production")):
        show_page(number, title)
        app.wait_for(lambda: shown("Create an Authority First…"))
    show_page(2, "Fleet")
    shown("Create an Authority First…")[0].doActionNamed("click")
    app.wait_for(lambda: app.content_title() == "Authorities")
    # A new ledger: creating the first authority starts by choosing the passphrase.
    state["dialog"] = app.window_named("Choose a Passphrase")


@tap.test("the new-passphrase prompt states the rule, and a short one is called too short")
def _():
    dialog = state.get("dialog")
    if dialog is None:
        show_page(3, "Authorities")
        app.click("Create Root Authority…")
        dialog = app.window_named("Choose a Passphrase")
    label_in(dialog, lambda text: "at least 8 characters" in text)
    typeText("short")
    keyCombo("Tab")
    typeText("short")
    app.click("Set Passphrase")

    problem = asked_again("Choose a Passphrase", "too short")
    assert problem.name == "That passphrase is too short. Use at least 8 characters.", problem.name
    typeText(PASSPHRASE)
    keyCombo("Tab")
    typeText(PASSPHRASE)
    app.click("Set Passphrase")
    create_authority("Test Root CA")
    app.find("Test Root CA", "label", timeout=30)

    # With an authority in the ledger, the first-start buttons step aside.
    show_page(2, "Fleet")
    app.wait_for(lambda: not shown("Create an Authority First…"))
    show_page(3, "Authorities")


@tap.test("an error with advice stays at the top of its page, drawn whole, until dismissed")
def _():
    app.click("New Authority…")
    create_authority("Test Root CA")
    advice = "A CA named “Test Root CA” already exists in this ledger. Choose another name."
    label = message("already exists")
    appeared = time.monotonic()
    assert label.name == advice, label.name
    app.wait_for(lambda: label.description == "drawn whole")

    # Later work on the same page, with its own confirmation, does not take it away.
    app.click("New Authority…")
    create_authority("Line 1 CA")
    app.find("Line 1 CA", "label", timeout=30)
    show_page(5, "Activity")
    show_page(3, "Authorities")
    label = message("already exists")
    assert label.name == advice, label.name
    app.wait_for(lambda: label.description == "drawn whole")
    print(f"# still drawn whole {time.monotonic() - appeared:.1f} s after it appeared")

    dismiss = app.find_matching(lambda n: n.roleName == "push button" and n.name == "Dismiss",
                                app.window)
    dismiss.doActionNamed("click")
    app.wait_for(lambda: not app.window.findChildren(
        lambda n: n.roleName == "label" and "already exists" in n.name))


@tap.test("Ctrl+L locks the authorities and the header's indicator follows")
def _():
    button = app.wait_for(lambda: shown(UNLOCKED))[0]
    assert button.name == UNLOCKED
    keyCombo("<Control>l")
    app.wait_for(lambda: shown(LOCKED))


@tap.test("unlocking from the indicator tells a wrong passphrase apart")
def _():
    shown(LOCKED)[0].doActionNamed("click")
    app.window_named("Unlock the Authorities")
    typeText("not the passphrase")
    app.click("Unlock")

    problem = asked_again("Unlock the Authorities", "not the one")
    assert "too short" not in problem.name, problem.name
    typeText(PASSPHRASE)
    app.click("Unlock")
    app.wait_for(lambda: shown(UNLOCKED), timeout=60)


@tap.test("authority rows count devices, not certificates")
def _():
    global app
    app.close()
    # A ledger of its own, made with the CLI: two certificates for one device (the second
    # replaces the first), one for another.
    fleet = os.path.join(scratch, "counted.db")
    key = os.path.join(scratch, "device.key")
    cli(fleet, "ca", "init", "--name", "Test Root CA")
    cli(fleet, "ca", "intermediate", "--name", "Line 1 CA", "--parent", "Test Root CA",
        "--path-len", "0")
    for imei, more in (("352656100000010", []), ("352656100000010", ["--revoke-previous"]),
                       ("352656100000028", [])):
        cli(fleet, "issue", "--ca", "Line 1 CA", "--imei", imei, "--new-key", "--key-out", key, *more)
        os.remove(key)
    issued = [a for a in json.loads(cli(fleet, "--json", "ca", "list")) if a["name"] == "Line 1 CA"]
    print(f"# the CLI lists {issued[0].get('issued')} certificates issued")
    app = App(env=dict(ENV, TAGSMITH_DB=fleet))
    show_page(3, "Authorities")
    row = app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Intermediate")
                            and "device" in n.name, app.window, timeout=30)
    assert row.name.endswith("· 2 devices"), row.name


@tap.test("provisioning without an authority says so before asking for a passphrase")
def _():
    # A window on a new, empty ledger of its own.
    global app
    app.close()
    app = App(env=dict(ENV, TAGSMITH_DB=os.path.join(scratch, "empty.db")))
    show_page(1, "Devices")
    app.click("Add a Virtual Device")
    app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual"),
                      app.window, timeout=30).doActionNamed("click")
    device = app.wait_for(lambda: next(w for w in app.node.children if w.name.startswith("Virtual")),
                          timeout=30)
    app.find_matching(lambda n: n.roleName == "push button" and n.name == "Provision…",
                      device, timeout=30).doActionNamed("click")
    dialog = app.wait_for(lambda: next(w for w in app.node.children
                                       if w.name in ("No Certificate Authority Yet",
                                                     "Choose a Passphrase")))
    assert dialog.name == "No Certificate Authority Yet", dialog.name
    app.click("Cancel")
    app.find_matching(lambda n: n.roleName == "push button" and n.name == "Close",
                      device).doActionNamed("click")
    app.wait_for(lambda: not any(w.name.startswith("Virtual") for w in app.node.children))


try:
    tap.done()
finally:
    app.close()
