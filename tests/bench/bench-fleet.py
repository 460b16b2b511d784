#!/usr/bin/python3
"""Fleet page benchmark: the real window opening a ledger of 100,000 and of 1,000,000 devices.

For each size it builds a ledger (cached in --cache DIR when given), starts `tagsmith` with
TAGSMITH_DB pointing at it and TAGSMITH_BENCH set, opens the Fleet page through the sidebar
as a user would, and reads the timestamps the page prints on stderr:

  fleet-shown     the page is mapped
  fleet-rows      the first row with real data is bound (drawn on the next frame)
  fleet-counted   the count landed; the list has its full length
  fleet-jump      (TAGSMITH_BENCH_JUMP=ROW) the scroll bar is moved to that row...
  fleet-jump-rows ...and rows with real data near it are bound

and the process's peak resident memory (VmHWM in /proc/PID/status). Targets: first rows
< 1 s after the page shows, and < 150 MB resident, with 1,000,000 devices.

The ledger is made a normal one through the CLI (two CAs), then filled with one documented
SQL insert per table in a single transaction (see fill()): a device row and a current
certificate row per device. Bulk certificates carry empty PEM and hash columns, which the
Fleet page never reads; everything it reads (serial, authority, profile, dates, status,
lot, UUID) is real-shaped. 1 in 50 is revoked, expiry dates spread over two years with
some already past.

Usage (inside the GUI session, from the source root, after building into BUILD):
  tests/gui/session.sh env TAGSMITH=BUILD/src/tagsmith \\
    /usr/bin/python3 tests/bench/bench-fleet.py [--sizes 100000 1000000] [--cache DIR]
or `tests/gui/session.sh meson test -C BUILD --suite bench --verbose`.
"""

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "gui"))

from tsharness import Workspace, luhn_imei  # noqa: E402
from tsgui import App  # noqa: E402

PASS = "bench-fleet-passphrase"
FIRST_IMEI = 35000000000000
TARGET_FIRST_ROWS_S = 1.0
TARGET_RSS_MB = 150


def fill(path, n):
    """Bulk devices and certificates: device i has IMEI luhn(FIRST_IMEI + i), lot LOT-(i // 100,000),
    and current certificate i + 1 of the "Devices" CA."""
    con = sqlite3.connect(path)
    authority = con.execute("SELECT id FROM authorities WHERE name = 'Devices'").fetchone()[0]
    now = int(time.time())
    imeis = [luhn_imei(FIRST_IMEI + i) for i in range(n)]
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO devices (imei, uuid, model, firmware, lot, first_seen, last_seen, current_certificate_id) "
        "VALUES (?, ?, 'nRF9160', 'mfw_nrf9160_1.3.5', ?, ?, ?, ?)",
        ((imeis[i], str(uuid.UUID(int=i + 1)), f"LOT-{i // 100000:02d}", now - 86400, now - i % 86400, i + 1)
         for i in range(n)))
    con.executemany(
        "INSERT INTO certificates (id, authority_id, serial, imei, profile, subject, not_before, not_after, status, "
        "revoke_reason, revoked_at, pubkey_sha256, issued_at, pem, sha256_lf, sha256_crlf) "
        "VALUES (?, ?, ?, ?, 'generic', ?, ?, ?, ?, ?, ?, '', ?, '', '', '')",
        ((i + 1, authority, f"{(1 << 60) + i:016X}", imeis[i], "CN=" + imeis[i], now - 86400,
          now + (i % 730 - 30) * 86400, "revoked" if i % 50 == 0 else "valid", 4 if i % 50 == 0 else None,
          now if i % 50 == 0 else None, now - 86400) for i in range(n)))
    # The sort keys each device keeps of its current certificate, as ca-schema-7.sql fills them.
    con.execute("UPDATE devices SET current_not_after = (SELECT c.not_after FROM certificates c "
                "WHERE c.id = devices.current_certificate_id), current_status_rank = (SELECT CASE c.status "
                "WHEN 'revoked' THEN 0 ELSE 1 END FROM certificates c WHERE c.id = devices.current_certificate_id)")
    con.commit()
    con.close()


