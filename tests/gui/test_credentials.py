"""The device window's Add Credentials dialog writes a whole set to one sec_tag in one step,
against a real virtual device that keeps its flash in a state file: a preset's CA certificate
(from a file, through the file chooser's location entry), client certificate and private key
(pasted); a PSK and its identity pasted; and a client certificate that does not belong to its
key, which is explained and never sent."""

import os
import subprocess
import sys

from dogtail.rawinput import keyCombo, pressKey, typeText

from tsgui import StoreKit, Tap

# How the integration tests read an emulator's flash and hold the ledger to it.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from tsharness import ledger_query, read_store, store_vs_ledger  # noqa: E402

PASSPHRASE = "correct horse battery staple"
IMEI = "352656100000093"
CA_CERT, CLIENT_CERT, PRIVATE_KEY, PSK, PSK_IDENTITY = range(5)
AWS_IOT = 201        # CONFIG_MQTT_HELPER_SEC_TAG's default
LWM2M_SERVER = 35724861
PRESETS = ["Custom", "nRF Cloud", "AWS IoT", "Azure IoT Hub", "LwM2M server", "LwM2M bootstrap"]

tap = Tap()
kit = StoreKit("tagsmith-gui-creds-", IMEI, PASSPHRASE)
cli, ledger, state_file, pem_dir = kit.cli, kit.ledger, kit.state_file, kit.pem_dir
state = {}


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def key_and_cert(name):
    """A P-256 key (PKCS#8, as the modem takes it) and a certificate issued for it."""
    key = os.path.join(pem_dir, f"{name}.key")
    cert = os.path.join(pem_dir, f"{name}.crt")
    raw = os.path.join(kit.scratch, f"{name}.raw")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", raw)
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", raw, "-out", key)
    os.chmod(key, 0o600)
    openssl("req", "-x509", "-new", "-key", key, "-subj", f"/CN={name}", "-days", "30", "-out", cert)
    return key, cert


def held():
    return read_store(state_file)[1]


def button(root, test):
    return app.find_matching(lambda n: n.roleName == "push button" and test(n), root)


def dialog_named(name):
    return app.wait_for(lambda: next(w for w in app.node.children if w.name == name))


def forms():
    return [w for w in app.node.children if w.name == "Add Credentials"]


def open_form():
    """Opens a new Add Credentials dialog from the device window and returns it."""
    before = len(forms())
    button(state["window"], lambda n: n.description == "Add a Credential").doActionNamed("click")
    return app.wait_for(lambda: len(forms()) > before and forms()[-1])


def sec_tag_of(form):
    return int(app.find_matching(lambda n: n.roleName == "spin button", form).value)


def choose_preset(form, name):
    """Picks a preset from the combo row's list with the keyboard, as a person would."""
    # The dialog opens with the focus on it.
    row = app.find_matching(lambda n: n.name == "Preset" and n.roleName == "combo box", form)
    app.wait_for(lambda: row.focused)
    keyCombo("Return")
    # The list opens with the focus on an entry: go to the top, then down to NAME.
    app.find_matching(lambda n: n.roleName == "list item" and n.focused
                      and n.parent.parent.parent.name == "GtkPopoverContent", row)
    pressKey("Home")
    for _ in range(PRESETS.index(name)):
        pressKey("Down")
    keyCombo("Return")


def load_file(form, part, path):
    """Loads PATH into PART's text area through its Open File… button and the chooser's
    location entry, and waits until the area holds the file's text."""
    def choosers():
        return [w for w in app.node.children if w.name == "Open a Credential"]

    before = len(choosers())
    button(form, lambda n: n.name == "Open File…"
           and n.description == f"Open a File for the {part}").doActionNamed("click")
    app.wait_for(lambda: len(choosers()) > before)
    keyCombo("<Control>l")
    app.wait_for(lambda: any(c.findChildren(lambda n: n.roleName == "text" and n.focused)
                             for c in choosers()))
    # The chooser may offer the last file's name there: replace it.
    keyCombo("<Control>a")
    typeText(path)
    keyCombo("Return")
    with open(path) as f:
        text = f.read()
    area = app.find_matching(lambda n: n.name == part[0].upper() + part[1:] and n.roleName == "text", form)
    app.wait_for(lambda: area.text == text)


def paste_into(form, part, text):
    """Puts TEXT in PART's text area through its accessible editable text, as a paste would,
    and waits until the area holds it."""
    title = part[0].upper() + part[1:]
    area = app.find_matching(lambda n: n.name == title and n.roleName == "text", form)
    area.queryEditableText().setTextContents(text)
    app.wait_for(lambda: area.text == text)


