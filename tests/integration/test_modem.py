"""The modem verbs (devices, info, creds, keygen, attest) against tagsmith-emulator,
on every profile and framing, and under faults: each failure must end in a clear
error, leave the modem in its previous mode where it still answers, and never
report a write whose SHA-256 did not match."""

import hashlib
import json
import os
import subprocess

from tsharness import Tap, Workspace, Failure

tap = Tap()
PASS = "modem-test-passphrase"

PROFILES = ["nrf9160", "nrf9160-legacy", "nrf9161", "nrf9151"]
FAST = ["--no-pacing", "--keygen-ms=50", "--flash-ms=5", "--attach-ms=50"]


def make_cert(ws, name="c.pem", crlf=False):
    key = ws.path(name + ".key")
    out = ws.path(name)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", out,
                    "-subj", "/CN=tagsmith-test", "-days", "30"],
                   check=True, capture_output=True)
    if crlf:
        with open(out, "rb") as f:
            data = f.read().replace(b"\n", b"\r\n")
        with open(out, "wb") as f:
            f.write(data)
    return out, key


def sha(data):
    return hashlib.sha256(data).hexdigest().upper()


def listing(ws, port, *extra):
    r = ws.cli("--json", "creds", "list", "--port", port, *extra)
    tap.eq(r.returncode, 0, repr(r))
    return json.loads(r.stdout)


def cfun(ws, port):
    r = ws.cli("--json", "info", "--port", port)
    tap.eq(r.returncode, 0, repr(r))
    return json.loads(r.stdout)["functional_mode"]


def fail_message(r):
    tap.eq(r.returncode, 1, repr(r))
    tap.ok(r.stderr.startswith("tagsmith: "), repr(r))
    tap.ok("Traceback" not in r.stderr and "CRITICAL" not in r.stderr, repr(r))
    return r.stderr


def check_keygen(g, csr, ident):
    tap.eq(g.returncode, 0, repr(g))
    gen = json.loads(g.stdout)
    tap.eq(gen["device_uuid"], ident["device_uuid"])
    tap.contains(gen["subject"], "CN=unit-1")
    v = subprocess.run(["openssl", "req", "-in", csr, "-verify", "-noout"],
                       capture_output=True, text=True)
    tap.eq(v.returncode, 0, v.stderr)


for profile in PROFILES:
    @tap.test(f"{profile}: info, write/verify, read, keygen, attest, delete")
    def _(profile=profile):
        ws = Workspace()
        emu = ws.emulator("--profile", profile, *FAST)
        info = ws.cli("--json", "info", "--port", emu.port)
        tap.eq(info.returncode, 0, repr(info))
        ident = json.loads(info.stdout)
        tap.eq(len(ident["imei"]), 15)
        tap.ok(ident["device_uuid"] and len(ident["device_uuid"]) == 36, repr(ident))
        tap.contains(ident["model"], profile[:7].replace("nrf", "nRF"))

        cert, key = make_cert(ws)
        w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "42", "--type", "ca",
                   "--file", cert, pass_=PASS)
        tap.eq(w.returncode, 0, repr(w))
        with open(cert, "rb") as f:
            expected = sha(f.read())
        tap.contains(w.stdout, expected)
        entries = [e for e in listing(ws, emu.port, "--sec-tag", "42") if e["type"] == 0]
        tap.eq(entries[0]["sha256"], expected)
        tap.eq(entries[0]["known"], None)

        r = ws.cli("creds", "read", "--port", emu.port, "--sec-tag", "42", "--type", "ca")
        tap.eq(r.returncode, 0, repr(r))
        with open(cert) as f:
            tap.eq(r.stdout, f.read())

        k = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "42", "--type", "key",
                   "--file", key, pass_=PASS)
        tap.eq(k.returncode, 0, repr(k))

        csr = ws.path("csr.pem")
        g = ws.cli("--json", "keygen", "--port", emu.port, "--sec-tag", "43",
                   "--attributes", "O=Acme,CN=unit-1", "--out", csr)
        if profile == "nrf9160-legacy":
            # Firmware before 1.3.0 has no %KEYGEN (§7.1): advice, not a crash.
            tap.contains(fail_message(g), "+CME ERROR: 0")
            tap.contains(g.stderr, "firmware")
        else:
            check_keygen(g, csr, ident)


        a = ws.cli("--json", "attest", "--port", emu.port, "--challenge",
                   "90115c20ac3f381b520b43c76bd5d99c")
        tap.eq(a.returncode, 0, repr(a))
        att = json.loads(a.stdout)
        tap.eq(att["device_uuid"], ident["device_uuid"])
        tap.eq(att["nonce"], "90115c20ac3f381b520b43c76bd5d99c")

        d = ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", "42", "--all", pass_=PASS)
        tap.eq(d.returncode, 0, repr(d))
        tap.contains(d.stdout, "Deleted 2 credentials")
        tap.eq(listing(ws, emu.port, "--sec-tag", "42"), [])
        tap.eq(cfun(ws, emu.port), ident["functional_mode"])


