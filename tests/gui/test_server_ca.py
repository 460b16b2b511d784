"""The server CA of a provisioning run is chosen, never typed: the system trust store (here a
scratch folder of CA certificates made with openssl) is listed with each certificate's name,
organisation and expiry, and a search narrows it; the one chosen is what the provisioned
virtual device holds as its CA certificate, in its flash and in the ledger; a PEM file that
is not a CA certificate is refused with advice."""

import hashlib
import json
import os
import signal
import subprocess
import sys

from dogtail.rawinput import keyCombo, typeText

from tsgui import App, Tap, scratch_dir

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from tsharness import read_store  # noqa: E402

PASSPHRASE = "correct horse battery staple"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
IMEI = "352656100000044"
CA_CERT = 0  # the modem's type number for a CA certificate
CHOOSER = "Server CA from the System Trust Store"
# The trust store's CA certificates: file name, common name, organisation.
STORE = [("alpha-root.pem", "Alpha Test Root", "Alpha Trust"),
         ("beta-root.pem", "Beta Test Root", "Beta Networks"),
         ("gamma-root.crt", "Gamma Test Root", "Gamma Cloud")]

tap = Tap()
scratch = scratch_dir("tagsmith-gui-server-ca-")
# Folders of their own: the file chooser opens every file of each folder it lists, which must
# not be the ledger's.
os.makedirs(os.path.join(scratch, "ledger"))
ledger = os.path.join(scratch, "ledger", "fleet.db")
trust_dir = os.path.join(scratch, "trust")
pem_dir = os.path.join(scratch, "pem")
os.makedirs(trust_dir)
os.makedirs(pem_dir)
state_file = os.path.join(scratch, f"{IMEI}.state")
data_home = os.path.join(scratch, "data")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
state = {}


def openssl_cert(path, cn, org, ca):
    key = os.path.join(scratch, "key.pem")
    constraints = "basicConstraints=critical,CA:TRUE" if ca else "basicConstraints=critical,CA:FALSE"
    out = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                          "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", path,
                          "-days", "400", "-subj", f"/CN={cn}/O={org}", "-addext", constraints],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    os.remove(key)


def cli(*args):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    out = subprocess.run([TAGSMITH, "--db", ledger, "--pass", "env:TS_TEST_PASS", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def button(window, test):
    return app.find_matching(lambda n: n.roleName == "push button" and test(n), window)


def window_named(name):
    return app.wait_for(lambda: next(w for w in app.node.children if w.name == name))


def window_gone(name):
    app.wait_for(lambda: name not in [w.name for w in app.node.children])


def listing(chooser):
    return app.find_matching(lambda n: n.name == "CA certificates" and n.roleName == "list",
                             chooser, 30)


def rows(chooser):
    """The trust store rows the chooser shows: their title and the text under it."""
    return {row.name: " ".join(n.name for n in row.findChildren(lambda n: n.roleName == "label"))
            for row in listing(chooser).children if row.roleName == "list item"}


def search_for(text):
    """Types into the search entry, which has the focus, over what it held, as a person would."""
    keyCombo("<Control>a")
    typeText(text)


for name, cn, org in STORE:
    openssl_cert(os.path.join(trust_dir, name), cn, org, ca=True)
# Not a CA: the trust store list leaves it out, and the file chooser refuses it.
openssl_cert(os.path.join(trust_dir, "leaf.pem"), "Leaf Test Server", "Alpha Trust", ca=False)
not_ca = os.path.join(pem_dir, "server.pem")
openssl_cert(not_ca, "Leaf Test Server", "Alpha Trust", ca=False)

cli("ca", "init", "--name", "Test Root CA")
cli("ca", "intermediate", "--name", "Line 1 CA", "--parent", "Test Root CA")
emulator = subprocess.Popen([EMULATOR, "--imei", IMEI, "--cfun", "1", "--state", state_file],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
assert emulator.stdout.readline().strip(), "tagsmith-emulator did not start"
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime,
               "TAGSMITH_TRUST_DIR": trust_dir})


def open_provision_dialog():
    app.find("Pages", "list").querySelection().selectChild(0)
    app.wait_for(lambda: app.content_title() == "Devices")
    app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual"),
                      app.window, timeout=30).doActionNamed("click")
    window = app.device_window(IMEI)
    button(window, lambda n: n.name == "Provision…").doActionNamed("click")
    # The workspace is locked: the passphrase is asked before the form.
    unlock = window_named("Unlock the Authorities")
    typeText(PASSPHRASE)
    button(unlock, lambda n: n.name.startswith("Unlock")).doActionNamed("click")
    return window, window_named("Provision Device")


