"""The certificate authority and fleet ledger through the real `tagsmith` CLI:
authorities, issuing in every CSR form, policy, revocation, CRLs, the fleet views,
the audit chain, backups, and the bad inputs that must leave the ledger unchanged."""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time

from tsharness import PG_URI, SOURCE_ROOT, Tap, Workspace

tap = Tap()
PASS = "bench passphrase 1"
IMEI1 = "490154203237518"
IMEI2 = "352656100123457"
DATA = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "ca")


def fixture(name):
    return os.path.join(DATA, name)


def shared_copy(path, folder):
    """A copy of PATH in FOLDER that every user can read (and run, for a program)."""
    copy = os.path.join(folder, os.path.basename(path))
    shutil.copyfile(path, copy)
    os.chmod(copy, 0o755 if os.access(path, os.X_OK) else 0o644)
    return copy


def luhn_imei(first14):
    total = 0
    for i, c in enumerate(first14):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return first14 + str((10 - total % 10) % 10)


def setup_cas(ws):
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", "--path-len", "0", pass_=PASS, check=True)


def dump(ws):
    """Every row of the ledger, to compare before and after a refused operation. On the
    server a refused insert still spends a number of its id sequence: those are left out."""
    if ws.server_db is not None:
        r = subprocess.run(["pg_dump", "--data-only", "--inserts", "-d", ws.db], capture_output=True, text=True)
        tap.eq(r.returncode, 0, r.stderr)
        return "\n".join(l for l in r.stdout.splitlines()
                         if l and "setval(" not in l and not l.startswith(("--", "\\restrict", "\\unrestrict")))
    con = sqlite3.connect(f"file:{ws.db}?mode=ro", uri=True)
    try:
        return "\n".join(con.iterdump())
    finally:
        con.close()


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], capture_output=True, text=isinstance(input, str) or input is None,
                          input=input)


def subject_of(pem):
    return openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", input=pem).stdout.strip()


@tap.test("ca init, intermediate, list --json and export --chain make a chain openssl accepts")
def _():
    ws = Workspace()
    setup_cas(ws)
    r = ws.cli("--json", "ca", "list", check=True)
    cas = json.loads(r.stdout)
    tap.eq([c["name"] for c in cas], ["Root", "Issuing"])
    tap.eq(cas[1]["parent"], "Root")
    tap.eq(cas[1]["path_len"], 0)
    chain = ws.cli("ca", "export", "Issuing", "--chain", check=True).stdout
    tap.eq(chain.count("BEGIN CERTIFICATE"), 2)
    root = ws.write("root.pem", ws.cli("ca", "export", "Root", check=True).stdout)
    sub = ws.write("sub.pem", chain.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    v = openssl("verify", "-x509_strict", "-CAfile", root, sub)
    tap.eq(v.returncode, 0, v.stdout + v.stderr)
    text = openssl("x509", "-noout", "-text", "-in", sub).stdout
    tap.contains(text, "CA:TRUE, pathlen:0")
    tap.contains(text, "Certificate Sign, CRL Sign")
    r = ws.cli("ca", "init", "--name", "Root", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "already exists")


@tap.test("every CSR form is accepted: PEM, DER, %KEYGEN file, %KEYGEN on stdin, legacy NULL")
def _():
    ws = Workspace()
    setup_cas(ws)
    with open(fixture("keygen.txt")) as f:
        keygen = f.read()
    cases = [
        (IMEI1, ["--csr", fixture("p256.csr.pem")], None),
        (IMEI2, ["--csr", fixture("p384.csr.pem")], None),
        (luhn_imei("35000000000001"), ["--csr", fixture("p256b.csr.pem")], None),
        (luhn_imei("35000000000002"), ["--csr", "-"], keygen.split('"')[1]),
        (luhn_imei("35000000000003"), ["--csr", fixture("legacy-null.csr.der"), "--revoke-previous"], None),
    ]
    for imei, args, stdin in cases[:3]:
        r = ws.cli("issue", "--ca", "Issuing", "--imei", imei, *args, pass_=PASS, input=stdin)
        tap.eq(r.returncode, 0, r.stderr)
        tap.eq(subject_of(r.stdout), f"subject=CN={imei}")
    # The %KEYGEN forms hold the same key as p256.csr.pem: refused for another IMEI ...
    r = ws.cli("issue", "--ca", "Issuing", "--imei", cases[3][0], "--csr", "-", pass_=PASS, input=cases[3][2])
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, f"already certified for the device {IMEI1}")
    # ... and accepted for the IMEI it belongs to, pasted with or without the prefix and quotes.
    for text in (keygen, keygen.split('"')[1], keygen.split('"')[1].split(".")[0]):
        r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", "-", "--profile", "lwm2m",
                   pass_=PASS, input=text)
        tap.eq(r.returncode, 0, r.stderr)
        tap.eq(subject_of(r.stdout), f"subject=CN=urn:imei:{IMEI1}")
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("legacy-null.csr.der"), pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)


@tap.test("profiles name the subject; the CSR's subject and extensions are never copied")
def _():
    ws = Workspace()
    setup_cas(ws)
    uuid = "50363154-3931-4A21-80B9-1503D88271BF"
    cases = [("nrfcloud", [], f"CN=nrf-{IMEI1}"), ("nrfcloud-uuid", ["--uuid", uuid], "CN=" + uuid.lower()),
             ("azure", [], f"CN={IMEI1}"), ("aws", [], f"CN={IMEI1}"), ("generic", [], f"CN={IMEI1}")]
    for profile, extra, want in cases:
        r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("keygen.txt"), "--profile", profile,
                   *extra, pass_=PASS)
        tap.eq(r.returncode, 0, r.stderr)
        tap.eq(subject_of(r.stdout), "subject=" + want)
        text = openssl("x509", "-noout", "-text", input=r.stdout).stdout
        tap.ok("Key Encipherment" not in text, "the CSR's KeyUsage request leaked into the certificate")
        tap.contains(text, "TLS Web Client Authentication")
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("keygen.txt"), "--profile",
               "nrfcloud-uuid", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "UUID")


