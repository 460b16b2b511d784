"""The GUI harness keeps test programs apart: a program ended on its timeout takes its
Tagsmith with it, and a Tagsmith left running anyway is never mistaken for the next one's."""

import os
import signal
import subprocess
import sys
import tempfile

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


# A test program whose one case stops (or kills) its Tagsmith, then fails on it, as a case does
# when the app crashed or hung under it.
FAILING_PROGRAM = """
import os, signal, sys, tsgui
app = tsgui.App()
tap = tsgui.Tap()

@tap.test("the app goes away")
def _():
    os.kill(app.proc.pid, getattr(signal, sys.argv[1]))
    tsgui.wait_for(lambda: app.window.name == "never", 2)

try:
    tap.done()
finally:
    os.kill(app.proc.pid, signal.SIGCONT) if app.proc.poll() is None else None
    app.close()
"""


def failing_program_says(signal_name):
    out = subprocess.run([sys.executable, "-c", FAILING_PROGRAM, signal_name], env=ENV,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    return out.stdout


@tap.test("a failed case says that its Tagsmith died, and of what")
def _():
    said = failing_program_says("SIGKILL")
    assert "not ok 1" in said, said
    assert "# app: tagsmith (pid" in said and "has exited with signal SIGKILL" in said, said


@tap.test("a failed case shows where a Tagsmith that still runs is stuck")
def _():
    said = failing_program_says("SIGSTOP")
    assert "# app: tagsmith (pid" in said and "its main thread is in:" in said, said
    frames = [line for line in said.splitlines() if line.startswith("# app:   #")]
    assert frames, said


# A test program whose first case makes its Tagsmith log a critical (gdb calls into the running
# app), and whose next case finds the app still there.
CRITICAL_PROGRAM = """
import subprocess, tsgui
app = tsgui.App()
tap = tsgui.Tap()

@tap.test("the app logs a critical")
def _():
    subprocess.run(["gdb", "-p", str(app.proc.pid), "-batch", "-nx", "-ex",
                    'call (void) g_log ("Tagsmith", 8, "a critical for the harness")'],
                   check=True, capture_output=True, timeout=120)
    tsgui.wait_for(lambda: app.window.name == "Tagsmith")

@tap.test("the app still runs")
def _():
    assert app.proc.poll() is None

try:
    tap.done()
finally:
    app.close()
"""


@tap.test("a critical the app logs fails the case that caused it, and the app runs on")
def _():
    out = subprocess.run([sys.executable, "-c", CRITICAL_PROGRAM], env=ENV, capture_output=True, text=True,
                         timeout=600)
    said = out.stdout.splitlines()
    assert "not ok 1 - the app logs a critical" in said, out.stdout
    assert any("the app logged:" in line and "a critical for the harness" in line for line in said), out.stdout
    assert "ok 2 - the app still runs" in said, out.stdout


# A stand-in test program for run.py: its first run fails as SAID, its second passes.
FLAKY_PROGRAM = """
import os, sys
count = os.path.join(sys.argv[1], "runs")
runs = int(open(count).read()) + 1 if os.path.exists(count) else 1
open(count, "w").write(str(runs))
if runs == 1:
    print("TAP version 13\\n1..1\\nnot ok 1 - a case\\n" + sys.argv[2])
    sys.exit(1)
print("TAP version 13\\n1..1\\nok 1 - a case")
"""
RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")


def run_flaky(said):
    folder = tempfile.mkdtemp(dir=scratch)
    program = os.path.join(folder, "program.py")
    with open(program, "w") as f:
        f.write(FLAKY_PROGRAM)
    out = subprocess.run([sys.executable, RUN, program, folder, said], capture_output=True, text=True,
                         timeout=60)
    with open(os.path.join(folder, "runs")) as f:
        return out, int(f.read())


@tap.test("a program whose app GTK's AT-SPI backend crashed runs once more, and says so")
def _():
    out, runs = run_flaky("# app: logged (tagsmith:1): GLib-CRITICAL **: 10:19:34.305: "
                          "g_variant_is_object_path: assertion 'string != NULL' failed")
    assert runs == 2 and out.returncode == 0, (runs, out)
    assert out.stdout.startswith("# ran again: GTK 4.8's AT-SPI backend") and "ok 1 - a case" in out.stdout, out
    assert "not ok 1 - a case" in out.stderr, out.stderr


@tap.test("a program that fails otherwise runs once, and fails")
def _():
    out, runs = run_flaky("# AssertionError: the toast never came")
    assert runs == 1 and out.returncode == 1, (runs, out)
    assert "not ok 1 - a case" in out.stdout, out


tap.done()
