"""When things go wrong in the window, against real virtual devices started with faults the
real modem has: a full credential store answers a write with +CME ERROR: 515, and the toast
says what to do; a provision cancelled while the modem generates its key leaves a ledger
whose audit chain holds, whose installs are settled by the next session, and a modem back
in its functional mode."""

import json
import os
import select
import signal
import subprocess
import sys
import termios
import time
import tty

from dogtail.rawinput import typeText

from tsgui import App, Tap, scratch_dir

# The store-vs-ledger check the integration tests share.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from tsharness import store_vs_ledger  # noqa: E402

PASSPHRASE = "correct horse battery staple"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")

tap = Tap()
scratch = scratch_dir("tagsmith-gui-errors-")
ledger = os.path.join(scratch, "fleet.db")
emulators = []
state = {}
# Its own data and runtime folders: the virtual devices earlier tests in this session left
# register in theirs and come back with the window, and would crowd the Devices page.
data_home = os.path.join(scratch, "data")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)


def cli(*args, check=True):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    out = subprocess.run([TAGSMITH, "--db", ledger, "--pass", "env:TS_TEST_PASS", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    if check:
        assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out


def luhn_imei(body14):
    total = 0
    for i, ch in enumerate(reversed(body14)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body14 + str((10 - total % 10) % 10)


def start_emulator(imei, *args):
    """A virtual device the window finds through its registration, like one another
    program started; --verbose puts its AT traffic in a log for the record."""
    log = open(os.path.join(scratch, f"{imei}.log"), "w")
    proc = subprocess.Popen([EMULATOR, "--imei", imei, "--cfun", "1", "--verbose",
                             "--state", os.path.join(scratch, f"{imei}.state"), *args],
                            stdout=subprocess.PIPE, stderr=log, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
    port = proc.stdout.readline().strip()
    assert port, "tagsmith-emulator did not start"
    emulators.append(proc)
    return proc, port


def read_log(imei):
    with open(os.path.join(scratch, f"{imei}.log")) as f:
        return f.read()


def stop_emulator(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)


def functional_mode(port):
    """Asks the modem itself, on its port, once the window has let go of it (§5)."""
    fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        os.write(fd, b"AT+CFUN?\r")
        answer = b""
        deadline = time.monotonic() + 10
        while b"OK" not in answer and b"ERROR" not in answer and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                answer += os.read(fd, 256)
    finally:
        os.close(fd)
    text = answer.decode(errors="replace")
    assert "+CFUN: " in text, text
    return int(text.split("+CFUN: ", 1)[1].split()[0])


def installs(imei):
    out = cli("--json", "fleet", "show", imei)
    return json.loads(out.stdout)["installs"]


def open_device(imei):
    """Opens the device window from the Devices page, by the IMEI its row shows."""
    # The window comes back on the page it was left on by earlier tests in this session.
    app.find("Pages", "list").querySelection().selectChild(0)
    app.wait_for(lambda: app.content_title() == "Devices")
    button = app.find_matching(lambda n: n.roleName == "push button"
                               and n.name.startswith("Open Virtual")
                               and imei in _row_text(n), timeout=30)
    button.doActionNamed("click")
    return app.device_window(imei)


def _row_text(node):
    """Names and descriptions of a node's row: the Open button sits beside the IMEI."""
    row = node.parent
    while row is not None and row.roleName not in ("list item", "list box row"):
        row = row.parent
    texts = []
    for n in (row.findChildren(lambda _: True) if row is not None else []):
        texts += [n.name or "", n.description or ""]
    if row is not None:
        texts += [row.name or "", row.description or ""]
    return " ".join(texts)


def start_provision(window):
    app.find_matching(lambda n: n.name == "Provision…" and n.roleName == "push button",
                      window).doActionNamed("click")
    # The first change of the session asks for the CA passphrase.
    dialog = app.wait_for(lambda: next(w for w in app.node.children
                                       if w.name in ("Unlock the Authorities",
                                                     "Provision Device")))
    if dialog.name == "Unlock the Authorities":
        typeText(PASSPHRASE)
        app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Unlock"),
                          dialog).doActionNamed("click")
    app.window_named("Provision Device", timeout=30)
    app.click("Provision")


def close_window(window):
    """With the window's own Close button; the port is free once it is gone."""
    app.find_matching(lambda n: n.roleName == "push button" and n.name == "Close",
                      window).doActionNamed("click")

    def gone():
        names = [w.name for w in app.node.children]
        return "Tagsmith" in names and not any(n.startswith("Virtual") for n in names)
    app.wait_for(gone)


# The CAs come from the CLI: this test is about the device window.
cli("ca", "init", "--name", "Test Root CA")
cli("ca", "intermediate", "--name", "Line 1 CA", "--parent", "Test Root CA", "--path-len", "0")
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime})


@tap.test("a full credential store surfaces as a toast that says what to do")
def _():
    # Room for the %KEYGEN key (about 140 bytes), not for the certificate after it: the
    # modem, not Tagsmith, refuses the write with +CME ERROR: 515 (§10.4).
    imei = luhn_imei("35265610000001")
    proc, port = start_emulator(imei, "--store-bytes", "400")
    window = open_device(imei)
    start_provision(window)
    toast = app.find_matching(lambda n: n.roleName == "label" and "+CME ERROR: 515" in n.name,
                              window, timeout=90)
    assert "store is full" in toast.name, toast.name
    assert "Delete credentials you no longer need" in toast.name, toast.name

    # A refusal is definite: the install is marked failed, none is left open.
    states = [i["state"] for i in installs(imei)]
    assert "failed" in states and "intent" not in states, states
    cli("audit", "verify")

    close_window(window)
    assert functional_mode(port) == 1
    stop_emulator(proc)


@tap.test("cancelling a provision during key generation says so and restores the modem")
def _():
    imei = luhn_imei("35265610000002")
    # A slow %KEYGEN, so Cancel lands while the modem is busy with it.
    proc, port = start_emulator(imei, "--keygen-ms", "6000")
    state["cancel"] = (imei, proc, port)
    window = open_device(imei)
    start_provision(window)
    # Cancel once the modem has the %KEYGEN command: its AT traffic is in the log.
    app.wait_for(lambda: "AT%KEYGEN" in read_log(imei), timeout=60)
    # The progress line names the step the modem is busy with, not the last command.
    app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Generating the key"),
                      window, timeout=10)
    app.find_matching(lambda n: n.roleName == "push button" and n.name == "Cancel",
                      window).doActionNamed("click")
    toast = app.find_matching(lambda n: n.roleName == "label"
                              and n.name.startswith("Provisioning was interrupted"),
                              window, timeout=60)
    assert "run it again" in toast.name, toast.name

    # The audit chain holds. The cancel takes effect at the next command the flow may
    # interrupt, so the modem may have confirmed the key or even the certificate
    # first: whatever the ledger claims is what the modem's flash really holds, and
    # what stays open is settled by the next session.
    cli("audit", "verify")
    states = [(i["type"], i["state"]) for i in installs(imei)]
    print(f"# installs after the cancel: {states}")
    assert store_vs_ledger(ledger, os.path.join(scratch, f"{imei}.state"), settled=False) == [], states

    close_window(window)
    assert functional_mode(port) == 1


@tap.test("the next provision settles what the cancel left open")
def _():
    imei, proc, port = state["cancel"]
    window = open_device(imei)
    start_provision(window)
    # Provisioned anew, or, when the cancelled run had already got the certificate
    # and its key confirmed, found to be current.
    app.find_matching(lambda n: n.roleName == "label" and
                      (n.name.startswith("Provisioned:") or "already holds the current" in n.name),
                      window, timeout=90)

    found = installs(imei)
    states = [i["state"] for i in found]
    print(f"# installs after the next provision: {states}")
    assert "intent" not in states and "written" not in states, found
    assert states.count("verified") >= 1, found
    assert store_vs_ledger(ledger, os.path.join(scratch, f"{imei}.state")) == [], found
    cli("audit", "verify")

    close_window(window)
    assert functional_mode(port) == 1
    stop_emulator(proc)


try:
    tap.done()
finally:
    app.close()
    for p in emulators:
        if p.poll() is None:
            p.kill()
