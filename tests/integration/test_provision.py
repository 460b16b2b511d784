"""`tagsmith provision` and `tagsmith rekey` end to end against tagsmith-emulator:
every profile, verification by listing, idempotence, re-key with revocation and
CRL, the fleet history, old firmware, and the server CA from the trust store."""

import json
import os
import subprocess

from tsharness import SOURCE_ROOT, SilentPort, Tap, Workspace

tap = Tap()
PASS = "provision-test-passphrase"
FIXTURES = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision")
SERVER_CA = os.path.join(FIXTURES, "server-root.pem")
PROFILES = ["generic", "lwm2m", "nrfcloud", "nrfcloud-uuid", "azure", "aws"]


def workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


def provision(ws, port, *args, verb="provision", sec_tag=16842753):
    r = ws.cli("--json", verb, "--port", port, "--ca", "Devices", "--sec-tag", sec_tag, *args,
               pass_=PASS)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


def listing(ws, port, sec_tag):
    """What the modem lists for sec_tag, as {type: sha256}, through `creds list`."""
    r = ws.cli("--json", "creds", "list", "--port", port, "--sec-tag", sec_tag, check=True)
    entries = json.loads(r.stdout)
    entries = entries.get("credentials", entries) if isinstance(entries, dict) else entries
    return {e["type"]: e["sha256"] for e in entries}


@tap.test("every profile: provisioned, listed, recorded; a re-run changes nothing")
def _():
    ws = workspace()
    emu = ws.emulator("--no-pacing", "--profile", "nrf9161")
    for i, profile in enumerate(PROFILES):
        sec_tag = 100 + i
        r, out = provision(ws, emu.port, "--profile", profile, "--server-ca", SERVER_CA,
                           sec_tag=sec_tag)
        tap.eq(r.returncode, 0, r)
        tap.eq(out["outcome"], "provisioned", profile)
        tap.eq(out["profile"], profile)
        held = listing(ws, emu.port, sec_tag)
        tap.eq(held.get(1, "").upper(), out["sha256"], f"{profile}: the modem holds what was sent")
        tap.ok(0 in held and 2 in held, f"{profile}: server CA and key listed: {held}")
        names = [s["name"] for s in out["steps"]]
        for step in ("identify", "check", "keygen", "issue", "server-ca", "client-cert", "verify", "record"):
            tap.ok(step in names, f"{profile}: step {step} in {names}")
        tap.ok(all(s["duration_ms"] >= 0 for s in out["steps"]))
        tap.eq(sum(s["bytes_written"] for s in out["steps"]), out["bytes_written"])

        again, out2 = provision(ws, emu.port, "--profile", profile, "--server-ca", SERVER_CA,
                                sec_tag=sec_tag)
        tap.eq(again.returncode, 0, again)
        tap.eq(out2["outcome"], "already-provisioned", profile)
        tap.eq(out2["serial"], out["serial"])
        tap.eq(listing(ws, emu.port, sec_tag), held, f"{profile}: nothing changed")

    # Azure wants a lower-case CN, LwM2M the URN form.
    show = json.loads(ws.cli("--json", "fleet", "show", out["imei"], check=True).stdout)
    subjects = {c["profile"]: c["subject"] for c in show["certificates"]}
    tap.eq(subjects["lwm2m"], f"CN=urn:imei:{out['imei']}")
    tap.eq(subjects["nrfcloud"], f"CN=nrf-{out['imei']}")
    tap.eq(subjects["nrfcloud-uuid"], f"CN={out['uuid']}")
    tap.eq(subjects["azure"][3:], subjects["azure"][3:].lower())
    tap.ok(all(i["state"] == "verified" for i in show["installs"]), show["installs"])


@tap.test("rekey: history, new key, old certificate revoked and linked, CRL lists it")
def _():
    ws = workspace()
    emu = ws.emulator("--no-pacing", "--profile", "nrf9160")
    r, first = provision(ws, emu.port)
    tap.eq(r.returncode, 0, r)

    r = ws.cli("rekey", "--port", emu.port, "--ca", "Devices", "--sec-tag", 16842753,
               "--reason", "keyCompromise", "--crl-dir", ws.path("crl"), pass_=PASS)
    tap.eq(r.returncode, 0, r)
    tap.contains(r.stderr, first["serial"], "the history is shown first")
    tap.contains(r.stdout, f"Revoked the previous certificate {first['serial']}")

    show = json.loads(ws.cli("--json", "fleet", "show", first["imei"], check=True).stdout)
    certs = {c["serial"]: c for c in show["certificates"]}
    old = certs[first["serial"]]
    new = [c for c in show["certificates"] if c["serial"] != first["serial"]][0]
    tap.eq(old["status"], "revoked")
    tap.eq(new["status"], "valid")
    tap.eq(new["supersedes_id"], old["id"], "old and new are linked")
    tap.ok(any(e["action"] == "revoke" for e in show["events"]), "the revocation is audited")

    crl = subprocess.run(["openssl", "crl", "-in", ws.path("crl", "Devices.crl.pem"), "-noout",
                          "-text"], capture_output=True, text=True, check=True).stdout
    tap.contains(crl.replace(":", "").upper(), first["serial"].upper())
    tap.contains(crl, "Key Compromise")

    held = listing(ws, emu.port, 16842753)
    tap.eq(held[1].upper(), new["sha256"], "the modem holds the new certificate")

    r, again = provision(ws, emu.port)
    tap.eq(again["outcome"], "already-provisioned", "the re-keyed unit is current")