@tap.test("bad inputs get advice on stderr, a non-zero exit, and leave the ledger unchanged")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS, check=True)
    before = dump(ws)
    garbage = ws.write("garbage.txt", "hello, this is not a CSR\n")
    cases = [
        (["--imei", IMEI2, "--csr", fixture("truncated.csr.der")], PASS, "truncated"),
        (["--imei", IMEI2, "--csr", fixture("badsig.csr.der")], PASS, "signature does not verify"),
        (["--imei", IMEI2, "--csr", fixture("rsa1024.csr.pem")], PASS, "2048"),
        (["--imei", IMEI2, "--csr", fixture("ed25519.csr.pem")], PASS, "P-256"),
        (["--imei", IMEI2, "--csr", fixture("explicit.csr.pem")], PASS, "explicit"),
        (["--imei", IMEI2, "--csr", fixture("rsa2048.csr.pem"), "--profile", "nrfcloud"], PASS, "only EC"),
        (["--imei", IMEI2, "--csr", garbage], PASS, "%KEYGEN"),
        (["--imei", IMEI2, "--csr", ws.path("missing.csr")], PASS, "cannot be read"),
        (["--imei", "490154203237519", "--csr", fixture("p384.csr.pem")], PASS, "check digit"),
        (["--imei", "4901542032375", "--csr", fixture("p384.csr.pem")], PASS, "15"),
        (["--imei", IMEI2, "--csr", fixture("p384.csr.pem")], "wrong passphrase", "passphrase is wrong"),
        (["--imei", IMEI2, "--csr", fixture("p384.csr.pem"), "--profile", "nope"], PASS, "no profile"),
        (["--imei", IMEI2, "--csr", fixture("p256.csr.pem")], PASS, "already certified"),
    ]
    for args, passphrase, words in cases:
        r = ws.cli("issue", "--ca", "Issuing", *args, pass_=passphrase)
        tap.eq(r.returncode, 1, f"{args}: {r!r}")
        tap.ok(r.stderr.startswith("tagsmith: "), r.stderr)
        tap.contains(r.stderr, words)
        tap.eq(r.stdout, "")
    r = ws.cli("issue", "--ca", "Nope", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS)
    tap.contains(r.stderr, "no CA named")
    r = ws.cli("issue", "--imei", IMEI2, pass_=PASS)
    tap.eq(r.returncode, 2)
    tap.eq(dump(ws), before)


@tap.test("a ledger from a newer Tagsmith is refused and left untouched")
def _():
    ws = Workspace()
    setup_cas(ws)
    if ws.server_db is not None:
        ws.query("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        before = dump(ws)
    else:
        con = sqlite3.connect(ws.db)
        con.execute("PRAGMA user_version = 99")
        con.close()
        with open(ws.db, "rb") as f:
            before = hashlib.sha256(f.read()).hexdigest()
    for verb in (["ca", "list"], ["issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem")]):
        r = ws.cli(*verb, pass_=PASS)
        tap.eq(r.returncode, 1, r)
        tap.contains(r.stderr, "newer Tagsmith")
    if ws.server_db is not None:
        tap.eq(dump(ws), before)
    else:
        with open(ws.db, "rb") as f:
            tap.eq(hashlib.sha256(f.read()).hexdigest(), before)


@tap.test("a file that is not a ledger is refused with advice", file_only="it writes the file")
def _():
    ws = Workspace()
    with open(ws.db, "w") as f:
        f.write("SQLite format 3 but not really, just some text that is long enough to look like a header\n" * 20)
    r = ws.cli("ca", "list")
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "not a Tagsmith ledger")


@tap.test("a read-only ledger gives a clear error and changes nothing", file_only="it takes the file's write permission")
def _():
    ws = Workspace()
    setup_cas(ws)
    before = dump(ws)
    # Root ignores file modes, so the CLI runs as nobody when the tests run as root.
    os.chmod(ws.dir, 0o755)
    for name in os.listdir(ws.dir):
        path = ws.path(name)
        if os.path.isfile(path):
            os.chmod(path, 0o444)
    env = dict(ws.env, TS_TEST_PASS=PASS)
    tagsmith, csr, prefix = os.environ.get("TAGSMITH", "tagsmith"), fixture("p256.csr.pem"), []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        # nobody may not enter the checkout (say, in root's home): it gets copies of the
        # program, the CSR and the sanitizers' suppression files in a folder it can read.
        shared = ws.path("for-nobody")
        os.mkdir(shared)
        os.chmod(shared, 0o755)
        tagsmith, csr = shared_copy(tagsmith, shared), shared_copy(csr, shared)
        for name in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"):
            if name in env:
                env[name] = re.sub(r"((?:^|:)suppressions=)([^:]+)",
                                   lambda m: m.group(1) + shared_copy(m.group(2), shared), env[name])
    r = subprocess.run([*prefix, tagsmith, "--pass", "env:TS_TEST_PASS", "issue",
                        "--ca", "Issuing", "--imei", IMEI1, "--csr", csr],
                       capture_output=True, text=True, env=env, cwd=ws.dir)
    tap.eq(r.returncode, 1, r.stderr)
    tap.contains(r.stderr, "cannot be written")
    tap.eq(r.stdout, "")
    tap.eq(dump(ws), before)


