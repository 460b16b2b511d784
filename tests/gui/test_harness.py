"""The GUI harness keeps test programs apart: a program ended on its timeout takes its
Tagsmith with it, and a Tagsmith left running anyway is never mistaken for the next one's."""

import os
import signal
import subprocess
import sys

from tsgui import TAGSMITH, App, Tap, app_owner_pid, scratch_dir, wait_for

tap = Tap()
scratch = scratch_dir("tagsmith-gui-")
ENV = dict(os.environ, TAGSMITH_DB=os.path.join(scratch, "fleet.db"))

# A test program that opens the window, says its app's process id and waits to be ended.
PROGRAM = """
import sys, tsgui
app = tsgui.App()
print(app.proc.pid, flush=True)
sys.stdin.read()
"""


def ended(pid):
    """Whether process PID has exited (gone, or a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@tap.test("a test program ended by SIGTERM, as on its timeout, ends its Tagsmith")
def _():
    # Its own process group, which meson signals as a whole on a timeout.
    program = subprocess.Popen([sys.executable, "-c", PROGRAM], env=ENV, start_new_session=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(program.stdout.readline())
    assert app_owner_pid() == pid, (app_owner_pid(), pid)
    os.killpg(program.pid, signal.SIGTERM)
    assert program.wait(timeout=30) != 0
    wait_for(lambda: ended(pid) and app_owner_pid() is None)


@tap.test("a Tagsmith left running is ended, and the new window is the test's own")
def _():
    leftover = subprocess.Popen([TAGSMITH], env=ENV, start_new_session=True)
    try:
        wait_for(lambda: app_owner_pid() == leftover.pid)
        app = App(env=ENV)
        try:
            assert app.node.get_process_id() == app.proc.pid, (app.node.get_process_id(), app.proc.pid)
            assert app.proc.poll() is None
            leftover.wait(timeout=30)
        finally:
            app.close()
    finally:
        if leftover.poll() is None:
            os.killpg(leftover.pid, signal.SIGKILL)
            leftover.wait()


tap.done()
