"""Conformance: %CMNG on tagsmith-emulator (§6): the §6.8 transcript, every error code
path of §10.4, certificate validation (527) on mfw 2.0.x profiles, overwrite rules."""

import hashlib
import re
import subprocess

from rawpty import start
from tsharness import Tap, Workspace

tap = Tap()
IMEI = "352656100367872"


def emulator(*args):
    ws = Workspace()
    emu, port = start(ws, "--imei", IMEI, "--no-banner", *args)
    return ws, port


def sha(data):
    return hashlib.sha256(data).hexdigest().upper().encode()


def make_cert(ws):
    """A real self-signed certificate made by the openssl CLI, as PEM bytes."""
    key, cert = ws.path("k.pem"), ws.path("c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=Tagsmith Test Root",
                    "-days", "30"], check=True, capture_output=True)
    with open(cert, "rb") as f:
        return f.read()


@tap.test("the §6.8 transcript, byte for byte")
def _():
    ws, port = emulator("--no-modem-entries")
    tag = 16842753
    for t in (0, 1, 2):
        port.command(f'AT%CMNG=0,{tag},{t},"entry {t}"')
    tap.eq(port.command("AT+CMEE=1", term=b"\r\n"), b"OK\r\n")
    tap.eq(port.command("AT+CFUN=4", term=b"\r\n"), b"OK\r\n")
    tap.eq(port.command("AT%CMNG=1", term=b"\r\n"),
           b"".join(b'%%CMNG: %d,%d,"%s"\r\n' % (tag, t, sha(b"entry %d" % t)) for t in (0, 1, 2))
           + b"OK\r\n")
    tap.eq(port.command("AT%CMNG=1,42,0", term=b"\r\n"), b"OK\r\n", "nothing stored: just OK")
    pem = b"-----BEGIN CERTIFICATE-----\r\nMIID\r\n-----END CERTIFICATE-----\r\n"
    tap.eq(port.command(b'AT%CMNG=0,42,0,"' + pem + b'"', term=b"\r\n"), b"OK\r\n")
    tap.eq(port.command("AT%CMNG=2,42,0", term=b"\r\n"),
           b'%CMNG: 42,0,"' + sha(pem) + b'","' + pem + b'"\r\nOK\r\n')
    port.command(b'AT%CMNG=0,42,2,"-----BEGIN PRIVATE KEY-----"', term=b"\r\n")
    tap.eq(port.command("AT%CMNG=2,42,2", term=b"\r\n"), b"+CME ERROR: 514\r\n")
    tap.eq(port.command("AT%CMNG=3,42,4", term=b"\r\n"), b"+CME ERROR: 513\r\n")
    tap.eq(port.command("AT+CFUN=1", term=b"\r\n"), b"OK\r\n")
    tap.eq(port.command('AT%CMNG=0,42,3,"6e7266393120726f636b73"', term=b"\r\n"),
           b"+CME ERROR: 518\r\n")


@tap.test("modem-owned entries are listed but cannot be read, written or deleted (§6.3)")
def _():
    ws, port = emulator()
    port.command("AT+CMEE=1")
    reply = port.command("AT%CMNG=1")
    tags = re.findall(rb'%CMNG: (\d+),\d+,"[0-9A-F]{64}"\r\n', reply)
    tap.eq(tags, [b"4294967292", b"4294967293", b"4294967294"])
    tap.eq(port.command("AT%CMNG=2,4294967292,0"), b"+CME ERROR: 514\r\n")
    tap.eq(port.command("AT%CMNG=3,4294967293,0"), b"+CME ERROR: 514\r\n")
    tap.eq(port.command('AT%CMNG=0,4294967294,0,"x"'), b"+CME ERROR: 514\r\n")
    tap.eq(port.command("AT%CMNG=1", ), reply, "still there")


