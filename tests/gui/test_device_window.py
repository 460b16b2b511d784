"""The device window of a kit: its title names the model and the end of the IMEI, and its
AT log shows what was sent and answered in the session, with no credential body in it,
also when a certificate the ledger does not know is read back to be named; F1 in it asks for
its own help page. At a phone's width it fits, and shows the IMEI and the client certificate's
row whole; at every width from there up, its header shows the whole IMEI, and the kit's name
whole when it has room for it.

The window runs with TAGSMITH_TEST_VISIBLE_TEXT, so the labels that must be drawn whole say
in their accessible description whether they are."""

import os
import signal
import subprocess

import pyatspi
from dogtail.rawinput import keyCombo

from tsgui import NARROW, SOURCE_ROOT, App, Tap, scratch_dir

PASSPHRASE = "correct horse battery staple"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
IMEI = "352656100000085"
SEC_TAG = 4242
CLIENT_SEC_TAG = 4243

tap = Tap()
scratch = scratch_dir("tagsmith-gui-devwin-")
os.makedirs(os.path.join(scratch, "ledger"))
ledger = os.path.join(scratch, "ledger", "fleet.db")
data_home = os.path.join(scratch, "data")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
state = {}


def cli(*args, db=None):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    out = subprocess.run([TAGSMITH, "--db", db or ledger, "--pass", "env:TS_TEST_PASS", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


# A CA certificate on the modem that the window's ledger has never seen: the window reads it
# back to name it, so its body crosses the line in the session the log shows.
other_ledger = os.path.join(scratch, "ledger", "elsewhere.db")
cli("ca", "init", "--name", "Log Test Root CA", db=other_ledger)
pem = cli("ca", "export", "Log Test Root CA", db=other_ledger)
pem_dir = os.path.join(scratch, "pem")
os.makedirs(pem_dir)
pem_file = os.path.join(pem_dir, "root.pem")
with open(pem_file, "w") as f:
    f.write(pem)
emulator = subprocess.Popen([EMULATOR, "--imei", IMEI, "--cfun", "1"],
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
port = emulator.stdout.readline().strip()
assert port, "tagsmith-emulator did not start"
# Written with another ledger: the window's does not know the certificate.
cli("creds", "write", "--port", port, "--sec-tag", str(SEC_TAG), "--type", "ca", "--file", pem_file,
    db=other_ledger)
# A client certificate the window's ledger issued: its row carries a badge and the most actions.
cli("ca", "init", "--name", "Devices")
cli("provision", "--port", port, "--ca", "Devices", "--sec-tag", str(CLIENT_SEC_TAG), "--server-ca",
    os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision", "server-root.pem"))
help_log = os.path.join(scratch, "help.log")
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime,
               "TAGSMITH_HELP_LOG": help_log, "TAGSMITH_TEST_VISIBLE_TEXT": "1"})


def drawn(window, text):
    """How the labels of WINDOW that say TEXT and are watched are drawn, leaving out those
    not drawn at all (the header not in use)."""
    return [n.description for n in window.findChildren(lambda n: n.roleName == "label" and n.name == text)
            if n.description and n.description != "not drawn"]


@tap.test("the device window and its Devices row name the model and the end of the IMEI")
def _():
    app.find("Pages", "list").querySelection().selectChild(0)
    app.wait_for(lambda: app.content_title() == "Devices")
    # The row is named once the kit said its IMEI, which takes a moment on a busy machine.
    opener = app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual")
                               and "nRF91" in n.name and " · …000085" in n.name, app.window, timeout=60)
    opener.doActionNamed("click")
    window = app.device_window(IMEI)
    assert window.name.startswith("Virtual nRF91") and window.name.endswith(" · …000085"), window.name
    # Loaded: the certificate is listed under its sec_tag.
    app.find_matching(lambda n: n.name == f"sec_tag {SEC_TAG}", window, timeout=30)
    state["window"] = window


@tap.test("F1 in the device window asks for the device window's help page")
def _():
    window = state["window"]
    app.wait_for(lambda: window.getState().contains(pyatspi.STATE_ACTIVE))
    keyCombo("F1")

    def logged():
        with open(help_log) as f:
            return f.read().splitlines()
    app.wait_for(lambda: os.path.exists(help_log) and logged())
    assert logged() == ["help:tagsmith/device-window"], logged()


@tap.test("the AT log shows the session's commands and answers, and no credential body")
def _():
    window = state["window"]
    app.find_matching(lambda n: n.roleName == "push button" and n.description == "Show the AT Log",
                      window).doActionNamed("click")
    log_window = app.window_named(f"AT Log — {window.name}")
    view = app.find_matching(lambda n: n.name == "AT Log" and n.roleName == "text", log_window)
    text = app.wait_for(lambda: view.text if f"→ AT%CMNG=2,{SEC_TAG},0" in view.text else None)
    assert "→ AT+CGSN" in text and f"← +CGSN: \"{IMEI}\"" in text, text
    assert "→ AT%CMNG=1" in text and "← OK" in text, text
    assert f',"<CA certificate, {len(pem)} bytes, elided>"' in text, text
    body = [line for line in pem.splitlines() if not line.startswith("-----")]
    assert body and not any(line[:32] in text for line in body), text
    assert "BEGIN CERTIFICATE" not in text, text
    app.screenshot_window(log_window, "at-log", (800, 720))


@tap.test("at 360 px the window fits, and the IMEI (on one line) and the client certificate's row show whole")
def _():
    window = state["window"]
    subtitle = app.find_matching(lambda n: n.roleName == "label" and f"{IMEI}, issued by" in n.name,
                                 window, 30)
    title = app.find_matching(lambda n: n.roleName == "label"
                              and n.name.lower() == "client certificate", window)
    # Wide, the row's actions are buttons; narrow, they are in its menu.
    app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Certificate Details (sec_tag")
                      and "client" in n.name.lower() and n.size[0] > 0, window)
    wide = {t: app.row_value(window, t).size[0] for t in ("IMEI", "Model", "Firmware")}
    with app.resized(window, NARROW):
        assert window.size[0] <= NARROW[0], window.size
        # The IMEI in the header and in the Identity group; the labels watched say how they
        # are drawn (the wide header's, hidden now, is not drawn).
        app.wait_for(lambda: drawn(window, IMEI) == ["drawn whole"] * 2)
        # ...and the short values on one line, as wide as in the wide window: an IMEI broken
        # over lines reads as several numbers.
        app.wait_for(lambda: all(app.row_value(window, t).size[0] >= w - 1 for t, w in wide.items()))
        app.wait_for(lambda: title.description == "drawn whole" and subtitle.description == "drawn whole")
    app.wait_for(lambda: window.size[0] > NARROW[0])


# The widths a person may drag the window to, from a phone's up, across the one where the
# header trades its buttons for a menu.
WIDTHS = (360, 480, 520, 560, 600, 640, 700, 900)


@tap.test("at every width from 360 px up, the header shows the whole IMEI, and the kit's name whole if at all")
def _():
    window = state["window"]
    kit = window.name
    for width in WIDTHS:
        with app.resized(window, (width, NARROW[1])):
            assert window.size[0] <= width, (width, window.size)
            # The header's IMEI beside the Identity group's, both whole; the kit's name is in
            # the wide header only, and then whole too.
            shown = lambda: (drawn(window, IMEI), drawn(window, kit))  # noqa: E731
            try:
                app.wait_for(lambda: shown()[0] == ["drawn whole"] * 2 and shown()[1] in ([], ["drawn whole"]))
            except AssertionError:
                raise AssertionError(f"at {width} px the IMEI is {shown()[0]}, the kit's name {shown()[1]}")


try:
    tap.done()
finally:
    app.close()
    if emulator.poll() is None:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