for framing in (["--termination", "lf"], ["--termination", "crlf"], ["--shell"],
                ["--first-command-error"], ["--subscribed", "--cfun", "1"]):
    @tap.test("framing " + " ".join(framing) + ": detected, write verified")
    def _(framing=framing):
        ws = Workspace()
        emu = ws.emulator(*framing, *FAST)
        cert, _key = make_cert(ws, crlf=True)
        w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "7", "--type", "cert",
                   "--file", cert, "--line-endings", "crlf", pass_=PASS)
        tap.eq(w.returncode, 0, repr(w))
        with open(cert, "rb") as f:
            tap.contains(w.stdout, sha(f.read()))


@tap.test("line endings: lf is the default, keep sends the file as is")
def _():
    ws = Workspace()
    emu = ws.emulator(*FAST)
    cert, _key = make_cert(ws, crlf=True)
    with open(cert, "rb") as f:
        raw = f.read()
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "9", "--type", "ca", "--file", cert, pass_=PASS)
    tap.eq(w.returncode, 0, repr(w))
    tap.contains(w.stdout, sha(raw.replace(b"\r\n", b"\n")))
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "9", "--type", "ca", "--file", cert,
               "--line-endings", "keep", pass_=PASS)
    tap.eq(w.returncode, 0, repr(w))
    tap.contains(w.stdout, sha(raw))


@tap.test("LTE on: writes go offline and restore +CFUN=1, also after an error")
def _():
    ws = Workspace()
    emu = ws.emulator("--cfun", "1", *FAST)
    cert, _key = make_cert(ws)
    tap.eq(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "5", "--type", "ca",
                  "--file", cert, pass_=PASS).returncode, 0)
    tap.eq(cfun(ws, emu.port), 1)
    err = fail_message(ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", "6",
                              "--type", "psk", pass_=PASS))
    tap.contains(err, "+CME ERROR: 513")
    tap.eq(cfun(ws, emu.port), 1)
    tap.eq(ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", "5", "--type", "ca",
                  "--stay-offline", pass_=PASS).returncode, 0)
    tap.eq(cfun(ws, emu.port), 4)


@tap.test("refused before sending: quotes, NUL, oversize, modem-owned tags, bad types")
def _():
    ws = Workspace()
    emu = ws.emulator(*FAST)
    quoted = ws.write("q.pem", '-----BEGIN CERTIFICATE-----\n"x"\n-----END CERTIFICATE-----\n')
    tap.contains(fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "1",
                                     "--type", "ca", "--file", quoted, pass_=PASS)), "double quote")
    nul = ws.write("n.bin", b"ab\0cd", mode="wb")
    tap.contains(fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "1",
                                     "--type", "ca", "--file", nul, pass_=PASS)), "NUL")
    cert, _key = make_cert(ws)
    with open(cert) as f:
        big = ws.write("big.pem", f.read() + ("# padding " + "A" * 54 + "\n") * 64)
    tap.contains(fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "1",
                                     "--type", "ca", "--file", big, pass_=PASS)), "4095")
    tap.contains(fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag",
                                     "4294967292", "--type", "ca", "--file", quoted, pass_=PASS)),
                 "belongs to the modem")
    r = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "1", "--type", "bogus",
               "--file", quoted, pass_=PASS)
    tap.eq(r.returncode, 2, repr(r))
    tap.eq([e for e in listing(ws, emu.port) if e["sec_tag"] == 1], [])


@tap.test("creds write checks the file against --type before the ledger or the modem")
def _():
    ws = Workspace()
    emu = ws.emulator(*FAST)
    _cert, key = make_cert(ws)
    hello = ws.write("hello.pem", "hello, not a certificate\n")
    for kind, path, advice in (("cert", hello, "not a PEM certificate"),
                               ("ca", hello, "not a PEM certificate"),
                               ("cert", key, "not a PEM certificate"),
                               ("key", hello, "not a PEM private key"),
                               ("psk", hello, "hexadecimal digits")):
        r = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "3", "--type", kind,
                   "--file", path, pass_=PASS)
        tap.eq(r.returncode, 1, repr(r))
        tap.contains(r.stderr, advice)
        tap.contains(r.stderr, path)
    tap.eq([e for e in listing(ws, emu.port) if e["sec_tag"] == 3], [])
    tap.ok(not os.path.exists(ws.db), "a refused file still created a ledger")


