"""Conformance: how tagsmith-emulator runs: registry file, state file across restarts,
boot banner, URCs, faults, shell mode, pacing, options."""

import configparser
import errno
import glob
import os
import re
import signal
import stat
import subprocess
import time

from rawpty import RawPort, final_code, start
from tsharness import EMULATOR, Tap, Workspace

tap = Tap()
IMEI = "352656100367872"
SILENCE = 0.25


def registry(ws):
    return glob.glob(os.path.join(ws.env["XDG_RUNTIME_DIR"], "tagsmith", "emulators", "*.emulator"))


def wait_exit(proc, timeout=60):
    proc.wait(timeout=timeout)
    return proc.returncode


@tap.test("registry file: written while running, removed on SIGTERM and SIGINT")
def _():
    for sig in (signal.SIGTERM, signal.SIGINT):
        ws = Workspace()
        link = ws.path("ttyNRF")
        emu = ws.emulator("--no-pacing", "--imei", IMEI, "--link", link, "--profile", "nrf9161")
        tap.eq(emu.port, link, "the first line is the --link path")
        tap.eq(os.path.realpath(link).startswith("/dev/pts/"), True)
        files = registry(ws)
        tap.eq(len(files), 1)
        tap.eq(os.path.basename(files[0]), f"{emu.proc.pid}.emulator")
        tap.eq(stat.S_IMODE(os.stat(os.path.dirname(files[0])).st_mode), 0o700)
        cp = configparser.ConfigParser(interpolation=None)
        cp.optionxform = str
        cp.read(files[0])
        tap.eq(dict(cp["Emulator"]), {"Port": os.path.realpath(link), "Link": link,
                                      "Profile": "nrf9161", "Imei": IMEI,
                                      "Model": "nRF9161-LACA", "Pid": str(emu.proc.pid)})
        emu.proc.send_signal(sig)
        tap.eq(wait_exit(emu.proc), 0)
        tap.eq(registry(ws), [], "registration removed")
        tap.ok(not os.path.lexists(link), "link removed")


@tap.test("without --link the first stdout line is the pty and no Link key is written")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-pacing")
    tap.ok(re.fullmatch(r"/dev/pts/\d+", emu.port), emu.port)
    with open(registry(ws)[0]) as f:
        text = f.read()
    tap.ok("Link=" not in text)
    tap.ok(re.search(r"^Imei=\d{15}$", text, re.M), "a generated IMEI")


@tap.test("the state file keeps identity and credentials across a restart (a returned device)")
def _():
    ws = Workspace()
    state = ws.path("dev.state")
    emu, port = start(ws, "--state", state, "--imei", IMEI, "--no-banner", "--profile", "nrf9161")
    port.command('AT%CMNG=0,42,4,"HONKHONK"')
    port.command("AT%KEYGEN=42,2,0")
    before = port.command("AT%CMNG=1,42")
    uuid = port.command("AT%DEVICEUUID")
    port.close()
    emu.stop()
    tap.eq(stat.S_IMODE(os.stat(state).st_mode), 0o600, "the state file holds keys")
    emu, port = start(ws, "--state", state, "--no-banner", "--profile", "nrf9161")
    tap.eq(port.command("AT+CGSN"), IMEI.encode() + b"\r\nOK\r\n", "IMEI from the state file")
    tap.eq(port.command("AT%CMNG=1,42"), before)
    tap.eq(port.command("AT%DEVICEUUID"), uuid)
    tap.eq(port.command("AT%CMNG=2,42,4").split(b",", 3)[3], b'"HONKHONK"\r\nOK\r\n')
    port.close()
    emu.stop()
    res = subprocess.run([EMULATOR, "--no-pacing", "--state", state, "--imei", "490154203237518"],
                         capture_output=True, text=True, env=ws.env)
    tap.eq(res.returncode, 1)
    tap.contains(res.stderr, "belongs to the device with IMEI 352656100367872")
    ws.write("bad.state", "[Device]\nImei=1\n")
    res = subprocess.run([EMULATOR, "--no-pacing", "--state", ws.path("bad.state")],
                         capture_output=True, text=True, env=ws.env)
    tap.eq(res.returncode, 1)
    tap.contains(res.stderr, "is not an emulator state file or is damaged")