def ledger(cache, n):
    path = os.path.join(cache, f"fleet-{n}.db")
    if os.path.exists(path):
        return path, 0.0
    ws = Workspace()
    ws.env["TAGSMITH_DB"] = path
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    start = time.monotonic()
    fill(path, n)
    took = time.monotonic() - start
    # The CLI opens it as any ledger and finds a device in the middle.
    middle = luhn_imei(FIRST_IMEI + n // 2)
    out = ws.cli("fleet", "list", "--search", middle, check=True).stdout
    assert middle in out, out
    return path, took


def marks(log_path):
    found = {}
    with open(log_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "tagsmith-bench":
                found.setdefault(parts[1], (int(parts[2]) / 1e6, int(parts[3])))
    return found


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def activity(pid):
    """CPU time and bytes read so far: a process waiting on the disk uses no CPU, but reads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/io") as f:
        rchar = next(int(line.split()[1]) for line in f if line.startswith("rchar:"))
    return int(fields[11]) + int(fields[12]), rchar


def wait_settled(pid, quiet=1.0, timeout=120):
    """Until the process has neither computed nor read for QUIET seconds."""
    deadline = time.monotonic() + timeout
    last = activity(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = activity(pid)
        if now == last:
            return
        last = now
    raise AssertionError("the window never settled")


def measure(path, n, renderer, scratch):
    jump = n * 9 // 10
    log_path = os.path.join(scratch, f"app-{n}-{renderer}.log")
    # Settings in memory: a window remembers its last page, and each run must start elsewhere.
    # No malloc debugging (meson test sets MALLOC_PERTURB_): it touches every freed page.
    env = {"TAGSMITH_DB": path, "TAGSMITH_BENCH": "1", "TAGSMITH_BENCH_JUMP": str(jump), "G_DEBUG": "",
           "MALLOC_CHECK_": "", "MALLOC_PERTURB_": "0", "GSETTINGS_BACKEND": "memory"}
    if renderer != "default":
        env["GSK_RENDERER"] = renderer
    with open(log_path, "w") as log:
        started = time.monotonic()
        app = App(env=env, stderr=log)
        try:
            # The ledger opens in the background at startup, then
            # every page reads what it shows; the Fleet is opened once all that is done, as
            # by a person already using the window.
            app.wait_for(lambda: "ledger-ready" in marks(log_path), timeout=120)
            ready = time.monotonic() - started
            wait_settled(app.proc.pid)
            assert "fleet-shown" not in marks(log_path), "the window started on the Fleet page"
            start_rss = status_kb(app.proc.pid, "VmRSS")
            app.find("Pages", "list").querySelection().selectChild(1)
            app.wait_for(lambda: "fleet-jump-rows" in marks(log_path), timeout=120)
            time.sleep(1)  # let the jumped-to screen settle before reading memory
            hwm = status_kb(app.proc.pid, "VmHWM")
        finally:
            app.close()
    m = marks(log_path)
    shown = m["fleet-shown"][0]
    return {
        "ready_s": ready,
        "start_rss_mb": start_rss / 1024,
        "first_rows_s": m["fleet-rows"][0] - shown,
        "counted_s": m["fleet-counted"][0] - shown,
        "count": m["fleet-counted"][1],
        "jump_s": m["fleet-jump-rows"][0] - m["fleet-jump"][0],
        "jump_row": m["fleet-jump-rows"][1],
        "hwm_mb": hwm / 1024,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000, 1000000])
    parser.add_argument("--cache", help="keep the generated ledgers here and reuse them")
    parser.add_argument("--renderers", nargs="+", default=["default", "cairo"],
                        help="GSK_RENDERER values to run under (default: GTK's own choice, then cairo)")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="tagsmith-bench-fleet-")
    cache = args.cache or scratch
    os.makedirs(cache, exist_ok=True)

    ok = True
    print(f"{'devices':>9} {'renderer':>8} {'fill s':>7} {'ready s':>7} {'first rows s':>12} {'counted s':>9} "
          f"{'jump s':>7} {'RSS before MB':>13} {'peak RSS MB':>11} {'page MB':>7}")
    verdicts = []
    for n in args.sizes:
        path, took = ledger(cache, n)
        for renderer in args.renderers:
            r = measure(path, n, renderer, scratch)
            assert r["count"] == n, r
            print(f"{n:>9} {renderer:>8} {took:>7.1f} {r['ready_s']:>7.2f} {r['first_rows_s']:>12.3f} "
                  f"{r['counted_s']:>9.3f} {r['jump_s']:>7.3f} {r['start_rss_mb']:>13.1f} {r['hwm_mb']:>11.1f} "
                  f"{r['hwm_mb'] - r['start_rss_mb']:>7.1f}", flush=True)
            if n >= 1000000:
                met = r["first_rows_s"] < TARGET_FIRST_ROWS_S and r["hwm_mb"] < TARGET_RSS_MB
                verdicts.append(f"{renderer}: {'met' if met else 'MISSED'}")
                ok &= met
    print(f"targets with 1,000,000 devices, first rows < {TARGET_FIRST_ROWS_S} s and peak RSS < {TARGET_RSS_MB} MB: "
          + ", ".join(verdicts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