class WriteLock:
    """Another program holding the ledger's write lock: an exclusive transaction on a file;
    on the server, a session holding the lock every writing station takes first."""

    SERVER_KEY = 7461677370

    def __init__(self, ws):
        self.ws = ws
        if ws.server_db is not None:
            self.psql = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-d", ws.db], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        else:
            self.con = sqlite3.connect(ws.db, isolation_level=None, timeout=0, check_same_thread=False)

    def take(self):
        if self.ws.server_db is not None:
            self.psql.stdin.write(f"SELECT pg_advisory_lock({self.SERVER_KEY});\n\\echo held\n")
            self.psql.stdin.flush()
            while self.psql.stdout.readline().strip() != "held":   # past the answers to earlier commands
                tap.ok(self.psql.poll() is None, "psql holding the write lock ended")
        else:
            self.con.execute("BEGIN EXCLUSIVE")

    def release(self):
        if self.ws.server_db is not None:
            self.psql.stdin.write(f"SELECT pg_advisory_unlock({self.SERVER_KEY});\n")
            self.psql.stdin.flush()
        else:
            self.con.execute("COMMIT")

    def close(self):
        if self.ws.server_db is not None:
            self.psql.stdin.close()
            self.psql.wait()
            self.psql.stdout.close()
        else:
            self.con.close()


@tap.test("a ledger locked by another program: waits for it, then gives up with advice")
def _():
    ws = Workspace()
    setup_cas(ws)
    before = dump(ws)
    lock = WriteLock(ws)
    lock.take()
    # Released after 2 s: the CLI waits and succeeds.
    releaser = threading.Timer(2.0, lock.release)
    releaser.start()
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS)
    releaser.join()
    tap.eq(r.returncode, 0, r.stderr)
    # Held for longer than the CLI's patience: a clear error, nothing changed.
    before = dump(ws)
    lock.take()
    start = time.monotonic()
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS)
    lock.release()
    lock.close()
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "locked by another program")
    tap.ok(time.monotonic() - start < 40)
    tap.eq(dump(ws), before)


@tap.test("revoke by serial or IMEI; revoking twice says so and changes nothing; CRL numbers increase")
def _():
    ws = Workspace()
    setup_cas(ws)
    a = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS,
               check=True).stdout
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS, check=True)
    serial_a = openssl("x509", "-noout", "-serial", input=a).stdout.strip().split("=")[1]
    r = ws.cli("--json", "revoke", "--ca", "Issuing", "--serial", serial_a.lower(), "--reason", "keyCompromise",
               "--invalidity-date", "2026-01-02", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(json.loads(r.stdout)[0]["serial"], serial_a)
    before = dump(ws)
    r = ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI1, "--reason", "superseded", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "already revoked")
    tap.eq(dump(ws), before)
    r = ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI1, "--reason", "bogus", pass_=PASS)
    tap.eq(r.returncode, 2)
    numbers = []
    for _ in range(2):
        crl = ws.cli("crl", "--ca", "Issuing", "--days", "7", pass_=PASS, check=True).stdout
        text = openssl("crl", "-noout", "-text", input=crl).stdout
        numbers.append(int(re.search(r"X509v3 CRL Number: \n\s+(\d+)", text).group(1)))
        tap.contains(text, "Serial Number: " + serial_a)
        tap.eq(text.count("Serial Number:"), 1)
        tap.contains(text, "Key Compromise")
        tap.contains(text, "Invalidity Date")
        tap.contains(text, "Authority Key Identifier")
    tap.ok(numbers[1] > numbers[0], numbers)
    der = subprocess.run([os.environ.get("TAGSMITH", "tagsmith"), "--pass", "env:P", "crl", "--ca", "Issuing", "--der"],
                         capture_output=True, env=dict(ws.env, P=PASS))
    tap.eq(der.returncode, 0)
    tap.eq(openssl("crl", "-inform", "DER", "-noout", input=der.stdout).returncode, 0)