@tap.test("options are validated with advice; --help documents every option and fault")
def _():
    ws = Workspace()
    for args, text in ((["--imei", "352656100367871"], "Luhn"), (["--profile", "nrf9999"], "nrf9151"),
                       (["--fault", "explode=1"], "hangup-after=N"), (["--cfun", "3"], "--cfun"),
                       (["--termination", "cr2"], "cr, lf, crlf or nul"),
                       (["--fault", "noise=2"], "rate from 0 to 1")):
        res = subprocess.run([EMULATOR, *args], capture_output=True, text=True, env=ws.env,
                             timeout=10)
        tap.eq(res.returncode, 2, args)
        tap.contains(res.stderr, text)
        tap.eq(res.stdout, "")
    res = subprocess.run([EMULATOR, "--help"], capture_output=True, text=True)
    for word in ("--profile", "--imei", "--state", "--link", "--baud", "--no-pacing", "--keygen-ms",
                 "--flash-ms", "--termination", "--shell", "--cfun", "--no-banner",
                 "--first-command-error", "--subscribed", "--idle-urc-ms", "--fault",
                 "hangup-after=N", "noise=RATE", "delay=MS", "drop-final=CMD", "reboot-after=N"):
        tap.contains(res.stdout, word)


@tap.test("boot banner of the at_client sample, readable before the host flushes (§2.1)")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-pacing")
    port = RawPort(emu.port, flush=False)
    got = port.read_until(lambda b: b.endswith(b"Ready\r\n"))
    tap.ok(re.fullmatch(rb"\*\*\* Booting nRF Connect SDK v[\d.]+ \*\*\*\r\nThe AT host sample started\r\nReady\r\n", got), got)


@tap.test("the host may open and close the port repeatedly")
def _():
    ws = Workspace()
    emu, port = start(ws, "--no-banner")
    port.close()
    for _ in range(5):
        with RawPort(emu.port) as p:
            tap.eq(p.command("AT"), b"OK\r\n")
    tap.eq(emu.proc.poll(), None, "still running")


@tap.test("first-command ERROR after power-up, if enabled (§11)")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--first-command-error")
    tap.eq(port.command("AT"), b"ERROR\r\n")
    tap.eq(port.command("AT"), b"OK\r\n")


@tap.test("URCs: +CEREG after CFUN changes, between responses only (§3.3, §10.6)")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--subscribed", "--attach-ms", "300", pacing=True)
    tap.eq(port.command("AT+CFUN=1"), b"OK\r\n")
    urcs = port.read_until(lambda b: b.count(b"\r\n") >= 2)
    tap.eq(urcs, b'+CEREG: 2,"FFFE","FFFFFFFF",7\r\n+CEREG: 1,"67C0","01AA1300",7\r\n')
    reply = port.command("AT+CFUN=4")
    tap.eq(reply, b"OK\r\n")
    tap.eq(port.read_until(lambda b: b.endswith(b"\r\n"), timeout=2), b"+CEREG: 0\r\n",
           "the URC comes after AT+CFUN=4's OK")
    tap.eq(port.command("AT+CGMI"), b"Nordic Semiconductor ASA\r\nOK\r\n")

    _, port = start(ws, "--no-banner")
    port.command("AT+CFUN=1")
    tap.eq(port.read_for(SILENCE), b"", "no URC without a subscription")
    port.command("AT+CEREG=1")
    port.command("AT+CFUN=4")
    tap.eq(port.read_until(lambda b: b.endswith(b"\r\n"), timeout=2), b"+CEREG: 0\r\n")


@tap.test("idle URCs: %XMODEMSLEEP after a quiet spell when subscribed")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--subscribed", "--idle-urc-ms", "150")
    port.command("AT")
    tap.eq(port.read_until(lambda b: b.endswith(b"\r\n"), timeout=2), b"%XMODEMSLEEP: 1,150\r\n")
    tap.eq(port.read_for(0.4), b"", "once per quiet spell")
    _, port = start(ws, "--no-banner", "--idle-urc-ms", "100")
    tap.eq(port.read_for(0.3), b"", "nothing without a subscription")
    tap.eq(port.command("AT%XMODEMSLEEP=1,500,10000"), b"OK\r\n")
    tap.contains(port.read_for(0.4), b"%XMODEMSLEEP: 1,100\r\n")


@tap.test("fault hangup-after=N: the port goes away mid-command and the emulator exits")
def _():
    ws = Workspace()
    emu, port = start(ws, "--no-banner", "--fault", "hangup-after=10")
    tap.eq(port.command("AT"), b"OK\r\n")
    port.write(b'AT%CMNG=0,1,0,"abcdef"\r')
    try:
        data = port.read_for(1.0)
        closed = data == b""
    except OSError as e:
        closed = e.errno == errno.EIO
    tap.ok(closed, "the host sees the line drop")
    tap.eq(wait_exit(emu.proc), 0)
    tap.eq(registry(ws), [])


@tap.test("fault noise=RATE: garbage lines between answers, never inside one")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--fault", "noise=1", "--seed", "7")
    tap.eq(port.command("AT+CGMI"), b"Nordic Semiconductor ASA\r\nOK\r\n")
    garbage = port.read_until(lambda b: b.endswith(b"\r\n"))
    tap.ok(re.fullmatch(rb"[^\"\r\n+%]{8,40}\r\n", garbage), garbage)
    tap.ok(final_code(garbage) is None, "not mistakable for a result code")


