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


class App:
    """The running tagsmith window, found by its AT-SPI application name."""

    def __init__(self, *args, env=None, stderr=None):
        self.env = dict(os.environ, **(env or {}))
        # Its own process group, so that closing it also ends the virtual devices it started
        # (they share the test's stdout, which meson waits on).
        self.proc = subprocess.Popen([TAGSMITH, *args], env=self.env, start_new_session=True,
                                     stderr=stderr)
        deadline = time.monotonic() + 30
        self.node = None
        while time.monotonic() < deadline:
            try:
                self.node = tree.root.application("tagsmith")
                break
            except Exception:  # noqa: BLE001 - not on the bus yet
                time.sleep(0.5)
        if self.node is None:
            raise RuntimeError("the tagsmith window never appeared on the accessibility bus")
        self.window = self.wait_for(lambda: self.node.child(roleName="frame", retry=False))

    def wait_for(self, fn, timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                found = fn()
                if found:
                    return found
            except Exception as e:  # noqa: BLE001 - keep polling until the timeout
                last = e
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting ({last})")

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


def ledger_cli(ledger, *args, passphrase=None):
    """Runs `tagsmith --db LEDGER ARGS` and returns its output; with PASSPHRASE the ledger is
    unlocked through the environment. Fails the test when the command fails."""
    env = dict(os.environ, TS_TEST_PASS=passphrase or "")
    unlock = ["--pass", "env:TS_TEST_PASS"] if passphrase is not None else []
    out = subprocess.run([TAGSMITH, "--db", ledger, *unlock, *args],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


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
        deadline = time.monotonic() + 20
        while tuple(window.size) == before:
            if time.monotonic() > deadline:
                raise AssertionError(f"{window.name!r} stayed {before}, asked for {width}x{height}")
            time.sleep(0.1)

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
                print(f"ok {i} - {name}")
            except Skip as e:
                print(f"ok {i} - {name} # SKIP {e}")
            except Exception as e:  # noqa: BLE001 - report any failure as not ok
                failed += 1
                print(f"not ok {i} - {name}")
                for line in "".join(traceback.format_exception(e)).splitlines():
                    print(f"# {line}")
            sys.stdout.flush()
        sys.exit(1 if failed else 0)
