"""The whole journey through the window, against a virtual device: create a root and an
intermediate, add a virtual device, open it, provision it, see the store matched to the
ledger and the IMEI in the Fleet, re-key it, see the revocation in its history, and
publish the CRL. The passphrase is remembered in the (test) keyring on the way."""

import os
import subprocess

from dogtail.rawinput import keyCombo, typeText

from tsgui import NARROW, REFRESH, WIDE, Skip, App, Tap, scratch_dir

PASSPHRASE = "correct horse battery staple"

tap = Tap()
scratch = scratch_dir("tagsmith-gui-")
ledger = os.path.join(scratch, "fleet.db")
app = App(env={"TAGSMITH_DB": ledger})
state = {}


def show_page(number, title):
    """Through the sidebar: key presses would go to whichever window has the focus."""
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def screenshot_narrow(name, page):
    """The main window at a phone's width, where the sidebar and the page take turns: picking
    PAGE in the sidebar slides to it."""
    if not REFRESH:
        return
    with app.sized(app.window, NARROW):
        app.find(page, "list item").click()
        app.screenshot(name, size=None)


def create_authority(name):
    dialog = app.window_named("New Certificate Authority")
    entry = app.find_matching(lambda n: n.roleName == "text" and n.name == "Name", dialog)
    entry.queryEditableText().setTextContents(name)
    app.click("Create")
    app.find(name, "label", timeout=30)


@tap.test("creating the first root asks for a new passphrase and remembers it")
def _():
    show_page(3, "Authorities")
    app.click("Create Root Authority…")
    app.window_named("Choose a Passphrase")
    typeText(PASSPHRASE)
    keyCombo("Tab")
    typeText(PASSPHRASE)
    # GTK 4.8 check boxes have no AT-SPI action: tick it from the keyboard, as a user would.
    box = app.find_anywhere("Remember in keyring", "check box")
    keyCombo("Tab")
    keyCombo("space")
    app.wait_for(lambda: box.checked)
    app.click("Set Passphrase")
    create_authority("Test Root CA")
    app.screenshot("authorities")


@tap.test("the passphrase is in the keyring")
def _():
    out = subprocess.run(["secret-tool", "lookup", "ledger", ledger],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout == PASSPHRASE, (out.returncode, out.stderr)


@tap.test("an intermediate is created under the root")
def _():
    app.click("New Authority…")
    create_authority("Line 1 CA")


@tap.test("a virtual device appears with its IMEI")
def _():
    show_page(1, "Devices")
    app.click("Add a Virtual Device")
    button = app.find_matching(lambda n: n.roleName == "push button"
                               and n.name.startswith("Open Virtual"), timeout=30)
    state["open"] = button.name
    row = app.find_matching(lambda n: "IMEI " in (n.description or "") or "IMEI " in n.name,
                            timeout=30)
    text = row.description if "IMEI " in (row.description or "") else row.name
    state["imei"] = text.split("IMEI ", 1)[1][:15]
    assert state["imei"].isdigit(), text
    app.screenshot("devices")
    screenshot_narrow("devices-narrow", "Devices")


@tap.test("opening the device shows its identity and store")
def _():
    app.click(state["open"])
    window = app.wait_for(lambda: next(w for w in app.node.children
                                       if w.name.startswith("Virtual")))
    state["device"] = window
    app.find_matching(lambda n: n.name == state["imei"] and n.roleName == "label", window, 30)


@tap.test("provisioning installs a certificate that the store shows as in the ledger, "
          "and a phone-sized window keeps the IMEI on one line")
def _():
    window = state["device"]
    app.find_matching(lambda n: n.name == "Provision…" and n.roleName == "push button",
                      window).doActionNamed("click")
    app.window_named("Provision Device")
    app.click("Provision")
    done = app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Provisioned:"),
                             window, timeout=90)
    state["serial"] = done.name.split("certificate ", 1)[1].split(" ", 1)[0].replace(":", "").upper()
    app.find_matching(lambda n: n.roleName == "label" and n.name == "In ledger", window, 30)
    app.screenshot_window(window, "device", WIDE)
    app.screenshot_window(window, "device-narrow", NARROW)
    # At a phone's width the short identity values stay on one line, as wide as now: an IMEI
    # broken over lines reads as several numbers.
    wide = {t: app.row_value(window, t).size[0] for t in ("IMEI", "Model", "Firmware")}
    with app.resized(window, NARROW):
        app.wait_for(lambda: window.size[0] <= NARROW[0])
        app.wait_for(lambda: all(app.row_value(window, t).size[0] >= w - 1 for t, w in wide.items()))


