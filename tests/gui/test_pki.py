"""Fleet export and revocation in the window: the export writes its files and lists them;
a certificate revoked from a Fleet row, from a device's history and from the device window
is revoked in the ledger with the reason chosen, and the CRL written in the same flow lists
it; the Re-key dialog names the certificate it will revoke; the device window opens the
device's history. The ledger is checked with the CLI, the files on disk."""

import csv
import json
import os
import re
import signal
import subprocess

from dogtail.rawinput import keyCombo, typeText

from tsgui import SOURCE_ROOT, App, Tap, ledger_cli, scratch_dir, select, start_emulator

PASSPHRASE = "correct horse battery staple"
KIT_IMEI = "352656100000077"     # the virtual device, provisioned in the window
FLEET_IMEI = "490154203237518"   # revoked from its Fleet row
HISTORY_IMEI = "353456789012348"  # revoked from its history
CSR_DIR = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "ca")

tap = Tap()
scratch = scratch_dir("tagsmith-gui-pki-")
# The window's home folder is the test's own, with the export's folder where a person would
# make it: the window names it from "~", and so does the screenshot of its summary.
home = os.path.join(scratch, "home")
export_dir = os.path.join(home, "Documents", "fleet-export")
os.makedirs(export_dir)
SHOWN_EXPORT_DIR = "~/Documents/fleet-export"
# The ledger where the app keeps it by default, in a folder of its own: the CRLs go to crl/
# beside it, also named from "~".
data_home = os.path.join(home, ".local", "share")
os.makedirs(os.path.join(data_home, "tagsmith"))
ledger = os.path.join(data_home, "tagsmith", "fleet.db")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
state = {}


def cli(*args, unlocked=True):
    return ledger_cli(ledger, *args, passphrase=PASSPHRASE if unlocked else None)


def certificates(imei):
    return json.loads(cli("--json", "fleet", "show", imei, unlocked=False))["certificates"]


def current_serial(imei):
    return [c["serial"] for c in certificates(imei) if c["status"] == "valid"][-1]


def show_page(number, title):
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def window_named(name, timeout=30):
    return app.window_named(name, timeout)


def button(window, test, timeout=20):
    try:
        return app.find_matching(lambda n: n.roleName == "push button" and test(n), window, timeout)
    except AssertionError:
        names = [n.name for n in window.findChildren(lambda n: n.roleName == "push button")]
        raise AssertionError(f"no such button among {names}")


def label(window, test, timeout=30):
    try:
        return app.find_matching(lambda n: n.roleName == "label" and test(n.name), window, timeout)
    except AssertionError:
        names = [n.name for n in window.findChildren(lambda n: n.roleName == "label")]
        raise AssertionError(f"no such label among {names}")


def dump(node, depth=0):
    """The accessible tree under NODE, for a failing test's log."""
    lines = [f"{'  ' * depth}{node.roleName}: {node.name!r}"]
    for child in node.children:
        lines.extend(dump(child, depth + 1))
    return lines


def unlocking(name):
    """The window NAME, after unlocking the workspace when the window asks for it first."""
    app.wait_for(lambda: {name, "Unlock the Authorities"} & {w.name for w in app.node.children}, 30)
    if "Unlock the Authorities" in [w.name for w in app.node.children]:
        asked = window_named("Unlock the Authorities")
        typeText(PASSPHRASE)
        button(asked, lambda n: n.name.startswith("Unlock")).doActionNamed("click")
    return window_named(name)


def gone(name):
    app.wait_for(lambda: all(w.name != name for w in app.node.children))


def revoke_in_dialog(serial, imei, reason=None):
    """Answers the confirmation: it names the certificate; picks REASON (default the first,
    Key compromise), keeps Publish the CRL on, unlocks if asked. Returns the outcome's text."""
    dialog = window_named("Revoke Certificate?")
    text = label(dialog, lambda name: name.startswith(f"Serial {serial}")).name
    assert f"IMEI {imei}" in text and "CN " in text, text
    if reason is not None:
        # Every reason is listed with its explanation; the list's accessible selection
        # chooses one, as a screen reader would.
        select(app.find_matching(lambda n: n.roleName == "label" and n.name == reason, dialog))
    else:
        reason = "Key compromise"
    # Each reason is explained in plain words.
    explanation = {"Key compromise": "The device's private key may be known",
                   "Cessation of operation": "The device is retired"}[reason]
    label(dialog, lambda name: name.startswith(explanation))
    # Publish the CRL is left as it is: on, as check_revoked() sees from the CRL written.
    button(dialog, lambda n: n.name == "Revoke").doActionNamed("click")
    done = unlocking("Certificate Revoked")
    text = label(done, lambda name: name.startswith(f"Certificate {serial}")).name
    button(done, lambda n: n.name == "Close").doActionNamed("click")
    gone("Certificate Revoked")
    return text


def check_revoked(imei, serial, reason, outcome):
    cert = next(c for c in certificates(imei) if c["serial"] == serial)
    assert (cert["status"], cert.get("revoke_reason")) == ("revoked", reason), cert
    path = re.search(r"written to ~(/.+?\.crl\.pem)\. ", outcome.replace("\n", " "))
    assert path, outcome
    path = home + path.group(1)
    assert os.path.dirname(os.path.dirname(path)) == os.path.dirname(ledger), path
    out = subprocess.run(["openssl", "crl", "-in", path, "-noout", "-text"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert f"SERIAL NUMBER {serial}" in out.stdout.replace(":", "").upper(), (serial, out.stdout)


# The CAs and two devices' certificates come from the CLI.
cli("ca", "init", "--name", "Test Root CA")
cli("ca", "intermediate", "--name", "Line CA", "--parent", "Test Root CA")
cli("issue", "--ca", "Line CA", "--imei", FLEET_IMEI, "--csr", os.path.join(CSR_DIR, "p256.csr.pem"),
    "--profile", "nrfcloud")
cli("issue", "--ca", "Line CA", "--imei", HISTORY_IMEI, "--csr", os.path.join(CSR_DIR, "p384.csr.pem"))
emulator = start_emulator(runtime, "--imei", KIT_IMEI, "--cfun", "1")
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime, "HOME": home})


