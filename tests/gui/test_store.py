"""Changes to a modem's store made in the device window go through the ledger, against a
real virtual device that keeps its flash in a state file: a CA certificate added from a
PEM file asks to unlock the workspace, and is recorded as verified with the SHA-256 the
modem really holds, its intent and outcome in the audit log; deleting it records it as
removed, the modem no longer holds it, and the audit chain still holds."""

import json
import os
import sys

from dogtail.rawinput import keyCombo, typeText

from tsgui import StoreKit, Tap

# How the integration tests read an emulator's flash and hold the ledger to it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from tsharness import read_store, store_vs_ledger  # noqa: E402

PASSPHRASE = "correct horse battery staple"
IMEI = "352656100000036"
CA_CERT = 0  # the modem's type number for a CA certificate

tap = Tap()
kit = StoreKit("tagsmith-gui-store-", IMEI, PASSPHRASE)
cli, ledger, state_file = kit.cli, kit.ledger, kit.state_file
pem_file = os.path.join(kit.pem_dir, "server-ca.pem")
state = {}


def installs():
    return json.loads(cli("--json", "fleet", "show", IMEI))["installs"]


def audit_after(event_id):
    return json.loads(cli("--json", "audit", "list", "--after", str(event_id)))


def last_event_id():
    events = json.loads(cli("--json", "audit", "list"))
    return events[-1]["id"]


def held():
    return read_store(state_file)[1]


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
app = kit.start()


@tap.test("a CA certificate added in the device window is recorded as the modem holds it")
def _():
    before = last_event_id()
    window = kit.open_device()
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
    assert "AT%CMNG=0" not in kit.emulator_log_text(), "the modem was written before the ledger was unlocked"
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
    kit.close()
