"""Session start on every bridge, whatever the kit prints while it is probed: the
emulator reproduces each case (banner, URCs, NUL termination, a bridge left inside a
quote) on its own, and `tagsmith info` must find the framing and leave the bridge
clean for the next program."""

import json
import subprocess

from rawpty import RawPort
from tsharness import Tap, Workspace

tap = Tap()


def server_ca(ws):
    """A real certificate: what is written is checked to be one first."""
    key, out = ws.path("ca.pem.key"), ws.path("ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", out, "-subj", "/CN=tagsmith-test", "-days", "30"],
                   check=True, capture_output=True)
    return out
PASS = "modem-test-passphrase"
FAST = ["--no-pacing", "--keygen-ms=50", "--flash-ms=5", "--attach-ms=50"]


def info(ws, emu):
    r = ws.cli("--json", "info", "--port", emu.port)
    tap.eq(r.returncode, 0, repr(r))
    return json.loads(r.stdout) if r.returncode == 0 else {}


def answers_plain_at(emu, term):
    """A second program finds the bridge outside quotes with an empty buffer: a plain
    AT with the bridge's own terminator gets OK."""
    with RawPort(emu.port) as port:
        reply = port.command("AT", term=term)
    return reply


# --- the emulator reproduces each case ---

@tap.test("emulator: reboot-at-byte prints the banner while the host talks, drops the rest")
def _():
    ws = Workspace()
    emu = ws.emulator("--termination", "crlf", "--fault", "reboot-at-byte=3", *FAST)
    # Not flushed: the power-on banner often waits in the port before it is opened, and a
    # flush would leave the wait below nothing to read.
    with RawPort(emu.port, flush=False) as port:
        port.read_until(lambda b: b.endswith(b"Ready\r\n"))   # the power-on banner
        port.write(b"ATAT")
        got = port.read_until(lambda b: b.endswith(b"Ready\r\n"))
        tap.contains(got, b"*** Booting nRF Connect SDK")
        tap.eq(port.command("AT", term=b"\r\n"), b"OK\r\n", "nothing of the cut line was kept")


@tap.test("emulator: search-urc-ms repeats +CEREG searching while LTE is on and subscribed")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-banner", "--subscribed", "--cfun", "1", "--search-urc-ms", "50",
                      *FAST)
    with RawPort(emu.port) as port:
        got = port.read_until(lambda b: b.count(b'+CEREG: 2,"FFFE","FFFFFFFF",7\r\n') >= 2)
        tap.ok(got)
        tap.eq(port.command("AT+CFUN=4").split(b"\r\n")[-2], b"OK")
        port.drain(0.2)
        tap.eq(port.command("AT"), b"OK\r\n")


STALE = 'AT%CMNG=0,5,0,"-----BEGIN'

@tap.test("emulator: stale input leaves the bridge inside a quote; closing it dispatches the cut write")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-banner", "--stale-input", STALE, *FAST)
    with RawPort(emu.port) as port:
        port.write(b"AT\r")
        tap.eq(port.read_for(0.3), b"", "CR inside quotes is content")
        tap.eq(port.command(b'"'), b"OK\r\n", "the quote closes and CR dispatches the write")
        tap.contains(port.command("AT%CMNG=1,5"), b"%CMNG: 5,0,", "the cut content was stored")


@tap.test("emulator: DEL erases the stale bytes, so closing the quote dispatches nothing")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-banner", "--stale-input", STALE, *FAST)
    with RawPort(emu.port) as port:
        tap.eq(port.command(b"\x7f" * 64 + b'"'), b"ERROR\r\n")
        tap.eq(port.command("AT"), b"OK\r\n")
        tap.eq(port.command("AT%CMNG=1,5"), b"OK\r\n", "nothing was stored")


# --- the host against each case ---

@tap.test("host: banner on a CR LF bridge during the first probe")
def _():
    ws = Workspace()
    emu = ws.emulator("--termination", "crlf", "--fault", "reboot-at-byte=3", *FAST)
    tap.eq(len(info(ws, emu).get("imei", "")), 15)
    tap.eq(answers_plain_at(emu, b"\r\n"), b"OK\r\n")


@tap.test("host: banner on an LF bridge during the first probe")
def _():
    ws = Workspace()
    emu = ws.emulator("--termination", "lf", "--fault", "reboot-at-byte=3", *FAST)
    tap.eq(len(info(ws, emu).get("imei", "")), 15)
    tap.eq(answers_plain_at(emu, b"\n"), b"OK\r\n")


