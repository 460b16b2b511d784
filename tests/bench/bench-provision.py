#!/usr/bin/python3
"""Provisioning benchmarks against tagsmith-emulator paced at 115200 baud.

  single    one device: wall time of the flow against its floor, the bytes
            actually exchanged at 11,520 bytes/s plus the emulator's modelled
            modem time (key generation and one flash write per stored change)
  bench     `tagsmith line` with 8 emulators at once: units per minute, and the
            speed-up over one unit at a time (8.0 would be perfect)
  sweep     the full fault sweep: the hang-up test at every byte of the session
            (tests/integration/test_provision_faults.py with TAGSMITH_FAULT_STRIDE=1)
  benches   one bench of --units kits on a ledger file, then 1, 2 and 4 such benches (--benches)
            at once on one ledger on the PostgreSQL server --server URI names: units per
            minute, and the median unit time against the file bench's

Usage (from the source root, after building into BUILD):
  TAGSMITH=BUILD/src/tagsmith TAGSMITH_EMULATOR=BUILD/firmware/tagsmith-emulator \\
    /usr/bin/python3 tests/bench/bench-provision.py [single|bench|sweep] [--runs N]
  ... bench-provision.py benches [--server URI] [--benches 1 2 4] [--units 8]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import tsharness  # noqa: E402
from tsharness import Workspace, luhn_imei  # noqa: E402

PASS = "bench-provision-passphrase"
BYTES_PER_SECOND = 11520      # 115200 baud, 10 bits per byte
KEYGEN_MS = 1500              # fixed, so the floor is known exactly
FLASH_MS = 100
EMULATOR_ARGS = ("--baud", "115200", f"--keygen-ms={KEYGEN_MS}", f"--flash-ms={FLASH_MS}",
                 "--cfun", "1")


def workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


def single(runs):
    ws = workspace()
    server_ca = os.path.join(HERE, "..", "unit", "data", "provision", "server-root.pem")
    ratios, walls, floors = [], [], []
    for i in range(runs):
        emu = ws.emulator(*EMULATOR_ARGS, "--imei", luhn_imei(35265610090000 + i))
        start = time.monotonic()
        r = ws.cli("--json", "provision", "--port", emu.port, "--ca", "Devices", "--sec-tag", 7,
                   "--server-ca", server_ca, pass_=PASS, check=True)
        process_wall = time.monotonic() - start
        out = json.loads(r.stdout)
        stored_changes = sum(1 for s in out["steps"]
                             if s["name"] in ("keygen", "server-ca", "client-cert", "private-key"))
        exchanged = out["bytes_written"] + out["bytes_read"]
        floor = exchanged / BYTES_PER_SECOND + (KEYGEN_MS + stored_changes * FLASH_MS) / 1000
        wall = out["duration_ms"] / 1000
        ratios.append(wall / floor)
        walls.append(wall)
        floors.append(floor)
        print(f"run {i + 1}: flow {wall:.3f} s (process {process_wall:.3f} s), "
              f"{exchanged} bytes, floor {floor:.3f} s, ratio {wall / floor:.3f}")
        emu.stop()
    print(f"single: median flow {statistics.median(walls):.3f} s, floor "
          f"{statistics.median(floors):.3f} s, median ratio {statistics.median(ratios):.3f} "
          f"(target <= 1.15)")
    ws.close()
    return statistics.median(walls)


def bench(units, single_wall):
    ws = workspace()
    for i in range(units):
        ws.emulator(*EMULATOR_ARGS, "--imei", luhn_imei(35265610080000 + i))
    start = time.monotonic()
    r = ws.cli("--json", "line", "--ca", "Devices", "--sec-tag", 7, "--lot", "bench",
               "--report", ws.path("bench"), "--parallel", "--jobs", units, "--units", units,
               pass_=PASS, timeout=600)
    wall = time.monotonic() - start
    if r.returncode not in (0, 3):   # 3: the lot has failed units, listed below
        raise RuntimeError(f"tagsmith line failed: {r!r}")
    out = json.loads(r.stdout)
    with open(ws.path("bench.json")) as f:
        report = json.load(f)
    passed = report["passed"]
    for unit in report["units"]:
        if unit["result"] != "PASS":
            print(f"FAIL {unit['imei']}: {unit['reason']}")
    per_minute = passed / wall * 60
    speedup = units * single_wall / wall
    print(f"bench: {passed}/{units} units passed in {wall:.2f} s (process wall, including "
          f"unlock and discovery): {per_minute:.1f} units/min; {speedup:.2f}x one unit at a "
          f"time ({units}.00x would be perfect)")
    tap_ok = out["passed"] == units
    ws.close()
    return tap_ok


class Bench:
    """One bench of a shared ledger: its own runtime folder (so `line` finds only its own kits),
    its own station and kits, and `tagsmith line` reading them; the PASS lines are timed as
    they come, so a unit's time runs from its "...." line (IMEI read) to its PASS line."""

    def __init__(self, office, number, units):
        self.ws = Workspace(ledger=office.db)
        self.station = f"bench-{number}"
        self.lot = f"LOT-{number}"
        self.ws.cli("station", "enroll", self.station, "--parent", "Root", pass_=PASS, check=True)
        self.imeis = [luhn_imei(35265610100000 + 1000 * number + u) for u in range(units)]
        for imei in self.imeis:
            self.ws.emulator(*EMULATOR_ARGS, "--imei", imei)
        self.units = units
        self.lines = []

    def start(self):
        argv, env = self.ws.cli_argv("line", "--station", self.station, "--sec-tag", 7, "--lot", self.lot,
                                     "--report", self.ws.path("lot"), "--parallel", "--jobs", self.units,
                                     "--units", self.units, pass_=PASS)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.split()))

    def finish(self):
        err = self.proc.stderr.read()
        self.proc.wait(timeout=900)
        self.reader.join()
        self.ended = time.monotonic()
        if self.proc.returncode not in (0, 3):   # 3: the lot has failed units, listed below
            raise RuntimeError(f"tagsmith line at {self.station} failed ({self.proc.returncode}): {err}")
        with open(self.ws.path("lot.json")) as f:
            self.report = json.load(f)
        for unit in self.report["units"]:
            if unit["result"] != "PASS":
                print(f"FAIL at {self.station}, {unit['imei']}: {unit['reason']}")
        started = {words[2]: t for t, words in self.lines if words[:1] == ["...."]}
        self.unit_times = [t - started[words[2]] for t, words in self.lines
                           if words[:1] == ["PASS"] and words[2] in started]


