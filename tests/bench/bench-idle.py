"""What an open, idle device window costs: the real window under the GUI session, a virtual
kit, and the process's CPU time (user + system, from /proc/PID/stat) over a stretch of
seconds, with the main window alone and then with the kit's device window open and loaded.
Run by hand (see RESULTS.md):

    tests/gui/session.sh meson test -C build --suite bench --verbose bench-idle

or, from the source root inside a GUI session, /usr/bin/python3 tests/bench/bench-idle.py BUILD.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "gui"))

if len(sys.argv) > 1:
    build = os.path.abspath(sys.argv[1])
    os.environ.setdefault("TAGSMITH", os.path.join(build, "src", "tagsmith"))
    os.environ.setdefault("TAGSMITH_EMULATOR", os.path.join(build, "firmware", "tagsmith-emulator"))
    os.environ.setdefault("GSETTINGS_SCHEMA_DIR", os.path.join(build, "data"))

from tsgui import App, scratch_dir  # noqa: E402

IMEI = "352656100000036"
SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "30"))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(pid, label):
    start_cpu, start = cpu_seconds(pid), time.monotonic()
    time.sleep(SECONDS)
    used, wall = cpu_seconds(pid) - start_cpu, time.monotonic() - start
    share = 100 * used / wall
    print(f"{label}: {used:.2f} s of CPU in {wall:.1f} s = {share:.2f}% of a core", flush=True)
    return share


scratch = scratch_dir("tagsmith-bench-idle-")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
emulator = subprocess.Popen([os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator"),
                             "--imei", IMEI, "--cfun", "1"],
                            stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, XDG_RUNTIME_DIR=runtime))
assert emulator.stdout.readline().strip(), "tagsmith-emulator did not start"
app = App(env={"TAGSMITH_DB": os.path.join(scratch, "fleet.db"),
               "XDG_DATA_HOME": os.path.join(scratch, "data"), "XDG_RUNTIME_DIR": runtime})
try:
    app.find("Pages", "list").querySelection().selectChild(0)
    opener = app.find_matching(lambda n: n.roleName == "push button" and n.name.startswith("Open Virtual"),
                               app.window, timeout=60)
    main_only = measure(app.proc.pid, "main window, Devices page")
    opener.doActionNamed("click")
    window = app.device_window(IMEI, timeout=60)
    # Counted once the window has read the modem and shows its store (the groups of its
    # sec_tags, or the empty store's), not while it is still reading.
    app.find_matching(lambda n: n.name == "Credential Store" or n.name.startswith("sec_tag "),
                      window, timeout=60)
    with_window = measure(app.proc.pid, "device window open and idle")
    print(f"idle device window adds {with_window - main_only:.2f}% of a core")
finally:
    app.close()
    emulator.terminate()
    emulator.wait(timeout=10)
