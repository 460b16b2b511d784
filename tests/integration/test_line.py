"""`tagsmith line`, the production bench: three emulated kits appearing and
disappearing, one of them failing; PASS/FAIL lines with a running count, Ctrl-C
writing the lot report, and a second session of the lot skipping done units."""

import csv
import json
import queue
import signal
import subprocess
import threading
import time

from tsharness import SilentPort, Tap, Workspace, luhn_imei

tap = Tap()
PASS = "line-test-passphrase"
IMEI_A = luhn_imei(35265610012001)
IMEI_B = luhn_imei(35265610012002)
IMEI_C = luhn_imei(35265610012003)


class Bench:
    """A running `tagsmith line`, its output lines collected as they come."""

    def __init__(self, ws, *args):
        argv, env = ws.cli_argv("line", "--ca", "Devices", "--sec-tag", 7, "--lot", "L1",
                                "--report", ws.path("lot-L1"), *args, pass_=PASS)
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.backlog = []
        self.stderr = []
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines.put),
                                         daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr.append),
                                         daemon=True)]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream, sink):
        for line in stream:
            sink(line.rstrip("\n"))

    def expect(self, label, imei, timeout=60):
        """Waits for the `label` line of `imei`, skipping the "...." progress lines. Units run
        in parallel, so another unit's line may come first: it is kept for a later expect()."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [l for l in self.backlog if imei in l]
            if waiting:
                line = waiting[0]
                self.backlog.remove(line)
            else:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
                if line.startswith("...."):
                    continue
                if imei not in line:
                    self.backlog.append(line)
                    continue
            tap.ok(line.startswith(label), f"want {label} for {imei}, got: {line}")
            return line

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        for reader in self.readers:  # they stop at the end of the output: every line is in
            reader.join(timeout=60)
        rest = list(self.backlog)
        while not self.lines.empty():
            rest.append(self.lines.get())
        return rest


def workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


@tap.test("three kits come and go, one fails; Ctrl-C writes the report; the lot resumes")
def _():
    ws = workspace()
    bench = Bench(ws, "--parallel")

    a = ws.emulator("--no-pacing", "--profile", "nrf9161", "--imei", IMEI_A)
    line = bench.expect("PASS", IMEI_A)
    tap.contains(line, "[1 passed, 0 failed]")
    b = ws.emulator("--no-pacing", "--profile", "nrf9160-legacy", "--imei", IMEI_B)
    line = bench.expect("FAIL", IMEI_B)
    tap.contains(line, "--host-key", "the reason says what to do")
    tap.contains(line, "[1 passed, 1 failed]")
    a.stop()
    c = ws.emulator("--no-pacing", "--profile", "nrf9151", "--imei", IMEI_C)
    line = bench.expect("PASS", IMEI_C)
    tap.contains(line, "[2 passed, 1 failed]")

    rest = bench.interrupt()
    tap.eq(bench.proc.returncode, 3, f"the lot has a failed unit: {bench.stderr}")
    tap.ok(any("Lot L1: 2 passed, 1 failed" in l for l in rest), rest)

    with open(ws.path("lot-L1.csv"), newline="") as f:
        rows = {r["imei"]: r for r in csv.DictReader(f)}
    tap.eq(sorted(rows), sorted([IMEI_A, IMEI_B, IMEI_C]))
    tap.eq(rows[IMEI_A]["result"], "PASS")
    tap.eq(rows[IMEI_B]["result"], "FAIL")
    tap.eq(rows[IMEI_C]["ca"], "Devices")
    tap.eq(rows[IMEI_C]["sec_tag"], "7")
    tap.eq(len(rows[IMEI_A]["sha256"]), 64)
    with open(ws.path("lot-L1.json")) as f:
        report = json.load(f)
    tap.eq((report["lot"], report["passed"], report["failed"]), ("L1", 2, 1))
    show = json.loads(ws.cli("--json", "fleet", "show", IMEI_A, check=True).stdout)
    tap.eq(show["lot"], "L1", "the ledger knows the unit's lot")
    tap.eq(rows[IMEI_A]["serial"], show["certificates"][0]["serial"])

    # The same lot again, one kit at a time: the done units are skipped, the
    # failed one is tried again, and a returning kit is recognised by its IMEI.
    bench = Bench(ws)
    bench.expect("SKIP", IMEI_C)
    bench.expect("FAIL", IMEI_B)
    ws.emulator("--no-pacing", "--profile", "nrf9161", "--imei", IMEI_A)
    bench.expect("SKIP", IMEI_A)
    bench.interrupt()
    tap.eq(bench.proc.returncode, 3, bench.stderr)
    with open(ws.path("lot-L1.json")) as f:
        report = json.load(f)
    tap.eq((report["passed"], report["failed"], len(report["units"])), (2, 1, 3))
    b.stop()
    c.stop()


@tap.test("--units stops by itself; --json prints the summary")
def _():
    ws = workspace()
    ws.emulator("--no-pacing", "--profile", "nrf9161", "--imei", IMEI_A)
    ws.emulator("--no-pacing", "--profile", "nrf9160", "--imei", IMEI_C)
    r = ws.cli("--json", "line", "--ca", "Devices", "--sec-tag", 7, "--lot", "L2",
               "--report", ws.path("r"), "--parallel", "--units", 2, pass_=PASS, timeout=120)
    tap.eq(r.returncode, 0, r)
    out = json.loads(r.stdout)
    tap.eq((out["lot"], out["passed"], out["failed"]), ("L2", 2, 0))
    tap.eq(out["report_csv"], ws.path("r.csv"))


@tap.test("units that fail before their IMEI is read are FAILs, reported with port and reason")
def _():
    ws = workspace()
    silent = SilentPort()       # nothing behind it: a wrong port, a bridge that never answers
    silent.register(ws)
    mute = ws.emulator("--no-pacing", "--fault", "drop-final=+CGSN")   # never tells its IMEI
    bench = Bench(ws, "--parallel", "--units", 2, "--timeout", 1, "--rtscts")
    silent.read_some(bench.proc)
    tap.ok(silent.flow_control(), "--rtscts reaches each kit's port")

    # The port, then two blanks, ends the port column of a FAIL line without an IMEI.
    first = bench.expect("FAIL", f" {silent.port}  ")
    tap.contains(first, "answers AT commands")
    second = bench.expect("FAIL", f" {mute.port}  ")
    tap.contains(second, "did not answer within 1 s", "the bench's --timeout, not the default")
    tap.eq(sorted(l[l.rindex("["):] for l in (first, second)),
           ["[0 passed, 1 failed]", "[0 passed, 2 failed]"], "both are counted")
    bench.proc.wait(timeout=600)
    tap.eq(bench.proc.returncode, 3, bench.stderr)

    with open(ws.path("lot-L1.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    unknown = {r["port"]: r for r in rows if r["imei"] == ""}
    tap.eq(sorted(unknown), sorted([silent.port, mute.port]), rows)
    tap.eq(len(rows), 2, rows)
    tap.ok(all(r["result"] == "FAIL" and r["ca"] == "Devices" for r in unknown.values()), rows)
    tap.contains(unknown[silent.port]["reason"], f"Nothing on {silent.port} answers AT commands")
    with open(ws.path("lot-L1.json")) as f:
        report = json.load(f)
    tap.eq((report["passed"], report["failed"], len(report["units"])), (0, 2, 2))
    tap.eq(sorted(u["port"] for u in report["units"] if u["imei"] is None),
           sorted([silent.port, mute.port]))
    silent.close()


@tap.test("--help says what the exit status means")
def _():
    ws = workspace()
    r = ws.cli("line", "--help")
    tap.eq(r.returncode, 0, r)
    tap.contains(r.stdout, "3 when the lot has units whose latest attempt failed")
    tap.contains(r.stdout, "--timeout")
    tap.contains(r.stdout, "--rtscts")


@tap.test("a report of another lot is refused with advice")
def _():
    ws = workspace()
    ws.write("r.json", json.dumps({"lot": "other", "units": []}))
    r = ws.cli("line", "--ca", "Devices", "--sec-tag", 7, "--lot", "L3", "--report",
               ws.path("r"), pass_=PASS)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "--lot other")


tap.done()