for term, wire in (("crlf", b"\r\n"), ("lf", b"\n"), ("cr", b"\r")):
    @tap.test(f"host: URCs stream while a {term} bridge is probed")
    def _(term=term, wire=wire):
        ws = Workspace()
        emu = ws.emulator("--termination", term, "--subscribed", "--cfun", "1",
                          "--search-urc-ms", "100", *FAST)
        ident = info(ws, emu)
        tap.eq(ident.get("functional_mode"), 1)
        tap.eq(answers_plain_at(emu, wire).split(b"\r\n")[-2], b"OK")


@tap.test("host: idle %XMODEMSLEEP URCs on a CR LF bridge")
def _():
    ws = Workspace()
    emu = ws.emulator("--termination", "crlf", "--subscribed", "--idle-urc-ms", "150", *FAST)
    tap.eq(len(info(ws, emu).get("imei", "")), 15)


@tap.test("host: a NUL-terminated bridge is detected and written to")
def _():
    ws = Workspace()
    emu = ws.emulator("--termination", "nul", *FAST)
    tap.eq(len(info(ws, emu).get("imei", "")), 15)
    ca = server_ca(ws)
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "8", "--type", "ca",
               "--file", ca, pass_=PASS)
    tap.eq(w.returncode, 0, repr(w))
    tap.eq(answers_plain_at(emu, b"\0"), b"OK\r\n")


for term, wire in (("cr", b"\r"), ("crlf", b"\r\n"), ("nul", b"\0")):
    @tap.test(f"host: a {term} bridge left inside a quote is recovered, nothing stored")
    def _(term=term, wire=wire):
        ws = Workspace()
        emu = ws.emulator("--termination", term,
                          "--stale-input", 'AT%CMNG=0,5,0,"-----BEGIN CERTIFICATE-----\\nAAAA',
                          *FAST)
        tap.eq(len(info(ws, emu).get("imei", "")), 15)
        tap.eq(answers_plain_at(emu, wire), b"OK\r\n")
        r = ws.cli("--json", "creds", "list", "--port", emu.port, "--sec-tag", "5")
        tap.eq(r.returncode, 0, repr(r))
        tap.eq(json.loads(r.stdout or "[]"), [], "the cut credential was never dispatched")


@tap.test("host: a bridge whose buffer overflowed inside a quote is recovered")
def _():
    ws = Workspace()
    emu = ws.emulator("--buffer-size", "64",
                      "--stale-input", 'AT%CMNG=0,5,0,"' + "A" * 80, *FAST)
    tap.eq(len(info(ws, emu).get("imei", "")), 15)
    tap.eq(answers_plain_at(emu, b"\r"), b"OK\r\n")


for term, wire in (("cr", b"\r"), ("crlf", b"\r\n"), ("lf", b"\n"), ("nul", b"\0")):
    @tap.test(f"host: a {term} bridge whose answers are all lost is left outside quotes")
    def _(term=term, wire=wire):
        # Every AT answer is lost, so the host gives up; a line that is no AT command
        # still gets ERROR afterwards only if no quote was left open.
        ws = Workspace()
        emu = ws.emulator("--termination", term, "--fault", "drop-final=AT", *FAST)
        r = ws.cli("info", "--port", emu.port)
        tap.ok(r.returncode != 0, repr(r))
        tap.contains(r.stderr, "answers AT commands")
        with RawPort(emu.port) as port:
            tap.eq(port.command("HELLO", term=wire), b"ERROR\r\n")


@tap.test("host: a quoted write that times out leaves the bridge clean for the next program")
def _():
    # The write's flash outlasts the timeout: its answer comes late, and what the
    # host sends meanwhile is lost but for one stray byte (§15.3).
    ws = Workspace()
    emu = ws.emulator("--termination", "crlf", "--attach-ms=50", "--flash-ms=2400")
    ca = server_ca(ws)
    w = ws.cli("creds", "write", "--port", emu.port, "--sec-tag", "8", "--type", "ca",
               "--file", ca, "--timeout", "2", pass_=PASS)
    tap.ok(w.returncode != 0, repr(w))
    tap.contains(w.stderr, "did not answer")
    tap.eq(answers_plain_at(emu, b"\r\n"), b"OK\r\n")
    tap.eq(len(info(ws, emu).get("imei", "")), 15)


tap.done()
