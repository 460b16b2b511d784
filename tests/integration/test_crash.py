#!/usr/bin/python3
"""Crash consistency: SIGKILL the CLI at random points of batch issuance, revocation and
provisioning, then check that the ledger is still whole and tells the truth.

After every round:
  - the ledger opens; PRAGMA integrity_check says ok and foreign_key_check finds nothing;
  - nothing acknowledged is lost: every certificate the ledger ever held is still there,
    unchanged; every serial a finished batch printed is there; every revocation that
    returned 0 is still revoked;
  - no serial is used twice, by a device certificate or an authority;
  - every complete certificate that reached a file (--out-dir) or the modem (the
    emulator's --state flash) is in the ledger, and every install the ledger
    claims as verified is backed by the bytes that flash holds;
  - `tagsmith audit verify` passes.

CRASH_ROUNDS sets the number of rounds (default 300: under a minute, two under ASan).
CRASH_SEED (default fixed) picks the operations, rows and kill delays; the kills still land
wherever the process happens to be at that moment, so vary the seed for new ground.
"""

import base64
import configparser
import json
import os
import random
import re
import sqlite3
import subprocess
import time

from tsharness import Failure, Tap, Workspace, SOURCE_ROOT, luhn_imei, store_vs_ledger

PASS = "crash-test passphrase"
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "300"))
SEED = int(os.environ.get("CRASH_SEED", "20261122"))
SEC_TAG = 16842753
PEM_BODY = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)

tap = Tap()
rng = random.Random(SEED)


def cert_bodies(text):
    """The base64 bodies of the complete certificates in text, whitespace removed."""
    return {re.sub(r"\s+", "", m) for m in PEM_BODY.findall(text)}


