"""Issuance benchmark: tagsmith issue-batch against the `openssl ca` recipe (one
process per certificate) on the same P-256 CSRs, then single-issue latency with
ledgers of 0, 100k and 1M certificates, and `openssl ca` with index.txt of the
same sizes.

    /usr/bin/python3 tests/bench/bench-issue.py BUILD_DIR [N]

Everything runs pinned to CPU 0 (taskset) in a scratch folder; the results are
printed as a Markdown section for RESULTS.md.

    /usr/bin/python3 tests/bench/bench-issue.py BUILD_DIR N --server URI

compares the back ends instead: N certificates by issue-batch into a ledger file
and into a new database on the PostgreSQL server of URI (a libpq URI of an
existing database, e.g. what tests/pg-server.sh prints), first by one process,
then by four at once (N/4 each, not pinned), and checks that no serial repeats. Each row also
times the same writers with one row each (start-up: process start, unlocks, one group), and
gives the rate of the rest of the run beyond that."""

import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
SERVER = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--server" else None
TAGSMITH = os.path.join(BUILD, "src", "tagsmith")
HELPER = os.path.join(BUILD, "tests", "bench", "bench-issue")
PASS = "benchmark passphrase"
PIN = ["taskset", "-c", "0"]
LEDGER_SIZES = [0, 100_000, 1_000_000]
LATENCY_SAMPLES = 200

CNF = """
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {dir}
new_certs_dir = $dir/newcerts
database = $dir/index.txt
serial = $dir/serial
certificate = $dir/issuing.crt
private_key = $dir/issuing.key
default_md = sha256
default_days = 3650
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ v3_dev ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def run(*args, env=None, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, env=env, **kw)


def tagsmith_env(db):
    return dict(os.environ, TAGSMITH_DB=db, TS_BENCH_PASS=PASS)


def make_ledger(db):
    env = tagsmith_env(db)
    run(TAGSMITH, "--pass", "env:TS_BENCH_PASS", "ca", "init", "--name", "Root", env=env)
    run(TAGSMITH, "--pass", "env:TS_BENCH_PASS", "ca", "intermediate", "--name", "Issuing", "--parent", "Root",
        env=env)
    return env


def openssl_recipe_ca(base, env_db):
    """An `openssl ca` setup signed by the same kind of P-256 intermediate, its key
    encrypted as teams keep it."""
    os.makedirs(os.path.join(base, "newcerts"))
    open(os.path.join(base, "index.txt"), "w").close()
    with open(os.path.join(base, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(base, "ca.cnf"), "w") as f:
        f.write(CNF.format(dir=base))
    run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
        "-pass", "pass:" + PASS, "-out", os.path.join(base, "issuing.key"))
    run("openssl", "req", "-x509", "-new", "-key", os.path.join(base, "issuing.key"), "-passin", "pass:" + PASS,
        "-subj", "/CN=Recipe Issuing", "-days", "3650", "-out", os.path.join(base, "issuing.crt"),
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0")


def openssl_issue(base, csr, out):
    run(*PIN, "openssl", "ca", "-batch", "-notext", "-config", os.path.join(base, "ca.cnf"), "-extensions", "v3_dev",
        "-passin", "pass:" + PASS, "-in", csr, "-out", out)


def fill_ledger(db, count):
    """count certificates (and their devices) by direct SQL: issuing a million
    through the CA would take far longer than the benchmark itself. The rows have
    real-sized keys (serials, IMEIs, SHA-256s) on every index; the PEM column holds
    a placeholder, since issuing never reads other certificates' PEMs."""
    con = sqlite3.connect(db)
    issuing = con.execute("SELECT id FROM authorities WHERE name = 'Issuing'").fetchone()[0]
    now = int(time.time())
    con.execute("BEGIN")
    con.execute("""WITH RECURSIVE gen(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM gen WHERE n < ?)
                   INSERT INTO devices (imei, first_seen, last_seen) SELECT printf('37%013d', n), ?, ? FROM gen""",
                (count, now, now))
    con.execute("""INSERT INTO certificates (authority_id, serial, imei, profile, subject, not_before, not_after,
                   pubkey_sha256, issued_at, pem, sha256_lf, sha256_crlf)
                   SELECT ?, hex(randomblob(16)), imei, 'generic', 'CN=' || imei, ?, ?, hex(randomblob(32)), ?,
                          '-', hex(randomblob(32)), hex(randomblob(32)) FROM devices""",
                (issuing, now, now + 3650 * 86400, now))
    con.execute("UPDATE devices SET current_certificate_id = (SELECT id FROM certificates c WHERE c.imei = devices.imei)")
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def index_line(n):
    return f"V\t360101000000Z\t\t{n + 0x100000:X}\tunknown\t/CN={n}\n"