@tap.test("revoke --ca PARENT --serial revokes an intermediate: ca list shows it, the CRL lists it, it issues no more")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("ca", "intermediate", "--name", "Spare", "--parent", "Root", pass_=PASS, check=True)
    issuing = json.loads(ws.cli("--json", "ca", "list", check=True).stdout)[1]
    tap.eq(issuing["status"], "valid")
    tap.ok("revoke_reason" not in issuing, issuing)
    r = ws.cli("--json", "revoke", "--ca", "Root", "--serial", issuing["serial"].lower(), "--reason", "keyCompromise", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    revoked = json.loads(r.stdout)
    tap.eq([(c["serial"], c["profile"], c["ca"], c["status"]) for c in revoked],
           [(issuing["serial"], "intermediate", "Root", "revoked")])

    listed = {a["name"]: a for a in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)}
    tap.eq((listed["Issuing"]["status"], listed["Issuing"]["revoke_reason"]), ("revoked", "keyCompromise"))
    tap.eq((listed["Root"]["status"], listed["Spare"]["status"]), ("valid", "valid"))
    text = ws.cli("ca", "list", check=True).stdout
    tap.ok(re.search(r"^Issuing .* revoked \(keyCompromise\)$", text, re.M), text)

    before = dump(ws)
    r = ws.cli("revoke", "--ca", "Root", "--serial", issuing["serial"], "--reason", "cACompromise", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "already revoked")
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "tagsmith: The CA “Issuing” has been revoked")
    r = ws.cli("ca", "proof", "Issuing", "--code", "ABC", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.eq(dump(ws), before)
    # Only its issuer can revoke it.
    r = ws.cli("revoke", "--ca", "Spare", "--serial", issuing["serial"], "--reason", "keyCompromise", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "never issued")

    text = openssl("crl", "-noout", "-text", input=ws.cli("crl", "--ca", "Root", pass_=PASS, check=True).stdout).stdout
    tap.contains(text, "Serial Number: " + issuing["serial"])
    tap.eq(text.count("Serial Number:"), 1)
    tap.contains(text, "Key Compromise")
    events = json.loads(ws.cli("--json", "audit", "list", check=True).stdout)
    tap.eq([e["action"] for e in events].count("ca.revoke"), 1)
    tap.eq(ws.cli("audit", "verify", pass_=PASS).returncode, 0)
    tap.eq(ws.cli("issue", "--ca", "Spare", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS).returncode, 0)


@tap.test("a schema version 1 ledger is migrated on open and keeps its CAs, certificates and audit chain",
          file_only="version 1 ledgers were only ever files")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS, check=True)
    # The same rows in a ledger made by the version 1 DDL, ca-schema.sql alone.
    current = ws.path("current.db")
    os.rename(ws.db, current)
    con = sqlite3.connect(ws.db)
    with open(os.path.join(SOURCE_ROOT, "ca", "ca-schema.sql")) as f:
        con.executescript(f.read())
    con.execute("ATTACH DATABASE ? AS current", (current,))
    for table in ("meta", "authorities", "devices", "certificates", "installs", "audit_log"):
        columns = ", ".join(row[1] for row in con.execute(f"PRAGMA main.table_info({table})"))
        con.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM current.{table}")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()

    # Verbs that only read see it migrated, in memory, and leave the file at version 1.
    listed = json.loads(ws.cli("--json", "ca", "list", check=True).stdout)
    tap.eq([(a["name"], a["status"], a["issued"]) for a in listed], [("Root", "valid", 0), ("Issuing", "valid", 1)])
    r = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(len(json.loads(ws.cli("--json", "fleet", "list", check=True).stdout)), 1)
    con = sqlite3.connect(ws.db)
    tap.eq(con.execute("PRAGMA user_version").fetchone()[0], 1)
    con.close()
    # The first verb that writes migrates the file.
    ws.cli("revoke", "--ca", "Root", "--serial", listed[1]["serial"], "--reason", "superseded", check=True,
           pass_=PASS)
    con = sqlite3.connect(ws.db)
    tap.ok(con.execute("PRAGMA user_version").fetchone()[0] >= 4)
    notnull = {row[1]: row[3] for row in con.execute("PRAGMA table_info(installs)")}
    tap.eq(notnull["sha256"], 0, "version 3: a %KEYGEN key's install has no SHA-256")
    tap.eq(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
    con.close()
    r = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(len(json.loads(ws.cli("--json", "fleet", "list", check=True).stdout)), 1)
    text = openssl("crl", "-noout", "-text", input=ws.cli("crl", "--ca", "Root", pass_=PASS, check=True).stdout).stdout
    tap.contains(text, "Serial Number: " + listed[1]["serial"])


@tap.test("re-issuing links supersedes; --revoke-previous revokes the old one in the same step")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256b.csr.pem"), pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p384.csr.pem"), "--revoke-previous",
           pass_=PASS, check=True)
    show = json.loads(ws.cli("--json", "fleet", "show", IMEI1, check=True).stdout)
    certs = show["certificates"]
    tap.eq(len(certs), 3)
    tap.eq(certs[1]["supersedes_id"], certs[0]["id"])
    tap.eq(certs[2]["supersedes_id"], certs[1]["id"])
    tap.eq([c["status"] for c in certs], ["revoked", "revoked", "valid"])
    tap.eq(certs[1]["revoke_reason"], "superseded")
    tap.eq([e["action"] for e in show["events"]], ["issue", "issue", "revoke", "revoke", "issue"])


@tap.test("fleet list filters and --json, fleet export nrfcloud-csv and json")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), "--profile", "nrfcloud",
           pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS, check=True)
    ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI2, "--reason", "cessationOfOperation", check=True, pass_=PASS)
    rows = json.loads(ws.cli("--json", "fleet", "list", check=True).stdout)
    tap.eq([r["imei"] for r in rows], sorted([IMEI1, IMEI2]))
    valid = json.loads(ws.cli("fleet", "list", "--status", "valid", "--json", check=True).stdout)
    tap.eq([r["imei"] for r in valid], [IMEI1])
    revoked = json.loads(ws.cli("fleet", "list", "--status", "revoked", "--json", check=True).stdout)
    tap.eq([r["imei"] for r in revoked], [IMEI2])
    expiring = json.loads(ws.cli("fleet", "list", "--status", "expiring", "--json", check=True).stdout)
    tap.eq(expiring, [])
    tap.contains(ws.cli("fleet", "list", check=True).stdout, IMEI1)
    out = ws.cli("fleet", "export", "--format", "nrfcloud-csv", check=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    tap.eq(len(rows), 1)
    tap.eq(rows[0][:4], [f"nrf-{IMEI1}", "", "", "APP|MODEM"])
    tap.ok(rows[0][4].startswith("-----BEGIN CERTIFICATE-----\n"))
    exported = json.loads(ws.cli("fleet", "export", "--format", "json", check=True).stdout)
    tap.eq([e["imei"] for e in exported], [IMEI1])
    tap.contains(exported[0]["pem"], "BEGIN CERTIFICATE")
    r = ws.cli("fleet", "show", "490154203237519")
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "check digit")


