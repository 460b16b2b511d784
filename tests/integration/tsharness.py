"""Shared helpers for Tagsmith's integration tests: TAP output, scratch folders,
running the real `tagsmith` CLI and starting `tagsmith-emulator` on a pty.

The ledger of each Workspace is a file, or with TAGSMITH_TEST_BACKEND=server a
database of its own on the PostgreSQL server TAGSMITH_TEST_PG_URI names (made
for the case and dropped after it), so one suite runs on either back end.
ws.query() and store_vs_ledger() read either.

Each test file is a plain script run with /usr/bin/python3 (stdlib only):

    from tsharness import Tap, Workspace
    tap = Tap()
    @tap.test("ca init creates a root")
    def _():
        ws = Workspace()
        r = ws.cli("ca", "init", "--name", "Root", pass_="secret")
        tap.eq(r.returncode, 0, r.stderr)
    tap.done()
"""

import base64
import configparser
import fcntl
import hashlib
import json
import os
import re
import select
import shlex
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import termios
import time
import traceback

TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
WRAPPER = shlex.split(os.environ.get("TAGSMITH_WRAPPER", ""))
SOURCE_ROOT = os.environ.get("TAGSMITH_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PG_URI = os.environ.get("TAGSMITH_TEST_PG_URI", "")
ON_SERVER = os.environ.get("TAGSMITH_TEST_BACKEND", "file") == "server"


class Failure(Exception):
    pass


def luhn_imei(n):
    """A 15-digit IMEI with a valid Luhn check digit, from a number of at most 14 digits."""
    body = f"{n:014d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


class Tap:
    """Collects test functions and prints TAP version 13 as they run."""

    def __init__(self):
        self.tests = []

    def test(self, name, skip=None, file_only=None):
        """skip: the reason a case cannot run here (TAP reports it skipped), or None.
        file_only: why the case needs a ledger file; on the server it is skipped for it."""
        if skip is None and file_only is not None and ON_SERVER:
            skip = f"needs a ledger file: {file_only}"

        def register(fn):
            self.tests.append((name, fn, skip))
            return fn
        return register

    # Assertions raise Failure with a message that says what differed.
    def ok(self, cond, msg=""):
        if not cond:
            raise Failure(msg or "condition is false")

    def eq(self, got, want, msg=""):
        if got != want:
            raise Failure(f"got {got!r}, want {want!r}. {msg}")

    def contains(self, haystack, needle, msg=""):
        if needle not in haystack:
            raise Failure(f"{needle!r} not found in {haystack!r}. {msg}")

    def done(self):
        only = os.environ.get("TAP_ONLY")
        tests = [t for t in self.tests if not only or only in t[0]]
        print("TAP version 13")
        if ON_SERVER and not PG_URI:
            print("1..0 # SKIP TAGSMITH_TEST_PG_URI names no PostgreSQL server")
            sys.exit(0)
        print(f"1..{len(tests)}")
        failed = 0
        for i, (name, fn, skip) in enumerate(tests, 1):
            if skip is not None:
                print(f"ok {i} - {name} # SKIP {skip}")
                continue
            start = time.monotonic()
            try:
                fn()
                print(f"ok {i} - {name}")
            except Exception as e:  # noqa: BLE001 - a test's failure of any kind is reported
                failed += 1
                print(f"not ok {i} - {name}")
                detail = "".join(traceback.format_exception(e)).rstrip()
                for line in detail.splitlines():
                    print(f"# {line}")
            print(f"# {name}: {time.monotonic() - start:.2f}s")
            sys.stdout.flush()
        sys.exit(1 if failed else 0)


class Result:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return f"<exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


class Emulator:
    """A running tagsmith-emulator. The first line it prints is its pty path."""

    def __init__(self, ws, *args):
        self.ws = ws
        # With --verbose the AT traffic goes to a file, where commands() reads
        # what the modem really received; a pipe nobody reads would fill up.
        self.log_path = None
        stderr = subprocess.PIPE
        if "--verbose" in args:
            self.log_path = ws.path(f"emulator-{len(ws.emulators)}.log")
            stderr = open(self.log_path, "w")
        self.proc = subprocess.Popen([EMULATOR, *args], stdout=subprocess.PIPE,
                                     stderr=stderr, text=True, env=ws.env)
        if self.log_path:
            stderr.close()
        line = self.proc.stdout.readline().strip()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else open(self.log_path).read()
            raise Failure(f"tagsmith-emulator did not start: {err}")
        self.port = line

    def wait_for_command(self, text, timeout=60):
        """Waits until the emulator has received a command containing TEXT (needs --verbose)."""
        deadline = time.monotonic() + timeout
        while not any(text in command for command in self.commands()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"tagsmith-emulator never received a command with {text!r}")
            time.sleep(0.05)

    def commands(self):
        """Every AT command the emulated modem received so far, in order
        (--verbose only); a command's quoted content is shown escaped."""
        with open(self.log_path) as f:
            return [line[3:].rstrip("\n") for line in f if line.startswith("<- ")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        if self.proc.stderr:
            self.proc.stderr.close()


class SilentPort:
    """A pseudo-terminal with nothing behind it: a wrong port, or a kit whose bridge never
    answers. The test holds both ends, so it sees what tagsmith writes and the settings
    tagsmith gives the port. register() lists it where discovery finds running emulators."""

    TIOCGEXCL = 0x80045440  # _IOR('T', 0x40, int): is the tty in exclusive mode

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.port = os.ttyname(self.slave)

    def register(self, ws):
        folder = os.path.join(ws.env["XDG_RUNTIME_DIR"], "tagsmith", "emulators")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        name = f"silent-{os.path.basename(self.port)}.emulator"
        with open(os.path.join(folder, name), "w") as f:
            f.write(f"[Emulator]\nPort={self.port}\nPid={os.getpid()}\n")

    def read_some(self, proc, timeout=120):
        """Waits for bytes from proc, so the port is open and configured."""
        deadline = time.monotonic() + timeout
        while not select.select([self.master], [], [], 0.1)[0]:
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    proc.kill()
                raise Failure(f"nothing was written to {self.port}: {proc.communicate()!r}")
        return os.read(self.master, 4096)

    def drain(self):
        """Forgets what was written so far, so read_some() waits for the next program."""
        while select.select([self.master], [], [], 0)[0]:
            os.read(self.master, 4096)

    def flow_control(self):
        return bool(termios.tcgetattr(self.slave)[2] & termios.CRTSCTS)

    def exclusive(self):
        flag = fcntl.ioctl(self.slave, self.TIOCGEXCL, struct.pack("i", 0))
        return struct.unpack("i", flag)[0] != 0

    def close(self):
        os.close(self.slave)
        os.close(self.master)


class Workspace:
    """A scratch folder with its own ledger, XDG folders and emulators.
    Removed when the test process exits unless KEEP_TEST_DIRS is set."""

    _all = []

    def __init__(self, ledger=None):
        """ledger: another workspace's ledger to share (one station of several), or None for
        a ledger of its own."""
        self.dir = tempfile.mkdtemp(prefix="tagsmith-test-")
        self.db = ledger or os.path.join(self.dir, "fleet.db")
        self.env = dict(os.environ)
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            path = os.path.join(self.dir, name.lower())
            os.makedirs(path, mode=0o700, exist_ok=True)
            self.env[name] = path
        self.server_db = None
        self.env["TAGSMITH_DB"] = self.db
        if ON_SERVER and ledger is None:
            self.use_server_ledger()
        self.emulators = []
        self.state_files = []
        Workspace._all.append(self)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, content, mode="w"):
        p = self.path(name)
        with open(p, mode) as f:
            f.write(content)
        return p

    def cli_argv(self, *args, pass_=None):
        """The argv and environment of `tagsmith ARGS`, behind TAGSMITH_WRAPPER
        (e.g. "valgrind --error-exitcode=99 --leak-check=full") when that is set."""
        env = dict(self.env)
        argv = [TAGSMITH, *[str(a) for a in args]]
        if pass_ is not None:
            env["TS_TEST_PASS"] = pass_
            argv[1:1] = ["--pass", "env:TS_TEST_PASS"]
        return WRAPPER + argv, env

    def cli(self, *args, pass_=None, input=None, timeout=120, check=False):
        """Runs `tagsmith ARGS`. pass_ gives the CA passphrase through the environment."""
        argv, env = self.cli_argv(*args, pass_=pass_)
        if WRAPPER:
            timeout *= 20
        proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                              input=input, timeout=timeout)
        result = Result(proc)
        if check and result.returncode != 0:
            raise Failure(f"tagsmith {' '.join(map(str, args))} failed: {result!r}")
        return result

    def use_server_ledger(self):
        """Moves this workspace to a new database of its own on the server, dropped
        when the workspace closes, and returns its URI."""
        self.server_db = "ledger_" + os.path.basename(self.dir).replace("-", "_").lower()
        self.db = self.env["TAGSMITH_DB"] = server_ledger(self.server_db)
        return self.db

    def query(self, sql, *params):
        """The rows of @sql on this workspace's ledger; `?` takes @params in order."""
        return ledger_query(self.db, sql, params)

    def emulator(self, *args):
        emu = Emulator(self, *args)
        self.emulators.append(emu)
        return emu

    def kit(self, *args):
        """An emulator whose store persists in a state file of this workspace,
        so check_store_matches_ledger() can read what it really holds."""
        state = self.path(f"kit-{len(self.state_files)}.state")
        self.state_files.append(state)
        return self.emulator("--state", state, *args)

    def close(self):
        for emu in self.emulators:
            emu.stop()
        self.emulators.clear()
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.server_db is not None:
                psql(PG_URI, f'DROP DATABASE IF EXISTS "{self.server_db}" WITH (FORCE)')
                self.server_db = None