def server_database(uri, name):
    """A new database on the server of @uri, as a ledger URI."""
    run("psql", "-X", "-q", "-d", uri, "-c", f'DROP DATABASE IF EXISTS "{name}"')
    run("psql", "-X", "-q", "-d", uri, "-c", f'CREATE DATABASE "{name}"')
    return re.sub(r"^(postgres(?:ql)?://[^/?]*/)[^?]*", lambda m: m.group(1) + name, uri)


def serial_counts(location):
    sql = "SELECT count(*), count(DISTINCT serial) FROM certificates WHERE imei IS NOT NULL"
    if location.startswith("postgresql://"):
        return tuple(int(x) for x in run("psql", "-X", "-A", "-t", "-F", " ", "-d", location, "-c", sql).stdout.split())
    con = sqlite3.connect(location)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def concurrent_batches(location, rows, writers, work):
    """Seconds for @writers issue-batch processes at once, each with its share of @rows."""
    env = make_ledger(location)
    inputs = []
    for w in range(writers):
        path = os.path.join(work, f"part-{writers}-{w}.csv")
        with open(path, "w") as f:
            f.writelines(rows[w::writers])
        inputs.append(path)
    start = time.monotonic()
    procs = [subprocess.Popen([TAGSMITH, "--pass", "env:TS_BENCH_PASS", "issue-batch", "--ca", "Issuing", "--input",
                               path, "--out-dir", tempfile.mkdtemp(dir=work)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for path in inputs]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"issue-batch failed: {err}")
    return time.monotonic() - start


def ledgers(server):
    work = tempfile.mkdtemp(prefix="tagsmith-bench-")
    try:
        csrs = os.path.join(work, "csrs")
        run(HELPER, "csrs", str(N), csrs)
        with open(os.path.join(csrs, "batch.csv")) as f:
            rows = [line for line in f if line.strip()]
        # "start-up s": the same writers with one row each, on a ledger of their own: process start,
        # the passphrase and CA key unlocks, one group; what the run costs beyond that is the
        # certificates' own.
        lines = [f"| {N:,} P-256 CSRs by `issue-batch` | writers | seconds | certificates/s | start-up s "
                 "| certificates/s after start-up | serials (distinct) |",
                 "|---|---:|---:|---:|---:|---:|---:|"]
        for writers in (1, 4):
            for name in ("file", "PostgreSQL"):
                def location(tag):
                    if name == "file":
                        return os.path.join(work, f"ledger-{tag}-{writers}.db")
                    return server_database(server, f"bench_issue_{tag}_{writers}")
                start_up = concurrent_batches(location("start"), rows[:writers], writers, work)
                where = location("all")
                seconds = concurrent_batches(where, rows, writers, work)
                total, distinct = serial_counts(where)
                if total != N or distinct != N:
                    raise SystemExit(f"{name}, {writers} writers: {total} certificates, {distinct} serials, want {N}")
                # Too few rows to outweigh the start-up's own spread: no rate.
                after = f"{(N - writers) / (seconds - start_up):.0f}" if seconds > 1.5 * start_up else "–"
                lines.append(f"| {name} | {writers} | {seconds:.2f} | {N / seconds:.0f} | {start_up:.2f} "
                             f"| {after} | {total:,} ({distinct:,}) |")
                if name == "PostgreSQL":
                    for tag in ("start", "all"):
                        run("psql", "-X", "-q", "-d", server, "-c", f'DROP DATABASE "bench_issue_{tag}_{writers}"')
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        print(f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
              f"{run('psql', '--version').stdout.strip()}, server on a Unix socket of the same machine.\n")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    work = tempfile.mkdtemp(prefix="tagsmith-bench-")
    lines = []
    try:
        csrs = os.path.join(work, "csrs")
        run(HELPER, "csrs", str(N), csrs)
        with open(os.path.join(csrs, "batch.csv")) as f:
            csr_paths = [line.strip().split(",")[1] for line in f if line.strip()]

        # Batch issuance: one process, one unlock, N certificates.
        db = os.path.join(work, "batch.db")
        env = make_ledger(db)
        start = time.monotonic()
        run(*PIN, TAGSMITH, "--pass", "env:TS_BENCH_PASS", "issue-batch", "--ca", "Issuing", "--input",
            os.path.join(csrs, "batch.csv"), "--out-dir", os.path.join(work, "batch-out"), env=env)
        ts_seconds = time.monotonic() - start
        ts_rate = N / ts_seconds

        # The recipe: one `openssl ca` process per certificate.
        recipe = os.path.join(work, "recipe")
        openssl_recipe_ca(recipe, db)
        os.makedirs(os.path.join(work, "recipe-out"))
        start = time.monotonic()
        for i, csr in enumerate(csr_paths):
            openssl_issue(recipe, csr, os.path.join(work, "recipe-out", f"{i}.pem"))
        ossl_seconds = time.monotonic() - start
        ossl_rate = N / ossl_seconds

        # Single issuance latency with 0, 100k, 1M certificates in the ledger.
        latency = []
        for size in LEDGER_SIZES:
            ldb = os.path.join(work, f"ledger-{size}.db")
            make_ledger(ldb)
            if size:
                fill_ledger(ldb, size)
            out = run(*PIN, HELPER, "latency", ldb, PASS, "Issuing", str(LATENCY_SAMPLES)).stdout.split()
            latency.append((size, int(out[0]), int(out[1])))
            os.remove(ldb)

        # `openssl ca` with an index.txt of the same sizes (median of 5 issuances).
        recipe_latency = []
        for size in LEDGER_SIZES:
            base = os.path.join(work, f"recipe-{size}")
            openssl_recipe_ca(base, db)
            with open(os.path.join(base, "index.txt"), "w") as f:
                f.writelines(index_line(n) for n in range(size))
            times = []
            for i in range(5):
                start = time.monotonic()
                openssl_issue(base, csr_paths[i], os.path.join(base, f"{i}.pem"))
                times.append(time.monotonic() - start)
            recipe_latency.append((size, statistics.median(times) * 1e6))
            shutil.rmtree(base)

        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        lines += [
            f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"{run('openssl', 'version').stdout.strip()}; everything pinned to one core with `taskset -c 0`.",
            "",
            f"| Batch of {N} P-256 CSRs, P-256 intermediate | seconds | certificates/s |",
            "|---|---:|---:|",
            f"| `tagsmith issue-batch` (one process, one unlock, PEM files written) | {ts_seconds:.2f} | {ts_rate:.0f} |",
            f"| `openssl ca` recipe (one process per certificate) | {ossl_seconds:.2f} | {ossl_rate:.0f} |",
            f"| ratio | | {ts_rate / ossl_rate:.1f}× |",
            "",
            f"| Certificates already in the ledger | tagsmith median µs | tagsmith p95 µs | vs empty | "
            f"`openssl ca` median µs (index.txt) | vs empty |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for (size, med, p95), (_, ossl) in zip(latency, recipe_latency):
            lines.append(f"| {size:,} | {med} | {p95} | {med / latency[0][1]:.2f}× | {ossl:.0f} | "
                         f"{ossl / recipe_latency[0][1]:.1f}× |")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


ledgers(SERVER) if SERVER else main()