@tap.test("write errors in the §10.4 order")
def _():
    ws, port = emulator("--store-bytes", "64")
    port.command("AT+CMEE=1")
    tap.eq(port.command('AT%CMNG=0,42,0'), b"ERROR\r\n", "content missing")
    tap.eq(port.command('AT%CMNG=0,42,0,abc'), b"ERROR\r\n", "content not quoted")
    tap.eq(port.command('AT%CMNG=0,x,0,"abc"'), b"ERROR\r\n", "sec_tag not a number")
    tap.eq(port.command('AT%CMNG=0,4294967296,0,"abc"'), b"ERROR\r\n", "sec_tag beyond 32 bits")
    tap.eq(port.command('AT%CMNG=0,2147483648,0,"abc"'), b"+CME ERROR: 514\r\n",
           "reserved sec_tag on nRF9160")
    tap.eq(port.command('AT%CMNG=0,42,5,"abc"'), b"+CME ERROR: 514\r\n", "type 5 is not writable")
    tap.eq(port.command('AT%CMNG=0,42,0,""'), b"ERROR\r\n", "empty content")
    tap.eq(port.command('AT%CMNG=0,42,2,"key","' + "p" * 33 + '"'), b"ERROR\r\n",
           "password over 32 characters")
    tap.eq(port.command('AT%CMNG=0,42,2,"key","' + "p" * 32 + '"'), b"OK\r\n")
    tap.eq(port.command('AT%CMNG=0,43,0,"' + "x" * 62 + '"'), b"+CME ERROR: 515\r\n",
           "store full (--store-bytes 64, 3 bytes used)")
    tap.eq(port.command('AT%CMNG=0,43,0,"' + "x" * 61 + '"'), b"OK\r\n", "exactly full")
    port.command("AT+CFUN=1")
    tap.eq(port.command('AT%CMNG=0,42,0,"abc"'), b"+CME ERROR: 518\r\n")
    tap.eq(port.command('AT%CMNG=0,42,5,"abc"'), b"+CME ERROR: 514\r\n", "514 comes before 518")


@tap.test("LTE-active modes refuse write, delete and keygen with 518; list and read work (§5)")
def _():
    ws, port = emulator()
    port.command("AT+CMEE=1")
    port.command('AT%CMNG=0,42,0,"abc"')
    for fun, active in ((1, True), (4, False), (2, True), (0, False), (21, True), (30, True),
                        (20, False), (31, False), (44, False)):
        port.command(f"AT+CFUN={fun}")
        want = b"+CME ERROR: 518\r\n" if active else None
        got = port.command('AT%CMNG=0,44,0,"abc"')
        tap.eq(got, want or b"OK\r\n", f"write after CFUN={fun}")
        got = port.command("AT%CMNG=3,44,0")
        tap.eq(got, want or b"OK\r\n", f"delete after CFUN={fun}")
        got = port.command("AT%KEYGEN=45,2,0")
        if active:
            tap.eq(got, want, f"keygen after CFUN={fun}")
        else:
            tap.contains(got, b"%KEYGEN: ", f"keygen after CFUN={fun}")
            port.command("AT%CMNG=3,45,2")
        tap.contains(port.command("AT%CMNG=1,42"), b"%CMNG: 42,0,", f"list after CFUN={fun}")
        tap.contains(port.command("AT%CMNG=2,42,0"), b'"abc"', f"read after CFUN={fun}")


@tap.test("read and delete errors: 513 missing, 514 keys and PSKs")
def _():
    ws, port = emulator()
    port.command("AT+CMEE=1")
    tap.eq(port.command("AT%CMNG=2,42,0"), b"+CME ERROR: 513\r\n")
    tap.eq(port.command("AT%CMNG=3,42,0"), b"+CME ERROR: 513\r\n")
    for t, content in ((2, "key"), (3, "6e7266393120726f636b73"), (4, "identity")):
        port.command(f'AT%CMNG=0,42,{t},"{content}"')
    tap.eq(port.command("AT%CMNG=2,42,2"), b"+CME ERROR: 514\r\n", "private key")
    tap.eq(port.command("AT%CMNG=2,42,3"), b"+CME ERROR: 514\r\n", "PSK")
    tap.eq(port.command("AT%CMNG=2,42,4"), b'%CMNG: 42,4,"' + sha(b"identity") + b'","identity"\r\nOK\r\n')
    tap.eq(port.command("AT%CMNG=2,42"), b"ERROR\r\n", "type missing")
    tap.eq(port.command("AT%CMNG=3,42,2"), b"OK\r\n")
    tap.eq(port.command("AT%CMNG=1,42,2"), b"OK\r\n", "deleted")
    tap.eq(port.command("AT%CMNG"), b"ERROR\r\n")
    tap.eq(port.command("AT%CMNG=4"), b"ERROR\r\n", "no opcode 4")


@tap.test("with +CMEE=0 every CME error reads ERROR (§3.1)")
def _():
    ws, port = emulator()
    tap.eq(port.command("AT%CMNG=2,42,0"), b"ERROR\r\n")
    port.command("AT+CFUN=1")
    tap.eq(port.command('AT%CMNG=0,42,0,"abc"'), b"ERROR\r\n")


