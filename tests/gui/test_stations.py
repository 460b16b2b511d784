"""Stations in the window: a bench is enrolled as a station under Authorities (after the
passphrase), chosen as this bench in Preferences, provisions a virtual kit from its device
window, which the ledger and the device's history then name it for; revoking the station from
Authorities, for the reason chosen among those that fit a station, publishes its parent's CRL, and the Production page and Preferences then say that
this bench can no longer act as it. The ledger is checked with the CLI, the CRL with OpenSSL."""

import json
import os
import re
import signal
import subprocess

from dogtail.rawinput import keyCombo, pressKey, typeText

from tsgui import App, Tap, ledger_cli, scratch_dir, select, start_emulator

SCHEMA = "io.github.tagsmith.Tagsmith"
PASSPHRASE = "correct horse battery staple"
KIT_IMEI = "352656100000085"
STATION = "bench-1"


def reset_station():
    """The station chosen in Preferences outlives the window: put it back for the next test."""
    subprocess.run(["gsettings", "reset", SCHEMA, "station"], check=True)


def chosen_station():
    out = subprocess.run(["gsettings", "get", SCHEMA, "station"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().strip("'")


tap = Tap()
reset_station()
scratch = scratch_dir("tagsmith-gui-stations-")
# The ledger has a folder of its own: the CRLs are published to crl/ beside it.
os.makedirs(os.path.join(scratch, "ledger"))
ledger = os.path.join(scratch, "ledger", "fleet.db")
data_home = os.path.join(scratch, "data")
# Its own runtime folder, so that the virtual devices of earlier tests are not listed; dconf
# flags a changed setting in the runtime folder, so the session's is shared, or the window
# would read back its old settings once it has written a new one.
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
session_dconf = os.path.join(os.environ["XDG_RUNTIME_DIR"], "dconf")
os.makedirs(session_dconf, mode=0o700, exist_ok=True)
os.symlink(session_dconf, os.path.join(runtime, "dconf"))
state = {}


def cli(*args):
    return ledger_cli(ledger, *args, passphrase=PASSPHRASE)


def stations():
    return json.loads(ledger_cli(ledger, "--json", "station", "list"))


def show_page(number, title):
    """Through the sidebar's accessible selection: a device window may have the focus."""
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def window_named(name, timeout=30):
    return app.window_named(name, timeout)


def gone(name):
    app.wait_for(lambda: all(w.name != name for w in app.node.children))


def button(window, test, timeout=20):
    return app.find_matching(lambda n: n.roleName == "push button" and test(n), window, timeout)


def label(window, test, timeout=30):
    try:
        return app.find_matching(lambda n: n.roleName == "label" and test(n.name), window, timeout)
    except AssertionError:
        names = [n.name for n in window.findChildren(lambda n: n.roleName == "label")]
        raise AssertionError(f"no such label among {names}")


def unlocking(name):
    """The window NAME, after unlocking the workspace when the window asks for it first."""
    app.wait_for(lambda: {name, "Unlock the Authorities"} & {w.name for w in app.node.children}, 30)
    if "Unlock the Authorities" in [w.name for w in app.node.children]:
        asked = window_named("Unlock the Authorities")
        typeText(PASSPHRASE)
        button(asked, lambda n: n.name.startswith("Unlock")).doActionNamed("click")
    return window_named(name)


def choose_station(preferences, index):
    """Picks the INDEXth choice of the Station row (0 is None) with the keyboard, as a person
    would: Tab from the field that has the focus when Preferences opens until the row has it."""
    row = app.find_matching(lambda n: n.name == "Station" and n.roleName == "combo box", preferences)
    for _ in range(12):
        if row.focused:
            break
        pressKey("Tab")
        try:
            app.wait_for(lambda: row.focused, timeout=2)
        except AssertionError:
            continue
    assert row.focused, "Tab never reached the Station row"
    keyCombo("Return")
    app.find_matching(lambda n: n.roleName == "list item" and n.focused
                      and n.parent.parent.parent.name == "GtkPopoverContent", row)
    pressKey("Home")
    for _ in range(index):
        pressKey("Down")
    keyCombo("Return")


def open_preferences():
    keyCombo("<Control>comma")
    return window_named("Preferences")


def close_preferences():
    keyCombo("Escape")
    gone("Preferences")


# The CAs come from the CLI: the window's own CA flows are covered by test_flows.py.
cli("ca", "init", "--name", "Bench Root")
cli("ca", "intermediate", "--name", "Bench CA", "--parent", "Bench Root")
emulator = start_emulator(runtime, "--imei", KIT_IMEI, "--cfun", "1")
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime})


@tap.test("a station is enrolled under Authorities, below the intermediate, after the passphrase")
def _():
    show_page(3, "Authorities")
    label(app.window, lambda name: name == "No station yet")
    button(app.window, lambda n: n.name == "Enroll Station…").doActionNamed("click")
    dialog = unlocking("Enroll a Station")
    app.find_matching(lambda n: n.roleName == "text" and n.focused, dialog)
    typeText(STATION)
    button(dialog, lambda n: n.name == "Enroll").doActionNamed("click")
    gone("Enroll a Station")
    text = label(app.window, lambda name: name.startswith(f"Enrolled the station “{STATION}”")).name
    assert "choose it as this bench in Preferences" in text, text
    label(app.window, lambda name: name.startswith(f"CA “{STATION} station” below “Bench CA”"))
    listed = stations()
    assert [(s["name"], s["parent"], s["status"]) for s in listed] == [(STATION, "Bench CA", "valid")], listed


