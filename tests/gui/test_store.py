"""Changes to a modem's store made in the device window go through the ledger, against a
real virtual device that keeps its flash in a state file: a CA certificate added from a
PEM file asks to unlock the workspace, and is recorded as verified with the SHA-256 the
modem really holds, its intent and outcome in the audit log; deleting it records it as
removed, the modem no longer holds it, and the audit chain still holds."""

import json
import os
import signal
import subprocess
import sys

from dogtail.rawinput import keyCombo, typeText

from tsgui import App, Tap, scratch_dir

# How the integration tests read an emulator's flash and hold the ledger to it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from tsharness import read_store, store_vs_ledger  # noqa: E402

PASSPHRASE = "correct horse battery staple"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
IMEI = "352656100000036"
CA_CERT = 0  # the modem's type number for a CA certificate

tap = Tap()
scratch = scratch_dir("tagsmith-gui-store-")
# The ledger and the PEM sit in folders of their own: the file chooser opens every file of
# each folder it lists, and closing a file that a SQLite connection of the same process
# holds drops that connection's locks.
os.makedirs(os.path.join(scratch, "ledger"))
ledger = os.path.join(scratch, "ledger", "fleet.db")
state_file = os.path.join(scratch, f"{IMEI}.state")
pem_dir = os.path.join(scratch, "pem")
pem_file = os.path.join(pem_dir, "server-ca.pem")
os.makedirs(pem_dir)
# Its own data and runtime folders: virtual devices other tests of this session left behind
# register in theirs and would crowd the Devices page.
data_home = os.path.join(scratch, "data")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
state = {}


def cli(*args, unlocked=True):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    unlock = ["--pass", "env:TS_TEST_PASS"] if unlocked else []
    out = subprocess.run([TAGSMITH, "--db", ledger, *unlock, *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def installs():
    return json.loads(cli("--json", "fleet", "show", IMEI))["installs"]


def audit_after(event_id):
    return json.loads(cli("--json", "audit", "list", "--after", str(event_id)))


def last_event_id():
    events = json.loads(cli("--json", "audit", "list"))
    return events[-1]["id"]


def held():
    return read_store(state_file)[1]


def open_device():
    """Opens the device window from the Devices page, by the IMEI its row shows."""
    # The window comes back on the page it was left on by earlier tests in this session.
    app.find("Pages", "list").querySelection().selectChild(0)
    app.wait_for(lambda: app.content_title() == "Devices")
    app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual"),
                      app.window, timeout=30).doActionNamed("click")
    return app.device_window(IMEI)


def button(window, test):
    return app.find_matching(lambda n: n.roleName == "push button" and test(n), window)


def toast(window, prefix, timeout=60):
    return app.find_matching(lambda n: n.roleName == "label" and n.name.startswith(prefix),
                             window, timeout=timeout)


def dialog_named(name):
    return app.wait_for(lambda: next(w for w in app.node.children if w.name == name))


def unlock(dialog):
    """Answers the unlock dialog: the passphrase entry has the focus."""
    typeText(PASSPHRASE)
    button(dialog, lambda n: n.name.startswith("Unlock")).doActionNamed("click")


# The ledger and its passphrase come from the CLI, and so does the PEM the window writes:
# the root's own certificate, a CA certificate the modem would trust a server by.
cli("ca", "init", "--name", "Test Root CA")
with open(pem_file, "w") as f:
    f.write(cli("ca", "export", "Test Root CA", unlocked=False))
# --verbose puts the emulated modem's AT traffic in a log, to see what it was sent when.
emulator_log_path = os.path.join(scratch, "emulator.log")
emulator_log = open(emulator_log_path, "w")
emulator = subprocess.Popen([EMULATOR, "--imei", IMEI, "--cfun", "1", "--verbose",
                             "--state", state_file],
                            stdout=subprocess.PIPE, stderr=emulator_log, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
assert emulator.stdout.readline().strip(), "tagsmith-emulator did not start"
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime})


@tap.test("a CA certificate added in the device window is recorded as the modem holds it")
def _():
    before = last_event_id()
    window = open_device()
    state["window"] = window
    button(window, lambda n: n.description == "Add a Credential").doActionNamed("click")
    form = dialog_named("Add Credentials")
    sec_tag = int(app.find_matching(lambda n: n.roleName == "spin button", form).value)

    # The PEM comes from a file, through the file chooser's location entry.
    button(form, lambda n: n.name == "Open File…").doActionNamed("click")
    chooser = dialog_named("Open a Credential")
    keyCombo("<Control>l")
    app.find_matching(lambda n: n.roleName == "text" and n.focused, chooser)
    typeText(pem_file)
    keyCombo("Return")
    app.wait_for(lambda: "Open a Credential" not in [w.name for w in app.node.children])
    write = button(form, lambda n: n.name == "Write to Modem")
    app.wait_for(lambda: write.sensitive)
    write.doActionNamed("click")

    # The workspace is locked: the ledger needs its passphrase before the modem is touched.
    asked = dialog_named("Unlock the Authorities")
    with open(emulator_log_path) as f:
        assert "AT%CMNG=0" not in f.read(), "the modem was written before the ledger was unlocked"
    unlock(asked)
    written = toast(window, "Written and verified")

    sha = held()[(sec_tag, CA_CERT)]
    assert sha in written.name, (written.name, sha)
    found = [i for i in installs() if i["sec_tag"] == sec_tag and i["type"] == CA_CERT]
    assert [(i["state"], i["sha256"].upper()) for i in found] == [("verified", sha)], found
    assert store_vs_ledger(ledger, state_file) == []
    install_id = found[0]["id"]
    actions = [(e["action"], e["details"].get("install")) for e in audit_after(before)]
    assert ("install.intent", install_id) in actions, actions
    # The intent, with the SHA-256 of the bytes to be sent, before the outcome.
    assert (actions.index(("install.intent", install_id))
            < actions.index(("install.verified", install_id))), actions
    intent = next(e for e in audit_after(before) if e["action"] == "install.intent")
    assert intent["details"]["sha256"].upper() == sha, intent
    state["install"] = (install_id, sec_tag)


@tap.test("deleting it in the device window records it as removed and the modem forgets it")
def _():
    window = state["window"]
    install_id, sec_tag = state["install"]
    before = last_event_id()
    # The row's trash button, named after the entry it deletes.
    delete = button(window, lambda n: n.name.startswith(f"Delete (sec_tag {sec_tag},"))
    delete.doActionNamed("click")
    confirm = app.wait_for(lambda: next(w for w in app.node.children
                                        if w.name.startswith("Delete the ")))
    button(confirm, lambda n: n.name == "Delete").doActionNamed("click")
    toast(window, "Deleted.")

    assert (sec_tag, CA_CERT) not in held(), held()
    actions = [e["action"] for e in audit_after(before)]
    found = [i for i in installs() if i["id"] == install_id]
    assert [i["state"] for i in found] == ["removed"], (found, actions)
    assert store_vs_ledger(ledger, state_file) == []
    # The install is marked going and the deletion announced before the modem is asked.
    order = ["install.removing", "store.delete", "store.deleted", "install.removed"]
    assert [actions.index(a) for a in order] == sorted(actions.index(a) for a in order), actions
    cli("audit", "verify")


try:
    tap.done()
finally:
    app.close()
    if emulator.poll() is None:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