@tap.test("overwriting a host entry replaces it; a KEYGEN key cannot be overwritten (519)")
def _():
    ws, port = emulator()
    port.command("AT+CMEE=1")
    tap.eq(port.command('AT%CMNG=0,42,0,"one"'), b"OK\r\n")
    tap.eq(port.command('AT%CMNG=0,42,0,"two"'), b"OK\r\n")
    tap.eq(port.command("AT%CMNG=1,42,0"), b'%CMNG: 42,0,"' + sha(b"two") + b'"\r\nOK\r\n')
    tap.contains(port.command("AT%KEYGEN=50,2,0"), b"%KEYGEN: ")
    tap.eq(port.command('AT%CMNG=0,50,2,"host key"'), b"+CME ERROR: 519\r\n")
    tap.eq(port.command("AT%KEYGEN=50,2,0"), b"+CME ERROR: 519\r\n", "key already there")
    tap.eq(port.command("AT%CMNG=3,50,2"), b"OK\r\n")
    tap.contains(port.command("AT%KEYGEN=50,2,0"), b"%KEYGEN: ")


@tap.test("listing filters: by sec_tag (spaces tolerated), by sec_tag and type, sorted (§6.1)")
def _():
    ws, port = emulator("--no-modem-entries")
    for tag, t in ((20, 1), (3, 4), (20, 0), (100, 0)):
        port.command(f'AT%CMNG=0,{tag},{t},"{tag}-{t}"')
    tap.eq(re.findall(rb"%CMNG: (\d+,\d+)", port.command("AT%CMNG=1")),
           [b"3,4", b"20,0", b"20,1", b"100,0"])
    tap.eq(re.findall(rb"%CMNG: (\d+,\d+)", port.command("AT%CMNG=1, 20")), [b"20,0", b"20,1"])
    tap.eq(re.findall(rb"%CMNG: (\d+,\d+)", port.command("AT%CMNG=1,20,1")), [b"20,1"])
    tap.eq(port.command("AT%CMNG=1,,1"), b"ERROR\r\n", "type only together with sec_tag")


@tap.test("mfw 2.0.2 validates certificates: 527 for invalid ones, keys unchecked (§6.5 item 6)")
def _():
    ws, port = emulator("--profile", "nrf9161")
    port.command("AT+CMEE=1")
    cert = make_cert(ws)
    tap.eq(port.command(b'AT%CMNG=0,42,0,"' + cert + b'"'), b"OK\r\n", "LF PEM")
    crlf = cert.replace(b"\n", b"\r\n")
    tap.eq(port.command(b'AT%CMNG=0,42,1,"' + crlf + b'"'), b"OK\r\n", "CRLF PEM")
    tap.eq(port.command("AT%CMNG=1,42,1"), b'%CMNG: 42,1,"' + sha(crlf) + b'"\r\nOK\r\n')
    tap.eq(port.command(b'AT%CMNG=0,43,0,"' + cert + cert + b'"'), b"OK\r\n", "two certificates")
    tap.eq(port.command('AT%CMNG=0,44,0,"HONKHONK"'), b"+CME ERROR: 527\r\n")
    literal = cert.replace(b"\n", b"\\n")
    tap.eq(port.command(b'AT%CMNG=0,44,1,"' + literal + b'"'), b"+CME ERROR: 527\r\n",
           "a typed \\n instead of line breaks (§12 item 1)")
    tap.eq(port.command(b'AT%CMNG=0,44,2,"' + literal + b'"'), b"OK\r\n", "keys are not validated")
    tap.eq(port.command(b'AT%CMNG=0,44,0,"' + cert + b'HONK"'), b"OK\r\n",
           "text after the last certificate is tolerated")
    tap.eq(port.command(b'AT%CMNG=0,44,0,"' + cert.replace(b"CERTIFICATE", b"PUBLIC KEY") + b'"'),
           b"+CME ERROR: 527\r\n", "not a certificate")
    ws2, old = emulator("--profile", "nrf9160")
    tap.eq(old.command('AT%CMNG=0,44,0,"HONKHONK"'), b"OK\r\n", "mfw 1.3.5 stores anything")


@tap.test("TLS decrypt sec_tags are writable on nRF91x1 only (§6.3)")
def _():
    ws, port = emulator("--profile", "nrf9151")
    port.command("AT+CMEE=1")
    tap.eq(port.command('AT%CMNG=0,2147483648,3,"00112233"'), b"OK\r\n")
    tap.eq(port.command('AT%CMNG=0,2147483667,4,"id"'), b"OK\r\n")
    tap.eq(port.command('AT%CMNG=0,2147483668,4,"id"'), b"+CME ERROR: 514\r\n")
    tap.eq(port.command("AT%CMNG=3,2147483648,3"), b"OK\r\n")


tap.done()
