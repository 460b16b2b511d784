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

from tsharness import TAGSMITH, Tap, Workspace

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

    con = sqlite3.connect(ws.db)
    total, distinct = con.execute("SELECT count(*), count(DISTINCT serial) FROM certificates").fetchone()
    devices = con.execute("SELECT count(*) FROM devices").fetchone()[0]
    issues = con.execute("SELECT count(*) FROM audit_log WHERE action = 'issue'").fetchone()[0]
    con.close()
    tap.eq(total, 4 * PER_PROCESS)
    tap.eq(distinct, total)
    tap.eq(devices, 4 * PER_PROCESS)
    tap.eq(issues, 4 * PER_PROCESS)
    r = ws.cli("audit", "verify", check=True)
    tap.contains(r.stdout, f"{4 * PER_PROCESS + 3} events")


def private_scalars(pem_text, passphrase=None):
    """The raw private key bytes of a PEM key, as hex, to search for in files."""
    args = ["openssl", "pkey", "-text", "-noout"]
    if passphrase:
        args += ["-passin", "pass:" + passphrase]
    text = subprocess.run(args, input=pem_text, capture_output=True, text=True, check=True).stdout
    block = re.search(r"priv:\n((?:\s+[0-9a-f:]+\n)+)", text).group(1)
    return re.sub(r"[\s:]", "", block).lstrip("0")[-64:]


@tap.test("no private key or passphrase in the clear: database dump, WAL, temporary files, logs")
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


@tap.test("read-only verbs work on a write-protected ledger and never change it")
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
        argv, env = ws.cli_argv(*verb)
        wrapped = on_read_only_media(media, argv)
        if wrapped is None:
            print("# no mount namespace here: the ledger's bytes and time are compared instead")
            wrapped = argv
        r = subprocess.run(wrapped, capture_output=True, text=True, env=env, timeout=120)
        tap.eq(r.returncode, 0, f"{verb}: {r.stderr}")
        tap.eq(file_state(db), before, f"{verb} changed the ledger")
    # Where the folder is writable too, reading leaves the file as it was.
    for verb in READ_ONLY_VERBS:
        r = ws.cli(*verb)
        tap.eq(r.returncode, 0, f"{verb}: {r.stderr}")
    tap.eq(file_state(db), before)
    tap.eq(ws.cli("--db", ws.path("copy.db"), "ca", "list").returncode, 0)


@tap.test("a mistyped --db is never created by a verb that reads; a verb that writes says it creates one")
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


@tap.test("an empty file or another program's database given as --db is refused and left as it is")
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


@tap.test("backup refuses a symbolic link at the target")
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


tap.done()
