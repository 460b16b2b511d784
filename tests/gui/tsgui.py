"""Shared helpers for Tagsmith's GUI tests: start the real app under the session made by
session.sh, find it through AT-SPI with dogtail, print TAP, and take screenshots."""

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

os.environ.setdefault("LANG", "C.UTF-8")

from dogtail import config as dogtail_config  # noqa: E402
dogtail_config.config.logDebugToFile = False
dogtail_config.config.logDebugToStdOut = False
dogtail_config.config.searchCutoffCount = 20
dogtail_config.config.defaultDelay = 0.2
dogtail_config.config.actionDelay = 0.2
from dogtail import tree  # noqa: E402
from dogtail.rawinput import absoluteMotion  # noqa: E402
from dogtail.predicate import GenericPredicate  # noqa: E402

TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
SOURCE_ROOT = os.environ.get("TAGSMITH_SOURCE_ROOT", ".")
SCREENSHOTS = os.path.join(SOURCE_ROOT, "data", "screenshots")
# The sizes README.md shows the window at: a laptop's screen, and a phone held upright.
WIDE = (1280, 800)
NARROW = (360, 720)
REFRESH = bool(os.environ.get("TAGSMITH_REFRESH_SCREENSHOTS"))


def scratch_dir(prefix):
    """A scratch folder for one GUI test, removed when the test exits unless KEEP_TEST_DIRS
    is set (as tsharness.Workspace does for the integration tests)."""
    path = tempfile.mkdtemp(prefix=prefix)
    if not os.environ.get("KEEP_TEST_DIRS"):
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def wait_for(fn, timeout=20, what=None, poll=0.3):
    """What FN returns once it is true, polling every POLL seconds until TIMEOUT seconds have
    passed; then fails, saying WHAT was waited for when given."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            found = fn()
            if found:
                return found
        except Exception as e:  # noqa: BLE001 - keep polling until the timeout
            last = e
        time.sleep(poll)
    raise AssertionError(what or f"timed out waiting ({last})")


def start_emulator(runtime, *args, stderr=None):
    """A tagsmith-emulator started with ARGS, its kit listed in RUNTIME (its XDG_RUNTIME_DIR),
    once it has printed its port."""
    proc = subprocess.Popen([os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator"), *args],
                            stdout=subprocess.PIPE, stderr=stderr, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
    assert proc.stdout.readline().strip(), "tagsmith-emulator did not start"
    return proc


APP_ID = "io.github.tagsmith.Tagsmith"
# The apps a test started and has not closed: ended with it however it ends.
_running = []


def _end_running_apps(signum, _frame):
    """Meson ends a test program on its timeout with SIGTERM (then SIGKILL half a second
    later): end its apps at once, so that none is left in the session for the next program."""
    for app in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(app.proc.pid, signal.SIGTERM)
    raise SystemExit(128 + signum)


for _signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_signum, _end_running_apps)


def _session_bus_call(method, *args):
    from gi.repository import Gio, GLib
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    reply = bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          method, GLib.Variant("(s)", args), None, Gio.DBusCallFlags.NONE, -1)
    return reply.unpack()[0]


def app_owner_pid():
    """The process that holds Tagsmith's application name on the session bus, or None."""
    if not _session_bus_call("NameHasOwner", APP_ID):
        return None
    with contextlib.suppress(Exception):  # it may let go of the name meanwhile
        return _session_bus_call("GetConnectionUnixProcessID", APP_ID)
    return None


def _end_leftover_app():
    """Ends a Tagsmith that an earlier test program left running in this session (killed
    before it could close it): a new one would only hand its window to that one."""
    pid = app_owner_pid()
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)  # the apps run in their own process group
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: app_owner_pid() is None, 30, poll=0.1,
             what=f"a leftover tagsmith (pid {pid}) keeps the application name")


