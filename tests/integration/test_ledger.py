"""The ledger under pressure: four processes issuing into one file at once, and a
search for private keys or the passphrase anywhere they must not be."""

import glob
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys

from tsharness import TAGSMITH, Tap, Workspace, ledger_query

tap = Tap()
PASS = "concurrency passphrase"
PER_PROCESS = 25


def imei(n):
    first14 = f"35{n:012d}"
    total = 0
    for i, c in enumerate(first14):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return first14 + str((10 - total % 10) % 10)


def make_csrs(ws, start, count):
    """count fresh P-256 CSRs in a batch CSV for IMEIs start..start+count-1."""
    rows = []
    for n in range(start, start + count):
        csr = ws.path(f"csr-{n}.pem")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", "/dev/null", "-subj", f"/CN={n}", "-out", csr],
                       check=True, capture_output=True)
        rows.append(f"{imei(n)},{csr}")
    return ws.write(f"batch-{start}.csv", "\n".join(rows) + "\n")


@tap.test("four processes issuing into one ledger at once lose nothing and never reuse a serial")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", pass_=PASS, check=True)
    env = dict(ws.env, TS_TEST_PASS=PASS)
    # Two processes run batches; two issue one certificate per process start.
    batches = [make_csrs(ws, 0, PER_PROCESS), make_csrs(ws, 1000, PER_PROCESS)]
    script = ws.write("singles.sh", "\n".join([
        "set -e",
        'for i in $(seq 1 %d); do' % PER_PROCESS,
        '  "$TAGSMITH" --pass env:TS_TEST_PASS issue --ca Issuing --imei "$(sed -n ${i}p "$1")" '
        '--new-key --key-out "$2/key-$i.pem" > /dev/null',
        "done"]))
    single_lists = []
    for p, start in enumerate((2000, 3000)):
        single_lists.append(ws.write(f"imeis-{p}.txt", "\n".join(imei(start + i) for i in range(PER_PROCESS)) + "\n"))
        os.makedirs(ws.path(f"keys-{p}"))
    procs = [subprocess.Popen([TAGSMITH, "--pass", "env:TS_TEST_PASS", "issue-batch", "--ca", "Issuing", "--input",
                               b, "--out-dir", ws.path(f"out-{i}")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i, b in enumerate(batches)]
    procs += [subprocess.Popen(["sh", script, lst, ws.path(f"keys-{p}")], env=dict(env, TAGSMITH=TAGSMITH),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for p, lst in enumerate(single_lists)]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        tap.eq(proc.returncode, 0, out + err)

    total, distinct = ws.query("SELECT count(*), count(DISTINCT serial) FROM certificates")[0]
    devices = ws.query("SELECT count(*) FROM devices")[0][0]
    issues = ws.query("SELECT count(*) FROM audit_log WHERE action = 'issue'")[0][0]
    tap.eq(total, 4 * PER_PROCESS)
    tap.eq(distinct, total)
    tap.eq(devices, 4 * PER_PROCESS)
    tap.eq(issues, 4 * PER_PROCESS)
    r = ws.cli("audit", "verify", check=True, pass_=PASS)
    tap.contains(r.stdout, f"{4 * PER_PROCESS + 3} events")


def private_scalars(pem_text, passphrase=None):
    """The raw private key bytes of a PEM key, as hex, to search for in files."""
    args = ["openssl", "pkey", "-text", "-noout"]
    if passphrase:
        args += ["-passin", "pass:" + passphrase]
    text = subprocess.run(args, input=pem_text, capture_output=True, text=True, check=True).stdout
    block = re.search(r"priv:\n((?:\s+[0-9a-f:]+\n)+)", text).group(1)
    return re.sub(r"[\s:]", "", block).lstrip("0")[-64:]


@tap.test("no private key or passphrase in the clear: database dump, WAL, temporary files, logs",
          file_only="it reads the file, its WAL and the temporary files")
def _():
    ws = Workspace()
    tmp = ws.path("tmp")
    os.makedirs(tmp)
    ws.env["TMPDIR"] = tmp
    ws.env["G_MESSAGES_DEBUG"] = "all"
    logs = []

    def cli(*args):
        r = ws.cli(*args, pass_=PASS)
        logs.append(r.stdout + r.stderr)
        tap.eq(r.returncode, 0, r.stderr)
        return r

    cli("ca", "init", "--name", "Root")
    cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root")
    cli("issue", "--ca", "Issuing", "--imei", "490154203237518", "--new-key", "--key-out", ws.path("device.key"))
    cli("crl", "--ca", "Issuing")
    cli("ca", "proof", "Root", "--code", "ABC123")
    cli("--json", "ca", "list")
    cli("--json", "fleet", "show", "490154203237518")
    cli("--json", "audit", "list")

    con = sqlite3.connect(ws.db)
    ca_keys = [row[0] for row in con.execute("SELECT key_pkcs8 FROM authorities")]
    dump = "\n".join(con.iterdump())
    con.close()
    with open(ws.path("device.key")) as f:
        device_key = f.read()
    secrets = [private_scalars(k, PASS) for k in ca_keys] + [private_scalars(device_key)]

    places = {"dump": dump.encode(), "logs": "\n".join(logs).encode()}
    for path in glob.glob(ws.db + "*") + glob.glob(os.path.join(tmp, "**"), recursive=True):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                places[path] = f.read()
    for where, data in places.items():
        lower = data.lower()
        tap.ok(b"BEGIN PRIVATE KEY" not in data and b"BEGIN EC PRIVATE KEY" not in data,
               f"an unencrypted key in {where}")
        tap.ok(PASS.encode() not in data, f"the passphrase in {where}")
        for secret in secrets:
            tap.ok(secret.encode() not in lower and bytes.fromhex(secret.zfill(64)) not in data,
                   f"a private scalar in {where}")
    tap.ok(len(places) >= 3, places.keys())


def file_state(path):
    """The bytes' digest and the modification time: what "left untouched" means."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return digest, os.stat(path).st_mtime_ns


def on_read_only_media(folder, argv):
    """argv run with @folder mounted read-only in a private mount namespace, which
    stops writes for root too (chmod does not). None where namespaces are not allowed."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", folder, "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "-rm", "sh", "-c", script, "sh", folder, *argv]


READ_ONLY_VERBS = [("ca", "list"), ("ca", "export", "Root"), ("fleet", "list"),
                   ("fleet", "show", "490154203237518"), ("fleet", "export", "--format", "json"),
                   ("audit", "list"), ("audit", "verify")]


@tap.test("read-only verbs work on a write-protected ledger and never change it",
          file_only="it takes the file's write permission")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("issue", "--ca", "Root", "--imei", "490154203237518", "--new-key", "--key-out", ws.path("device.key"),
           pass_=PASS, check=True)
    before = file_state(ws.db)
    media = ws.path("media")
    os.makedirs(media)
    os.rename(ws.db, os.path.join(media, "fleet.db"))
    ws.env["TAGSMITH_DB"] = db = os.path.join(media, "fleet.db")
    for verb in READ_ONLY_VERBS + [("backup", ws.path("copy.db"))]:
        argv, env = ws.cli_argv(*verb, pass_=PASS if verb == ("audit", "verify") else None)
        wrapped = on_read_only_media(media, argv)
        if wrapped is None:
            print("# no mount namespace here: the ledger's bytes and time are compared instead")
            wrapped = argv
        r = subprocess.run(wrapped, capture_output=True, text=True, env=env, timeout=120)
        tap.eq(r.returncode, 0, f"{verb}: {r.stderr}")
        tap.eq(file_state(db), before, f"{verb} changed the ledger")
    # Where the folder is writable too, reading leaves the file as it was.
    for verb in READ_ONLY_VERBS:
        r = ws.cli(*verb, pass_=PASS if verb == ("audit", "verify") else None)
        tap.eq(r.returncode, 0, f"{verb}: {r.stderr}")
    tap.eq(file_state(db), before)
    tap.eq(ws.cli("--db", ws.path("copy.db"), "ca", "list").returncode, 0)


@tap.test("a mistyped --db is never created by a verb that reads; a verb that writes says it creates one",
          file_only="--db names a path")
def _():
    ws = Workspace()
    typo = ws.path("flet", "fleet.db")
    for verb in READ_ONLY_VERBS + [("backup", ws.path("copy.db"))]:
        r = ws.cli("--db", typo, *verb)
        tap.ok(r.returncode != 0, f"{verb} succeeded")
        tap.contains(r.stderr, f"There is no ledger at {typo}")
        tap.ok(not os.path.exists(os.path.dirname(typo)), f"{verb} created the folder")
    r = ws.cli("--db", typo, "ca", "init", "--name", "Root", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stderr, f"created a new ledger at {typo}")
    r = ws.cli("--db", typo, "ca", "list")
    tap.eq(r.returncode, 0, r.stderr)
    tap.ok("created" not in r.stderr, r.stderr)


@tap.test("an empty file or another program's database given as --db is refused and left as it is",
          file_only="--db names a file")
def _():
    ws = Workspace()
    empty = ws.write("empty.db", "")
    other = ws.path("photos.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE photos (path TEXT)")
    con.commit()
    con.close()
    for path in (empty, other):
        before = file_state(path)
        for verb in [("ca", "init", "--name", "Root"), ("ca", "list")]:
            r = ws.cli("--db", path, *verb, pass_=PASS)
            tap.ok(r.returncode != 0, f"{path} {verb} succeeded")
            tap.ok("empty" in r.stderr or "not a Tagsmith ledger" in r.stderr, r.stderr)
        tap.eq(file_state(path), before)
        tap.ok(not os.path.exists(path + "-wal"), "a -wal was left beside it")


@tap.test("backup refuses a symbolic link at the target",
          file_only="a server ledger is backed up with pg_dump")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    elsewhere = ws.path("elsewhere.db")
    os.symlink(elsewhere, ws.path("backup.db"))
    r = ws.cli("backup", ws.path("backup.db"))
    tap.ok(r.returncode != 0, r.stdout)
    tap.contains(r.stderr, "symbolic link")
    tap.ok(not os.path.exists(elsewhere), "the backup went through the link")


@tap.test("a CSR, a batch CSV or a credential that is a pipe, a device or 100 MB is refused at once")
def _():
    ws = Workspace()
    fifo = ws.path("fifo")
    os.mkfifo(fifo)
    huge = ws.path("huge.pem")
    with open(huge, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    for path, advice in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (huge, "larger than")):
        # Nothing writes to the pipe and /dev/zero never ends: only a refusal before reading returns.
        for verb in (("issue", "--ca", "Root", "--imei", "490154203237518", "--csr", path),
                     ("issue-batch", "--ca", "Root", "--input", path, "--out-dir", ws.path("out")),
                     ("creds", "write", "--port", ws.path("no-modem"), "--sec-tag", "42", "--type", "ca",
                      "--file", path)):
            r = ws.cli(*verb, pass_=PASS, timeout=60)
            tap.ok(r.returncode != 0, f"{verb} succeeded")
            tap.contains(r.stderr, path)
            tap.contains(r.stderr, advice)
    tap.ok(not os.path.exists(ws.db), "a refused input still created a ledger")


@tap.test("the IMEI an unprogrammed modem reports, 000000000000000, is refused")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    r = ws.cli("issue", "--ca", "Root", "--imei", "000000000000000", "--new-key", "--key-out", ws.path("k.pem"),
               pass_=PASS)
    tap.eq(r.returncode, 1, r.stdout)
    tap.contains(r.stderr, "before its IMEI is programmed")
    tap.ok(not os.path.exists(ws.path("k.pem")), "a key was written")


@tap.test("CA names are counted in characters, and blank or invisible ones are refused")
def _():
    ws = Workspace()
    name = "é" * 64
    r = ws.cli("ca", "init", "--name", name, pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.eq([c["name"] for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)], [name])
    for bad in ("   ", "Root\u200b", "\u202eRoot", "Ro\tot", "é" * 65):
        r = ws.cli("ca", "init", "--name", bad, pass_=PASS)
        tap.eq(r.returncode, 1, f"{bad!r}: {r.stdout}")
        tap.contains(r.stderr, "A CA name")
    tap.eq(len(json.loads(ws.cli("--json", "ca", "list", check=True).stdout)), 1)


# The tamper matrix (tests/RELIABILITY.md): each edit is made with sqlite3 and
# no passphrase, on its own copy of one ledger, and must be caught.

IMEI_A = "490154203237518"


def sql(db, *statements):
    con = sqlite3.connect(db)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def query(db, statement):
    return ledger_query(db, statement)


def tamper_base():
    """Root, Issuing; three devices, one revoked for keyCompromise, and a CRL."""
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", pass_=PASS, check=True)
    for n in range(3):
        ws.cli("issue", "--ca", "Issuing", "--imei", imei(7000 + n), "--new-key", "--key-out",
               ws.path(f"device-{n}.key"), pass_=PASS, check=True)
    ws.cli("revoke", "--ca", "Issuing", "--imei", imei(7000), "--reason", "keyCompromise", pass_=PASS, check=True)
    ws.cli("crl", "--ca", "Issuing", pass_=PASS, check=True)
    if ws.server_db is None:
        sql(ws.db, "PRAGMA wal_checkpoint(TRUNCATE)")
    return ws


def tampered_copy(ws, name, *statements):
    """A copy of the ledger with @statements applied, as a Workspace-relative path."""
    copy = ws.path(name)
    with open(ws.db, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    sql(copy, *statements)
    return copy


def verify(ws, db, *extra):
    return ws.cli("--db", db, "audit", "verify", *extra, pass_=PASS)


def swap_keys(db):
    """The statements that swap Root's and Issuing's encrypted keys (PEM holds no quotes)."""
    keys = dict(query(db, "SELECT name, key_pkcs8 FROM authorities"))
    return [f"UPDATE authorities SET key_pkcs8 = '{keys['Issuing']}' WHERE name = 'Root'",
            f"UPDATE authorities SET key_pkcs8 = '{keys['Root']}' WHERE name = 'Issuing'"]


def revoked_serial(db):
    return query(db, "SELECT serial FROM certificates WHERE status = 'revoked'")[0][0]


@tap.test("tamper matrix: every edit made with sqlite3 and no passphrase fails audit verify",
          file_only="each edit is made on a copy of the file")
def _():
    ws = tamper_base()
    tap.eq(verify(ws, ws.db).returncode, 0, "the untouched ledger verifies")
    revoked = revoked_serial(ws.db)
    certs = query(ws.db, "SELECT id FROM certificates ORDER BY id")
    last = query(ws.db, "SELECT max(id) FROM audit_log")[0][0]
    keep = last - 3
    keep_hash = query(ws.db, f"SELECT hash FROM audit_log WHERE id = {keep}")[0][0]
    matrix = [
        ("un-revoke the keyCompromise certificate", "valid, but the log says revoked",
         [f"UPDATE certificates SET status = 'valid', revoke_reason = NULL, revoked_at = NULL "
          f"WHERE serial = '{revoked}'"]),
        ("change the reason of a revocation", "revoked as superseded",
         [f"UPDATE certificates SET revoke_reason = 4 WHERE serial = '{revoked}'"]),
        ("change a serial", "was never issued",
         [f"UPDATE certificates SET serial = '0123456789' WHERE id = {certs[1][0]}"]),
        ("swap two certificates' PEMs and hashes", "is not the one that was issued",
         [f"UPDATE certificates SET pem = (SELECT pem FROM certificates WHERE id = {certs[2][0]}), "
          f"sha256_lf = (SELECT sha256_lf FROM certificates WHERE id = {certs[2][0]}), "
          f"sha256_crlf = (SELECT sha256_crlf FROM certificates WHERE id = {certs[2][0]}) WHERE id = {certs[1][0]}"]),
        ("delete a certificate", "the log issued 3 certificates but the ledger holds 2",
         [f"UPDATE devices SET current_certificate_id = NULL", f"DELETE FROM certificates WHERE id = {certs[2][0]}"]),
        ("swap the two CAs' keys", "the key of the CA", swap_keys(ws.db)),
        ("replace a CA's certificate", "is not the one it was created with",
         ["UPDATE authorities SET cert_pem = (SELECT cert_pem FROM authorities WHERE name = 'Root'), "
          "sha256_lf = (SELECT sha256_lf FROM authorities WHERE name = 'Root') WHERE name = 'Issuing'"]),
        ("delete the last events and rewrite the head", "does not match its audit log",
         [f"DELETE FROM audit_log WHERE id > {keep}", f"UPDATE meta SET value = '{keep}:{keep_hash}' "
          "WHERE key = 'audit_head'"]),
        ("empty the log", "does not match its audit log",
         ["DELETE FROM audit_log", "DELETE FROM meta WHERE key = 'audit_head'"]),
        ("edit an event's details", "broken at event",
         [f"UPDATE audit_log SET details = replace(details, 'keyCompromise', 'superseded') "
          f"WHERE action = 'revoke'"]),
        ("replace the verifier with one of another passphrase's", "wrong",
         ["UPDATE meta SET value = 'scrypt2$16384$8$8$00000000000000000000000000000000$"
          "0000000000000000000000000000000000000000000000000000000000000000' WHERE key = 'passphrase_verifier'"]),
        ("delete the passphrase verifier", "verifier is missing",
         ["DELETE FROM meta WHERE key = 'passphrase_verifier'"]),
    ]
    for n, (what, message, statements) in enumerate(matrix):
        copy = tampered_copy(ws, f"tampered-{n}.db", *statements)
        r = verify(ws, copy)
        tap.eq(r.returncode, 1, f"{what}: {r!r}")
        tap.contains(r.stderr, message, what)


@tap.test("recomputing the chain the old way after an edit no longer verifies: links are keyed",
          file_only="the edit is made on a copy of the file")
def _():
    import hashlib
    ws = tamper_base()
    revoked = revoked_serial(ws.db)
    copy = tampered_copy(ws, "rechained.db",
                         f"UPDATE certificates SET status = 'valid', revoke_reason = NULL WHERE serial = '{revoked}'",
                         f"DELETE FROM audit_log WHERE action = 'revoke'")
    con = sqlite3.connect(copy)
    prev = "0" * 64
    for n, (old_id, at, actor, action, imei_, details) in enumerate(
            con.execute("SELECT id, at, actor, action, imei, details FROM audit_log ORDER BY id").fetchall(), 1):
        text = f"v2\n{n}\n{at}\n{actor}\n{action}\n{imei_ or ''}\n{details}\n{prev}"
        digest = hashlib.sha256(text.encode()).hexdigest().upper()
        con.execute("UPDATE audit_log SET id = ?, prev_hash = ?, hash = ? WHERE id = ?", (n, prev, digest, old_id))
        prev = digest
    con.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (f"{n}:{prev}",))
    con.commit()
    con.close()
    r = verify(ws, copy)
    tap.eq(r.returncode, 1, repr(r))
    tap.contains(r.stderr, "broken at event 1")


@tap.test("a swapped or plaintext CA key is refused before it signs; the ledger is unchanged",
          file_only="the keys are swapped in a copy of the file")
def _():
    ws = tamper_base()
    swapped = tampered_copy(ws, "swapped.db", *swap_keys(ws.db))
    before = query(swapped, "SELECT count(*) FROM certificates")
    r = ws.cli("--db", swapped, "issue", "--ca", "Issuing", "--imei", imei(7100), "--new-key", "--key-out",
               ws.path("k1.pem"), pass_=PASS)
    tap.eq(r.returncode, 1, repr(r))
    tap.contains(r.stderr, "does not belong to its certificate")
    tap.eq(query(swapped, "SELECT count(*) FROM certificates"), before)
    root_key = query(ws.db, "SELECT key_pkcs8 FROM authorities WHERE name = 'Issuing'")[0][0]
    plain = subprocess.run(["openssl", "pkey", "-passin", "pass:" + PASS], input=root_key, capture_output=True,
                           text=True, check=True).stdout
    tap.contains(plain, "BEGIN PRIVATE KEY")
    copy = ws.path("plain.db")
    with open(ws.db, "rb") as src, open(copy, "wb") as dst:
        dst.write(src.read())
    con = sqlite3.connect(copy)
    con.execute("UPDATE authorities SET key_pkcs8 = ? WHERE name = 'Issuing'", (plain,))
    con.commit()
    con.close()
    r = ws.cli("--db", copy, "crl", "--ca", "Issuing", pass_=PASS)
    tap.eq(r.returncode, 1, repr(r))
    tap.contains(r.stderr, "not encrypted the way Tagsmith encrypts keys")
    tap.eq(verify(ws, copy).returncode, 1)


@tap.test("a deleted verifier never lets a new passphrase take over a ledger with CAs",
          file_only="the verifier is deleted in a copy of the file")
def _():
    ws = tamper_base()
    copy = tampered_copy(ws, "noverifier.db", "DELETE FROM meta WHERE key = 'passphrase_verifier'")
    sql(copy, "PRAGMA wal_checkpoint(TRUNCATE)")
    with open(copy, "rb") as f:
        before = f.read()
    for args in (["issue", "--ca", "Issuing", "--imei", imei(7200), "--new-key", "--key-out", ws.path("k2.pem")],
                 ["revoke", "--ca", "Issuing", "--imei", imei(7001), "--reason", "superseded"],
                 ["ca", "init", "--name", "Mallory"], ["audit", "verify"]):
        r = ws.cli("--db", copy, *args, pass_="mallory's new passphrase")
        tap.eq(r.returncode, 1, repr(r))
        tap.contains(r.stderr, "cannot take the ledger over")
    sql(copy, "PRAGMA wal_checkpoint(TRUNCATE)")
    with open(copy, "rb") as f:
        tap.ok(f.read() == before, "the ledger is unchanged")


@tap.test("revoke, crl and issue need the right passphrase before anything changes; pass:TEXT warns")
def _():
    ws = tamper_base()
    target = imei(7001)
    before = query(ws.db, "SELECT * FROM certificates ORDER BY id")
    for pass_ in (None, "not the passphrase"):
        for args in (["revoke", "--ca", "Issuing", "--imei", target, "--reason", "superseded"],
                     ["crl", "--ca", "Issuing"]):
            r = ws.cli(*args, pass_=pass_)
            tap.eq(r.returncode, 1, repr(r))
            tap.contains(r.stderr, "passphrase")
    tap.eq(query(ws.db, "SELECT * FROM certificates ORDER BY id"), before)
    r = ws.cli("--pass", "pass:" + PASS, "revoke", "--ca", "Issuing", "--imei", target, "--reason", "superseded")
    tap.eq(r.returncode, 0, repr(r))
    tap.contains(r.stderr, "other users of this computer can read it")
    tap.eq(verify(ws, ws.db).returncode, 0)


@tap.test("audit verify --expect: a backup's head is still in the ledger; a rolled-back ledger lacks a newer one",
          file_only="the rolled-back ledger is a backup file")
def _():
    ws = tamper_base()
    r = ws.cli("backup", ws.path("old.db"), check=True)
    old_head = open(ws.path("old.db.head")).read().strip()
    tap.contains(r.stdout, old_head)
    ws.cli("issue", "--ca", "Issuing", "--imei", imei(7300), "--new-key", "--key-out", ws.path("k3.pem"),
           pass_=PASS, check=True)
    r = verify(ws, ws.db, "--expect", ws.path("old.db.head"))
    tap.eq(r.returncode, 0, repr(r))
    new_head = re.search(r"Audit head: (\S+)", r.stdout).group(1)
    tap.ok(new_head != old_head)
    tap.eq(json.loads(ws.cli("--json", "audit", "verify", pass_=PASS).stdout)["head"], new_head)
    # Rolled back to the backup: everything in it verifies, but the newer head is gone.
    tap.eq(verify(ws, ws.path("old.db")).returncode, 0)
    r = verify(ws, ws.path("old.db"), "--expect", new_head)
    tap.eq(r.returncode, 1, repr(r))
    tap.contains(r.stderr, "rolled back")
    r = verify(ws, ws.db, "--expect", "12:nothex")
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "not an audit head")
    # A lot report's JSON carries the head as "audit_head".
    report = ws.write("lot.json", json.dumps({"lot": "A", "audit_head": new_head, "units": []}, indent=2))
    tap.eq(verify(ws, ws.db, "--expect", report).returncode, 0)
    tap.eq(verify(ws, ws.path("old.db"), "--expect", report).returncode, 1)
    r = verify(ws, ws.db, "--expect", ws.write("garbage.txt", "no head here\n" * 1000))
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "holds no audit head")
    tap.ok(len(r.stderr) < 400, "the message does not repeat the file")


@tap.test("random bit flips in many copies: each is refused, or left nothing verify covers changed",
          file_only="the bits flip in copies of the file")
def _():
    import random
    ws = tamper_base()
    covered = ("SELECT a.name, c.serial, c.status, c.revoke_reason, c.pem, c.sha256_lf FROM certificates c "
               "JOIN authorities a ON a.id = c.authority_id ORDER BY 1, 2",
               "SELECT name, cert_pem, sha256_lf, key_pkcs8, status, revoke_reason FROM authorities ORDER BY name",
               "SELECT id, state FROM installs ORDER BY id",
               "SELECT * FROM audit_log ORDER BY id",
               "SELECT key, value FROM meta WHERE key IN ('passphrase_verifier', 'audit_head') ORDER BY key")

    def content(db):
        try:
            return [query(db, q) for q in covered]
        except sqlite3.DatabaseError as e:
            return str(e)

    original = content(ws.db)
    with open(ws.db, "rb") as f:
        data = f.read()
    rng = random.Random(20261205)
    caught = passed_unchanged = 0
    for n in range(int(os.environ.get("TAMPER_COPIES", "60"))):
        damaged = bytearray(data)
        for _flip in range(rng.randint(1, 8)):
            at = rng.randrange(100, len(damaged))  # past the header, which sqlite3 itself refuses
            damaged[at] ^= 1 << rng.randrange(8)
        copy = ws.path(f"flip-{n}.db")
        with open(copy, "wb") as f:
            f.write(damaged)
        r = verify(ws, copy)
        tap.ok(r.returncode in (0, 1), f"copy {n} ends cleanly: {r!r}")
        if r.returncode == 1:
            caught += 1
        else:
            tap.ok(content(copy) == original, f"copy {n} verified with changed content")
            passed_unchanged += 1
        os.unlink(copy)
    print(f"# bit flips: {caught} copies refused, {passed_unchanged} verified with nothing covered changed")
    tap.ok(caught > 0, f"{caught} caught, {passed_unchanged} changed nothing covered")


@tap.test("a ledger from before the keyed log is upgraded on its first unlock: new verifier, rewrapped keys",
          file_only="ledgers from before the keyed log were only ever files")
def _():
    import hashlib
    ws = tamper_base()
    # Turn it into what an earlier Tagsmith wrote: verifier and keys with scrypt p=1, SHA-256 links.
    con = sqlite3.connect(ws.db)
    salt = os.urandom(16)
    digest = hashlib.scrypt(PASS.encode(), salt=salt, n=16384, r=8, p=1, maxmem=64 << 20, dklen=32)
    con.execute("UPDATE meta SET value = ? WHERE key = 'passphrase_verifier'",
                (f"scrypt$16384$8$1${salt.hex().upper()}${digest.hex().upper()}",))
    for name, key in con.execute("SELECT name, key_pkcs8 FROM authorities").fetchall():
        legacy = subprocess.run(["openssl", "pkcs8", "-topk8", "-scrypt", "-scrypt_N", "16384", "-scrypt_r", "8",
                                 "-scrypt_p", "1", "-v2", "aes-256-cbc", "-passin", "pass:" + PASS, "-passout",
                                 "pass:" + PASS], input=key, capture_output=True, text=True, check=True).stdout
        con.execute("UPDATE authorities SET key_pkcs8 = ? WHERE name = ?", (legacy, name))
    prev = "0" * 64
    for row in con.execute("SELECT id, at, actor, action, imei, details FROM audit_log ORDER BY id").fetchall():
        text = f"v1\n{row[0]}\n{row[1]}\n{row[2]}\n{row[3]}\n{row[4] or ''}\n{row[5]}\n{prev}"
        h = hashlib.sha256(text.encode()).hexdigest().upper()
        con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, row[0]))
        prev, last = h, row[0]
    con.execute("UPDATE meta SET value = ? WHERE key = 'audit_head'", (f"{last}:{prev}",))
    con.commit()
    con.close()

    r = ws.cli("audit", "verify", pass_="not the passphrase")
    tap.eq(r.returncode, 1)
    tap.contains(r.stderr, "wrong")
    # Verifying only reads: the upgrade happens in a copy in memory and the file keeps its bytes.
    with open(ws.db, "rb") as f:
        before = f.read()
    r = verify(ws, ws.db)
    tap.eq(r.returncode, 0, repr(r))
    with open(ws.db, "rb") as f:
        tap.ok(f.read() == before, "audit verify changed a ledger from before the keyed log")
    # The first verb that writes upgrades the file.
    ws.cli("crl", "--ca", "Root", pass_=PASS, check=True)
    r = verify(ws, ws.db)
    tap.eq(r.returncode, 0, repr(r))
    verifier = query(ws.db, "SELECT value FROM meta WHERE key = 'passphrase_verifier'")[0][0]
    tap.ok(verifier.startswith("scrypt2$16384$8$8$"), verifier)
    actions = [a for (a,) in query(ws.db, f"SELECT action FROM audit_log WHERE id > {last} ORDER BY id")]
    tap.eq(actions, ["ca.rewrap", "ca.rewrap", "ledger.rekey", "crl"])
    for (key,) in query(ws.db, "SELECT key_pkcs8 FROM authorities"):
        text = subprocess.run(["openssl", "asn1parse"], input=key, capture_output=True, text=True).stdout
        tap.eq(re.findall(r"INTEGER\s+:(\w+)", text)[:3], ["4000", "08", "08"], "N=2^14, r=8, p=8")
        r = subprocess.run(["openssl", "pkey", "-noout", "-passin", "pass:" + PASS], input=key,
                           capture_output=True, text=True)
        tap.eq(r.returncode, 0, "stock openssl pkey still reads it: " + r.stderr)
    ws.cli("issue", "--ca", "Issuing", "--imei", imei(7400), "--new-key", "--key-out", ws.path("k4.pem"),
           pass_=PASS, check=True)
    tap.eq(verify(ws, ws.db).returncode, 0)


tap.done()
