"""One ledger on a PostgreSQL server shared by several stations at once: two
production benches (`tagsmith line --parallel`, each with its own kits and runtime
folder) and a support desk re-keying a returned unit, all writing together. Every
unit is provisioned once, no serial repeats, the audit chain verifies, and what the
ledger claims is what the emulated modems hold. Needs TAGSMITH_TEST_PG_URI."""

import json
import os
import subprocess

from tsharness import ON_SERVER, Tap, Workspace, check_store_matches_ledger, luhn_imei

tap = Tap()
PASS = "shared-ledger-passphrase"
SEC_TAG = 16842753
KIT = ("--no-pacing", "--profile", "nrf9161")
UNITS = 3


def start(ws, *args):
    argv, env = ws.cli_argv(*args, pass_=PASS)
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@tap.test("two benches and a support desk on one server ledger at once: each unit once, no serial twice, "
          "the audit log verifies, every claim is on the modems",
          skip=None if ON_SERVER else "runs on a PostgreSQL server only (the server variant of this suite)")
def _():
    office = Workspace()
    office.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    office.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    benches = [Workspace(ledger=office.db) for _ in range(2)]
    desk = Workspace(ledger=office.db)

    # A unit the first bench made earlier, returned to the support desk.
    returned = luhn_imei(35265630000000)
    state = desk.path("returned.state")
    desk.state_files.append(state)
    kit = benches[0].emulator("--state", state, *KIT, "--imei", returned)
    r = benches[0].cli("--json", "provision", "--port", kit.port, "--ca", "Devices", "--sec-tag", SEC_TAG,
                       pass_=PASS, check=True)
    first = json.loads(r.stdout)
    kit.stop()
    at_desk = desk.emulator("--state", state, *KIT)

    imeis = {}
    for b, bench in enumerate(benches):
        imeis[b] = [luhn_imei(35265630000100 + 100 * b + u) for u in range(UNITS)]
        for imei in imeis[b]:
            bench.kit(*KIT, "--imei", imei)
    runs = [start(bench, "--json", "line", "--ca", "Devices", "--sec-tag", SEC_TAG, "--lot", f"LOT-{b}",
                  "--report", bench.path("lot"), "--parallel", "--units", UNITS)
            for b, bench in enumerate(benches)]
    runs.append(start(desk, "--json", "rekey", "--port", at_desk.port, "--ca", "Devices", "--sec-tag", SEC_TAG,
                      "--reason", "keyCompromise"))
    outs = []
    for proc in runs:
        out, err = proc.communicate(timeout=600)
        tap.eq(proc.returncode, 0, out + err)
        outs.append(json.loads(out))

    for b in range(2):
        tap.eq((outs[b]["lot"], outs[b]["passed"], outs[b]["failed"]), (f"LOT-{b}", UNITS, 0))
    rekeyed = outs[2]
    tap.ok(rekeyed["serial"] != first["serial"], rekeyed)

    every = [i for b in imeis for i in imeis[b]]
    devices = dict(office.query("SELECT imei, lot FROM devices"))
    tap.eq(sorted(devices), sorted(every + [returned]))
    tap.eq([devices[i] for i in imeis[1]], ["LOT-1"] * UNITS)
    per_unit = dict(office.query("SELECT imei, count(*) FROM certificates WHERE imei IS NOT NULL GROUP BY imei"))
    tap.eq({i: per_unit[i] for i in every}, {i: 1 for i in every}, "each bench unit provisioned once")
    tap.eq(per_unit[returned], 2, "the returned unit: its first certificate and the desk's")
    tap.eq(office.query("SELECT status, revoke_reason FROM certificates WHERE serial = ?", first["serial"]),
           [("revoked", 1)], "revoked for keyCompromise (RFC 5280 reason 1)")
    total, distinct = office.query("SELECT count(*), count(DISTINCT serial) FROM certificates")[0]
    tap.eq(total, distinct, "no serial twice")
    tap.eq(office.query("SELECT count(*) FROM installs WHERE state IN ('intent', 'written', 'removing')"),
           [(0,)], "no intent left open")
    r = office.cli("audit", "verify", pass_=PASS, check=True)
    tap.contains(r.stdout, "chain intact")
    for ws, what in ((benches[0], "bench 0"), (benches[1], "bench 1"), (desk, "support desk")):
        check_store_matches_ledger(tap, ws, what)
    tap.eq(sum(len(ws.state_files) for ws in (*benches, desk)), 2 * UNITS + 1)
    # The desk's CRL, with no --crl-dir and no ledger folder, is in its data folder.
    crl = subprocess.run(["openssl", "crl", "-noout", "-text", "-in",
                          os.path.join(desk.env["XDG_DATA_HOME"], "tagsmith", "crl", "Devices.crl.pem")],
                         capture_output=True, text=True)
    tap.eq(crl.returncode, 0, crl.stderr)
    tap.contains(crl.stdout.replace(":", "").upper(), first["serial"].upper())
    tap.ok(not os.path.exists(os.path.join(desk.dir, "postgresql:")) and not os.path.exists("postgresql:"),
           "no folder named after the URI")


tap.done()
