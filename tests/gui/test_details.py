"""A certificate's details from every place the window lists one: a Fleet row, the device's
history and the Authorities page (the device window's store is in test_flows). Each shows the
serial, the issuer and the fingerprints in full, the same SHA-256 the command line prints, and
exports the certificate as PEM, DER and its chain, which openssl reads and verifies."""

import json
import os
import subprocess

from dogtail.rawinput import keyCombo, typeText

from tsgui import TAGSMITH, App, Tap, scratch_dir

PASSPHRASE = "correct horse battery staple"
IMEI = "490154203237518"
CSR = os.path.join(os.environ.get("TAGSMITH_SOURCE_ROOT", "."), "tests", "unit", "data", "ca",
                   "p256.csr.pem")

tap = Tap()
scratch = scratch_dir("tagsmith-gui-details-")
ledger = os.path.join(scratch, "fleet.db")


def cli(*args):
    env = dict(os.environ, TS_TEST_PASS=PASSPHRASE)
    out = subprocess.run([TAGSMITH, "--db", ledger, "--pass", "env:TS_TEST_PASS", *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def openssl(*args):
    out = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


cli("ca", "init", "--name", "Test Root")
cli("ca", "intermediate", "--name", "Line 1 CA", "--parent", "Test Root")
cli("issue", "--ca", "Line 1 CA", "--imei", IMEI, "--csr", CSR)
CERT = json.loads(cli("--json", "fleet", "show", IMEI))["certificates"][0]
LINE_CA = next(a for a in json.loads(cli("--json", "ca", "list")) if a["name"] == "Line 1 CA")
app = App(env={"TAGSMITH_DB": ledger})


def show_page(number, title):
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def details_window():
    return app.window_named("Certificate Details", timeout=30)


def label(window, text):
    return app.find_matching(lambda n: n.roleName == "label" and n.name == text, window)


def close(window):
    keyCombo("Escape")
    app.wait_for(lambda: all(w is not window and w.name != "Certificate Details"
                             for w in app.node.children))


def export(window, button, title, name):
    app.find_matching(lambda n: n.roleName == "push button" and n.name == button,
                      window).doActionNamed("click")
    chooser = app.window_named(title, timeout=30)
    # Without a portal this is GTK's own chooser: its name entry takes a whole path.
    path = os.path.join(scratch, name)
    entry = app.find_matching(lambda n: n.roleName == "text" and n.name.startswith("Name"), chooser)
    entry.queryEditableText().setTextContents(path)
    app.find_matching(lambda n: n.roleName == "push button" and n.name.endswith("Save"),
                      chooser).doActionNamed("click")
    app.wait_for(lambda: os.path.exists(path) and os.path.getsize(path) > 0, timeout=30)
    return path


def fingerprint(path, inform="PEM"):
    return openssl("x509", "-inform", inform, "-in", path, "-noout", "-fingerprint",
                   "-sha256").strip().split("=", 1)[1]


@tap.test("a Fleet row opens its certificate's details, with every field in full")
def _():
    show_page(2, "Fleet")
    app.find(IMEI, "label", timeout=30)
    app.click(f"Certificate details of {IMEI}")
    window = details_window()
    label(window, CERT["serial"])
    label(window, CERT["subject"])
    label(window, "CN=Line 1 CA")
    # The SHA-256 the command line prints, whole (64 digits), and the DER fingerprints.
    sha = label(window, CERT["sha256"])
    assert len(sha.name) == 64, sha.name
    label(window, "Certificate authority: no")
    label(window, "TLS Web Client Authentication")
    label(window, "EC P-256 (prime256v1), 256 bits")
    app.screenshot_window(window, "certificate-details")
    state["fleet_window"] = window


@tap.test("the certificate is exported as PEM and DER that openssl reads")
def _():
    window = state["fleet_window"]
    pem = export(window, "Export PEM…", "Export the Certificate as PEM", "device.pem")
    with open(pem) as f:
        assert f.read() == CERT["pem"]
    der = export(window, "Export DER…", "Export the Certificate as DER", "device.der")
    assert fingerprint(der, "DER") == fingerprint(pem)
    label(window, fingerprint(pem))
    assert openssl("x509", "-in", pem, "-noout", "-serial").strip() == f"serial={CERT['serial']}"
    state["pem"] = pem


@tap.test("the chain export verifies the certificate up to the root")
def _():
    window = state["fleet_window"]
    chain = export(window, "Export Chain…", "Export the Certificate Chain", "device-chain.pem")
    with open(chain) as f:
        blocks = f.read().count("-----BEGIN CERTIFICATE-----")
    assert blocks == 3, blocks
    root = os.path.join(scratch, "root.pem")
    with open(root, "w") as f:
        f.write(cli("ca", "export", "Test Root"))
    out = openssl("verify", "-CAfile", root, "-untrusted", chain, state["pem"])
    assert out.strip().endswith(": OK"), out
    close(window)


@tap.test("the device's history opens the details of each certificate")
def _():
    # While the Fleet shows, typing goes to its search, and Enter opens the first match.
    typeText(IMEI)
    app.find("1 matching device", "label", timeout=30)
    keyCombo("Return")
    history = app.window_named(f"History of {IMEI}", timeout=30)
    app.find_matching(lambda n: n.roleName == "push button"
                      and n.name == f"Certificate details of serial {CERT['serial']}",
                      history, timeout=30).doActionNamed("click")
    window = details_window()
    label(window, CERT["serial"])
    label(window, CERT["sha256"])
    close(window)
    keyCombo("Escape")
    app.wait_for(lambda: all(w.name != f"History of {IMEI}" for w in app.node.children))


@tap.test("an authority's row opens the CA certificate's details and exports its chain")
def _():
    show_page(3, "Authorities")
    app.click("Certificate details of Line 1 CA")
    window = details_window()
    label(window, LINE_CA["serial"])
    label(window, LINE_CA["sha256"])
    label(window, "CN=Test Root")
    label(window, "Certificate authority: yes\nPath length: unlimited")
    chain = export(window, "Export Chain…", "Export the Certificate Chain", "line-chain.pem")
    with open(chain) as f:
        assert f.read().count("-----BEGIN CERTIFICATE-----") == 2
    out = openssl("verify", "-CAfile", chain, chain)
    assert out.strip().endswith(": OK"), out
    close(window)


state = {}

try:
    tap.done()
finally:
    app.close()