@tap.test("the station is chosen as this bench in Preferences and the Production page runs as it")
def _():
    preferences = open_preferences()
    label(preferences, lambda name: name.startswith("None: what this bench makes records no station"))
    choose_station(preferences, 1)
    label(preferences, lambda name: name.startswith(f"Runs as the station “{STATION}”"))
    app.wait_for(lambda: chosen_station() == STATION)
    close_preferences()
    # Closing Preferences keeps the choice.
    assert chosen_station() == STATION, chosen_station()
    show_page(4, "Production")
    label(app.window, lambda name: name == f"Runs as the station “{STATION}”: its CA “{STATION} station” "
                                           "signs unless you choose another")


@tap.test("a kit provisioned from its device window records the station, with the station's CA")
def _():
    show_page(1, "Devices")
    button(app.window, lambda n: n.name.startswith("Open Virtual"), timeout=30).doActionNamed("click")
    window = app.device_window(KIT_IMEI)
    state["device"] = window
    button(window, lambda n: n.name == "Provision…").doActionNamed("click")
    unlocking("Provision Device")
    app.click("Provision")
    label(window, lambda name: name.startswith("Provisioned:"), timeout=90)
    shown = json.loads(ledger_cli(ledger, "--json", "fleet", "show", KIT_IMEI))
    certs = [(c["ca"], c.get("station")) for c in shown["certificates"]]
    assert certs == [(f"{STATION} station", STATION)], shown["certificates"]
    installs = {i.get("station") for i in shown["installs"]}
    assert installs == {STATION}, shown["installs"]


@tap.test("the device's history names the station where its certificate was issued")
def _():
    window = state["device"]
    button(window, lambda n: n.name.startswith("Show the device's history")).doActionNamed("click")
    history = window_named(f"History of {KIT_IMEI}")
    label(history, lambda name: f"· at station {STATION} ·" in name)
    keyCombo("Escape")
    gone(f"History of {KIT_IMEI}")


@tap.test("revoking the station asks why and to confirm, records the reason chosen, publishes its parent's "
          "CRL, and this bench stops acting as it")
def _():
    show_page(3, "Authorities")
    button(app.window, lambda n: n.name == f"Revoke the station {STATION}").doActionNamed("click")
    confirm = window_named(f"Revoke the Station “{STATION}”?")
    # The reasons that fit a station, each explained; a compromised CA is the first choice.
    reasons = app.find_matching(lambda n: n.name == "Reason" and n.roleName == "list", confirm)
    for title, explanation in (("CA compromise", "The bench's CA key may be known to someone else"),
                               ("Cessation of operation", "The bench is retired"),
                               ("Superseded", "Another station replaces this one"),
                               ("Affiliation changed", "The bench moved to another site")):
        label(reasons, lambda name: name == title)
        label(reasons, lambda name: name.startswith(explanation))
    assert not reasons.findChildren(lambda n: n.name == "Key compromise"), "a device's reason, not a CA's"
    select(label(reasons, lambda name: name == "Cessation of operation"))
    button(confirm, lambda n: n.name == "Revoke").doActionNamed("click")
    gone(f"Revoke the Station “{STATION}”?")
    text = label(app.window, lambda name: name.startswith(f"Revoked the station “{STATION}”")).name
    assert text.startswith(f"Revoked the station “{STATION}” (Cessation of operation)"), text
    path = re.search(r"published as (/.+?\.crl\.pem)\. ", text.replace("\n", " "))
    assert path, text
    assert os.path.dirname(os.path.dirname(path.group(1))) == os.path.dirname(ledger), path.group(1)
    listed = stations()
    assert (listed[0]["status"], listed[0]["revoke_reason"]) == ("revoked", "cessationOfOperation"), listed
    authorities = json.loads(ledger_cli(ledger, "--json", "ca", "list"))
    serial = next(a["serial"] for a in authorities if a["name"] == f"{STATION} station")
    out = subprocess.run(["openssl", "crl", "-in", path.group(1), "-noout", "-text"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert f"SERIAL NUMBER {serial}" in out.stdout.replace(":", "").upper(), (serial, out.stdout)
    assert "Cessation Of Operation" in out.stdout, out.stdout
    label(app.window, lambda name: name == "Revoked")
    show_page(4, "Production")
    advice = label(app.window, lambda name: name.startswith(f"The station “{STATION}” was revoked")).name
    assert "choose that station in Preferences" in advice, advice
    preferences = open_preferences()
    label(preferences, lambda name: name.startswith(f"The station “{STATION}” was revoked"))
    close_preferences()


try:
    tap.done()
finally:
    app.close()
    reset_station()
    if emulator.poll() is None:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