@tap.test("old firmware: refused before anything is written, with advice; --host-key works")
def _():
    ws = workspace()
    emu = ws.emulator("--no-pacing", "--profile", "nrf9160-legacy")
    r = ws.cli("provision", "--port", emu.port, "--ca", "Devices", "--sec-tag", 5, pass_=PASS)
    tap.eq(r.returncode, 1, r)
    # The advice for everyone, then the command line's own: its option.
    tap.ok(any(line.startswith("tagsmith: ") and "older than 1.3.0" in line for line in r.stderr.splitlines()),
           r.stderr)
    tap.ok(r.stderr.strip().splitlines()[-1].startswith("On the command line, --host-key"), r.stderr)
    tap.eq(listing(ws, emu.port, 5), {}, "nothing was written")

    r, out = provision(ws, emu.port, "--host-key", sec_tag=5)
    tap.eq(r.returncode, 0, r)
    tap.ok(out["host_key"], out)
    tap.ok(out["verified_by_readback"], "1.2.0 lists no digests, so it is read back")
    tap.ok("PRIVATE KEY" not in r.stdout + r.stderr, "the key never reaches the terminal")
    show = json.loads(ws.cli("--json", "fleet", "show", out["imei"], check=True).stdout)
    tap.ok(all(i["host_key"] for i in show["installs"]), "the ledger records the host key")


@tap.test("server CA from the system trust store by name, and a wrong name gets suggestions")
def _():
    ws = workspace()
    ws.env["TAGSMITH_TRUST_DIR"] = os.path.join(FIXTURES, "trust")
    emu = ws.emulator("--no-pacing", "--profile", "nrf9151")
    r, out = provision(ws, emu.port, "--server-ca-system", "test server root")
    tap.eq(r.returncode, 0, r)
    with open(SERVER_CA, "rb") as f:
        import hashlib
        want = hashlib.sha256(f.read()).hexdigest().upper()
    tap.eq(listing(ws, emu.port, 16842753)[0].upper(), want)

    r = ws.cli("provision", "--port", emu.port, "--ca", "Devices", "--sec-tag", 9,
               "--server-ca-system", "Server", pass_=PASS)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "Did you mean one of: Test_Server_Root.pem")


@tap.test("--timeout bounds each answer: a slow %KEYGEN and a silent AT+CGSN fail with advice")
def _():
    ws = workspace()
    slow = ws.emulator("--keygen-ms", "20000")
    r, out = provision(ws, slow.port, "--timeout", 3)
    tap.eq(r.returncode, 1, r)
    tap.contains(out["error"], "did not answer within 6 s", "key generation gets twice as long")
    tap.contains(r.stderr, f"Check that {slow.port} is the kit's AT port")

    mute = ws.emulator("--no-pacing", "--fault", "drop-final=+CGSN")
    r = ws.cli("rekey", "--port", mute.port, "--ca", "Devices", "--sec-tag", 7, "--timeout", 1,
               pass_=PASS)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "did not answer within 1 s")

    r = ws.cli("provision", "--port", mute.port, "--ca", "Devices", "--sec-tag", 7,
               "--timeout", 601, pass_=PASS)
    tap.eq(r.returncode, 2, r)
    tap.contains(r.stderr, "--timeout must be between 1 and 600 seconds")


@tap.test("--rtscts reaches the port's settings; a port where nothing answers fails with advice")
def _():
    ws = workspace()
    silent = SilentPort()
    for verb, args, want in (("provision", ["--rtscts"], True), ("rekey", [], False)):
        argv, env = ws.cli_argv(verb, "--port", silent.port, "--ca", "Devices", "--sec-tag", 7,
                                *args, pass_=PASS)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        silent.read_some(proc)
        tap.eq(silent.flow_control(), want, f"{verb} {args}: RTS/CTS on the port")
        _, err = proc.communicate(timeout=600)
        tap.eq(proc.returncode, 1, err)
        tap.contains(err, f"Nothing on {silent.port} answers AT commands")
        tap.ok(not silent.exclusive(), "the port is not left exclusive for the next program")
        silent.drain()
    silent.close()


@tap.test("usage errors name the missing option and exit 2")
def _():
    ws = workspace()
    r = ws.cli("provision", "--ca", "Devices", "--sec-tag", 1, pass_=PASS)
    tap.eq(r.returncode, 2, r)
    tap.contains(r.stderr, "--port")
    r = ws.cli("provision", "--port", "/dev/null", "--ca", "Devices", "--sec-tag", 4294967295,
               pass_=PASS)
    tap.eq(r.returncode, 2, r)
    r = ws.cli("rekey", "--port", "/dev/null", "--ca", "Devices", "--sec-tag", 1,
               "--reason", "boredom", pass_=PASS)
    tap.eq(r.returncode, 2, r)
    tap.contains(r.stderr, "keyCompromise")


tap.done()
