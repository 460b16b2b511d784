"""Every change to a modem's store goes through the ledger, and the ledger says
what each modem holds: `creds write` and `creds delete` record intent and
outcome (also without any CA), a deletion or re-key cut at any point is settled
by the next verb that sees the unit, a certificate whose key is gone is revoked
as superseded, and each claim is checked against the bytes the emulated modem
really stores (its state file) and the AT commands it really received."""

import json
import os
import signal
import subprocess

from tsharness import SOURCE_ROOT, Tap, Workspace, check_store_matches_ledger, read_store, luhn_imei

tap = Tap()
PASS = "store-ledger-passphrase"
SERVER_CA = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision", "server-root.pem")
SEC_TAG = 16842753
KIT = ("--no-pacing", "--profile", "nrf9161", "--cfun", "1")
imeis = iter(range(35265620000000, 35265629999999))


def ca_workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


def provision(ws, port, *args, verb="provision"):
    r = ws.cli("--json", verb, "--port", port, "--ca", "Devices", "--sec-tag", SEC_TAG, *args, pass_=PASS)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


def vendor_credentials(ws):
    """A self-signed certificate and its key, as a vendor would hand them over."""
    cert, key = ws.path("vendor.pem"), ws.path("vendor.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=vendor-kit", "-days", "30"],
                   check=True, capture_output=True)
    return cert, key


def kill_at(ws, verb, port, message):
    """Runs `tagsmith VERB` and SIGKILLs it as soon as it prints @message."""
    argv, env = ws.cli_argv(verb, "--port", port, "--ca", "Devices", "--sec-tag", SEC_TAG,
                            "--server-ca", SERVER_CA, pass_=PASS)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    for line in proc.stderr:
        if message in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    tap.ok(killed, f"{verb} reached “{message}”")


@tap.test("no CA at all: creds write and delete --all are recorded, and the ledger follows the store")
def _():
    ws = Workspace()
    emu = ws.kit("--no-pacing")
    cert, key = vendor_credentials(ws)
    for kind, path in (("cert", cert), ("key", key)):
        r = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", 42, "--type", kind, "--file", path, pass_=PASS)
        tap.eq(r.returncode, 0, r)
    imei, store = read_store(ws.state_files[0])
    installs = ws.query("SELECT cred_type, state, sha256 FROM installs WHERE imei = ? ORDER BY id", imei)
    tap.eq([(t, s) for t, s, _ in installs], [(1, "verified"), (2, "verified")], installs)
    tap.eq(installs[0][2], store[(42, 1)], "the intent holds the SHA-256 of the bytes the modem stores")
    check_store_matches_ledger(tap, ws, "after the writes")

    r = ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", 42, "--all", pass_=PASS)
    tap.eq(r.returncode, 0, r)
    tap.eq(ws.query("SELECT state FROM installs WHERE imei = ?", imei), [("removed",), ("removed",)])
    actions = [a for a, in ws.query("SELECT action FROM audit_log WHERE imei = ? ORDER BY id", imei)]
    tap.eq(actions[-6:], ["install.removing", "install.removing", "store.delete", "store.deleted",
                          "install.removed", "install.removed"], actions)
    check_store_matches_ledger(tap, ws, "after delete --all")


@tap.test("creds delete --all after provision: no longer installed; the next provision revokes the keyless certificate")
def _():
    ws = ca_workspace()
    emu = ws.kit(*KIT, "--imei", luhn_imei(next(imeis)))
    r, first = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(r.returncode, 0, r)
    r = ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", SEC_TAG, "--all", pass_=PASS)
    tap.eq(r.returncode, 0, r)
    installed = ws.query("SELECT installed_at FROM certificates WHERE serial = ?", first["serial"])
    tap.eq(installed, [(None,)], "the deleted certificate is no longer stamped installed")
    claimed = ws.query("SELECT COUNT(*) FROM installs WHERE imei = ? AND state = 'verified'", first["imei"])
    tap.eq(claimed, [(0,)], "nothing is claimed verified on an empty sec_tag")
    check_store_matches_ledger(tap, ws, "after delete --all")

    r, second = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(r.returncode, 0, r)
    tap.eq(second["outcome"], "provisioned", second)
    old = ws.query("SELECT c.status, c.revoke_reason, n.serial FROM certificates c "
                "JOIN certificates n ON n.supersedes_id = c.id WHERE c.serial = ?", first["serial"])
    tap.eq(old, [("revoked", 4, second["serial"])], "revoked as superseded, linked to its successor")
    check_store_matches_ledger(tap, ws, "after the second provision")


