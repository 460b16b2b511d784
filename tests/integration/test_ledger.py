"""The ledger under pressure: four processes issuing into one file at once, and a
search for private keys or the passphrase anywhere they must not be."""

import glob
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


tap.done()