def benches_row(count, units, server):
    """COUNT benches of UNITS kits at once on one new ledger (a database of its own on SERVER,
    or a file); returns the row's figures after checking what the ledger holds."""
    office = Workspace()
    if server:
        office.use_server_ledger()
    office.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    benches = [Bench(office, b, units) for b in range(count)]
    for b in benches:
        b.start()
    for b in benches:
        b.finish()
    wall = max(b.ended for b in benches) - min(b.started for b in benches)
    passed = sum(b.report["passed"] for b in benches)
    unit_times = [t for b in benches for t in b.unit_times]

    every = sorted(i for b in benches for i in b.imeis)
    per_unit = dict(office.query("SELECT imei, count(*) FROM certificates WHERE imei IS NOT NULL GROUP BY imei"))
    total, distinct = office.query("SELECT count(*), count(DISTINCT serial) FROM certificates")[0]
    lots = dict(office.query("SELECT imei, lot FROM devices"))
    audit = office.cli("audit", "verify", pass_=PASS)
    checks = {
        "each unit once": sorted(per_unit) == every and set(per_unit.values()) == {1},
        "each unit in its bench's lot": all(lots.get(i) == b.lot for b in benches for i in b.imeis),
        "no serial twice": total == distinct,
        "audit verify": audit.returncode == 0 and "chain intact" in audit.stdout,
        "a time for every unit": len(unit_times) == passed,
    }
    for ws in [office] + [b.ws for b in benches]:
        ws.close()
    return {"benches": count, "kits": count * units, "passed": passed, "wall": wall,
            "per_minute": passed / wall * 60, "median_unit": statistics.median(unit_times) if unit_times else float("nan"),
            "checks": checks}


def benches(counts, units, server):
    """The file bench first, then each count of benches on the server."""
    if server:
        tsharness.PG_URI = server
    print(f"Each kit paced at 115200 baud with --keygen-ms={KEYGEN_MS} --flash-ms={FLASH_MS}; the modems set "
          f"the pace while the file bench's median unit stays near one unit's flow (`single`).")
    print(f"| ledger | benches | kits | units passed | wall s | units/min | units/min per bench "
          f"| median unit s | vs file | checks |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    ok = True
    base = None
    for where, count in [("file", 1)] + [("PostgreSQL", c) for c in (counts if server else [])]:
        row = benches_row(count, units, server if where != "file" else None)
        base = base if base is not None else row["median_unit"]
        failed = [name for name, good in row["checks"].items() if not good]
        ok &= not failed and row["passed"] == row["kits"]
        print(f"| {where} | {count} | {row['kits']} | {row['passed']} | {row['wall']:.2f} | "
              f"{row['per_minute']:.1f} | {row['per_minute'] / count:.1f} | {row['median_unit']:.3f} | "
              f"{row['median_unit'] / base:.3f} | {'all pass' if not failed else 'FAILED: ' + ', '.join(failed)} |",
              flush=True)
    if not server:
        print("(no --server URI: the file bench only)")
    return ok


def sweep():
    env = dict(os.environ, TAGSMITH_FAULT_STRIDE="1")
    test = os.path.join(HERE, "..", "integration", "test_provision_faults.py")
    env["PYTHONPATH"] = os.path.join(HERE, "..", "integration")
    return subprocess.run(["/usr/bin/python3", test], env=env).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", "single", "bench", "sweep", "benches"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--benches", type=int, nargs="+", default=[1, 2, 4],
                        help="with `benches`: how many benches at once on the server, one row each")
    parser.add_argument("--server", metavar="URI",
                        help="with `benches`: a PostgreSQL server's ledger URI (tests/pg-server.sh start)")
    args = parser.parse_args()

    ok = True
    if args.what == "sweep":
        ok = sweep()
    elif args.what == "benches":
        ok = benches(args.benches, args.units, args.server)
    else:
        single_wall = single(args.runs if args.what != "bench" else 1)
        if args.what in ("all", "bench"):
            ok = bench(args.units, single_wall)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