def psql(uri, sql):
    """Runs @sql with psql on @uri and returns what it prints, unaligned."""
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"psql failed on {sql!r}: {r.stderr}")
    return r.stdout


def server_ledger(name):
    """A new empty database on the suite's PostgreSQL server, as a ledger URI
    (the server's own URI with another database name)."""
    if not PG_URI:
        raise Failure("TAGSMITH_TEST_PG_URI names no PostgreSQL server")
    psql(PG_URI, f'CREATE DATABASE "{name}"')
    return re.sub(r"^(postgres(?:ql)?://[^/?]*/)[^?]*", lambda m: m.group(1) + name, PG_URI)


def _sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def ledger_query(db, sql, params=()):
    """The rows of @sql (with `?` placeholders) as tuples, from a ledger file or a
    postgresql:// ledger; on the server the rows travel as JSON, so numbers stay numbers."""
    if not re.match(r"^postgres(ql)?://", db):
        con = sqlite3.connect(db, timeout=30)
        try:
            rows = con.execute(sql, params).fetchall()
            con.commit()
            return rows
        finally:
            con.close()
    values = iter(params)
    bound = re.sub(r"'[^']*'|\?", lambda m: m.group(0) if m.group(0) != "?" else _sql_literal(next(values)), sql)
    if not re.match(r"^\s*(SELECT|WITH)\b", bound, re.IGNORECASE):
        psql(db, bound)
        return []
    out = psql(db, f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({bound}) q")
    return json.loads(out, object_pairs_hook=lambda pairs: tuple(value for _, value in pairs))


def read_store(state_file):
    """(imei, {(sec_tag, type): SHA-256 of the stored bytes, upper-case hex})
    from a tagsmith-emulator state file: the emulated modem's flash."""
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#",))
    parser.optionxform = str
    parser.read(state_file)
    store = {}
    for group in parser.sections():
        if group.startswith("Credential "):
            entry = parser[group]
            content = base64.b64decode(entry["Content"])
            store[(int(entry["Tag"]), int(entry["Type"]))] = hashlib.sha256(content).hexdigest().upper()
    return parser["Device"]["Imei"], store


def store_vs_ledger(db_path, state_file, settled=True):
    """What the ledger claims about the kit of @state_file that its store does
    not back up, as a list of sentences (empty when the ledger tells the truth):
    - each install claimed verified is held, with the recorded SHA-256 of the
      bytes sent (recomputed from the stored bytes; a %KEYGEN key has none, so
      it must be present);
    - each certificate stamped installed has a verified install, and the
      IMEI's current certificate, when an install of it is claimed, is on the modem;
    - when @settled (after a run that completed): no certificate a newer one
      supersedes is still valid although it is on the modem no more."""
    imei, store = read_store(state_file)
    problems = []

    def rows(sql):
        return ledger_query(db_path, sql, (imei,))

    for iid, tag, ctype, sha in rows(
            "SELECT id, sec_tag, cred_type, sha256 FROM installs WHERE imei = ? AND state = 'verified'"):
        held = store.get((tag, ctype))
        if held is None:
            problems.append(f"install {iid} (sec_tag {tag} type {ctype}) is verified, but the modem holds nothing there")
        elif sha is not None and sha.upper() != held:
            problems.append(f"install {iid} (sec_tag {tag} type {ctype}) is verified as {sha}, but the modem holds {held}")
    # A deletion cut short leaves its install "removing": still claimed until the next run settles it.
    holding = "('verified')" if settled else "('verified', 'removing')"
    for serial, in rows(
            "SELECT serial FROM certificates c WHERE imei = ? AND installed_at IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM installs i WHERE i.certificate_id = c.id AND i.state IN {holding})"):
        problems.append(f"certificate {serial} is stamped installed without a verified install")
    for serial, tag, lf, crlf in rows(
            "SELECT c.serial, i.sec_tag, c.sha256_lf, c.sha256_crlf FROM devices d "
            "JOIN certificates c ON c.id = d.current_certificate_id "
            "JOIN installs i ON i.certificate_id = c.id AND i.state IN ('verified', 'written') "
            "WHERE d.imei = ?"):
        if store.get((tag, 1)) not in (lf.upper(), crlf.upper()):
            problems.append(f"current certificate {serial} is claimed in sec_tag {tag}, but the modem does not hold it")
    if settled:
        for serial, in rows(
                "SELECT old.serial FROM certificates old JOIN certificates new ON new.supersedes_id = old.id "
                "WHERE old.imei = ? AND old.status = 'valid' AND EXISTS "
                "(SELECT 1 FROM installs i WHERE i.certificate_id = old.id) AND NOT EXISTS "
                "(SELECT 1 FROM installs i WHERE i.certificate_id = old.id AND "
                "i.state IN ('intent', 'written', 'verified', 'removing'))"):
            problems.append(f"certificate {serial} is superseded and off the modem, yet still valid")
    return problems


def check_store_matches_ledger(tap, ws, what, settled=True):
    """Fails @tap's test unless the ledger tells the truth about every kit of @ws."""
    for state in ws.state_files:
        if os.path.exists(state) and (re.match(r"^postgres(ql)?://", ws.db) or os.path.exists(ws.db)):
            tap.eq(store_vs_ledger(ws.db, state, settled), [], f"{what}: {os.path.basename(state)}")


def _cleanup():
    for ws in Workspace._all:
        ws.close()


import atexit  # noqa: E402 - registered after the class it cleans up
atexit.register(_cleanup)