def write_and_unlock(form):
    write = button(form, lambda n: n.name == "Write to Modem")
    app.wait_for(lambda: write.sensitive)
    write.doActionNamed("click")
    asked = app.wait_for(lambda: next((w for w in app.node.children
                                       if w.name == "Unlock the Authorities"), None)
                         or state.get("unlocked"))
    if asked is not True:
        typeText(PASSPHRASE)
        button(asked, lambda n: n.name.startswith("Unlock")).doActionNamed("click")
        state["unlocked"] = True


def outcome(prefix, timeout=90):
    return app.find_matching(lambda n: n.roleName == "label" and n.name.startswith(prefix),
                             state["window"], timeout=timeout)


def installed(sec_tag):
    """The ledger's verified installs in SEC_TAG, by type, with their SHA-256."""
    rows = ledger_query(ledger, "SELECT cred_type, sha256 FROM installs WHERE imei = ? AND sec_tag = ? "
                        "AND state = 'verified'", (IMEI, sec_tag))
    return {ctype: sha.upper() for ctype, sha in rows}


cli("ca", "init", "--name", "Creds Test Root CA")
ca_file = os.path.join(pem_dir, "root-ca.pem")
with open(ca_file, "w") as f:
    f.write(cli("ca", "export", "Creds Test Root CA", unlocked=False))
client_key, client_cert = key_and_cert("thing")
other_key, _ = key_and_cert("other-thing")
app = kit.start()


@tap.test("the AWS IoT preset's CA certificate (from a file), client certificate and key are written")
def _():
    state["window"] = kit.open_device()
    form = open_form()
    choose_preset(form, "AWS IoT")
    app.wait_for(lambda: sec_tag_of(form) == AWS_IOT)
    # The row names the firmware option whose default the preset is.
    app.find_matching(lambda n: n.roleName == "label" and "CONFIG_MQTT_HELPER_SEC_TAG" in n.name, form)

    load_file(form, "CA certificate", ca_file)
    # The chooser is covered once; the other parts are pasted.
    with open(client_cert) as f:
        paste_into(form, "client certificate", f.read())
    with open(client_key) as f:
        paste_into(form, "private key", f.read())
    write_and_unlock(form)
    written = outcome(f"Written and verified in sec_tag {AWS_IOT}")

    store = held()
    ledger_says = installed(AWS_IOT)
    for ctype, part in ((CA_CERT, "CA certificate"), (CLIENT_CERT, "client certificate"),
                        (PRIVATE_KEY, "private key")):
        sha = store[(AWS_IOT, ctype)]
        assert ledger_says.get(ctype) == sha, (ctype, ledger_says, store)
        assert f"{part} (SHA-256 {sha})" in written.name, (part, written.name)
    assert store_vs_ledger(ledger, state_file) == []


@tap.test("a PSK and its identity pasted are written to the LwM2M server's sec_tag")
def _():
    form = open_form()
    choose_preset(form, "LwM2M server")
    app.wait_for(lambda: sec_tag_of(form) == LWM2M_SERVER)
    app.find_matching(lambda n: n.roleName == "label"
                      and "CONFIG_LWM2M_CLIENT_UTILS_SERVER_TLS_TAG" in n.name, form)
    paste_into(form, "PSK", "000102030405060708090A0B0C0D0E0F")
    paste_into(form, "PSK identity", f"urn:imei:{IMEI}")
    write_and_unlock(form)
    written = outcome(f"Written and verified in sec_tag {LWM2M_SERVER}")

    store = held()
    ledger_says = installed(LWM2M_SERVER)
    for ctype, part in ((PSK, "PSK"), (PSK_IDENTITY, "PSK identity")):
        sha = store[(LWM2M_SERVER, ctype)]
        assert ledger_says.get(ctype) == sha, (ctype, ledger_says, store)
        assert f"{part} (SHA-256 {sha})" in written.name, (part, written.name)
    assert store_vs_ledger(ledger, state_file) == []


@tap.test("a client certificate that is not the key's is explained, and nothing is sent")
def _():
    log_before = len(kit.emulator_log_text())
    store_before = held()
    form = open_form()
    with open(client_cert) as f:
        paste_into(form, "client certificate", f.read())
    with open(other_key) as f:
        paste_into(form, "private key", f.read())
    app.find_matching(lambda n: n.roleName == "label"
                      and n.name.startswith("The client certificate does not belong to this private key"),
                      form)
    # The dialog has a button for each width it adapts to: neither writes.
    writes = form.findChildren(lambda n: n.roleName == "push button" and n.name == "Write to Modem")
    assert writes and not any(w.sensitive for w in writes), writes
    before = len(forms())
    button(form, lambda n: n.name == "Cancel").doActionNamed("click")
    app.wait_for(lambda: len(forms()) < before)
    assert "%CMNG=0" not in kit.emulator_log_text()[log_before:]
    assert held() == store_before


try:
    tap.done()
finally:
    kit.close()
