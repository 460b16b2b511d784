"""The provisioning fault matrix: the cable pulled after the k-th byte of the
session (k stepping through the whole transcript), the CLI killed with SIGKILL
at each step, and the modem rebooting mid-session. After each fault the ledger
passes integrity_check, no certificate is marked installed unless an install of
it was verified, every install claimed verified is backed by the bytes the
emulated modem really stores (its state file), and a second run completes and
leaves no superseded certificate valid whose key is gone.

The hang-up sweep is bounded for CI by a stride: by default about 24 evenly
spaced points cover the transcript. TAGSMITH_FAULT_STRIDE=1 cuts after every
single byte; `tests/bench/bench-provision.py sweep` runs that full sweep."""

import json
import os
import select
import signal
import sqlite3
import subprocess
import threading
import tty

from tsharness import SOURCE_ROOT, Tap, Workspace, check_store_matches_ledger, luhn_imei

tap = Tap()
PASS = "provision-fault-passphrase"
SERVER_CA = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision", "server-root.pem")
SEC_TAG = 16842753
EMULATOR_ARGS = ("--no-pacing", "--profile", "nrf9161", "--cfun", "1")


class CuttingProxy:
    """A pty that forwards to the emulator's pty and hangs up (closes both sides)
    once the host has written `cut_after` bytes. With cut_after=None it only counts."""

    def __init__(self, target, cut_after=None):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.target = os.open(target, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.target)
        self.cut_after = cut_after
        self.sent = 0
        self.received = 0
        self.cut = False
        self.stopping = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        while not self.stopping and not self.cut:
            ready, _, _ = select.select([self.master, self.target], [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if fd == self.master:
                    if self.cut_after is not None and self.sent + len(data) >= self.cut_after:
                        os.write(self.target, data[:self.cut_after - self.sent])
                        self.sent = self.cut_after
                        self._hang_up()
                        return
                    self.sent += len(data)
                    os.write(self.target, data)
                elif data:
                    self.received += len(data)
                    os.write(self.master, data)

    def _hang_up(self):
        self.cut = True
        for fd in (self.master, self.slave):
            os.close(fd)

    def close(self):
        self.stopping = True
        self.thread.join()
        if not self.cut:
            os.close(self.master)
            os.close(self.slave)
        os.close(self.target)


def workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


def provision_argv(ws, port):
    return ws.cli_argv("--json", "provision", "--port", port, "--ca", "Devices",
                       "--sec-tag", SEC_TAG, "--server-ca", SERVER_CA, pass_=PASS)


def provision(ws, port, timeout=60):
    argv, env = provision_argv(ws, port)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip() else None)


def check_ledger(ws, what):
    """integrity_check passes and nothing is marked installed without a verified install."""
    db = sqlite3.connect(ws.db)
    try:
        tap.eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", what)
        unverified = db.execute(
            "SELECT serial FROM certificates c WHERE installed_at IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM installs i WHERE i.certificate_id = c.id AND i.state = 'verified')"
        ).fetchall()
        tap.eq(unverified, [], f"{what}: installed certificates all have a verified install")
    finally:
        db.close()
    check_store_matches_ledger(tap, ws, what, settled=False)


def second_run_completes(ws, port, what):
    proc, out = provision(ws, port)
    tap.eq(proc.returncode, 0, f"{what}: second run: {proc.stderr}")
    tap.ok(out["outcome"] in ("provisioned", "already-provisioned"), out)
    db = sqlite3.connect(ws.db)
    try:
        open_installs = db.execute(
            "SELECT COUNT(*) FROM installs WHERE imei = ? AND state IN ('intent', 'written')",
            (out["imei"],)).fetchone()[0]
        state = db.execute(
            "SELECT state FROM installs WHERE imei = ? AND sha256 = ? ORDER BY id DESC LIMIT 1",
            (out["imei"], out["sha256"])).fetchone()[0]
    finally:
        db.close()
    tap.eq(open_installs, 0, f"{what}: every open intent was settled")
    tap.eq(state, "verified", what)
    check_ledger(ws, f"{what}, after the second run")
    check_store_matches_ledger(tap, ws, f"{what}, after the second run")
    return out


imei_counter = iter(range(35265610000000, 35265619999999))


@tap.test("hang-up after the k-th byte, k stepping through the whole session")
def _():
    ws = workspace()

    # The transcript length of one clean session, measured through the proxy.
    emu = ws.kit(*EMULATOR_ARGS, "--imei", luhn_imei(next(imei_counter)))
    counter = CuttingProxy(emu.port)
    proc, out = provision(ws, counter.path)
    counter.close()
    tap.eq(proc.returncode, 0, proc.stderr)
    total = counter.sent
    tap.ok(total > 1000, f"a session writes the certificates: {total} bytes")

    stride = int(os.environ.get("TAGSMITH_FAULT_STRIDE", "0")) or max(1, total // 24)
    points = list(range(1, total, stride))
    failures = 0
    for k in points:
        emu = ws.kit(*EMULATOR_ARGS, "--imei", luhn_imei(next(imei_counter)))
        proxy = CuttingProxy(emu.port, cut_after=k)
        proc, out = provision(ws, proxy.path)
        proxy.close()
        failures += proc.returncode != 0
        if proc.returncode != 0:
            tap.ok(proc.stderr.strip().splitlines()[-1].startswith("tagsmith: "), proc.stderr)
        check_ledger(ws, f"cut after byte {k} of {total}")
        second_run_completes(ws, emu.port, f"cut after byte {k}")
        emu.stop()
    tap.eq(failures, len(points), "every cut inside the session fails the run")
    print(f"# {len(points)} hang-up points over {total} bytes (stride {stride})")


STEPS = ["identify", "check", "offline", "keygen", "issue", "server-ca", "client-cert",
         "verify", "restore", "record"]
STEP_MESSAGES = {
    "identify": "Identifying", "check": "Checking", "offline": "Switching the modem offline",
    "keygen": "Generating the key", "issue": "Signing", "server-ca": "Writing the CA certificate",
    "client-cert": "Writing the client certificate", "verify": "Listing sec_tag",
    "restore": "Switching the modem back", "record": "Recording",
}


def kill_at(ws, verb, port, step):
    """Runs `tagsmith VERB` and SIGKILLs it as soon as it announces @step."""
    argv, env = ws.cli_argv(verb, "--port", port, "--ca", "Devices", "--sec-tag", SEC_TAG,
                            "--server-ca", SERVER_CA, pass_=PASS)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    killed = False
    for line in proc.stderr:
        if STEP_MESSAGES[step] in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    tap.ok(killed, f"{verb}: step {step} was reached")


@tap.test("SIGKILL of the CLI at each step")
def _():
    ws = workspace()
    for step in STEPS:
        emu = ws.kit(*EMULATOR_ARGS, "--imei", luhn_imei(next(imei_counter)))
        kill_at(ws, "provision", emu.port, step)
        check_ledger(ws, f"killed at {step}")
        second_run_completes(ws, emu.port, f"killed at {step}")
        emu.stop()


def key_installs(ws, imei):
    """(id, state, detail) of the IMEI's %KEYGEN key installs, which have no SHA-256."""
    db = sqlite3.connect(ws.db)
    try:
        return db.execute("SELECT id, state, detail FROM installs WHERE imei = ? AND cred_type = 2 AND "
                          "sha256 IS NULL ORDER BY id", (imei,)).fetchall()
    finally:
        db.close()


@tap.test("killed right after %KEYGEN: the key's intent is open, and the next run settles it")
def _():
    ws = workspace()
    imei = luhn_imei(next(imei_counter))
    emu = ws.kit(*EMULATOR_ARGS, "--imei", imei)
    kill_at(ws, "provision", emu.port, "issue")
    check_ledger(ws, "killed after %KEYGEN")
    before = key_installs(ws, imei)
    tap.eq(len(before), 1, before)
    tap.eq(before[0][1], "written", "the key is in the modem; the intent is not yet verified")
    second_run_completes(ws, emu.port, "killed after %KEYGEN")
    after = dict((row[0], row[1:]) for row in key_installs(ws, imei))
    first = before[0][0]
    db = sqlite3.connect(ws.db)
    try:
        settled = db.execute("SELECT details FROM audit_log WHERE action = 'install.verified' AND "
                             "json_extract(details, '$.install') = ?", (first,)).fetchall()
    finally:
        db.close()
    tap.eq(len(settled), 1, settled)
    tap.contains(settled[0][0], "found on the modem", "the next run found the key and settled it")
    # That run then replaced the lone key with a new one, and says so.
    tap.eq(after[first], ("removed", "deleted from the modem"), after)
    tap.eq(after[max(after)][0], "verified", after)
    emu.stop()


@tap.test("a re-key killed after the new key was made is not taken for provisioned")
def _():
    ws = workspace()
    emu = ws.kit(*EMULATOR_ARGS, "--imei", luhn_imei(next(imei_counter)))
    proc, first = provision(ws, emu.port)
    tap.eq(proc.returncode, 0, proc.stderr)
    kill_at(ws, "rekey", emu.port, "issue")
    check_ledger(ws, "re-key killed after %KEYGEN")
    proc, out = provision(ws, emu.port)
    tap.eq(proc.returncode, 0, proc.stderr)
    tap.eq(out["outcome"], "provisioned", "the old certificate no longer matches the key")
    tap.ok(out["serial"] != first["serial"], out)


@tap.test("Ctrl-C during key generation: advice, and the modem back in its mode")
def _():
    ws = workspace()
    # Paced, with a slow key generation, so the interrupt lands while the modem is busy:
    # once the emulator has the command (--verbose shows its traffic).
    emu = ws.kit("--profile", "nrf9161", "--cfun", "1", "--keygen-ms=1500", "--verbose",
                      "--imei", luhn_imei(next(imei_counter)))
    argv, env = ws.cli_argv("provision", "--port", emu.port, "--ca", "Devices",
                            "--sec-tag", SEC_TAG, pass_=PASS)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for line in proc.stderr:
        if STEP_MESSAGES["keygen"] in line:
            emu.wait_for_command("%KEYGEN")
            proc.send_signal(signal.SIGINT)
            break
    err = proc.stderr.read()
    proc.wait(timeout=60)
    proc.stdout.close()
    proc.stderr.close()
    tap.eq(proc.returncode, 1, err)
    tap.contains(err, "interrupted during")
    info = json.loads(ws.cli("--json", "info", "--port", emu.port, check=True).stdout)
    tap.eq(info["functional_mode"], 1, "the modem is back online")
    check_ledger(ws, "interrupted")
    second_run_completes(ws, emu.port, "interrupted")


@tap.test("the modem reboots mid-session")
def _():
    ws = workspace()
    for after in (8, 12, 14, 16):
        emu = ws.kit(*EMULATOR_ARGS, "--imei", luhn_imei(next(imei_counter)),
                          "--fault", f"reboot-after={after}")
        proc, out = provision(ws, emu.port)
        check_ledger(ws, f"reboot after command {after}")
        if proc.returncode != 0:
            tap.ok(proc.stderr.strip().splitlines()[-1].startswith("tagsmith: "), proc.stderr)
        second_run_completes(ws, emu.port, f"reboot after command {after}")
        emu.stop()


tap.done()
