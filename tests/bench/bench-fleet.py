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

With --server URI the ledgers are databases on that PostgreSQL server instead, named
tagsmith_bench_fleet_N and kept there as the cache (see fill_server()), and the script also
prints the server's plans of a Fleet page and of a chunk of the count (explain_server()).

Usage (inside the GUI session, from the source root, after building into BUILD):
  tests/gui/session.sh env TAGSMITH=BUILD/src/tagsmith GSETTINGS_SCHEMA_DIR=BUILD/data \\
    /usr/bin/python3 tests/bench/bench-fleet.py [--sizes 100000 1000000] [--cache DIR] [--server URI]
    [--sort ORDER]
or `tests/gui/session.sh meson test -C BUILD --suite bench --verbose`.
"""

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "gui"))

from tsharness import Workspace, luhn_imei, psql  # noqa: E402
from tsgui import App  # noqa: E402

sys.excepthook = sys.__excepthook__  # dogtail's own hook prints nothing when the script fails

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


# The same rows as fill(), made by the server itself in one transaction, with the sort keys each
# device keeps of its current certificate (ca-schema-7.sql) set as it sets them. The IMEI's Luhn digit is
# luhn_imei()'s: every other digit from the right of the 14, doubled, digits of the products summed.
# Devices and certificates refer to each other, and PostgreSQL checks a foreign key row by row, so
# the load runs as a replica (session_replication_role), which skips those checks: the rows are
# consistent by construction. VACUUM ANALYZE afterwards, as autovacuum would do on its own, gives
# the planner its statistics and the count its index-only scans.
SERVER_FILL = """
CREATE FUNCTION pg_temp.luhn(body bigint) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT lpad(body::text, 14, '0') || ((10 - sum(CASE WHEN k % 2 = 0 THEN (2 * d) / 10 + (2 * d) % 10 ELSE d END)
                                        % 10) % 10)::text
  FROM (SELECT k, (body / (10::bigint ^ k)::bigint) % 10 AS d FROM generate_series(0, 13) k) digits
$$;
BEGIN;
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE bulk ON COMMIT DROP AS
  SELECT i, pg_temp.luhn({first} + i) AS imei, (SELECT coalesce(max(id), 0) FROM certificates) + i + 1 AS cert
  FROM generate_series(0, {n} - 1) i;
INSERT INTO devices (imei, uuid, model, firmware, lot, first_seen, last_seen, current_certificate_id,
                     current_not_after, current_status_rank)
  SELECT imei, regexp_replace(lpad(to_hex(i + 1), 32, '0'), '(.{{8}})(.{{4}})(.{{4}})(.{{4}})(.{{12}})', '\\1-\\2-\\3-\\4-\\5'),
         'nRF9160', 'mfw_nrf9160_1.3.5', 'LOT-' || lpad((i / 100000)::text, 2, '0'), {now} - 86400,
         {now} - i % 86400, cert, {now} + (i % 730 - 30) * 86400, CASE WHEN i % 50 = 0 THEN 0 ELSE 1 END
  FROM bulk;
INSERT INTO certificates (id, authority_id, serial, imei, profile, subject, not_before, not_after, status,
                          revoke_reason, revoked_at, pubkey_sha256, issued_at, pem, sha256_lf, sha256_crlf)
  SELECT cert, (SELECT id FROM authorities WHERE name = 'Devices'), upper(lpad(to_hex((1::bigint << 60) + i), 16, '0')),
         imei, 'generic', 'CN=' || imei, {now} - 86400, {now} + (i % 730 - 30) * 86400,
         CASE WHEN i % 50 = 0 THEN 'revoked' ELSE 'valid' END, CASE WHEN i % 50 = 0 THEN 4 END,
         CASE WHEN i % 50 = 0 THEN {now} END, '', {now} - 86400, '', '', ''
  FROM bulk;
SELECT setval(pg_get_serial_sequence('certificates', 'id'), (SELECT max(id) FROM certificates));
COMMIT;
VACUUM ANALYZE devices;
VACUUM ANALYZE certificates;
"""


def database_uri(server, name):
    """SERVER's URI with another database name."""
    return re.sub(r"^(postgres(?:ql)?://[^/?]*/)[^?]*", lambda m: m.group(1) + name, server)