class Bench:
    """One ledger with a root and an intermediate, a modem, and what has been acknowledged."""

    def __init__(self):
        self.ws = Workspace()
        self.ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
        self.ws.cli("ca", "intermediate", "--name", "Sub", "--parent", "Root", pass_=PASS, check=True)
        self.state = self.ws.path("modem.state")
        self.modem = self.ws.emulator("--no-pacing", "--keygen-ms", "0", "--flash-ms", "0",
                                      "--attach-ms", "0", "--state", self.state)
        self.server_ca = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision", "server-root.pem")
        self.next_imei = 35265610000000
        self.seen = {}            # (authority_id, serial) -> pem: every row ever read
        self.acked_serials = set()
        self.acked_revoked = set()  # IMEIs whose revocation returned 0
        self.revoked = set()        # (authority_id, serial) seen revoked
        self.issued_imeis = []
        self.out_dirs = []
        self.durations = {}
        self.files_checked = self.device_checked = 0
        self.kills = {"batch": 0, "revoke": 0, "provision": 0}
        self.completed = {"batch": 0, "revoke": 0, "provision": 0}

    def new_csr(self, name):
        path = self.ws.path(name + ".csr")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", "/dev/null", "-subj", "/CN=" + name, "-out", path],
                       check=True, capture_output=True)
        return path

    def run_killed(self, kind, argv_args, deadline_hint):
        """Runs the CLI and SIGKILLs it at a random moment within its usual duration.
        Returns (killed, returncode, stdout)."""
        argv, env = self.ws.cli_argv(*argv_args, pass_=PASS)
        usual = self.durations.get(kind)
        delay = rng.uniform(0, usual * 1.2) if usual else None
        start = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=delay if delay is not None else deadline_hint)
            killed = False
        except subprocess.TimeoutExpired:
            if delay is None:
                raise
            proc.kill()
            out, err = proc.communicate()
            killed = True
        if not killed and usual is None:
            self.durations[kind] = time.monotonic() - start
        if killed:
            self.kills[kind] += 1
        else:
            self.completed[kind] += 1
            if proc.returncode not in (0, 1):
                raise Failure(f"{kind} exited {proc.returncode}: {err}")
        return killed, proc.returncode, out

    def round_batch(self, n):
        rows = []
        for i in range(rng.randint(2, 6)):
            if self.issued_imeis and rng.random() < 0.2:
                imei = rng.choice(self.issued_imeis)   # a re-issue for a known device
            else:
                imei = luhn_imei(self.next_imei)
                self.next_imei += 1
            if imei in (r[0] for r in rows):
                continue
            rows.append((imei, self.new_csr(f"r{n}-{i}")))
        csv = self.ws.write(f"batch-{n}.csv", "imei,csr\n" + "".join(f"{i},{c}\n" for i, c in rows))
        out_dir = self.ws.path(f"out-{n}")
        self.out_dirs.append(out_dir)
        killed, rc, out = self.run_killed("batch", ["--json", "issue-batch", "--ca", "Sub", "--input", csv,
                                                    "--out-dir", out_dir], 120)
        if not killed:
            for row in json.loads(out):
                if row.get("serial"):
                    self.acked_serials.add(row["serial"])
                    self.issued_imeis.append(row["imei"])

    def round_revoke(self, n):
        if not self.issued_imeis:
            return self.round_batch(n)
        imei = rng.choice(self.issued_imeis)
        killed, rc, out = self.run_killed("revoke", ["revoke", "--ca", "Sub", "--imei", imei,
                                                     "--reason", "keyCompromise"], 60)
        if not killed and rc == 0:
            self.acked_revoked.add(imei)

    def round_provision(self, n):
        killed, rc, out = self.run_killed("provision", ["--json", "provision", "--port", self.modem.port, "--ca", "Sub",
                                      "--sec-tag", SEC_TAG, "--server-ca", self.server_ca, "--force"], 120)
        if not killed and rc == 0:
            serial = json.loads(out).get("serial")
            if not serial:
                raise Failure(f"provision succeeded without naming its certificate: {out}")
            self.acked_serials.add(serial)

    def check(self, label):
        db = sqlite3.connect(f"file:{self.ws.db}?mode=ro", uri=True, timeout=30)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                raise Failure(f"{label}: integrity_check: {integrity}")
            fk = db.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                raise Failure(f"{label}: foreign_key_check: {fk}")
            rows = db.execute("SELECT authority_id, serial, pem, imei, status FROM certificates").fetchall()
            ca_serials = [r[0] for r in db.execute("SELECT serial FROM authorities")]
        finally:
            db.close()

        current = {(a, s): pem for a, s, pem, _, _ in rows}
        for key, pem in self.seen.items():
            if current.get(key) != pem:
                raise Failure(f"{label}: certificate {key} was in the ledger and is now "
                              f"{'changed' if key in current else 'gone'}")
        self.seen = current

        serials = [s for _, s, _, _, _ in rows] + ca_serials
        if len(serials) != len(set(serials)):
            dup = sorted({s for s in serials if serials.count(s) > 1})
            raise Failure(f"{label}: serials used twice: {dup}")

        have = {s for _, s, _, _, _ in rows}
        lost = self.acked_serials - have
        if lost:
            raise Failure(f"{label}: acknowledged certificates missing: {sorted(lost)}")
        # Revoked stays revoked; later certificates for the same IMEI may be valid.
        revoked_now = {(a, s) for a, s, _, _, st in rows if st == "revoked"}
        if self.revoked - revoked_now:
            raise Failure(f"{label}: revocations undone: {sorted(self.revoked - revoked_now)}")
        self.revoked = revoked_now
        for imei in self.acked_revoked:
            if not any(i == imei and st == "revoked" for _, _, _, i, st in rows):
                raise Failure(f"{label}: the acknowledged revocation of {imei} is missing")

        bodies = set()
        for pem in current.values():
            bodies |= cert_bodies(pem)
        self.check_files(label, bodies)
        self.check_device(label, bodies)

        r = self.ws.cli("audit", "verify", pass_=PASS)
        if r.returncode != 0:
            raise Failure(f"{label}: audit verify failed: {r!r}")

    def check_files(self, label, bodies):
        for d in self.out_dirs:
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                with open(os.path.join(d, name)) as f:
                    for body in cert_bodies(f.read()):
                        self.files_checked += 1
                        if body not in bodies:
                            raise Failure(f"{label}: {d}/{name} holds a certificate the ledger does not")

    def check_device(self, label, bodies):
        if not os.path.exists(self.state):
            return
        state = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
        state.read(self.state)
        for group in state.sections():
            if not group.startswith("Credential ") or state[group].get("Type") != "1":
                continue
            content = base64.b64decode(state[group]["Content"]).decode("ascii", "replace")
            for body in cert_bodies(content):
                self.device_checked += 1
                if body not in bodies:
                    raise Failure(f"{label}: the modem holds a client certificate (sec_tag "
                                  f"{state[group]['Tag']}) that the ledger does not")
        # A kill may leave installs open, never a claim the modem does not back.
        problems = store_vs_ledger(self.ws.db, self.state, settled=False)
        if problems:
            raise Failure(f"{label}: the ledger claims what the modem does not hold: {problems}")


bench = None


@tap.test("a fresh ledger, modem and CA chain pass every check")
def _():
    global bench
    print(f"# CRASH_SEED={SEED} CRASH_ROUNDS={ROUNDS}")
    bench = Bench()
    bench.check("setup")


@tap.test("every kind of operation completes once, uninterrupted, and is acknowledged")
def _():
    bench.round_batch(0)
    bench.check("first batch")
    bench.round_revoke(1)
    bench.check("first revoke")
    bench.round_provision(2)
    bench.check("first provision")
    tap.eq(sorted(bench.durations), ["batch", "provision", "revoke"], "each operation timed once")
    tap.ok(bench.acked_serials, "the first batch acknowledged certificates")


@tap.test(f"{ROUNDS} rounds of SIGKILL during batch issuance, revocation and provisioning")
def _():
    ops = [bench.round_batch] * 4 + [bench.round_revoke] * 3 + [bench.round_provision] * 3
    for n in range(3, ROUNDS + 3):
        op = rng.choice(ops)
        op(n)
        bench.check(f"round {n} ({op.__name__})")
    print(f"# killed: {bench.kills}; ran to completion: {bench.completed}; "
          f"certificates: {len(bench.seen)}; acknowledged serials: {len(bench.acked_serials)}; "
          f"file and modem certificate checks: {bench.files_checked}, {bench.device_checked}")
    tap.ok(sum(bench.kills.values()) >= ROUNDS // 3, f"too few kills landed: {bench.kills}")
    tap.ok(bench.files_checked > 0 and bench.device_checked > 0,
           f"the file and modem checks saw {bench.files_checked} and {bench.device_checked} certificates")


tap.done()
