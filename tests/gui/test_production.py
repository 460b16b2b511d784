"""The Production page against virtual devices: a ledger with a root and an intermediate made
with the CLI, a line started for lot LOT-GUI-1, one kit that passes (added from the Devices
page), one that really fails (a legacy modem that cannot generate keys) and one whose port
never answers, the big verdict, the counters, the units list, Stop writing the report, the
export, the lot's dossier, and the ledger seen through the CLI."""

import csv
import json
import os
import re
import signal
import subprocess
import threading

from tsgui import App, Tap, scratch_dir

PASSPHRASE = "production bench passphrase"
LOT = "LOT-GUI-1"
TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
EMULATOR = os.environ.get("TAGSMITH_EMULATOR", "tagsmith-emulator")
FAILING_IMEI = "352656100120024"   # Luhn-valid
CLOSING_IMEI = "352656100120032"
HELD_IMEI = "352656100120040"

tap = Tap()
scratch = scratch_dir("tagsmith-gui-production-")
ledger = os.path.join(scratch, "fleet.db")
env = dict(os.environ, TAGSMITH_DB=ledger, TS_TEST_PASS=PASSPHRASE)
emulators = []
state = {}


def cli(*args):
    out = subprocess.run([TAGSMITH, "--pass", "env:TS_TEST_PASS", *args], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out.stdout


# The CAs come from the CLI: the window's own CA flows are covered by test_flows.py.
cli("ca", "init", "--name", "Bench Root")
cli("ca", "intermediate", "--name", "Bench CA", "--parent", "Bench Root")
# Its own data and runtime folders: the virtual devices of earlier tests in this session keep
# their credentials in theirs and register there, and the line would take them as kits.
data_home = os.path.join(scratch, "data")
runtime = os.path.join(scratch, "runtime")
os.makedirs(runtime, mode=0o700)
kit_env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
app = App(env={"TAGSMITH_DB": ledger, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": runtime})


def show_page(number, title):
    app.find("Pages", "list").querySelection().selectChild(number - 1)
    app.wait_for(lambda: app.content_title() == title)


def label(test, timeout=30):
    return app.find_matching(lambda n: n.roleName == "label" and test(n.name), app.window,
                             timeout)


def report_path(ext):
    return os.path.join(data_home, "tagsmith", "lots", f"lot-{LOT}.{ext}")


@tap.test("the setup form names the lot and the line starts after unlocking")
def _():
    show_page(4, "Production")
    lot = app.find_matching(lambda n: n.roleName == "text" and n.name == "Lot", app.window)
    lot.queryEditableText().setTextContents(LOT)
    app.click("Start Line")
    dialog = app.window_named("Unlock the Authorities")
    entry = app.find_matching(lambda n: n.roleName == "password text" and n.name == "Passphrase",
                              dialog)
    entry.queryEditableText().setTextContents(PASSPHRASE)
    app.click("Unlock")
    label(lambda name: name == "WAITING")
    label(lambda name: name.startswith(f"Lot {LOT}: waiting for the next kit"))
    label(lambda name: name == "0 passed")
    app.find("Stop Line", "push button")


@tap.test("the line's buttons sit in one row, without a gap")
def _():
    stop = app.find("Stop Line", "push button")
    middle = lambda n: n.position[1] + n.size[1] // 2  # noqa: E731

    def on_the_row(name):
        # The setup page has a Make Lot Dossier… button of its own, out of sight.
        found = app.window.findChildren(lambda n: n.roleName == "push button" and n.name == name
                                        and abs(middle(n) - middle(stop)) <= 2)
        assert found, f"{name} is not on the row of Stop Line"
        return found[0]

    row = [stop] + [on_the_row(name) for name in
                    ("Export Report…", "Open Folder", "Make Lot Dossier…")]
    # In order, spread evenly: no empty cell where the hidden New Line button is. (GTK 4.8
    # tells the extent of the pill's label, not of the pill, so the first gap looks wider.)
    gaps = [right.position[0] - (left.position[0] + left.size[0]) for left, right in zip(row, row[1:])]
    assert min(gaps) >= 0 and max(gaps) <= 2 * min(gaps), gaps


@tap.test("a virtual device is provisioned: PASS with its IMEI, 1 passed")
def _():
    show_page(1, "Devices")
    app.click("Add a Virtual Device")
    imei = re.compile(r"IMEI (\d{15})")
    row = app.find_matching(lambda n: imei.search(n.description or "") or imei.search(n.name),
                            timeout=30)
    state["imei"] = (imei.search(row.description or "") or imei.search(row.name)).group(1)
    show_page(4, "Production")
    label(lambda name: name == "PASS", timeout=90)
    label(lambda name: name == state["imei"])
    label(lambda name: name == "1 passed")
    label(lambda name: name == "0 failed")
    label(lambda name: name.startswith("provisioned in "))
    app.screenshot("production")


@tap.test("a modem that cannot generate keys fails, with the reason, 1 failed")
def _():
    proc = subprocess.Popen([EMULATOR, "--no-pacing", "--profile", "nrf9160-legacy",
                             "--imei", FAILING_IMEI], env=kit_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    emulators.append(proc)
    assert proc.stdout.readline().strip(), "the emulator did not start"
    label(lambda name: name == "FAIL", timeout=90)
    label(lambda name: name == FAILING_IMEI)
    label(lambda name: name == "1 failed")
    label(lambda name: name == "1 passed")
    # The units list, newest first, has both.
    units = app.find("Units of this lot", "list")
    names = [n.name for n in units.findChildren(lambda n: n.roleName == "label")]
    assert FAILING_IMEI in names and state["imei"] in names, names
    assert names.index(FAILING_IMEI) < names.index(state["imei"]), names


@tap.test("a kit whose port never answers is a FAIL too: counted, listed with its port, 2 failed")
def _():
    # Its bridge never sends a final result code, so its IMEI is never known.
    proc = subprocess.Popen([EMULATOR, "--no-pacing", "--fault", "drop-final=AT"], env=kit_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = proc.stdout.readline().strip()
    assert port, "the emulator did not start"
    state["silent_port"] = port
    label(lambda name: name == "2 failed", timeout=90)
    label(lambda name: name == "1 passed")
    units = app.find("Units of this lot", "list")
    names = [n.name for n in units.findChildren(lambda n: n.roleName == "label")]
    assert "IMEI unknown" in names, names
    assert any(f" · {port} · " in n and "answers AT commands" in n for n in names), names
    # Gone before the next lot, which would try it again.
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


@tap.test("Stop writes the report, which names every unit")
def _():
    app.click("Stop Line")
    label(lambda name: name.startswith(f"Lot {LOT} stopped: 1 passed, 2 failed"), timeout=60)
    app.find("New Line", "push button")
    with open(report_path("csv"), newline="") as f:
        rows = {r["imei"]: r for r in csv.DictReader(f)}
    assert rows[state["imei"]]["result"] == "PASS", rows
    assert rows[FAILING_IMEI]["result"] == "FAIL", rows
    assert rows[state["imei"]]["ca"] == "Bench CA", rows
    assert (rows[""]["result"], rows[""]["port"]) == ("FAIL", state["silent_port"]), rows
    with open(report_path("json")) as f:
        report = json.load(f)
    assert (report["lot"], report["passed"], report["failed"]) == (LOT, 1, 2), report


@tap.test("Export Report copies the lot report where the user chooses")
def _():
    app.click("Export Report…")
    chooser = app.window_named("Export Report", timeout=30)
    target = os.path.join(scratch, "exported.csv")
    name = app.find_matching(lambda n: n.roleName == "text" and n.name == "Name:", chooser)
    name.queryEditableText().setTextContents(target)
    # GTK 4.8 names the chooser's own buttons "_Export Export" (mnemonic and text).
    app.find_matching(lambda n: n.roleName == "push button" and n.name.endswith("Export"),
                      chooser).doActionNamed("click")
    app.wait_for(lambda: os.path.exists(target) and os.path.getsize(target) > 0, timeout=30)
    with open(target) as f:
        text = f.read()
    assert state["imei"] in text and FAILING_IMEI in text, text


@tap.test("the ledger lists the passed unit with a valid certificate, in the lot")
def _():
    valid = json.loads(cli("fleet", "list", "--status", "valid", "--json"))
    assert [r["imei"] for r in valid] == [state["imei"]], valid
    show = json.loads(cli("--json", "fleet", "show", state["imei"]))
    assert show["lot"] == LOT, show
    assert show["certificates"][0]["serial"], show


@tap.test("Make Lot Dossier writes the lot's signed folder beside the reports")
def _():
    app.click("Make Lot Dossier…")
    dialog = app.window_named("Make a Lot Dossier", timeout=30)
    # The lot on the bench is chosen first. GTK 4.8 names the response button
    # "_Make Dossier Make Dossier" (mnemonic and text).
    app.find_matching(lambda n: n.roleName == "combo box" and n.name == "Lot", dialog)
    app.find_matching(lambda n: n.roleName == "push button" and n.name.endswith("Make Dossier"),
                      dialog).doActionNamed("click")
    lots = os.path.join(data_home, "tagsmith", "lots")

    def written():
        return next((os.path.join(lots, n) for n in os.listdir(lots)
                     if n.startswith(f"dossier-{LOT}-")), None)
    folder = app.wait_for(written, timeout=60)
    label(lambda name: name.startswith("Dossier written to "), timeout=30)
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=folder,
                          capture_output=True, text=True)
    assert sums.returncode == 0, sums
    with open(os.path.join(folder, "dossier.json")) as f:
        dossier = json.load(f)
    units = {u["imei"]: u["result"] for u in dossier["units"]}
    assert units == {state["imei"]: "pass", FAILING_IMEI: "fail"}, units


@tap.test("a kit open in a device window fails on the line, naming the window, and is free once it closes")
def _():
    proc = subprocess.Popen([EMULATOR, "--no-pacing", "--imei", HELD_IMEI], env=kit_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    emulators.append(proc)
    port = proc.stdout.readline().strip()
    assert port, "the emulator did not start"
    show_page(1, "Devices")
    def row_text():
        """What the kit's row on the Devices page says (its subtitle)."""
        node = app.find_matching(lambda n: HELD_IMEI in (n.description or "") or
                                 HELD_IMEI in (n.name or ""), app.window, timeout=30)
        return (node.description or "") + (node.name or "")

    shown = app.find_matching(lambda n: HELD_IMEI in (n.description or "") or
                              HELD_IMEI in (n.name or ""), app.window, timeout=30)
    row = shown
    while not row.findChildren(lambda n: n.roleName == "push button" and n.name.startswith("Open")):
        row = row.parent
    row.findChildren(lambda n: n.roleName == "push button" and
                     n.name.startswith("Open"))[0].doActionNamed("click")
    window = app.device_window(HELD_IMEI)
    # The Devices page says where the kit is open.
    app.wait_for(lambda: "In use: open in a device window" in row_text())

    show_page(4, "Production")
    app.click("New Line")
    lot = app.find_matching(lambda n: n.roleName == "text" and n.name == "Lot", app.window)
    lot.queryEditableText().setTextContents("LOT-GUI-HELD")
    app.click("Start Line")
    label(lambda name: f" · {port} · " in name and "a device window" in name, timeout=90)
    assert not label(lambda name: f" · {port} · " in name).name.endswith("another program.")
    app.click("Stop Line")
    label(lambda name: name.startswith("Lot LOT-GUI-HELD stopped"), timeout=60)

    # Closed, the window gives the port back: the kit is free on the Devices page again.
    window.findChildren(lambda n: n.roleName == "push button" and n.name == "Close")[0] \
        .doActionNamed("click")
    show_page(1, "Devices")
    app.wait_for(lambda: "In use" not in row_text() and "Ready" in row_text(), timeout=30)


@tap.test("closing the window mid-unit cancels the line and puts the modem back online")
def _():
    app.click("New Line")
    lot = app.find_matching(lambda n: n.roleName == "text" and n.name == "Lot", app.window)
    lot.queryEditableText().setTextContents("LOT-GUI-2")
    app.click("Start Line")
    label(lambda name: name.startswith("Lot LOT-GUI-2: waiting for the next kit"))
    # The Close button is found before the kit comes: on a busy machine a walk of the whole
    # window is slower than the unit.
    close = app.find_matching(lambda n: n.roleName == "push button" and n.name == "Close",
                              app.window)
    # Online (+CFUN 1) with a key generation that outlasts the click on Close, so the window
    # closes mid-unit. The emulator logs what it receives; the window is closed once %KEYGEN
    # has arrived, whatever the machine's load made of the steps before it.
    proc = subprocess.Popen([EMULATOR, "--cfun", "1", "--keygen-ms", "60000", "--verbose",
                             "--imei", CLOSING_IMEI], env=kit_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    emulators.append(proc)
    port = proc.stdout.readline().strip()
    assert port, "the emulator did not start"
    for line in proc.stderr:
        if line.startswith("<- ") and "%KEYGEN" in line:
            break
    else:
        raise AssertionError("the line never asked the kit for a key")
    # Keep draining the log so the emulator never blocks on a full pipe.
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    close.doActionNamed("click")
    # The application stays until the unit has put its modem back, then quits.
    assert app.proc.wait(timeout=240) == 0
    info = json.loads(cli("--json", "info", "--port", port))
    assert info["imei"] == CLOSING_IMEI and info["functional_mode"] == 1, info
    valid = json.loads(cli("fleet", "list", "--status", "valid", "--json"))
    assert CLOSING_IMEI not in [r["imei"] for r in valid], valid


try:
    tap.done()
finally:
    app.close()
    for proc in emulators:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