@tap.test("fleet list --search by IMEI prefix, UUID or serial, and --lot, in text and --json")
def _():
    ws = Workspace()
    setup_cas(ws)
    uuid = "50363154-3931-4A21-80B9-1503D88271BF"
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), "--profile",
           "nrfcloud-uuid", "--uuid", uuid, pass_=PASS, check=True)
    old = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS,
                 check=True).stdout
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p256b.csr.pem"), "--revoke-previous",
           pass_=PASS, check=True)
    serial = openssl("x509", "-noout", "-serial", input=old).stdout.strip().split("=", 1)[1]
    ws.query("UPDATE devices SET lot = 'LOT-7' WHERE imei = ?", IMEI2)

    def imeis(*args):
        return [r["imei"] for r in json.loads(ws.cli("--json", "fleet", "list", *args, check=True).stdout)]

    tap.eq(imeis("--search", IMEI2[:6]), [IMEI2], "digits are an IMEI prefix")
    tap.eq(imeis("--search", "4"), [IMEI1])
    tap.eq(imeis("--search", uuid.lower()), [IMEI1], "a UUID in any case")
    colons = ":".join(serial.lower()[i:i + 2] for i in range(0, len(serial), 2))
    tap.eq(imeis("--search", colons), [IMEI2], "a superseded certificate's serial, lower-case with colons")
    tap.eq(imeis("--search", colons, "--status", "revoked"), [], "the device's current certificate is valid")
    tap.eq(imeis("--lot", "LOT-7"), [IMEI2])
    tap.eq(imeis("--lot", "LOT-7", "--search", IMEI1[:3]), [])
    tap.eq(imeis("--lot", "LOT-8"), [])
    r = ws.cli("fleet", "list", "--search", uuid, check=True)
    tap.contains(r.stdout, IMEI1)
    tap.ok(IMEI2 not in r.stdout, r.stdout)
    r = ws.cli("fleet", "list", "--lot", "nothing", check=True)
    tap.contains(r.stdout, "No devices match")


@tap.test("fleet list --sort by each column, either way, with the --json rows unchanged")
def _():
    ws = Workspace()
    setup_cas(ws)
    never_issued = "356938035643809"
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), pass_=PASS, check=True)
    ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI2, "--reason", "keyCompromise", check=True, pass_=PASS)
    ws.query("INSERT INTO devices (imei, first_seen, last_seen) VALUES (?, 200, 200)", never_issued)
    ws.query("UPDATE devices SET last_seen = 300 WHERE imei = ?", IMEI1)
    ws.query("UPDATE devices SET last_seen = 100 WHERE imei = ?", IMEI2)

    def rows(*args):
        return json.loads(ws.cli("--json", "fleet", "list", *args, check=True).stdout)

    def imeis(*args):
        return [r["imei"] for r in rows(*args)]

    by_imei = sorted([IMEI1, IMEI2, never_issued])
    tap.eq(imeis(), by_imei, "IMEI order by default")
    tap.eq(imeis("--sort", "imei:asc"), by_imei)
    tap.eq(imeis("--sort", "imei:desc"), by_imei[::-1])
    tap.eq(imeis("--sort", "last-seen"), [IMEI2, never_issued, IMEI1])
    tap.eq(imeis("--sort", "last-seen:desc"), [IMEI1, never_issued, IMEI2])
    tap.eq(imeis("--sort", "status"), [IMEI2, IMEI1, never_issued], "revoked, valid, then no certificate")
    tap.eq(imeis("--sort", "status:desc"), [never_issued, IMEI1, IMEI2])
    issued = sorted(rows("--sort", "imei"), key=lambda r: (r["not_after"] or "", r["imei"]))
    by_expiry = [r["imei"] for r in issued if r["serial"] is not None] + [never_issued]
    tap.eq(imeis("--sort", "expiry"), by_expiry, "devices without a certificate come last")
    tap.eq(imeis("--sort", "expiry:desc"), by_expiry[::-1])
    tap.eq(imeis("--sort", "last-seen:desc", "--status", "valid"), [IMEI1], "filters keep working")
    tap.eq([sorted(r) for r in rows("--sort", "status")], [sorted(r) for r in rows()], "the same fields")
    out = ws.cli("fleet", "list", "--sort", "last-seen:desc", check=True).stdout.splitlines()
    tap.eq([line.split()[0] for line in out[1:]], [IMEI1, never_issued, IMEI2], "the text listing too")
    for wrong in ("serial", "imei:up", ""):
        r = ws.cli("fleet", "list", "--sort", wrong)
        tap.ok(r.returncode != 0, f"--sort {wrong!r} is refused")
        tap.contains(r.stderr, "--sort is imei, last-seen, expiry or status")
    tap.contains(ws.cli("fleet", "list", "--help", check=True).stdout, "--sort")


def pem_blocks(text):
    return re.findall(r"-----BEGIN CERTIFICATE-----\n.*?-----END CERTIFICATE-----\n", text, re.S)


def verify_strict(ca_file, chain_file):
    """openssl verify of the chain file's first certificate, the rest as untrusted intermediates."""
    return openssl("verify", "-x509_strict", "-CAfile", ca_file, "-untrusted", chain_file, chain_file)