def fill_server(uri, n):
    """Fills the ledger at URI as fill() fills a file, by SERVER_FILL."""
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri],
                       input=SERVER_FILL.format(n=n, first=FIRST_IMEI, now=int(time.time())),
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"filling {uri} failed: {r.stderr}")


def server_database(server, n):
    """The URI of database tagsmith_bench_fleet_N on SERVER, and whether an earlier run filled it
    (the fill is one transaction: a database holds all N devices or none)."""
    name = f"tagsmith_bench_fleet_{n}"
    uri = database_uri(server, name)
    if psql(server, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'").strip() == "1":
        if psql(uri, "SELECT count(*) FROM devices").strip() == str(n):
            return uri, True
        psql(server, f'DROP DATABASE "{name}" WITH (FORCE)')
    psql(server, f'CREATE DATABASE "{name}"')
    return uri, False


# A Fleet page and a chunk of the count as ca/ca-fleet.c asks the server for them with no search, lot
# or filter (shape 0 of FLEET_SHAPES after ca-db-pg.c's dialect()), prepared as the app prepares them.
SERVER_PAGE = ("SELECT d.imei, d.uuid, d.model, d.lot, d.last_seen, c.serial, a.name, c.profile, c.not_after, "
               "c.status, (SELECT count(*) FROM certificates n WHERE n.imei = d.imei) FROM devices d "
               "LEFT JOIN certificates c ON c.id = d.current_certificate_id "
               "LEFT JOIN authorities a ON a.id = c.authority_id "
               "WHERE d.imei > $1 AND d.imei < $2 AND ($6 = 0 "
               "  OR ($6 = 1 AND c.status = 'valid' AND c.not_after > $7) "
               "  OR ($6 = 2 AND c.status = 'revoked') "
               "  OR ($6 = 3 AND c.status = 'valid' AND c.not_after > $7 AND c.not_after <= $8)) "
               "ORDER BY d.imei LIMIT $9")
SERVER_COUNT_CHUNK = "SELECT d.imei FROM devices d WHERE d.imei > $1 AND d.imei < $2 ORDER BY d.imei LIMIT $9"
# The authorities' certificate and device counts (ca_authorities_count_issued() of ca/ca-authority.c),
# which the window reads once when the ledger opens, on the same connection as the Fleet's pages.
SERVER_AUTHORITIES = ("SELECT authority_id, count(*), count(DISTINCT imei) "
                      "FROM certificates WHERE imei IS NOT NULL GROUP BY authority_id")


def explain_server(uri, n):
    """The server's plans, with their real run times, of the first Fleet page, of the page at 90%
    of the list, and of one chunk (32,768 keys) of the count, which the Fleet walks n / 32,768 times
    (the custom plans of the first executions, and the generic plan a prepared statement moves to);
    then of the authorities' counts."""
    now = int(time.time())
    jump_key = luhn_imei(FIRST_IMEI + n * 9 // 10 - 1)
    cases = [("first Fleet page", "page", "''"), (f"Fleet page after row {n * 9 // 10:,}", "page", f"'{jump_key}'"),
             ("first chunk of the count", "chunk", "''")]
    script = [f"PREPARE page (text, text, text, text, text, integer, bigint, bigint, bigint) AS {SERVER_PAGE};",
              "PREPARE chunk (text, text, text, text, text, text, text, text, bigint) AS "
              f"{SERVER_COUNT_CHUNK};"]
    for mode in ("auto", "force_generic_plan"):
        script.append(f"SET plan_cache_mode = {mode};")
        for title, statement, after in cases:
            limit = 256 if statement == "page" else 32768
            script.append(f"\echo '-- {title} ({'generic plan' if mode != 'auto' else 'custom plan'})'")
            script.append(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {statement} ({after}, ':', NULL, NULL, NULL, "
                          + (f"0, {now}, {now + 30 * 86400}, {limit});" if statement == "page"
                             else f"NULL, NULL, NULL, {limit});"))
    script.append("\\echo '-- the authorities with their certificate and device counts'")
    script.append(f"EXPLAIN (ANALYZE, BUFFERS) {SERVER_AUTHORITIES};")
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri], input="\n".join(script),
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"EXPLAIN failed: {r.stderr}")
    return r.stdout


def ledger(cache, n, server=None):
    """The ledger of N devices, in CACHE or on SERVER, and how long its fill took (0 when cached)."""
    if server:
        path, filled = server_database(server, n)
    else:
        path = os.path.join(cache, f"fleet-{n}.db")
        filled = os.path.exists(path)
    if filled:
        return path, 0.0
    ws = Workspace()
    ws.env["TAGSMITH_DB"] = path
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    start = time.monotonic()
    (fill_server if server else fill)(path, n)
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


def server_busy(uri):
    """Whether the window's statements are still running on the ledger's server: a process
    waiting on a server neither computes nor reads."""
    if not re.match(r"^postgres(ql)?://", uri):
        return False
    return psql(uri, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid() AND state <> 'idle'").strip() != "0"


def wait_settled(pid, ledger_path, quiet=1.0, timeout=300):
    """Until the process has neither computed nor read for QUIET seconds, and its ledger's
    server (if any) runs none of its statements."""
    deadline = time.monotonic() + timeout
    last = activity(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = activity(pid)
        if now == last and not server_busy(ledger_path):
            return
        last = now
    raise AssertionError("the window never settled")


def fresh_settings(scratch, sort):
    """Settings for one run: in memory, as a window remembers its last page and each run must
    start elsewhere; or, for a Fleet ORDER, a new key file that holds only that order."""
    if sort is None:
        return {"GSETTINGS_BACKEND": "memory"}
    config = tempfile.mkdtemp(prefix="config-", dir=scratch)
    os.makedirs(os.path.join(config, "glib-2.0", "settings"))
    with open(os.path.join(config, "glib-2.0", "settings", "keyfile"), "w") as f:
        f.write(f"[io/github/tagsmith/Tagsmith]\nfleet-sort='{sort}'\n")
    return {"GSETTINGS_BACKEND": "keyfile", "XDG_CONFIG_HOME": config}


def measure(path, n, renderer, scratch, sort=None):
    jump = n * 9 // 10
    log_path = os.path.join(scratch, f"app-{n}-{renderer}.log")
    # No malloc debugging (meson test sets MALLOC_PERTURB_): it touches every freed page.
    env = {"TAGSMITH_DB": path, "TAGSMITH_BENCH": "1", "TAGSMITH_BENCH_JUMP": str(jump), "G_DEBUG": "",
           "MALLOC_CHECK_": "", "MALLOC_PERTURB_": "0", **fresh_settings(scratch, sort)}
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
            wait_settled(app.proc.pid, path)
            quiet = time.monotonic() - started
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
        "quiet_s": quiet,
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
    parser.add_argument("--server", metavar="URI",
                        help="ledgers on this PostgreSQL server (tests/pg-server.sh start), kept there")
    parser.add_argument("--explain-only", action="store_true",
                        help="with --server: fill (or reuse) and print the plans, without the window")
    parser.add_argument("--renderers", nargs="+", default=["default", "cairo"],
                        help="GSK_RENDERER values to run under (default: GTK's own choice, then cairo)")
    parser.add_argument("--sort", metavar="ORDER",
                        help="the Fleet opens in this order, as `fleet list --sort` takes it (default: imei)")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="tagsmith-bench-fleet-")
    cache = args.cache or scratch
    os.makedirs(cache, exist_ok=True)

    ok = True
    verdicts = []
    for n in args.sizes:
        path, took = ledger(cache, n, args.server)
        if args.server:
            print(f"{n:,} devices on the server, filled in {took:.1f} s ({'cached' if not took else 'new'}); "
                  f"its plans:\n{explain_server(path, n)}", flush=True)
        # "quiet s": from the start until the window had gone quiet and the Fleet was opened.
        if args.sort:
            print(f"The Fleet opens sorted by {args.sort}.")
        print(f"{'devices':>9} {'renderer':>8} {'fill s':>7} {'ready s':>7} {'quiet s':>7} {'first rows s':>12} "
              f"{'counted s':>9} {'jump s':>7} {'RSS before MB':>13} {'peak RSS MB':>11} {'page MB':>7}")
        for renderer in ([] if args.explain_only else args.renderers):
            r = measure(path, n, renderer, scratch, args.sort)
            assert r["count"] == n, r
            print(f"{n:>9} {renderer:>8} {took:>7.1f} {r['ready_s']:>7.2f} {r['quiet_s']:>7.2f} {r['first_rows_s']:>12.3f} "
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
