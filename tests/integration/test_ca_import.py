"""`tagsmith ca import-openssl`: an existing `openssl ca` setup (rootca/ and subca/
folders, *.cnf, db/index.txt, db/serial.txt, certs/, private/) is built here with
the openssl CLI, then brought into a ledger with every index entry's status."""

import json
import os
import shutil
import sqlite3
import subprocess

from tsharness import Tap, Workspace

tap = Tap()
PASS = "workspace passphrase"
OLD_PASS = "old openssl pass"
IMEIS = ["490154203237518", "352656100123457", "350000000000014"]

CNF = """
[ ca ]
default_ca = CA_default

[ CA_default ]
dir             = ./{name}
certs           = $dir/certs
new_certs_dir   = $dir/certs
database        = $dir/db/index.txt
serial          = $dir/db/serial.txt
certificate     = $dir/{name}.crt
private_key     = $dir/private/{name}.key
default_md      = sha256
default_days    = 365
policy          = policy_any
unique_subject  = no
copy_extensions = none
default_crl_days = 30

[ policy_any ]
commonName = supplied

[ v3_sub ]
basicConstraints       = critical,CA:TRUE,pathlen:0
keyUsage               = critical,keyCertSign,cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ v3_dev ]
basicConstraints       = critical,CA:FALSE
keyUsage               = critical,digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
"""


def sh(cwd, *args):
    r = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {r.stderr}")
    return r.stdout


def make_recipe(base):
    """rootca (encrypted key) → subca (-nodes key) → three devices: one valid,
    one revoked (keyCompromise), one expired."""
    for name in ("rootca", "subca"):
        for sub in ("certs", "db", "private"):
            os.makedirs(os.path.join(base, name, sub))
        open(os.path.join(base, name, "db", "index.txt"), "w").close()
        with open(os.path.join(base, name, "db", "serial.txt"), "w") as f:
            f.write("1000\n" if name == "rootca" else "2000\n")
        with open(os.path.join(base, name, name + ".cnf"), "w") as f:
            f.write(CNF.format(name=name))
    sh(base, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
       "-pass", "pass:" + OLD_PASS, "-out", "rootca/private/rootca.key")
    sh(base, "openssl", "req", "-x509", "-new", "-key", "rootca/private/rootca.key", "-passin", "pass:" + OLD_PASS,
       "-subj", "/CN=Legacy Root", "-days", "3650", "-out", "rootca/rootca.crt",
       "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    sh(base, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", "subca/private/subca.key", "-subj", "/CN=Legacy Sub", "-out", "subca.csr")
    sh(base, "openssl", "ca", "-config", "rootca/rootca.cnf", "-extensions", "v3_sub", "-in", "subca.csr",
       "-out", "subca/subca.crt", "-days", "1800", "-batch", "-passin", "pass:" + OLD_PASS)
    for i, imei in enumerate(IMEIS):
        sh(base, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", f"dev{i}.key", "-subj", f"/CN={imei}", "-out", f"dev{i}.csr")
        dates = ["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"] if i == 2 else []
        sh(base, "openssl", "ca", "-config", "subca/subca.cnf", "-extensions", "v3_dev", "-in", f"dev{i}.csr",
           "-out", f"dev{i}.crt", "-batch", *dates)
    sh(base, "openssl", "ca", "-config", "subca/subca.cnf", "-revoke", "subca/certs/2001.pem",
       "-crl_reason", "keyCompromise")
    sh(base, "openssl", "ca", "-config", "subca/subca.cnf", "-updatedb")
    return base


def dump(ws):
    con = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


@tap.test("an intermediate the root's index.txt lists as revoked arrives revoked, issues nothing, and is on the root's CRL")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    sh(base, "openssl", "ca", "-config", "rootca/rootca.cnf", "-revoke", "subca/subca.crt", "-crl_reason",
       "cACompromise", "-passin", "pass:" + OLD_PASS)
    ws.cli("ca", "import-openssl", base, "--key-pass", "pass:" + OLD_PASS, pass_=PASS, check=True)
    cas = {c["name"]: c for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)}
    tap.eq((cas["Legacy Sub"]["status"], cas["Legacy Sub"].get("revoke_reason")), ("revoked", "cACompromise"))
    tap.eq(cas["Legacy Root"]["status"], "valid")
    r = ws.cli("issue", "--ca", "Legacy Sub", "--imei", "350000000000022", "--new-key", "--key-out",
               ws.path("new.key"), pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "has been revoked")
    crl = ws.cli("crl", "--ca", "Legacy Root", pass_=PASS, check=True).stdout
    text = subprocess.run(["openssl", "crl", "-noout", "-text"], input=crl, capture_output=True, text=True).stdout
    tap.eq(text.count("Serial Number: 1000"), 1)
    r = ws.cli("revoke", "--ca", "Legacy Root", "--serial", "1000", "--reason", "keyCompromise", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "already revoked")