@tap.test("a deletion behind Tagsmith's back is settled by creds list")
def _():
    ws = ca_workspace()
    imei = luhn_imei(next(imeis))
    emu = ws.kit(*KIT, "--imei", imei)
    r, first = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(r.returncode, 0, r)
    emu.stop()
    # Another program took the client certificate away while Tagsmith was not looking.
    state = ws.state_files[0]
    with open(state) as f:
        text = f.read()
    start = text.index(f"[Credential {SEC_TAG} 1]")
    end = text.index("[", start + 1)
    with open(state, "w") as f:
        f.write(text[:start] + text[end:])
    emu = ws.emulator(*KIT, "--state", state)
    # Locked, the listing only compares: every record is keyed with the passphrase.
    r = ws.cli("creds", "list", "--port", emu.port)
    tap.eq(r.returncode, 0, r)
    tap.contains(r.stderr, "Give the workspace passphrase to record it as gone")
    tap.contains(r.stderr, "On the command line, give it with --pass")
    states = dict(ws.query("SELECT cred_type, state FROM installs WHERE imei = ? AND sec_tag = ?", imei, SEC_TAG))
    tap.eq(states[1], "verified", states)
    r = ws.cli("creds", "list", "--port", emu.port, pass_=PASS)
    tap.eq(r.returncode, 0, r)
    tap.contains(r.stderr, "no longer on the modem")
    states = dict(ws.query("SELECT cred_type, state FROM installs WHERE imei = ? AND sec_tag = ?", imei, SEC_TAG))
    tap.eq(states[1], "removed", states)
    tap.eq(states[0], "verified", states)
    check_store_matches_ledger(tap, ws, "after creds list")


@tap.test("a re-key cut at each step is settled by the next creds list, leaving one valid certificate")
def _():
    ws = ca_workspace()
    for message in ("Generating the key", "Signing", "Writing the client certificate", "Listing sec_tag"):
        imei = luhn_imei(next(imeis))
        emu = ws.kit(*KIT, "--imei", imei)
        r, first = provision(ws, emu.port, "--server-ca", SERVER_CA)
        tap.eq(r.returncode, 0, r)
        kill_at(ws, "rekey", emu.port, message)
        check_store_matches_ledger(tap, ws, f"re-key killed at “{message}”", settled=False)
        r = ws.cli("creds", "list", "--port", emu.port, pass_=PASS)
        tap.eq(r.returncode, 0, r)
        open_installs = ws.query("SELECT COUNT(*) FROM installs WHERE imei = ? AND "
                              "state IN ('intent', 'written', 'removing')", imei)
        tap.eq(open_installs, [(0,)], f"{message}: every open install was settled")
        check_store_matches_ledger(tap, ws, f"re-key killed at “{message}”, then creds list")
        r, out = provision(ws, emu.port, "--server-ca", SERVER_CA)
        tap.eq(r.returncode, 0, r)
        valid = ws.query("SELECT serial FROM certificates WHERE imei = ? AND status = 'valid'", imei)
        tap.eq(valid, [(out["serial"],)], f"{message}: only the certificate on the modem is valid")
        check_store_matches_ledger(tap, ws, f"re-key killed at “{message}”, then provision")
        emu.stop()