@tap.test("fleet export aws and azure: device chains verify strictly, CA files, manifest, CN rules")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), "--profile", "azure",
           pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr", fixture("p384.csr.pem"), "--profile", "lwm2m",
           pass_=PASS, check=True)
    root = os.path.join(ws.dir, "root.pem")
    with open(root, "w") as f:
        f.write(ws.cli("ca", "export", "Root", check=True).stdout)

    aws = os.path.join(ws.dir, "aws")
    r = ws.cli("fleet", "export", "--format", "aws", "--out-dir", aws, check=True)
    tap.contains(r.stdout, "ca-Issuing.pem")
    tap.eq(sorted(os.listdir(aws)), sorted(["ca-Issuing.pem", "manifest.csv", f"device-{IMEI1}.pem",
                                            f"device-{IMEI2}.pem"]))
    for imei, cn in ((IMEI1, IMEI1), (IMEI2, f"urn:imei:{IMEI2}")):
        path = os.path.join(aws, f"device-{imei}.pem")
        blocks = pem_blocks(open(path).read())
        tap.eq(len(blocks), 2, f"{imei}: device certificate and the intermediate, not the root")
        tap.eq(subject_of(blocks[0]), f"subject=CN={cn}")
        tap.eq(subject_of(blocks[1]), subject_of(open(os.path.join(aws, "ca-Issuing.pem")).read()))
        v = verify_strict(root, path)
        tap.eq(v.returncode, 0, v.stdout + v.stderr)
    tap.eq(len(pem_blocks(open(os.path.join(aws, "ca-Issuing.pem")).read())), 1)
    manifest = list(csv.reader(open(os.path.join(aws, "manifest.csv"))))
    tap.eq(manifest[0], ["imei", "thing_name", "serial", "file", "ca"])
    tap.eq(sorted((m[0], m[1], m[3], m[4]) for m in manifest[1:]),
           sorted([(IMEI1, IMEI1, f"device-{IMEI1}.pem", "Issuing"),
                   (IMEI2, f"urn:imei:{IMEI2}", f"device-{IMEI2}.pem", "Issuing")]))

    azure = os.path.join(ws.dir, "azure")
    r = ws.cli("fleet", "export", "--format", "azure", "--ca", "Issuing", "--out-dir", azure, check=True)
    tap.contains(r.stdout, "tagsmith ca proof Issuing --code")
    chain = os.path.join(azure, "ca-Issuing-chain.pem")
    tap.eq(len(pem_blocks(open(chain).read())), 2, "the CA chain to upload holds Issuing and Root")
    v = verify_strict(chain, os.path.join(azure, f"device-{IMEI1}.pem"))
    tap.eq(v.returncode, 0, v.stdout + v.stderr)
    tap.eq(list(csv.reader(open(os.path.join(azure, "manifest.csv"))))[0][1], "device_id")

    r = ws.cli("fleet", "export", "--format", "azure", "--ca", "Root", "--out-dir", os.path.join(ws.dir, "none"))
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "nothing to export")
    r = ws.cli("fleet", "export", "--format", "aws")
    tap.eq(r.returncode, 2)
    tap.contains(r.stderr, "--out-dir")
    r = ws.cli("fleet", "export", "--format", "google", "--out-dir", ws.dir)
    tap.eq(r.returncode, 2)
    tap.contains(r.stderr, "azure")

    ws.query("UPDATE certificates SET subject = ? WHERE imei = ?", f"CN=Dev-{IMEI2},O=Acme", IMEI2)
    r = ws.cli("fleet", "export", "--format", "azure", "--out-dir", os.path.join(ws.dir, "upper"))
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, f"CN \"Dev-{IMEI2}\"")
    tap.contains(r.stderr, "--profile azure")


@tap.test("audit list --json shows who and what; editing a row behind Tagsmith's back is detected")
def _():
    ws = Workspace()
    setup_cas(ws)
    ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS, check=True)
    events = json.loads(ws.cli("--json", "audit", "list", pass_=PASS, check=True).stdout)
    tap.eq([e["action"] for e in events], ["passphrase.set", "ca.root", "ca.intermediate", "issue"])
    tap.ok(all(e["verified"] for e in events))
    tap.contains(events[0]["actor"], "@")
    tap.eq(events[3]["imei"], IMEI1)
    r = ws.cli("audit", "verify", check=True, pass_=PASS)
    tap.contains(r.stdout, "4 events")
    third, fourth = [row[0] for row in ws.query("SELECT id FROM audit_log ORDER BY id")][2:4]
    ws.query("UPDATE audit_log SET actor = 'mallory@bench' WHERE id = ?", third)
    r = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, f"broken at event {third}")
    r = ws.cli("--json", "audit", "verify", pass_=PASS)
    tap.eq(json.loads(r.stdout)["first_broken"], third)
    ws.query("DELETE FROM audit_log WHERE id = ?", fourth)
    r = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 1)


@tap.test("issue-batch: one unlock, files and %KEYGEN strings, a bad row fails alone")
def _():
    ws = Workspace()
    setup_cas(ws)
    with open(fixture("keygen.txt")) as f:
        keygen = f.read().strip()
    rows = [["imei", "csr"], [IMEI1, keygen], [IMEI2, fixture("p384.csr.pem")],
            ["490154203237519", fixture("p256b.csr.pem")], [luhn_imei("35000000000009"), fixture("badsig.csr.der")]]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    ws.write("batch.csv", buf.getvalue())
    r = ws.cli("--json", "issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"), "--out-dir",
               ws.path("out"), pass_=PASS)
    tap.eq(r.returncode, 1)
    result = json.loads(r.stdout)
    tap.eq([x["error"] is None for x in result], [True, True, False, False])
    tap.contains(result[2]["error"], "check digit")
    tap.contains(result[3]["error"], "signature")
    tap.eq(sorted(os.listdir(ws.path("out"))), sorted([IMEI1 + ".pem", IMEI2 + ".pem"]))
    rows = json.loads(ws.cli("--json", "fleet", "list", check=True).stdout)
    tap.eq(len(rows), 2)


def certificate_count(ws):
    return ws.query("SELECT count(*) FROM certificates")[0][0]