@tap.test("fault delay=MS delays every answer, even without pacing")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--fault", "delay=300")
    t0 = time.monotonic()
    tap.eq(port.command("AT"), b"OK\r\n")
    tap.ok(time.monotonic() - t0 >= 0.3)


@tap.test("fault drop-final=CMD: information lines come, the final code never does")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--imei", IMEI, "--fault", "drop-final=+cgsn")
    port.write(b"AT+CGSN=1\r")
    tap.eq(port.read_for(SILENCE), b'+CGSN: "' + IMEI.encode() + b'"\r\n')
    tap.eq(port.command("AT+CGMI"), b"Nordic Semiconductor ASA\r\nOK\r\n", "other commands unaffected")


@tap.test("fault reboot-after=N: banner again, CFUN back to its power-on value, CMEE 0")
def _():
    ws = Workspace()
    _, port = start(ws, "--fault", "reboot-after=3")
    port.command("AT+CMEE=1")
    port.command("AT+CFUN=1")
    port.write(b"AT+CMEE?\r")
    got = port.read_until(lambda b: b.endswith(b"Ready\r\n"))
    tap.ok(got.startswith(b"+CMEE: 1\r\nOK\r\n*** Booting nRF Connect SDK"), got)
    tap.eq(port.command("AT+CFUN?"), b"+CFUN: 4\r\nOK\r\n")
    tap.eq(port.command("AT+CMEE?"), b"+CMEE: 0\r\nOK\r\n")


@tap.test("shell mode: prompt, echo, `at <cmd>`, errors for anything else (§2.2, §10.5)")
def _():
    ws = Workspace()
    emu = ws.emulator("--no-pacing", "--shell", "--imei", IMEI)
    port = RawPort(emu.port, flush=False)
    tap.ok(port.read_until(lambda b: b.endswith(b"uart:~$ ")).startswith(b"*** Booting"))
    port.write(b"at AT+CGSN\r\n")
    got = port.read_until(lambda b: b.endswith(b"uart:~$ "))
    tap.eq(got, b"at AT+CGSN\r\n" + IMEI.encode() + b"\r\nOK\r\n\r\nuart:~$ ")
    port.write(b"at AT\r")
    tap.eq(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"at AT\r\nOK\r\n\r\nuart:~$ ",
           "Cellular Monitor's detection: `at AT` answers OK")
    port.write(b"AT+CGSN\r")
    tap.eq(port.read_until(lambda b: b.endswith(b"uart:~$ ")),
           b"AT+CGSN\r\nAT+CGSN: command not found\r\nuart:~$ ")
    port.write(b"at AT+CGMX\x08I\r")
    tap.contains(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"\b \bI\r\nNordic Semiconductor ASA")
    port.write(b"\r")
    tap.eq(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"\r\nuart:~$ ")


@tap.test("shell mode: nrfcredstore's quoted %CMNG write, \\n becomes CRLF")
def _():
    import hashlib
    ws = Workspace()
    emu = ws.emulator("--no-pacing", "--shell", "--no-banner")
    port = RawPort(emu.port, flush=False)
    tap.eq(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"uart:~$ ", "the boot prompt")
    pem = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"
    port.write(f"at 'AT%CMNG=0,42,0,\"{pem}\"'\r".encode())
    tap.contains(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"\r\nOK\r\n")
    port.write(b"at AT%CMNG=1,42,0\r")
    got = port.read_until(lambda b: b.endswith(b"uart:~$ "))
    want = hashlib.sha256(pem.replace("\\n", "\r\n").encode()).hexdigest().upper().encode()
    tap.contains(got, want)
    port.write(b'at "AT%CMNG=0,43,0,\\"x\\x41\\""\r')
    tap.contains(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b"\r\nOK\r\n")
    port.write(b"at AT%CMNG=2,43,0\r")
    tap.contains(port.read_until(lambda b: b.endswith(b"uart:~$ ")), b',"xA"\r\nOK',
                 "escaped quote and \\xNN inside quotes (§2.2)")


@tap.test("line mode rejects the shell's `at AT` (Cellular Monitor detection, §2.2)")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner")
    tap.eq(port.command("at AT"), b"ERROR\r\n")


@tap.test("pacing: 10 bits per byte at --baud in both directions")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--baud", "9600", "--flash-ms", "0", pacing=True)
    content = "x" * 460
    t0 = time.monotonic()
    port.command(f'AT%CMNG=0,1,0,"{content}"')
    sent = time.monotonic() - t0
    t0 = time.monotonic()
    port.command("AT%CMNG=2,1,0")
    received = time.monotonic() - t0
    # 478 bytes in and 551 bytes out at 960 bytes/s
    tap.ok(0.45 <= sent <= 1.5, f"write took {sent:.2f}s")
    tap.ok(0.55 <= received <= 1.6, f"read took {received:.2f}s")


tap.done()