class App:
    """The running tagsmith window: the accessible application of the process it started.

    Its criticals fail the case that caused them (Tap.done) rather than end the app, as
    G_DEBUG=fatal-criticals would: an app killed mid-test fails every later case too and hides
    which call went wrong. A test that passes its own STDERR gets the app as it is."""

    def __init__(self, *args, env=None, stderr=None):
        self.env = dict(os.environ, **(env or {}))
        self.criticals = []
        watch = stderr is None
        if watch:
            debug = [f for f in self.env.get("G_DEBUG", "").split(",") if f and f != "fatal-criticals"]
            self.env["G_DEBUG"] = ",".join(debug)
        _end_leftover_app()
        # Its own process group, so that closing it also ends the virtual devices it started
        # (they share the test's stdout, which meson waits on).
        self.proc = subprocess.Popen([TAGSMITH, *args], env=self.env, start_new_session=True,
                                     stderr=subprocess.PIPE if watch else stderr)
        if watch:
            threading.Thread(target=self._read_stderr, daemon=True).start()
        _running.append(self)
        atexit.register(self.close)
        deadline = time.monotonic() + 30
        self.node = None
        while time.monotonic() < deadline and self.node is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tagsmith exited ({self.proc.returncode}) before its window appeared")
            self.node = next((a for a in tree.root.children if _safe(self._is_mine, a)), None)
            if self.node is None:
                time.sleep(0.5)
        if self.node is None:
            raise RuntimeError("the tagsmith window never appeared on the accessibility bus")
        self.window = self.wait_for(lambda: self.node.child(roleName="frame", retry=False))

    def _read_stderr(self):
        """Passes the app's stderr on to the test's, keeping the criticals in it."""
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            sys.stderr.write(line)
            if "-CRITICAL **" in line:
                self.criticals.append(line.strip())

    def _is_mine(self, application):
        return application.name == "tagsmith" and application.get_process_id() == self.proc.pid

    def wait_for(self, fn, timeout=20):
        return wait_for(fn, timeout)

    def row_value(self, window, title):
        """The value label beside the label TITLE in its row (the first other named label)."""
        label = self.find_matching(lambda n: n.roleName == "label" and n.name == title, window)
        row = label.parent
        while row is not None:
            values = row.findChildren(lambda n: n.roleName == "label" and n.name and n.name != title)
            if values:
                return values[0]
            row = row.parent
        raise AssertionError(f"no value beside {title}")

    def find(self, name, role=None, timeout=20):
        pred = GenericPredicate(name=name, roleName=role)
        return self.wait_for(lambda: self.window.findChild(pred, retry=False, requireResult=False), timeout)

    def find_anywhere(self, name, role=None, timeout=20):
        """Like find(), across every window of the app (dialogs, device windows)."""
        pred = GenericPredicate(name=name, roleName=role)
        return self.wait_for(lambda: self.node.findChild(pred, retry=False, requireResult=False),
                             timeout)

    def find_matching(self, test, root=None, timeout=20):
        """The first node under ROOT (default: the whole app) for which TEST(node) holds."""
        root = root or self.node

        def look():
            found = root.findChildren(lambda n: _safe(test, n), recursive=True)
            return found[0] if found else None
        return self.wait_for(look, timeout)

    def click(self, name, role="push button", timeout=20):
        """Clicks a button found by accessible name anywhere in the app."""
        button = self.find_anywhere(name, role, timeout)
        button.doActionNamed("click")
        return button

    def window_named(self, name, timeout=20):
        """A top-level window (frame or dialog) of the app by its title."""
        return self.wait_for(lambda: next((w for w in self.node.children if w.name == name), None),
                             timeout)

    def device_window(self, imei, timeout=30):
        """The device window (titled after the kit) that shows IMEI, once it is open."""
        def opened():
            for w in self.node.children:
                if w.name.startswith("Virtual") and w.findChildren(
                        lambda n: n.roleName == "label" and n.name == imei):
                    return w
            return None
        return self.wait_for(opened, timeout)

    def content_title(self):
        """The title of the page on show. GTK 4.8 reports no "showing" state, so the tests
        read the content header's title instead."""
        for title in self.window.findChildren(lambda n: n.name == "AdwWindowTitle"):
            text = title.children[0].children[0].name
            if text != "Tagsmith":  # the sidebar's header carries the app name
                return text
        return None

    def screenshot(self, name, size=WIDE):
        """Saves the main window at SIZE to data/screenshots/NAME.png when
        TAGSMITH_REFRESH_SCREENSHOTS is set (`./tests/dev.sh screenshots` sets it)."""
        return self.screenshot_window(self.window, name, size)

    def screenshot_window(self, window, name, size=None):
        """Saves WINDOW (the main window, a device window, a dialog) like screenshot(), at SIZE
        if given (then back at its own size), once two captures in a row are the same picture,
        so transitions have finished. Without TAGSMITH_REFRESH_SCREENSHOTS it does nothing."""
        if not REFRESH:
            return None
        if size:
            with self.sized(window, size):
                return self.screenshot_window(window, name)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name + ".png")
        xid = _x_window(window)
        margin = _margin(window, xid)

        def crop():
            # Read each time, as a window asked for less than it can be grows back.
            x, y, xw, xh = _x_geometry(xid)
            return ["import", "-window", "root", "-crop",
                    f"{xw - margin[0]}x{xh - margin[1]}+{x + margin[0] // 2}+{y + margin[1] // 2}",
                    "+repage"]

        def capture():
            args = crop()
            return args, subprocess.run([*args, "rgb:-"], check=True, capture_output=True).stdout

        previous = [capture()]

        def still():
            now = capture()
            if now == previous[0]:
                return True
            previous[0] = now
            return False

        self.wait_for(still)
        subprocess.run([*previous[0][0], path], check=True)
        return path

    @contextlib.contextmanager
    def sized(self, window, size):
        """Within it, WINDOW's frame is SIZE while screenshots are being retaken, so that a test
        can show a page at a phone's width before its screenshot; otherwise it changes nothing."""
        if not REFRESH:
            yield
            return
        with self.resized(window, size):
            yield

    @contextlib.contextmanager
    def resized(self, window, size):
        """Within it, WINDOW's frame is SIZE, or as near as its content lets GTK make it,
        as after a person dragged its corner; afterwards it is back at its own size."""
        xid = _x_window(window)
        restore = _resize(window, xid, _margin(window, xid), size)
        try:
            yield
        finally:
            restore()

    def close(self):
        with contextlib.suppress(ValueError):
            _running.remove(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        # The virtual devices write into the scratch folder as they exit: wait until they are
        # gone, so the folder can be removed after this.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(self.proc.pid, signal.SIGKILL)


class StoreKit:
    """A ledger, a virtual device that keeps its flash in a state file, and the window on
    both, each in a scratch folder of the test's: what the tests of the device window's
    store share. The ledger is made with cli() before start() opens the window."""

    def __init__(self, prefix, imei, passphrase):
        self.imei = imei
        self.passphrase = passphrase
        self.scratch = scratch_dir(prefix)
        # The ledger and the PEMs sit in folders of their own: the file chooser opens every
        # file of each folder it lists, and closing a file that a SQLite connection of the
        # same process holds drops that connection's locks.
        os.makedirs(os.path.join(self.scratch, "ledger"))
        self.ledger = os.path.join(self.scratch, "ledger", "fleet.db")
        self.state_file = os.path.join(self.scratch, f"{imei}.state")
        self.pem_dir = os.path.join(self.scratch, "pem")
        os.makedirs(self.pem_dir)
        # Its own data and runtime folders: virtual devices other tests of this session left
        # behind register in theirs and would crowd the Devices page.
        self.data_home = os.path.join(self.scratch, "data")
        self.runtime = os.path.join(self.scratch, "runtime")
        os.makedirs(self.runtime, mode=0o700)
        self.emulator_log = os.path.join(self.scratch, "emulator.log")
        self.emulator = None
        self.app = None

    def cli(self, *args, unlocked=True):
        return ledger_cli(self.ledger, *args, passphrase=self.passphrase if unlocked else None)

    def emulator_log_text(self):
        with open(self.emulator_log) as f:
            return f.read()

    def start(self):
        """Starts the virtual device and the window on the ledger; returns the App."""
        # --verbose puts the emulated modem's AT traffic in a log, to see what it was sent when.
        with open(self.emulator_log, "w") as log:
            self.emulator = start_emulator(self.runtime, "--imei", self.imei, "--cfun", "1", "--verbose",
                                           "--state", self.state_file, stderr=log)
        self.app = App(env={"TAGSMITH_DB": self.ledger, "XDG_DATA_HOME": self.data_home,
                            "XDG_RUNTIME_DIR": self.runtime})
        return self.app

    def open_device(self):
        """Opens the device window from the Devices page, by the IMEI its row shows."""
        app = self.app
        # The window comes back on the page it was left on by earlier tests in this session.
        app.find("Pages", "list").querySelection().selectChild(0)
        app.wait_for(lambda: app.content_title() == "Devices")
        app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual"),
                          app.window, timeout=30).doActionNamed("click")
        return app.device_window(self.imei)

    def close(self):
        if self.app is not None:
            self.app.close()
        if self.emulator is not None and self.emulator.poll() is None:
            self.emulator.send_signal(signal.SIGTERM)
            self.emulator.wait(timeout=10)


