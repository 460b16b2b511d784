#!/usr/bin/python3
"""Provisioning benchmarks against tagsmith-emulator paced at 115200 baud.

  single    one device: wall time of the flow against its floor, the bytes
            actually exchanged at 11,520 bytes/s plus the emulator's modelled
            modem time (key generation and one flash write per stored change)
  bench     `tagsmith line` with 8 emulators at once: units per minute, and the
            speed-up over one unit at a time (8.0 would be perfect)
  sweep     the full fault sweep: the hang-up test at every byte of the session
            (tests/integration/test_provision_faults.py with TAGSMITH_FAULT_STRIDE=1)

Usage (from the source root, after building into BUILD):
  TAGSMITH=BUILD/src/tagsmith TAGSMITH_EMULATOR=BUILD/firmware/tagsmith-emulator \\
    /usr/bin/python3 tests/bench/bench-provision.py [single|bench|sweep] [--runs N]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

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


def sweep():
    env = dict(os.environ, TAGSMITH_FAULT_STRIDE="1")
    test = os.path.join(HERE, "..", "integration", "test_provision_faults.py")
    env["PYTHONPATH"] = os.path.join(HERE, "..", "integration")
    return subprocess.run(["/usr/bin/python3", test], env=env).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", "single", "bench", "sweep"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--units", type=int, default=8)
    args = parser.parse_args()

    ok = True
    if args.what == "sweep":
        ok = sweep()
    else:
        single_wall = single(args.runs if args.what != "bench" else 1)
        if args.what in ("all", "bench"):
            ok = bench(args.units, single_wall)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