@tap.test("the fleet export writes nRF Cloud's CSV to the chosen folder and lists what it wrote, "
          "naming the folder from ~")
def _():
    show_page(2, "Fleet")
    app.find(FLEET_IMEI, "label", timeout=30)
    app.click("Export the Fleet for a Cloud Service…")
    dialog = window_named("Export the Fleet")
    button(dialog, lambda n: n.name == "Choose Folder…").doActionNamed("click")
    chooser = window_named("Choose a Folder for the Export")
    keyCombo("<Control>l")
    app.find_matching(lambda n: n.roleName == "text" and n.focused, chooser)
    typeText(export_dir + "/")
    keyCombo("Return")
    # Return in the location entry may choose the folder at once; otherwise Choose does.
    if "Choose a Folder for the Export" in [w.name for w in app.node.children]:
        try:
            button(chooser, lambda n: n.name.endswith("Choose"), timeout=5).doActionNamed("click")
        except AssertionError:
            pass
    gone("Choose a Folder for the Export")
    label(dialog, lambda name: name == SHOWN_EXPORT_DIR)
    export = button(dialog, lambda n: n.name == "Export")
    app.wait_for(lambda: export.sensitive)
    export.doActionNamed("click")
    done = window_named("Fleet Exported")
    text = label(done, lambda name: name.startswith("2 devices exported")).name
    assert f"1 file written to {SHOWN_EXPORT_DIR}:\nnrfcloud-001.csv" in text, text
    app.screenshot_window(done, "fleet-export")
    rows = list(csv.reader(open(os.path.join(export_dir, "nrfcloud-001.csv"))))
    # nRF Cloud's device ID is the certificate's CN: nrf-IMEI under the nrfcloud profile.
    assert sorted(r[0] for r in rows) == sorted([f"nrf-{FLEET_IMEI}", HISTORY_IMEI]), rows
    button(done, lambda n: n.name == "Close").doActionNamed("click")
    gone("Fleet Exported")


@tap.test("a certificate revoked from its Fleet row is revoked and in the CRL")
def _():
    serial = current_serial(FLEET_IMEI)
    revoke = app.find("Revoke the Selected Device's Certificate…", "push button")
    assert not revoke.sensitive, "nothing is selected yet"
    try:
        select(app.find(FLEET_IMEI, "label"))
    except AssertionError:
        raise AssertionError("\n".join(dump(app.find("Fleet"))))
    app.wait_for(lambda: revoke.sensitive)
    revoke.doActionNamed("click")
    outcome = revoke_in_dialog(serial, FLEET_IMEI)
    check_revoked(FLEET_IMEI, serial, "keyCompromise", outcome)


@tap.test("a certificate revoked from the device's history, with the reason chosen, shows revoked there")
def _():
    serial = current_serial(HISTORY_IMEI)
    typeText(HISTORY_IMEI)
    app.find("1 matching device", "label", timeout=30)
    keyCombo("Return")
    history = window_named(f"History of {HISTORY_IMEI}")
    button(history, lambda n: n.name == f"Revoke certificate {serial}").doActionNamed("click")
    outcome = revoke_in_dialog(serial, HISTORY_IMEI, reason="Cessation of operation")
    check_revoked(HISTORY_IMEI, serial, "cessationOfOperation", outcome)
    label(history, lambda name: name == "Revoked: Cessation of operation")
    keyCombo("Escape")
    gone(f"History of {HISTORY_IMEI}")


@tap.test("the Re-key dialog names the certificate it will revoke")
def _():
    show_page(1, "Devices")
    button(app.window, lambda n: n.name.startswith("Open Virtual"), timeout=30).doActionNamed("click")
    window = app.device_window(KIT_IMEI)
    state["device"] = window
    button(window, lambda n: n.name == "Provision…").doActionNamed("click")
    unlocking("Provision Device")
    app.click("Provision")
    label(window, lambda name: name.startswith("Provisioned:"), timeout=90)
    serial = current_serial(KIT_IMEI)
    state["serial"] = serial
    button(window, lambda n: n.name == "Re-key…").doActionNamed("click")
    dialog = unlocking("Re-key Device")
    named = label(dialog, lambda name: name.startswith("Serial ")).name
    assert named.startswith(f"Serial {serial}, valid until "), (named, serial)
    button(dialog, lambda n: n.name == "Cancel").doActionNamed("click")
    gone("Re-key Device")


@tap.test("the device window opens the device's history")
def _():
    window = state["device"]
    button(window, lambda n: n.name.startswith("Show the device's history")).doActionNamed("click")
    history = window_named(f"History of {KIT_IMEI}")
    label(history, lambda name: name == f"Serial {state['serial']}")
    keyCombo("Escape")
    gone(f"History of {KIT_IMEI}")


@tap.test("a certificate revoked from the device window is revoked and in the CRL")
def _():
    window = state["device"]
    serial = state["serial"]
    button(window, lambda n: n.name == f"Revoke certificate {serial}").doActionNamed("click")
    outcome = revoke_in_dialog(serial, KIT_IMEI)
    check_revoked(KIT_IMEI, serial, "keyCompromise", outcome)


try:
    tap.done()
finally:
    app.close()
    if emulator.poll() is None:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