@tap.test("a %KEYGEN the modem refuses ends as failed, not as an open intent")
def _():
    ws = ca_workspace()
    imei = luhn_imei(next(imeis))
    # A store too small for a key: the modem answers %KEYGEN with +CME ERROR: 515.
    emu = ws.kit(*KIT, "--imei", imei, "--store-bytes", "16")
    r, out = provision(ws, emu.port)
    tap.eq(r.returncode, 1, r)
    keys = ws.query("SELECT state FROM installs WHERE imei = ? AND cred_type = 2", imei)
    tap.eq(keys, [("failed",)], keys)
    check_store_matches_ledger(tap, ws, "after the refused %KEYGEN")


@tap.test("a credential the modem confirmed stays verified when a later write fails")
def _():
    ws = ca_workspace()
    probe = ws.kit(*KIT, "--imei", luhn_imei(next(imeis)))
    r, out = provision(ws, probe.port, "--server-ca", SERVER_CA, "--host-key")
    tap.eq(r.returncode, 0, r)
    probe.stop()
    # Room for the server CA and the client certificate, not for the key after them.
    ca_len = os.path.getsize(SERVER_CA)
    cert_len = ws.query("SELECT length(pem) FROM certificates WHERE serial = ?", out["serial"])[0][0]
    room = ca_len + cert_len + 64
    imei = luhn_imei(next(imeis))
    emu = ws.kit(*KIT, "--imei", imei, "--store-bytes", str(room))
    r, out = provision(ws, emu.port, "--server-ca", SERVER_CA, "--host-key")
    tap.eq(r.returncode, 1, r)
    states = dict(ws.query("SELECT cred_type, state FROM installs WHERE imei = ?", imei))
    tap.eq(states, {0: "verified", 1: "verified", 2: "failed"}, states)
    check_store_matches_ledger(tap, ws, "after the refused key")


@tap.test("a second provision with another --server-ca or --line-endings says what differs, never re-key")
def _():
    ws = ca_workspace()
    emu = ws.kit(*KIT, "--imei", luhn_imei(next(imeis)))
    r, first = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(r.returncode, 0, r)
    other, _ = vendor_credentials(ws)

    r, _ = provision(ws, emu.port, "--server-ca", other)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "server CA certificate differs")
    tap.contains(r.stderr, "--type ca")
    tap.ok("tagsmith rekey" not in r.stderr, r.stderr)

    r, _ = provision(ws, emu.port, "--server-ca", SERVER_CA, "--line-endings", "crlf")
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "line endings")
    tap.contains(r.stderr, "--type cert")
    tap.ok("tagsmith rekey" not in r.stderr, r.stderr)

    valid = ws.query("SELECT status FROM certificates WHERE serial = ?", first["serial"])
    tap.eq(valid, [("valid",)], "the good certificate was left alone")
    r, again = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(again["outcome"], "already-provisioned", again)
    check_store_matches_ledger(tap, ws, "after the advice")


@tap.test("firmware before 1.3.2: verified_by_readback means the certificates were read back")
def _():
    ws = ca_workspace()
    emu = ws.kit("--no-pacing", "--profile", "nrf9160-legacy", "--verbose")
    r, out = provision(ws, emu.port, "--server-ca", SERVER_CA, "--host-key")
    tap.eq(r.returncode, 0, r)
    tap.ok(out["verified_by_readback"], out)
    commands = emu.commands()
    last_write = max(i for i, c in enumerate(commands) if c.startswith("AT%CMNG=0,"))
    reads = [c for c in commands[last_write:] if c.startswith("AT%CMNG=2,")]
    tap.ok(f"AT%CMNG=2,{SEC_TAG},0" in reads and f"AT%CMNG=2,{SEC_TAG},1" in reads,
           f"both certificates were read back after the writes: {reads}")
    check_store_matches_ledger(tap, ws, "legacy firmware")

    # A listing-only firmware is never said to have been read back.
    emu = ws.kit(*KIT, "--verbose")
    r, out = provision(ws, emu.port, "--server-ca", SERVER_CA)
    tap.eq(r.returncode, 0, r)
    tap.ok(not out["verified_by_readback"], out)
    tap.eq([c for c in emu.commands() if c.startswith("AT%CMNG=2,")], [], "nothing was read back")


tap.done()
