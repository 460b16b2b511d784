"""A ledger on a PostgreSQL server each test starts for itself (tests/pg-server.sh):
`ledger copy` between files and the server, either way, and the server going away
under issue-batch and under provisioning: advice, nothing reported done is lost,
the audit log verifies, and the next run settles what was left open."""

import csv
import io
import json
import os
import select
import subprocess
import tempfile
import threading
import tty

from tsharness import SOURCE_ROOT, Tap, Workspace, luhn_imei, store_vs_ledger

tap = Tap()
PASS = "server ledger passphrase"
IMEI1 = "490154203237518"
IMEI2 = "352656100123457"
DATA = os.path.join(SOURCE_ROOT, "tests", "unit", "data")
SERVER_CA = os.path.join(DATA, "provision", "server-root.pem")
PG_SERVER = os.path.join(SOURCE_ROOT, "tests", "pg-server.sh")
PG_BIN = os.environ.get("TAGSMITH_PG_BIN", "/usr/lib/postgresql/15/bin")
SKIP = None if os.path.exists(os.path.join(PG_BIN, "initdb")) else f"{PG_BIN}/initdb is missing"
SEC_TAG = 16842753
# The key the ledger's writers take first (ca-db-pg.c).
WRITE_LOCK = 7461677370


class Server:
    """A PostgreSQL server of the test's own, on a Unix socket in a folder."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="tagsmith-pg-")
        self.uri = self._script("start").strip()
        self.halted = False

    def _script(self, verb):
        r = subprocess.run([PG_SERVER, verb, self.folder], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"pg-server.sh {verb}: {r.stderr}")
        return r.stdout

    def halt(self):
        """Stops the server, keeping its data, as an outage or a restart does."""
        self._script("halt")
        self.halted = True

    def resume(self):
        self._script("start")
        self.halted = False

    def query(self, sql):
        r = subprocess.run(["psql", self.uri, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError(f"{sql}: {r.stderr}")
        return r.stdout.strip()

    def close(self):
        self._script("stop")


class Session:
    """An open psql session, to hold a transaction open meanwhile."""

    def __init__(self, uri):
        self.proc = subprocess.Popen(["psql", uri, "-At", "-q", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

    def send(self, sql):
        self.proc.stdin.write(sql + "\n")
        self.proc.stdin.flush()

    def close(self):
        self.proc.kill()
        self.proc.wait()


def setup_cas(ws):
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", "--path-len", "0", pass_=PASS,
           check=True)


def listings(ws, db):
    """What the fleet, CA and audit listings say of the ledger at @db."""
    return [json.loads(ws.cli("--db", db, "--json", *verb, check=True).stdout)
            for verb in (("fleet", "list"), ("ca", "list"), ("audit", "list"))]


def verifies(ws, db):
    r = ws.cli("--db", db, "audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stdout, "chain intact")


def provision_argv(ws, port, db):
    return ws.cli_argv("--db", db, "--json", "provision", "--port", port, "--ca", "Issuing",
                       "--sec-tag", SEC_TAG, "--server-ca", SERVER_CA, pass_=PASS)


def provision(ws, port, db):
    argv, env = provision_argv(ws, port, db)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


@tap.test("ledger copy: file → server → file keeps every listing and the audit chain, refuses a "
          "non-empty destination, and the server copy goes on issuing", skip=SKIP)
def _():
    server = Server()
    try:
        ws = Workspace()
        setup_cas(ws)
        ws.cli("issue", "--ca", "Issuing", "--imei", IMEI1, "--csr", os.path.join(DATA, "ca", "p256.csr.pem"),
               pass_=PASS, check=True)
        pem = ws.cli("issue", "--ca", "Issuing", "--imei", IMEI2, "--csr",
                     os.path.join(DATA, "ca", "p256b.csr.pem"), pass_=PASS, check=True).stdout
        serial = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True,
                                text=True).stdout.strip().split("=")[1]
        ws.cli("revoke", "--ca", "Issuing", "--serial", serial, "--reason", "key-compromise", pass_=PASS,
               check=True)
        ws.cli("crl", "--ca", "Issuing", pass_=PASS, check=True)
        # A provisioned unit, with its installs and store events.
        kit = ws.kit("--no-pacing", "--profile", "nrf9161", "--cfun", "1", "--imei", luhn_imei(35265620000000))
        r = provision(ws, kit.port, ws.db)
        tap.eq(r.returncode, 0, r.stderr)

        r = ws.cli("ledger", "copy", ws.db, server.uri)
        tap.eq(r.returncode, 0, r.stderr)
        tap.contains(r.stdout, "certificates")
        back = ws.path("back.db")
        r = ws.cli("--json", "ledger", "copy", server.uri, back)
        tap.eq(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout)
        tap.eq(summary["rows"], sum(t["rows"] for t in summary["tables"]))
        tap.eq({t["table"]: t["rows"] for t in summary["tables"]}["certificates"], 3)

        before = listings(ws, ws.db)
        tap.eq(listings(ws, server.uri), before)
        tap.eq(listings(ws, back), before)
        for db in (ws.db, server.uri, back):
            verifies(ws, db)

        r = ws.cli("ledger", "copy", back, server.uri)
        tap.eq(r.returncode, 1)
        tap.contains(r.stderr, "is not empty")
        tap.eq(listings(ws, server.uri), before)

        r = ws.cli("--db", server.uri, "issue", "--ca", "Issuing", "--imei", luhn_imei(35000000000001),
                   "--csr", os.path.join(DATA, "ca", "p384.csr.pem"), pass_=PASS)
        tap.eq(r.returncode, 0, r.stderr)
        tap.eq(server.query("SELECT max (id) FROM certificates"), "4")
        verifies(ws, server.uri)
    finally:
        server.close()


def make_csrs(ws, count):
    """@count CSRs of fresh P-256 keys, made by one shell."""
    folder = ws.path("csrs")
    os.makedirs(folder)
    script = (f'for i in $(seq 1 {count}); do openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 '
              f'-nodes -keyout /dev/null -subj /CN=unit$i -out "{folder}/$i.csr" 2>/dev/null || exit 1; done')
    subprocess.run(["sh", "-c", script], check=True, timeout=600)
    return [os.path.join(folder, f"{i}.csr") for i in range(1, count + 1)]


@tap.test("issue-batch: the server going away mid-batch gives advice, keeps every certificate the batch "
          "reported, and running the same batch again completes it", skip=SKIP)
def _():
    server = Server()
    session = None
    try:
        ws = Workspace()
        ws.env["TAGSMITH_DB"] = server.uri
        setup_cas(ws)
        # The ledger records a batch 256 rows to a transaction: two groups.
        imeis = [luhn_imei(35100000000000 + i) for i in range(300)]
        rows = [["imei", "csr"]] + [[imei, csr] for imei, csr in zip(imeis, make_csrs(ws, len(imeis)))]
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        ws.write("batch.csv", buf.getvalue())
        out = ws.path("out")
        argv, env = ws.cli_argv("issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"),
                                "--out-dir", out, pass_=PASS)

        # A station's open transaction holds the second group's first device, so that group
        # waits on the server, after the first group was recorded, until the server goes.
        session = Session(server.uri)
        session.send(f"BEGIN; INSERT INTO devices (imei, first_seen, last_seen) VALUES ('{imeis[256]}', 0, 0);")
        while server.query("SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = 'RowExclusiveLock' "
                           "AND relation = 'devices'::regclass") != "1":
            pass
        batch = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while server.query("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") != "1":
            if batch.poll() is not None:
                raise AssertionError(f"the batch ended instead of waiting: {batch.communicate()}")
        tap.eq(server.query("SELECT count(*) FROM certificates"), "256")
        server.halt()
        stdout, stderr = batch.communicate(timeout=120)
        tap.eq(batch.returncode, 1, stderr)
        tap.contains(stderr, "The batch stopped after 256 of its 300 rows; what it issued before is recorded.")
        tap.contains(stderr, "connection to the ledger server")
        tap.contains(stderr, "Check that the server runs")

        server.resume()
        written = sorted(os.listdir(out))
        tap.eq(len(written), 256)
        recorded = set(server.query("SELECT imei || ' ' || serial FROM certificates WHERE imei IS NOT NULL")
                       .splitlines())
        for name in written:
            serial = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", os.path.join(out, name)],
                                    capture_output=True, text=True).stdout.strip().split("=")[1]
            tap.ok(f"{name[:-4]} {serial.upper()}" in recorded, f"{name} is recorded with its serial {serial}")
        verifies(ws, server.uri)

        # The same batch run again: the rows recorded before are found again, the rest issued.
        files = {name: open(os.path.join(out, name)).read() for name in written}
        r = ws.cli("issue-batch", "--ca", "Issuing", "--input", ws.path("batch.csv"), "--out-dir", out,
                   pass_=PASS)
        tap.eq(r.returncode, 0, r.stderr)
        tap.contains(r.stdout, "Issued 44 certificates")
        tap.contains(r.stdout, "256 issued before were found again; 0 rows failed")
        tap.eq({name: open(os.path.join(out, name)).read() for name in written}, files)
        tap.eq(len(os.listdir(out)), 300)
        tap.eq(server.query("SELECT count(*), count(DISTINCT serial), count(DISTINCT imei) FROM certificates "
                            "WHERE imei IS NOT NULL"), "300|300|300")
        verifies(ws, server.uri)
    finally:
        if session is not None:
            session.close()
        if server.halted:
            server.resume()
        server.close()


class PausingProxy:
    """A pty that forwards to the emulator's pty, and holds the host's bytes
    from the first command containing @pattern until release()."""

    def __init__(self, target, pattern):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.target = os.open(target, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.target)
        self.pattern = pattern
        self.seen = b""
        self.held = threading.Event()
        self.released = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        while not self.stopping:
            ready, _, _ = select.select([self.master, self.target], [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if fd == self.master and data:
                    window = self.seen + data
                    self.seen = window[-len(self.pattern):]
                    if not self.held.is_set() and self.pattern in window:
                        self.held.set()
                        self.released.wait()
                    os.write(self.target, data)
                elif data:
                    os.write(self.master, data)

    def release(self):
        self.released.set()

    def close(self):
        self.released.set()
        self.stopping = True
        self.thread.join()
        for fd in (self.master, self.slave, self.target):
            os.close(fd)


@tap.test("provision: the server going away while the modem is being written gives advice, and the next run "
          "settles the open intent; every claim is backed by the modem's store", skip=SKIP)
def _():
    server = Server()
    proxy = None
    try:
        ws = Workspace()
        ws.env["TAGSMITH_DB"] = server.uri
        setup_cas(ws)
        kit = ws.kit("--no-pacing", "--profile", "nrf9161", "--cfun", "1", "--imei", luhn_imei(35265620000001))
        # The client certificate's write: its intent is recorded, the modem not yet written.
        proxy = PausingProxy(kit.port, b"%CMNG=0,16842753,1,")
        argv, env = provision_argv(ws, proxy.path, server.uri)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not proxy.held.wait(120):
            proc.kill()
            raise AssertionError(f"the provisioning never wrote its certificate: {proc.communicate()}")
        tap.eq(server.query("SELECT state FROM installs ORDER BY id DESC LIMIT 1"), "intent")
        server.halt()
        proxy.release()
        stdout, stderr = proc.communicate(timeout=120)
        tap.eq(proc.returncode, 1, stderr)
        tap.contains(stderr, "connection to the ledger server")
        tap.contains(stderr, "try again")
        proxy.close()
        proxy = None

        server.resume()
        verifies(ws, server.uri)
        r = provision(ws, kit.port, server.uri)
        tap.eq(r.returncode, 0, r.stderr)
        tap.ok(json.loads(r.stdout)["outcome"] in ("provisioned", "already-provisioned"), r.stdout)
        tap.eq(server.query("SELECT count(*) FROM installs WHERE state IN ('intent', 'written', 'removing')"), "0")
        verifies(ws, server.uri)
        # The store checker reads a ledger file: a copy of the server's.
        copy = ws.path("copy.db")
        ws.cli("ledger", "copy", server.uri, copy, check=True)
        for state in ws.state_files:
            tap.eq(store_vs_ledger(copy, state), [], os.path.basename(state))
    finally:
        if proxy is not None:
            proxy.close()
        if server.halted:
            server.resume()
        server.close()


tap.done()