@tap.test("the trust store lists its CA certificates with organisation and expiry")
def _():
    state["window"], state["dialog"] = open_provision_dialog()
    button(state["dialog"], lambda n: n.name == "Trust Store…").doActionNamed("click")
    chooser = window_named(CHOOSER)
    state["chooser"] = chooser
    shown = app.wait_for(lambda: rows(chooser) if len(rows(chooser)) == len(STORE) else None)
    assert sorted(shown) == sorted(cn for _, cn, _ in STORE), sorted(shown)
    for _, cn, org in STORE:
        assert org in shown[cn] and "expires" in shown[cn], shown[cn]


@tap.test("a search narrows the list by name and by organisation")
def _():
    chooser = state["chooser"]
    for text, found in [("beta", ["Beta Test Root"]), ("zeta", []), ("Cloud", ["Gamma Test Root"]),
                        ("test root", sorted(cn for _, cn, _ in STORE)), ("BETA", ["Beta Test Root"])]:
        search_for(text)
        app.wait_for(lambda: sorted(rows(chooser)) == found or None)
    app.find_matching(lambda n: n.roleName == "label" and "Beta Networks" in n.name, chooser)


@tap.test("choosing a certificate makes it the form's server CA")
def _():
    chooser = state["chooser"]
    listing(chooser).querySelection().selectChild(0)
    choose = button(chooser, lambda n: n.name == "Choose")
    app.wait_for(lambda: choose.sensitive)
    choose.doActionNamed("click")
    window_gone(CHOOSER)
    app.find_matching(lambda n: "Beta Test Root" in (n.description or "") + n.name, state["dialog"])


@tap.test("a PEM file that is not a CA certificate is refused with advice")
def _():
    button(state["dialog"], lambda n: n.name == "File…").doActionNamed("click")
    files = window_named("Open a Server CA Certificate")
    keyCombo("<Control>l")
    app.find_matching(lambda n: n.roleName == "text" and n.focused, files)
    typeText(not_ca)
    keyCombo("Return")
    window_gone("Open a Server CA Certificate")
    advice = app.find_matching(lambda n: n.roleName == "label"
                               and "is not a certificate authority" in n.name, app.node, 30)
    assert "Choose the CA certificate" in advice.name, advice.name
    # The earlier choice stands.
    app.find_matching(lambda n: "Beta Test Root" in (n.description or "") + n.name, state["dialog"])


@tap.test("provisioning writes the chosen CA to the sec_tag, as the ledger records")
def _():
    window, dialog = state["window"], state["dialog"]
    sec_tag = int(app.find_matching(lambda n: n.roleName == "spin button", dialog).value)
    button(dialog, lambda n: n.name == "Provision").doActionNamed("click")
    app.find_matching(lambda n: n.roleName == "label" and n.name.startswith("Provisioned:"),
                      window, timeout=90)

    with open(os.path.join(trust_dir, "beta-root.pem"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest().upper()
    assert read_store(state_file)[1].get((sec_tag, CA_CERT)) == sha, read_store(state_file)
    installs = json.loads(cli("--json", "fleet", "show", IMEI))["installs"]
    found = [(i["state"], i["sha256"].upper()) for i in installs
             if i["sec_tag"] == sec_tag and i["type"] == CA_CERT]
    assert found == [("verified", sha)], installs


try:
    tap.done()
finally:
    app.close()
    if emulator.poll() is None:
        emulator.send_signal(signal.SIGTERM)
        emulator.wait(timeout=10)
