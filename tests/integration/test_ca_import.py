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


def issue_device(base, cn, *dates, out=None):
    """Another certificate from subca for CN, with an optional -startdate/-enddate."""
    key = os.path.join(base, f"extra-{len(os.listdir(base))}")
    sh(base, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", key + ".key", "-subj", f"/CN={cn}", "-out", key + ".csr")
    sh(base, "openssl", "ca", "-config", "subca/subca.cnf", "-extensions", "v3_dev", "-in", key + ".csr",
       "-out", out or key + ".crt", "-batch", *dates)


def current_serial(ws, imei):
    con = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT c.serial FROM devices d JOIN certificates c ON c.id = d.current_certificate_id "
                           "WHERE d.imei = ?", (imei,)).fetchone()[0]
    finally:
        con.close()


@tap.test("dev-certs/ with rootca/, subca/ and devices/ imports, skipping devices/ and naming the 18-digit device")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("dev-certs"))
    devices = os.path.join(base, "devices")
    os.makedirs(devices)
    # The device folder holds its own key (under another passphrase), its certificate and the chain.
    issue_device(base, "123456789012345678", out=os.path.join(devices, "device.crt"))
    sh(base, "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
       "-pass", "pass:device secret", "-out", os.path.join(devices, "device.key"))
    r = ws.cli("ca", "import-openssl", base, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stderr, "Skipped devices/")
    tap.contains(r.stderr, "The certificate 2003 of “Legacy Sub”")
    tap.contains(r.stderr, "names no valid IMEI")
    tap.eq(r.stderr.count("names no valid IMEI"), 1, "the intermediate's own certificate is no device's")
    cas = {c["name"] for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)}
    tap.eq(cas, {"Legacy Root", "Legacy Sub"})
    con = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
    row = con.execute("SELECT imei, subject FROM certificates WHERE serial = '2003'").fetchone()
    con.close()
    tap.eq(row, (None, "CN=123456789012345678"))


@tap.test("an imported older certificate never becomes a device's current one over a newer one")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    # Listed after the newer 2000 in index.txt, but issued years before it.
    issue_device(base, IMEIS[0], "-startdate", "20230101000000Z", "-enddate", "20300101000000Z")
    r = ws.cli("ca", "import-openssl", base, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(current_serial(ws, IMEIS[0]), "2000")


@tap.test("a CA or an index entry whose signature does not verify up the chain is refused")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    ws.cli("ca", "init", "--name", "Existing", pass_=PASS, check=True)
    before = dump(ws)

    def refused(folder, *needles):
        r = ws.cli("ca", "import-openssl", folder, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
        tap.eq(r.returncode, 1, r.stdout)
        for needle in needles:
            tap.contains(r.stderr, needle)
        tap.eq(dump(ws), before)

    def forged_copy(name, issuer, csr, serial, extensions, out):
        """A copy of the setup where out is csr's certificate with serial, naming issuer as its issuer
        (without key identifiers to tell them apart) but signed by a stranger's key."""
        folder = ws.path(name)
        shutil.copytree(base, folder)
        sh(folder, "openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", ws.path(name + ".key"), "-subj", "/CN=" + issuer, "-days", "3650",
           "-out", ws.path(name + ".crt"))
        with open(ws.path(name + ".ext"), "w") as f:
            f.write(extensions + "\nsubjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n")
        sh(folder, "openssl", "x509", "-req", "-in", csr, "-CA", ws.path(name + ".crt"), "-CAkey",
           ws.path(name + ".key"), "-set_serial", serial, "-days", "365", "-extfile", ws.path(name + ".ext"),
           "-out", out)
        return folder

    # The sub CA's certificate names Legacy Root as its issuer but a stranger signed it.
    refused(forged_copy("forged-ca", "Legacy Root", "subca.csr", "4096",
                        "basicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign",
                        "subca/subca.crt"),
            "“Legacy Sub”", "signature does not verify")
    # A device certificate file with the right serial and issuer name, signed by a stranger.
    refused(forged_copy("forged-device", "Legacy Sub", "dev0.csr", "0x2000", "basicConstraints = critical,CA:FALSE",
                        "subca/certs/2000.pem"),
            "Line 1 of", "does not verify")
    # An index entry whose file holds another certificate.
    swapped = ws.path("swapped")
    shutil.copytree(base, swapped)
    shutil.copy(os.path.join(swapped, "subca", "certs", "2001.pem"), os.path.join(swapped, "subca", "certs", "2000.pem"))
    refused(swapped, "Line 1 of", "another serial")


@tap.test("an index.txt with a NUL byte or bytes that are not text is refused, naming the line")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    ws.cli("ca", "init", "--name", "Existing", pass_=PASS, check=True)
    before = dump(ws)
    for n, damage in enumerate((b"\0", b"\x1b[2J\xff\xfe")):
        broken = ws.path(f"broken-{n}")
        shutil.copytree(base, broken)
        index = os.path.join(broken, "subca", "db", "index.txt")
        with open(index, "rb") as f:
            lines = f.read().split(b"\n")
        lines[1] = lines[1][:10] + damage + lines[1][10:]
        with open(index, "wb") as f:
            f.write(b"\n".join(lines))
        r = ws.cli("ca", "import-openssl", broken, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
        tap.eq(r.returncode, 1, r.stdout)
        tap.contains(r.stderr, "Line 2 of")
        tap.contains(r.stderr, "NUL byte" if n == 0 else "not text")
        tap.eq(dump(ws), before)


@tap.test("symlinks that lead out of the imported folder are not followed, and pipes in it are not read")
def _():
    ws = Workspace()
    base = make_recipe(ws.path("pki"))
    outside = make_recipe(ws.path("outside"))
    # Nothing ever writes to these: reading one would hang the import.
    os.mkfifo(os.path.join(base, "rootca", "waiting.cnf"))
    os.mkfifo(os.path.join(base, "rootca", "certs", "waiting.pem"))
    # A CA folder and a sub CA's key that are links to another setup elsewhere.
    os.symlink(os.path.join(outside, "rootca"), os.path.join(base, "linked"))
    key = os.path.join(base, "subca", "private", "subca.key")
    os.replace(key, ws.path("moved-subca.key"))
    os.symlink(ws.path("moved-subca.key"), key)
    r = ws.cli("ca", "import-openssl", base, "--key-pass", "pass:" + OLD_PASS, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stderr, "Skipped linked")
    tap.contains(r.stderr, "Skipped subca/")
    cas = [c["name"] for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)]
    tap.eq(cas, ["Legacy Root"])


tap.done()