def ledger_cli(ledger, *args, passphrase=None):
    """Runs `tagsmith --db LEDGER ARGS` and returns its output; with PASSPHRASE the ledger is
    unlocked through the environment. Fails the test when the command fails."""
    env = dict(os.environ, TS_TEST_PASS=passphrase or "")
    unlock = ["--pass", "env:TS_TEST_PASS"] if passphrase is not None else []
    out = subprocess.run([TAGSMITH, "--db", ledger, *unlock, *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


def select(node):
    """Selects the item NODE is in, through the accessible selection of the nearest list
    above it (GTK 4.8 list views have one), as a screen reader would: GTK 4.8 reports no
    screen positions to click at."""
    child, parent = node, node.parent
    while parent is not None:
        try:
            if parent.querySelection().selectChild(child.indexInParent):
                return
        except Exception:  # noqa: BLE001 - no selection here: look further up
            pass
        child, parent = parent, parent.parent
    raise AssertionError("no list to select in")


def point_at(window, node):
    """Moves the pointer onto the middle of NODE, in the top-level WINDOW, as a person would."""
    xid = _x_window(window)
    x, y, _, _ = _x_geometry(xid)
    margin = _margin(window, xid)
    # GTK 4 tells positions within the window's frame, inside its margin.
    nx, ny = node.position
    w, h = node.size
    absoluteMotion(x + margin[0] // 2 + nx + w // 2, y + margin[1] // 2 + ny + h // 2)


def _x_window(window):
    """The X window id of the top-level WINDOW, found by its title."""
    tree_out = subprocess.run(["xwininfo", "-root", "-children"], check=True,
                              capture_output=True, text=True).stdout
    for xid in re.findall(r"^\s+(0x[0-9a-f]+) ", tree_out, re.MULTILINE):
        title = subprocess.run(["xprop", "-id", xid, "-notype", "_NET_WM_NAME"],
                               capture_output=True, text=True).stdout
        if title.strip() == f'_NET_WM_NAME = "{window.name}"':
            return int(xid, 16)
    raise AssertionError(f"no X window is titled {window.name!r}")


def _x_geometry(xid):
    """Where the X window is on the screen and its size, margin included: x, y, width, height.
    (GTK 4 tells AT-SPI positions within the window, not on the screen.)"""
    info = subprocess.run(["xwininfo", "-id", hex(xid)], check=True, capture_output=True,
                          text=True).stdout
    field = lambda name: int(re.search(rf"^\s*{name}:\s*(-?\d+)", info, re.MULTILINE).group(1))  # noqa: E731
    return field("Absolute upper-left X"), field("Absolute upper-left Y"), field("Width"), field("Height")


def _margin(window, xid):
    """How much larger than WINDOW's frame its X window is: client-side decorations put a
    margin around it. Measured before a resize: after one, AT-SPI may tell an older size."""
    _, _, xw, xh = _x_geometry(xid)
    return xw - window.size[0], xh - window.size[1]


def _x_move_resize(xid, x, y, width, height):
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XMoveResizeWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_uint, ctypes.c_uint]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    if not display:
        raise AssertionError("cannot open the X display to resize a window")
    x11.XMoveResizeWindow(display, xid, x, y, width, height)
    x11.XCloseDisplay(display)  # flushes the request


def _resize(window, xid, margin, size):
    """Resizes WINDOW (X window XID, MARGIN larger) so that its frame is SIZE, as a person
    dragging its corner would, and waits until GTK has laid it out again; returns what puts
    it back."""
    x, y, xw, xh = _x_geometry(xid)
    (w, h) = (xw - margin[0], xh - margin[1])

    def to(width, height, at):
        before = tuple(window.size)
        _x_move_resize(xid, *at, width + margin[0], height + margin[1])
        if before == (width, height):
            return
        # Laid out again at that size, or at the smallest its content allows.
        wait_for(lambda: tuple(window.size) != before, poll=0.1,
                 what=f"{window.name!r} stayed {before}, asked for {width}x{height}")

    # The frame at the screen's corner: GTK keeps a window within the screen, margin included.
    to(*size, (-(margin[0] // 2), -(margin[1] // 2)))
    return lambda: to(w, h, (x, y))


def _safe(test, node):
    try:
        return test(node)
    except Exception:  # noqa: BLE001 - nodes can vanish while being inspected
        return False


class Skip(Exception):
    """Raised by a test that cannot run here yet; reported as TAP `# SKIP reason`."""


def _take_criticals():
    """The criticals the running apps logged since the last call."""
    found = []
    for app in list(_running):
        found += app.criticals
        app.criticals.clear()
    return found


def _apps_report():
    """Lines on how each running tagsmith fares, for a failed case: whether it died, and how,
    or where its main thread is (an app that does not answer the accessibility bus any more
    is either gone or stuck, and the case's own error cannot tell which)."""
    for app in list(_running):
        status = app.proc.poll()
        if status is not None:
            how = f"signal {signal.Signals(-status).name}" if status < 0 else f"status {status}"
            yield f"tagsmith (pid {app.proc.pid}) has exited with {how}"
            continue
        try:
            out = subprocess.run(["gdb", "-p", str(app.proc.pid), "-batch", "-nx", "-ex", "bt 12"],
                                 capture_output=True, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            yield f"tagsmith (pid {app.proc.pid}) runs; its main thread could not be read ({e})"
            continue
        frames = [re.sub(r" \(.*?\) (at|from) ", " ", line) for line in out.splitlines()
                  if line.startswith("#")]
        yield f"tagsmith (pid {app.proc.pid}) runs; its main thread is in:"
        yield from (f"  {frame}" for frame in frames or ["(gdb could not attach)"])


class Tap:
    def __init__(self):
        self.tests = []

    def test(self, name):
        def register(fn):
            self.tests.append((name, fn))
            return fn
        return register

    def done(self):
        print("TAP version 13")
        print(f"1..{len(self.tests)}")
        failed = 0
        for i, (name, fn) in enumerate(self.tests, 1):
            try:
                fn()
                criticals = _take_criticals()
                if criticals:
                    raise AssertionError("the app logged: " + " | ".join(criticals))
                print(f"ok {i} - {name}")
            except Skip as e:
                print(f"ok {i} - {name} # SKIP {e}")
            except Exception as e:  # noqa: BLE001 - report any failure as not ok
                failed += 1
                print(f"not ok {i} - {name}")
                for line in "".join(traceback.format_exception(e)).splitlines():
                    print(f"# {line}")
                for line in [*(f"logged {c}" for c in _take_criticals()), *_apps_report()]:
                    print(f"# app: {line}")
            sys.stdout.flush()
        sys.exit(1 if failed else 0)
