"""Stations: two benches share one ledger, each with its own intermediate CA.
A unit is provisioned at each, one station is revoked on its own (its CA on the
parent's CRL, its issuing refused), and `fleet show` says where each step ran."""

import json
import os
import subprocess

from tsharness import Tap, Workspace, luhn_imei

tap = Tap()
PASS = "station-test-passphrase"
SEC_TAG = 16842753


def provision_at(ws, port, *args, env_station=None):
    """Provisions the modem at PORT; the station comes from ARGS or TAGSMITH_STATION."""
    if env_station is not None:
        ws.env["TAGSMITH_STATION"] = env_station
    try:
        r = ws.cli("--json", "provision", "--port", port, "--sec-tag", SEC_TAG, *args, pass_=PASS)
    finally:
        ws.env.pop("TAGSMITH_STATION", None)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


@tap.test("two stations: each provisions with its own CA; a revoked one can no longer issue")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    for name in ("bench-a", "bench-b"):
        r = ws.cli("--json", "station", "enroll", name, "--parent", "Root", pass_=PASS)
        tap.eq(r.returncode, 0, r)
        enrolled = json.loads(r.stdout)
        tap.eq(enrolled["ca"], f"{name} station")
        tap.eq(enrolled["parent"], "Root")
        tap.eq(enrolled["status"], "valid")
    again = ws.cli("station", "enroll", "bench-a", "--parent", "Root", pass_=PASS)
    tap.ok(again.returncode != 0 and "already enrolled" in again.stderr, again)

    emu_a = ws.emulator("--no-pacing", "--profile", "nrf9160", "--imei", luhn_imei(35000000000101))
    emu_b = ws.emulator("--no-pacing", "--profile", "nrf9160", "--imei", luhn_imei(35000000000102))
    r, at_a = provision_at(ws, emu_a.port, "--station", "bench-a")
    tap.eq(r.returncode, 0, r)
    tap.eq(at_a["ca"], "bench-a station", "the station's CA issues when no --ca is given")
    # The option wins over the environment.
    r, at_b = provision_at(ws, emu_b.port, "--station", "bench-b", env_station="bench-a")
    tap.eq(r.returncode, 0, r)
    tap.eq(at_b["ca"], "bench-b station", "--station wins over TAGSMITH_STATION")

    for unit, station in ((at_a, "bench-a"), (at_b, "bench-b")):
        show = json.loads(ws.cli("--json", "fleet", "show", unit["imei"], check=True).stdout)
        tap.eq([c["station"] for c in show["certificates"]], [station], show["certificates"])
        tap.ok(show["installs"] and all(i["station"] == station for i in show["installs"]), show["installs"])
        text = ws.cli("fleet", "show", unit["imei"], check=True).stdout
        tap.contains(text, f"at station {station}")

    listed = json.loads(ws.cli("--json", "station", "list", check=True).stdout)
    tap.eq([(s["name"], s["devices"]) for s in listed], [("bench-a", 1), ("bench-b", 1)])

    crl_path = ws.path("root.crl.pem")
    r = ws.cli("--json", "station", "revoke", "bench-a", "--reason", "cACompromise", "--crl", crl_path,
               pass_=PASS)
    tap.eq(r.returncode, 0, r)
    tap.eq(json.loads(r.stdout)["status"], "revoked")
    cas = {a["name"]: a for a in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)}
    crl_text = subprocess.run(["openssl", "crl", "-in", crl_path, "-noout", "-text"], capture_output=True,
                              text=True, check=True).stdout
    listed_serials = crl_text.replace(":", "").upper()
    tap.contains(listed_serials, cas["bench-a station"]["serial"], "the parent's new CRL lists the station's CA")
    tap.ok(cas["bench-b station"]["serial"] not in listed_serials, "and not the other station's")

    key_out = ws.path("device.key")
    refused = ws.cli("issue", "--station", "bench-a", "--imei", luhn_imei(35000000000103), "--new-key",
                     "--key-out", key_out, pass_=PASS)
    tap.ok(refused.returncode != 0, refused)
    tap.contains(refused.stderr, "revoked")
    tap.contains(refused.stderr, "station enroll")
    tap.ok(not os.path.exists(key_out), "no key was written")
    # Naming another CA does not get round it: the station itself is refused.
    refused = ws.cli("issue", "--station", "bench-a", "--ca", "bench-b station", "--imei",
                     luhn_imei(35000000000103), "--new-key", "--key-out", key_out, pass_=PASS)
    tap.ok(refused.returncode != 0 and "revoked" in refused.stderr, refused)
    # TAGSMITH_STATION alone names the station too.
    r, _ = provision_at(ws, emu_a.port, "--force", env_station="bench-a")
    tap.ok(r.returncode != 0 and "revoked" in r.stderr, r)

    unknown = ws.cli("issue", "--station", "bench-z", "--imei", luhn_imei(35000000000103), "--new-key",
                     "--key-out", key_out, pass_=PASS)
    tap.ok(unknown.returncode != 0 and "station enroll bench-z" in unknown.stderr, unknown)

    # The other bench goes on.
    r = ws.cli("issue", "--station", "bench-b", "--imei", luhn_imei(35000000000103), "--new-key",
               "--key-out", key_out, pass_=PASS)
    tap.eq(r.returncode, 0, r)
    show = json.loads(ws.cli("--json", "fleet", "show", luhn_imei(35000000000103), check=True).stdout)
    tap.eq([(c["ca"], c["station"]) for c in show["certificates"]], [("bench-b station", "bench-b")])

    listed = {s["name"]: s for s in json.loads(ws.cli("--json", "station", "list", check=True).stdout)}
    tap.eq(listed["bench-a"]["status"], "revoked")
    tap.eq(listed["bench-a"]["revoke_reason"], "cACompromise")
    tap.eq(listed["bench-b"]["status"], "valid")

    events = json.loads(ws.cli("--json", "audit", "list", check=True).stdout)
    actions = [e["action"] for e in (events.get("events", events) if isinstance(events, dict) else events)]
    tap.eq(actions.count("station.enroll"), 2)
    tap.eq(actions.count("station.revoke"), 1)
    verify = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(verify.returncode, 0, verify)
    ws.close()



@tap.test("a lot made on the bench at a station records the station")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("station", "enroll", "bench-l", "--parent", "Root", pass_=PASS, check=True)
    imei = luhn_imei(35000000000201)
    ws.emulator("--no-pacing", "--profile", "nrf9161", "--imei", imei)
    ws.env["TAGSMITH_STATION"] = "bench-l"
    r = ws.cli("--json", "line", "--sec-tag", 7, "--lot", "L9", "--report", ws.path("r"), "--units", 1,
               pass_=PASS, timeout=120)
    ws.env.pop("TAGSMITH_STATION")
    tap.eq(r.returncode, 0, r)
    tap.eq(json.loads(r.stdout)["passed"], 1)
    show = json.loads(ws.cli("--json", "fleet", "show", imei, check=True).stdout)
    tap.eq((show["lot"], show["lot_station"]), ("L9", "bench-l"))
    tap.eq([(c["ca"], c["station"]) for c in show["certificates"]], [("bench-l station", "bench-l")])
    tap.ok(show["installs"] and all(i["station"] == "bench-l" for i in show["installs"]), show["installs"])
    tap.contains(ws.cli("fleet", "show", imei, check=True).stdout, "lot L9 at station bench-l")
    ws.close()


tap.done()
