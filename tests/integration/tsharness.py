"""Shared helpers for Tagsmith's integration tests: TAP output, scratch folders,
running the real `tagsmith` CLI and starting `tagsmith-emulator` on a pty.

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

import fcntl
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import struct
import tempfile
import termios
import time
import traceback

TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
WRAPPER = shlex.split(os.environ.get("TAGSMITH_WRAPPER", ""))
SOURCE_ROOT = os.environ.get("TAGSMITH_SOURCE_ROOT",
                             os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


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

    def test(self, name):
        def register(fn):
            self.tests.append((name, fn))
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
        print(f"1..{len(tests)}")
        failed = 0
        for i, (name, fn) in enumerate(tests, 1):
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
        self.proc = subprocess.Popen([EMULATOR, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=ws.env)
        line = self.proc.stdout.readline().strip()
        if not line:
            err = self.proc.stderr.read()
            raise Failure(f"tagsmith-emulator did not start: {err}")
        self.port = line

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
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

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tagsmith-test-")
        self.db = os.path.join(self.dir, "fleet.db")
        self.env = dict(os.environ)
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
            path = os.path.join(self.dir, name.lower())
            os.makedirs(path, mode=0o700, exist_ok=True)
            self.env[name] = path
        self.env["TAGSMITH_DB"] = self.db
        self.emulators = []
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

    def emulator(self, *args):
        emu = Emulator(self, *args)
        self.emulators.append(emu)
        return emu

    def close(self):
        for emu in self.emulators:
            emu.stop()
        self.emulators.clear()
        if not os.environ.get("KEEP_TEST_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


def _cleanup():
    for ws in Workspace._all:
        ws.close()


import atexit  # noqa: E402 - registered after the class it cleans up
atexit.register(_cleanup)