@tap.test("the store's client certificate opens its details from the ledger")
def _():
    window = state["device"]
    app.find_matching(lambda n: n.roleName == "push button"
                      and n.name.startswith("Certificate Details (sec_tag")
                      and "client" in n.name.lower(), window, 30).doActionNamed("click")
    details = app.window_named("Certificate Details", timeout=30)
    serial = app.find_matching(lambda n: n.roleName == "label" and n.name.replace(":", "").upper()
                               == state["serial"], details, 30)
    assert serial.name, serial
    keyCombo("Escape")
    app.wait_for(lambda: all(w.name != "Certificate Details" for w in app.node.children))


@tap.test("the Fleet page lists the IMEI")
def _():
    show_page(2, "Fleet")
    app.find(state["imei"], "label", timeout=30)


@tap.test("re-keying replaces the certificate and revokes the old one")
def _():
    window = state["device"]
    app.find_matching(lambda n: n.name == "Re-key…" and n.roleName == "push button",
                      window).doActionNamed("click")
    app.window_named("Re-key Device")
    app.click("Re-key")
    app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Re-keyed:"),
                      window, timeout=90)


@tap.test("the device's history shows the revocation")
def _():
    # Keys go to the focused window, the device's: it is done with, so close it, and
    # running tagsmith again presents the main window, as activating it from the desktop would.
    device = state["device"].name
    keyCombo("<Control>w")
    app.wait_for(lambda: all(w.name != device for w in app.node.children))
    subprocess.run([os.environ.get("TAGSMITH", "tagsmith")], env=app.env, timeout=30, check=True)
    show_page(2, "Fleet")
    # GTK 4.8's AT-SPI cannot set an entry's text: type it, as a person would. While the
    # Fleet shows, typing anywhere in the window goes to its search.
    typeText(state["imei"])
    # Its text is not readable either: the count says when the search has applied.
    app.find("1 matching device", "label", timeout=30)
    app.find(state["imei"], "label", timeout=30)
    app.screenshot("fleet")  # the main window is in front again
    # Typing moved the focus to the search, where Enter opens the first match.
    keyCombo("Return")
    history = app.window_named(f"History of {state['imei']}", timeout=30)
    app.find_matching(lambda n: n.roleName == "label" and n.name == "Certificate revoked",
                      history, timeout=30)
    app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Revoked:"),
                      history, timeout=30)
    keyCombo("Escape")


@tap.test("the CRL is exported")
def _():
    show_page(3, "Authorities")
    app.click("Publish the CRL of Line 1 CA")
    chooser = app.window_named("Publish CRL", timeout=30)
    # Without a portal this is GTK's own chooser: its name entry ("Name:") takes a whole path,
    # and GTK 4.8 names its mnemonic buttons "_Save Save".
    name = app.find_matching(lambda n: n.roleName == "text" and n.name.startswith("Name"), chooser)
    path = os.path.join(scratch, "line1.crl.pem")
    name.queryEditableText().setTextContents(path)
    app.find_matching(lambda n: n.roleName == "push button" and n.name.endswith("Save"),
                      chooser).doActionNamed("click")
    app.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, timeout=30)
    with open(path) as f:
        assert f.read().startswith("-----BEGIN X509 CRL-----")
    out = subprocess.run(["openssl", "crl", "-in", path, "-noout", "-text"],
                         capture_output=True, text=True, timeout=20)
    # The certificate the re-key replaced is on the list, by its serial.
    assert f"SERIAL NUMBER {state['serial']}" in out.stdout.replace(":", "").upper(), \
        (state["serial"], out.stdout)


@tap.test("the Activity page shows a verified audit chain")
def _():
    show_page(5, "Activity")
    app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Audit log intact"),
                      timeout=30)
    app.screenshot("activity")


try:
    tap.done()
finally:
    app.close()