@tap.test("a rootca/subca recipe arrives with every index entry's status, and issuing continues")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    r = ws.cli("ca", "import-openssl", base, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stdout, "Legacy Sub")
    cas = {c["name"]: c for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)}
    tap.eq(cas["Legacy Sub"]["parent"], "Legacy Root")
    tap.eq(cas["Legacy Sub"]["path_len"], 0)
    statuses = {}
    for imei in IMEIS:
        show = json.loads(ws.cli("--json", "fleet", "show", imei, check=True).stdout)
        cert = show["certificates"][0]
        statuses[imei] = (cert["serial"], cert["status"], cert.get("revoke_reason"))
    tap.eq(statuses[IMEIS[0]], ("2000", "valid", None))
    tap.eq(statuses[IMEIS[1]], ("2001", "revoked", "keyCompromise"))
    tap.eq(statuses[IMEIS[2]], ("2002", "expired", None))
    tap.eq(ws.cli("audit", "verify", pass_=PASS).returncode, 0)

    # Issuing continues from the imported intermediate, verifiable against the old root.
    pem = ws.cli("issue", "--ca", "Legacy Sub", "--imei", "350000000000022", "--new-key", "--key-out",
                 ws.path("new.key"), pass_=PASS, check=True).stdout
    cert = ws.write("new.pem", pem)
    r = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile",
                        os.path.join(base, "rootca", "rootca.crt"), "-untrusted",
                        os.path.join(base, "subca", "subca.crt"), cert], capture_output=True, text=True)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)

    # The CRL lists the imported revocation.
    crl = ws.cli("crl", "--ca", "Legacy Sub", pass_=PASS, check=True).stdout
    text = subprocess.run(["openssl", "crl", "-noout", "-text"], input=crl, capture_output=True, text=True).stdout
    tap.contains(text, "Serial Number: 2001")
    tap.contains(text, "Key Compromise")

    # The keys were re-encrypted under the workspace passphrase.
    con = sqlite3.connect(ws.db)
    for (pem_key,) in con.execute("SELECT key_pkcs8 FROM authorities"):
        old = subprocess.run(["openssl", "pkey", "-passin", "pass:" + OLD_PASS, "-noout"], input=pem_key,
                             capture_output=True, text=True)
        new = subprocess.run(["openssl", "pkey", "-passin", "pass:" + PASS, "-noout"], input=pem_key,
                             capture_output=True, text=True)
        tap.ok(old.returncode != 0, "a key still opens with the old passphrase")
        tap.eq(new.returncode, 0, new.stderr)
    con.close()


@tap.test("a single CA folder imports on its own")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    r = ws.cli("ca", "import-openssl", os.path.join(base, "rootca"), "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    cas = json.loads(ws.cli("--json", "ca", "list", check=True).stdout)
    tap.eq([c["name"] for c in cas], ["Legacy Root"])


@tap.test("a wrong or missing key passphrase, or a malformed index.txt, changes nothing")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    ws.cli("ca", "init", "--name", "Existing", pass_=PASS, check=True)
    before = dump(ws)

    r = ws.cli("ca", "import-openssl", base, "--key-pass", "pass:nope", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "--key-pass")
    r = ws.cli("ca", "import-openssl", base, pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "give its passphrase with --key-pass")
    tap.eq(dump(ws), before)

    broken = ws.path("broken")
    shutil.copytree(base, broken)
    index = os.path.join(broken, "subca", "db", "index.txt")
    with open(index) as f:
        lines = f.read().splitlines()
    lines[1] = lines[1].replace("\t", " ", 2)
    with open(index, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = ws.cli("ca", "import-openssl", broken, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "Line 2 of")
    tap.contains(r.stderr, "nothing was imported")
    tap.eq(dump(ws), before)

    r = ws.cli("ca", "import-openssl", ws.path("nothing-here"), pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.eq(dump(ws), before)


tap.done()