@tap.test("issue-batch reports exactly what it did: a repeated IMEI is refused, a taken IMEI.pem is kept, an "
          "unwritable file is reported with its recorded serial, and a rerun issues nothing new")
def _():
    ws = Workspace()
    setup_cas(ws)
    imei3 = luhn_imei("35000000000001")
    r = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                ws.path("three.key"), "-subj", "/CN=three", "-out", ws.path("three.csr"))
    tap.eq(r.returncode, 0, r.stderr)
    rows = [["imei", "csr"], [IMEI1, fixture("p256.csr.pem")], [IMEI2, fixture("p384.csr.pem")],
            [IMEI1, fixture("p256b.csr.pem")], [imei3, ws.path("three.csr")]]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    ws.write("batch.csv", buf.getvalue())
    out = ws.path("out")
    os.makedirs(out)
    # A PEM that cannot be written: a dangling symlink, which O_EXCL refuses.
    os.symlink(ws.path("nowhere", "x.pem"), os.path.join(out, IMEI2 + ".pem"))
    taken = ws.write(os.path.join("out", imei3 + ".pem"), "an earlier file\n")

    def batch():
        r = ws.cli("--json", "issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"), "--out-dir", out,
                   pass_=PASS)
        tap.eq(r.returncode, 1, r.stderr)
        return {(x["line"], x["imei"]): x for x in json.loads(r.stdout)}

    first = batch()
    one, two, repeat, three = first[(2, IMEI1)], first[(3, IMEI2)], first[(4, IMEI1)], first[(5, imei3)]
    tap.eq((one["error"], one["existing"], one["file"]), (None, False, os.path.join(out, IMEI1 + ".pem")))
    tap.ok(two["serial"], "the recorded certificate of the unwritable row has no serial in the report")
    tap.eq(two["file"], None)
    tap.contains(two["error"], f"The certificate {two['serial']} is recorded in the ledger")
    tap.contains(two["error"], "Run the same batch again")
    tap.eq(repeat["serial"], None)
    tap.contains(repeat["error"], "on an earlier row of this batch")
    tap.eq(three["serial"], None)
    tap.contains(three["error"], "already exists")
    tap.eq(open(taken).read(), "an earlier file\n")
    tap.eq(certificate_count(ws), 2)

    os.unlink(os.path.join(out, IMEI2 + ".pem"))
    again = batch()
    for key, before in (((2, IMEI1), one), ((3, IMEI2), two)):
        tap.eq((again[key]["serial"], again[key]["existing"], again[key]["error"]), (before["serial"], True, None))
    tap.eq(subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", os.path.join(out, IMEI2 + ".pem")],
                          capture_output=True, text=True).stdout.strip(), "serial=" + two["serial"].replace(":", ""))
    tap.contains(again[(4, IMEI1)]["error"], "on an earlier row")
    tap.contains(again[(5, imei3)]["error"], "already exists")
    tap.eq(certificate_count(ws), 2)

    os.unlink(taken)
    r = ws.cli("issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"), "--out-dir", out, pass_=PASS)
    tap.contains(r.stdout, "Issued 1 certificates", r.stderr)
    tap.contains(r.stdout, "2 issued before were found again")
    tap.eq(certificate_count(ws), 3)


@tap.test("issue-batch run again with the same CSV, into the same or a new folder, finds every certificate "
          "again: same serial, no second certificate, the files unchanged")
def _():
    ws = Workspace()
    setup_cas(ws)
    # Fresh keys, as a bench makes them, and one whose point ends in zero bits for certain.
    rows = [["imei", "csr"], [luhn_imei("35000000000100"), fixture("p256-even.csr.pem")]]
    for i in range(1, 20):
        name = ws.path(f"k{i}.csr")
        r = openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj",
                    f"/CN=device {i}", "-keyout", ws.path(f"k{i}.key"), "-out", name)
        tap.eq(r.returncode, 0, r.stderr)
        rows.append([luhn_imei(f"350000000001{i:02d}"), name])
    imeis = [row[0] for row in rows[1:]]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    ws.write("batch.csv", buf.getvalue())

    def batch(out):
        r = ws.cli("--json", "issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"), "--out-dir", out,
                   pass_=PASS)
        tap.eq(r.returncode, 0, r.stderr)
        return {x["imei"]: x for x in json.loads(r.stdout)}

    def files(out):
        return {imei: open(os.path.join(out, imei + ".pem")).read() for imei in imeis}

    first = batch(ws.path("out"))
    tap.eq([first[imei]["existing"] for imei in imeis], [False] * 20)
    pems = files(ws.path("out"))
    for out in (ws.path("out"), ws.path("again")):
        again = batch(out)
        tap.eq([(imei, again[imei]["serial"], again[imei]["existing"], again[imei]["error"]) for imei in imeis],
               [(imei, first[imei]["serial"], True, None) for imei in imeis])
        tap.eq(files(out), pems)
    for imei in imeis:
        certs = json.loads(ws.cli("--json", "fleet", "show", imei, check=True).stdout)["certificates"]
        tap.eq([c["serial"] for c in certs], [first[imei]["serial"]], imei)
    tap.eq(certificate_count(ws), 20)


@tap.test("a device certificate ends with its CA, and issue says so when that is sooner than asked")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", "--days", "30", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", pass_=PASS, check=True)
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"), pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stderr, "sooner than the 3650 days asked")
    root_end = openssl("x509", "-noout", "-enddate", input=ws.cli("ca", "export", "Root", check=True).stdout)
    tap.eq(openssl("x509", "-noout", "-enddate", input=r.stdout).stdout, root_end.stdout)