@tap.test("debug sec_tag: written with a loud warning")
def _():
    ws = Workspace()
    emu = ws.emulator("--profile", "nrf9161", *FAST)
    cert, _key = make_cert(ws)
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "2147483650", "--type", "ca",
               "--file", cert, pass_=PASS)
    tap.eq(w.returncode, 0, repr(w))
    tap.contains(w.stderr, "WARNING")
    tap.contains(w.stderr, "decrypted")


@tap.test("devices lists the running emulator")
def _():
    ws = Workspace()
    emu = ws.emulator("--profile", "nrf9151", "--imei", "352656100367872", *FAST)
    r = ws.cli("--json", "devices")
    tap.eq(r.returncode, 0, repr(r))
    emus = [d for d in json.loads(r.stdout) if d["kind"] == "emulator"]
    tap.eq(len(emus), 1, r.stdout)
    tap.eq(emus[0]["path"], emu.port)
    tap.eq(emus[0]["imei"], "352656100367872")


@tap.test("fault: hang-up mid-write is a clear error, never reported as written")
def _():
    ws = Workspace()
    emu = ws.emulator("--fault", "hangup-after=300", *FAST)
    cert, _key = make_cert(ws)
    err = fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "3",
                              "--type", "ca", "--file", cert, pass_=PASS))
    tap.contains(err, "connection")
    tap.ok("Wrote" not in err)


@tap.test("fault: slow answers past the timeout end in a timeout with advice")
def _():
    ws = Workspace()
    emu = ws.emulator("--fault", "delay=1500", *FAST)
    r = ws.cli("info", "--port", emu.port, "--timeout", "1")
    err = fail_message(r)
    tap.ok("did not answer" in err or "answers AT" in err, err)


@tap.test("fault: slow answers within the timeout still work")
def _():
    ws = Workspace()
    emu = ws.emulator("--fault", "delay=300", *FAST)
    r = ws.cli("info", "--port", emu.port)
    tap.eq(r.returncode, 0, repr(r))


@tap.test("fault: line noise between answers is ignored")
def _():
    ws = Workspace()
    emu = ws.emulator("--fault", "noise=0.5", *FAST)
    cert, _key = make_cert(ws)
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "11", "--type", "ca",
               "--file", cert, pass_=PASS)
    tap.eq(w.returncode, 0, repr(w))
    tap.eq(len(listing(ws, emu.port, "--sec-tag", "11")), 1)


@tap.test("fault: a lost final code after a write times out and restores the mode")
def _():
    ws = Workspace()
    emu = ws.emulator("--cfun", "1", "--fault", "drop-final=AT%CMNG=0", *FAST)
    cert, _key = make_cert(ws)
    err = fail_message(ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "12",
                              "--type", "ca", "--file", cert, "--timeout", "2", pass_=PASS))
    tap.contains(err, "did not answer")
    tap.eq(cfun(ws, emu.port), 1)


@tap.test("fault: a reboot mid-session is survived (numeric errors re-enabled)")
def _():
    ws = Workspace()
    # The reboot comes right after the deletion is answered, past the identification
    # that now comes first: the commands are counted on a clean run.
    clean = ws.emulator("--verbose", *FAST)
    r = ws.cli("creds", "delete", "--port", clean.port, "--sec-tag", "77", "--type", "ca", pass_=PASS)
    deletion = [c.split("=")[0] for c in clean.commands()].index("AT%CMNG")
    emu = ws.emulator("--fault", f"reboot-after={deletion + 1}", *FAST)
    r = ws.cli("creds", "delete", "--port", emu.port, "--sec-tag", "77", "--type", "ca",
               "--timeout", "3", pass_=PASS)
    err = fail_message(r)
    tap.ok("+CME ERROR: 513" in err or "restarted" in err, err)


@tap.test("no such port and a port that does not answer")
def _():
    ws = Workspace()
    err = fail_message(ws.cli("info", "--port", ws.path("nope")))
    tap.contains(err, "no serial port")
    r = ws.cli("info")
    tap.eq(r.returncode, 2, repr(r))


tap.done()