@tap.test("issue --new-key checks that --key-out can be written before anything is signed")
def _():
    ws = Workspace()
    setup_cas(ws)
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--new-key", "--key-out",
               ws.path("no such folder", "dev.key"), pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "nothing was issued")
    tap.eq(r.stdout, "")
    tap.eq(certificate_count(ws), 0)


@tap.test("ca import-openssl refuses a CA below a root whose pathlen:0 allows none, and records nothing")
def _():
    ws = Workspace()
    base = ws.path("pki")
    for name in ("rootca", "subca"):
        os.makedirs(os.path.join(base, name, "private"))
        os.makedirs(os.path.join(base, name, "db"))
        open(os.path.join(base, name, "db", "index.txt"), "w").close()
    ext = ws.write("sub.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n")
    steps = [
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         "rootca/private/rootca.key", "-subj", "/CN=Flat Root", "-days", "365", "-out", "rootca/rootca.crt",
         "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         "subca/private/subca.key", "-subj", "/CN=Too Deep", "-out", "subca.csr"],
        ["x509", "-req", "-in", "subca.csr", "-CA", "rootca/rootca.crt", "-CAkey", "rootca/private/rootca.key",
         "-CAcreateserial", "-days", "300", "-extfile", ext, "-out", "subca/subca.crt"],
    ]
    for args in steps:
        r = subprocess.run(["openssl", *args], cwd=base, capture_output=True, text=True)
        tap.eq(r.returncode, 0, r.stderr)
    r = ws.cli("ca", "import-openssl", base, pass_=PASS)
    tap.eq(r.returncode, 1, r.stdout + r.stderr)
    tap.contains(r.stderr, "“Too Deep” sits deeper below its root than the path length")
    if ws.server_db is not None or os.path.exists(ws.db):
        tap.eq(ws.query("SELECT count(*) FROM authorities")[0][0], 0)


@tap.test("--new-key writes a 0600 key that matches the certificate and never enters the ledger")
def _():
    ws = Workspace()
    setup_cas(ws)
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--new-key", "--key-out", ws.path("dev.key"),
               pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(os.stat(ws.path("dev.key")).st_mode & 0o777, 0o600)
    pub_cert = openssl("x509", "-noout", "-pubkey", input=r.stdout).stdout
    pub_key = openssl("pkey", "-pubout", "-in", ws.path("dev.key")).stdout
    tap.eq(pub_cert, pub_key)
    show = json.loads(ws.cli("--json", "fleet", "show", IMEI1, check=True).stdout)
    tap.eq(show["certificates"][0]["host_key"], True)
    r = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--new-key", "--key-out", ws.path("dev.key"), pass_=PASS)
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "already exists")


@tap.test("ca proof signs CN=CODE; backup copies a ledger that opens and verifies")
def _():
    ws = Workspace()
    setup_cas(ws)
    r = ws.cli("ca", "proof", "Root", "--code", "0A1B2C3D4E5F", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq(subject_of(r.stdout), "subject=CN=0A1B2C3D4E5F")
    root = ws.write("root.pem", ws.cli("ca", "export", "Root", check=True).stdout)
    proof = ws.write("proof.pem", r.stdout)
    tap.eq(openssl("verify", "-CAfile", root, proof).returncode, 0)
    if ws.server_db is not None:
        r = ws.cli("backup", ws.path("copy.db"))
        tap.eq(r.returncode, 1, r)
        tap.contains(r.stderr, "pg_dump")
        tap.ok(not os.path.exists(ws.path("copy.db")))
        return
    r = ws.cli("backup", ws.path("copy.db"), check=True)
    tap.contains(r.stdout, "copy.db")
    r = ws.cli("--db", ws.path("copy.db"), "audit", "verify", check=True, pass_=PASS)
    tap.contains(r.stdout, "chain intact")
    tap.eq(ws.cli("backup", ws.path("copy.db")).returncode, 1)


@tap.test("a postgresql:// ledger: CAs, issuing, revocation, CRL, fleet and audit work on the server",
          skip=None if PG_URI else "TAGSMITH_TEST_PG_URI is not set")
def _():
    ws = Workspace()
    uri = ws.db if ws.server_db is not None else ws.use_server_ledger()
    before = sorted(os.listdir(ws.dir))
    setup_cas(ws)
    pem = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", fixture("p256.csr.pem"),
                 pass_=PASS, check=True).stdout
    serial = openssl("x509", "-noout", "-serial", input=pem).stdout.strip().split("=")[1]
    ws.cli("revoke", "--ca", "Issuing", "--serial", serial, "--reason", "key-compromise", pass_=PASS, check=True)
    crl = ws.cli("crl", "--ca", "Issuing", pass_=PASS, check=True).stdout
    text = openssl("crl", "-noout", "-text", input=crl).stdout
    tap.contains(text.upper(), serial.upper().lstrip("0") or "0")
    fleet = json.loads(ws.cli("--json", "fleet", "list", check=True).stdout)
    tap.eq([d["imei"] for d in fleet], [IMEI1])
    tap.contains(ws.cli("audit", "verify", pass_=PASS, check=True).stdout, "chain intact")
    # The URI names a server: no file or folder named after it appears anywhere.
    tap.eq(sorted(os.listdir(ws.dir)), before)
    tap.eq(os.path.exists("postgresql:"), False)
    # The same server ledger, read by a second "station" with --db instead of TAGSMITH_DB.
    ws.env.pop("TAGSMITH_DB")
    other = json.loads(ws.cli("--db", uri, "--json", "ca", "list", check=True).stdout)
    tap.eq([c["name"] for c in other], ["Root", "Issuing"])


tap.done()
