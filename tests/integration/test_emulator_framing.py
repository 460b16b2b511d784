"""Conformance: the AT host bridge's byte-level framing (§2.1) and the identity and
status commands (§4, §5) of tagsmith-emulator, driven over its pty with raw bytes."""

import hashlib
import re

from rawpty import lines_of, start
from tsharness import Tap, Workspace

tap = Tap()
IMEI = "352656100367872"
SILENCE = 0.25   # how long "no answer" is awaited


def emulator(*args):
    ws = Workspace()
    return start(ws, "--imei", IMEI, "--no-banner", *args)


def sha(data):
    return hashlib.sha256(data).hexdigest().upper()


def listed_sha(port, tag, type_):
    reply = port.command(f"AT%CMNG=1,{tag},{type_}")
    m = re.match(rb'%CMNG: \d+,\d+,"([0-9A-F]{64})"\r\nOK\r\n$', reply)
    if not m:
        raise AssertionError(f"unexpected list reply {reply!r}")
    return m.group(1).decode()


@tap.test("identity commands answer as §4 shows")
def _():
    _, port = emulator()
    tap.eq(port.command("AT"), b"OK\r\n")
    tap.eq(port.command("AT+CGMI"), b"Nordic Semiconductor ASA\r\nOK\r\n")
    tap.eq(port.command("AT+CGMM"), b"nRF9160-SICA\r\nOK\r\n")
    tap.eq(port.command("AT+CGMR"), b"mfw_nrf9160_1.3.5\r\nOK\r\n")
    tap.eq(port.command("AT+CGMI=?"), b"OK\r\n")
    tap.eq(port.command("AT+CGMM?"), b"ERROR\r\n")
    tap.eq(port.command("AT+CGSN"), IMEI.encode() + b"\r\nOK\r\n")
    tap.eq(port.command("AT+CGSN=0"), IMEI.encode() + b"\r\nOK\r\n")
    tap.eq(port.command("AT+CGSN=1"), b'+CGSN: "' + IMEI.encode() + b'"\r\nOK\r\n')
    tap.ok(re.fullmatch(rb'\+CGSN: "\d{16}"\r\nOK\r\n', port.command("AT+CGSN=2")))
    tap.eq(port.command("AT+CGSN=?"), b"+CGSN: (0-3)\r\nOK\r\n")
    tap.eq(port.command("AT+CGSN=4"), b"ERROR\r\n")
    tap.eq(port.command("AT%HWVERSION"), b"%HWVERSION: nRF9160 SICA B0A\r\nOK\r\n")
    tap.eq(port.command("AT%SHORTSWVER"), b"%SHORTSWVER: nrf9160_1.3.5\r\nOK\r\n")
    tap.ok(re.fullmatch(rb"%XMODEMUUID: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\nOK\r\n",
                        port.command("AT%XMODEMUUID")))
    tap.eq(port.command("AT%XMODEMUUID?"), b"ERROR\r\n")
    tap.eq(port.command("AT%DEVICEUUID"), b"ERROR\r\n", "nRF9160 has no %DEVICEUUID")
    tap.eq(port.command("at+cgmi"), b"Nordic Semiconductor ASA\r\nOK\r\n", "case-insensitive")
    tap.eq(port.command("ATZZ"), b"ERROR\r\n")
    tap.eq(port.command("HELLO"), b"ERROR\r\n")


@tap.test("nRF91x1 profiles: model, firmware and %DEVICEUUID")
def _():
    for profile, model, hw in (("nrf9161", b"nRF9161-LACA", b"nRF9161 LACA"),
                               ("nrf9151", b"nRF9151-LACA", b"nRF9151 LACA")):
        _, port = emulator("--profile", profile)
        tap.eq(port.command("AT+CGMM"), model + b"\r\nOK\r\n")
        tap.eq(port.command("AT+CGMR"), b"mfw_nrf91x1_2.0.2\r\nOK\r\n")
        tap.contains(port.command("AT%HWVERSION"), b"%HWVERSION: " + hw)
        tap.ok(re.fullmatch(rb"%DEVICEUUID: [0-9a-f-]{36}\r\nOK\r\n", port.command("AT%DEVICEUUID")))


@tap.test("+CMEE and +CFUN read, set and test forms (§3.1, §5)")
def _():
    _, port = emulator()
    tap.eq(port.command("AT+CMEE?"), b"+CMEE: 0\r\nOK\r\n", "CMEE is 0 after boot")
    tap.eq(port.command("AT+CMEE=1"), b"OK\r\n")
    tap.eq(port.command("AT+CMEE?"), b"+CMEE: 1\r\nOK\r\n")
    tap.eq(port.command("AT+CMEE=2"), b"ERROR\r\n")
    tap.eq(port.command("AT+CFUN?"), b"+CFUN: 4\r\nOK\r\n", "power-on value 4 (§10.1)")
    tap.eq(port.command("AT+CFUN=?"), b"+CFUN: (0,1,4,20,21,30,31,40,41,44)\r\nOK\r\n")
    tap.eq(port.command("AT+CFUN=45"), b"ERROR\r\n")
    tap.eq(port.command("AT+CFUN=1"), b"OK\r\n")
    tap.eq(port.command("AT+CFUN?"), b"+CFUN: 1\r\nOK\r\n")
    _, port = emulator("--cfun", "0")
    tap.eq(port.command("AT+CFUN?"), b"+CFUN: 0\r\nOK\r\n", "--cfun sets the power-on value")


@tap.test("--syntax-error makes malformed parameters a +CME ERROR (§10.3)")
def _():
    _, port = emulator("--syntax-error", "50")
    port.command("AT+CMEE=1")
    tap.eq(port.command("AT+CFUN=45"), b"+CME ERROR: 50\r\n")
    tap.eq(port.command("AT%CMNG=9"), b"+CME ERROR: 50\r\n")
    tap.eq(port.command("AT+NOSUCH"), b"ERROR\r\n", "unknown commands stay plain ERROR")


@tap.test("CR termination by default; LF is stored, not a terminator (§2.1 item 3)")
def _():
    _, port = emulator()
    port.write(b"AT\n")
    tap.eq(port.read_for(SILENCE), b"", "LF does not dispatch in CR mode")
    port.write(b"\r")
    tap.eq(port.read_reply(), b"OK\r\n")
    # A CRLF host leaves the LF as the first byte of the next command; it is tolerated.
    tap.eq(port.command("AT+CGMI", term=b"\r\n"), b"Nordic Semiconductor ASA\r\nOK\r\n")
    tap.eq(port.command("AT+CGMM", term=b"\r\n"), b"nRF9160-SICA\r\nOK\r\n")


@tap.test("LF, CRLF and NUL termination modes")
def _():
    _, port = emulator("--termination", "lf")
    port.write(b"AT\r")
    tap.eq(port.read_for(SILENCE), b"", "CR is stored in LF mode")
    port.write(b"\n")
    tap.eq(port.read_reply(), b"OK\r\n")

    _, port = emulator("--termination", "crlf")
    port.write(b"AT\n")
    tap.eq(port.read_for(SILENCE), b"", "a lone LF does not dispatch in CRLF mode")
    port.write(b"\r\n")
    tap.eq(port.read_reply(), b"OK\r\n")
    tap.eq(port.command("AT+CGMI", term=b"\r\n"), b"Nordic Semiconductor ASA\r\nOK\r\n",
           "the CR handed to the modem is accepted (§15.4)")
    port.write(b"AT\r")
    tap.eq(port.read_for(SILENCE), b"", "CR alone does not dispatch in CRLF mode")

    _, port = emulator("--termination", "nul")
    port.write(b"AT\r\n")
    tap.eq(port.read_for(SILENCE), b"")
    port.write(b"\0")
    tap.eq(port.read_reply(), b"OK\r\n")


@tap.test("quotes make CR and LF literal; the content comes back verbatim (§2.1 item 4, §6.8)")
def _():
    _, port = emulator()
    port.command("AT+CMEE=1")
    content = b"-----BEGIN CERTIFICATE-----\r\nMIID\r\n-----END CERTIFICATE-----\r\n"
    tap.eq(port.command(b'AT%CMNG=0,42,0,"' + content + b'"'), b"OK\r\n")
    reply = port.command("AT%CMNG=2,42,0")
    tap.eq(reply, b'%CMNG: 42,0,"' + sha(content).encode() + b'","' + content + b'"\r\nOK\r\n')


@tap.test("SHA-256 of exactly the received bytes: the §6.4 worked examples")
def _():
    _, port = emulator()
    lf = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    crlf = lf.replace(b"\n", b"\r\n")
    port.command(b'AT%CMNG=0,1,0,"HONKHONK"')
    port.command(b'AT%CMNG=0,2,0,"' + lf + b'"')
    port.command(b'AT%CMNG=0,3,0,"' + crlf + b'"')
    tap.eq(listed_sha(port, 1, 0), "6AEE30EC87D762D5EF420BB5C1404738F2312F4904FB2AC157019A959E34371C")
    tap.eq(listed_sha(port, 2, 0), "E3C1FDED22009845E3E8E01CE56C9CAF7D5F23877364CF0A27A4E55DD36C7D61")
    tap.eq(listed_sha(port, 3, 0), "D4506ED94C8DB66D86488030B31736458F9F67E670D3C6DDBA5DA5755F15F9DA")


@tap.test("backspace and delete edit the buffer, even inside quotes (§2.1 item 1)")
def _():
    _, port = emulator()
    tap.eq(port.command(b"ATX\x08"), b"OK\r\n")
    tap.eq(port.command(b"AT+CGMX\x7fI"), b"Nordic Semiconductor ASA\r\nOK\r\n")
    tap.eq(port.command(b'AT%CMNG=0,5,0,"HONKX\x08HONK"'), b"OK\r\n")
    tap.eq(listed_sha(port, 5, 0), sha(b"HONKHONK"))
    tap.eq(port.command(b"\x08\x08\x08AT"), b"OK\r\n", "backspace on an empty buffer is harmless")


@tap.test("empty and blank lines get no answer (§2.1 item 6)")
def _():
    _, port = emulator()
    port.write(b"\r")
    port.write(b"   \r")
    port.write(b"\r\n\r\n")
    port.write(b"\t\n\r")
    tap.eq(port.read_for(SILENCE), b"")
    tap.eq(port.command("AT"), b"OK\r\n", "exactly one OK, nothing left over")


@tap.test("a command split into single-byte writes")
def _():
    _, port = emulator()
    content = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    port.write(b'AT%CMNG=0,7,0,"' + content + b'"\r', byte_delay=0.001)
    tap.eq(port.read_reply(), b"OK\r\n")
    tap.eq(listed_sha(port, 7, 0), sha(content))


@tap.test("4,095 stored bytes are accepted; one more drops the closing quote and hangs (§2.1 item 5, §15.1)")
def _():
    _, port = emulator()
    head = b'AT%CMNG=0,42,0,"'
    fill = 4095 - len(head) - 1
    content = (b"A" * 63 + b"\n") * (fill // 64) + b"B" * (fill % 64)
    tap.eq(len(head + content + b'"'), 4095)
    tap.eq(port.command(head + content + b'"'), b"OK\r\n")
    tap.eq(listed_sha(port, 42, 0), sha(content))

    longer = content + b"C"
    port.write(head + longer + b'"\r')
    tap.eq(port.read_for(SILENCE), b"", "the dropped quote leaves the bridge inside quotes")
    port.write(b'"\r')
    tap.eq(port.read_for(SILENCE), b"", "a recovery quote is dropped too once the buffer is full")
    port.write(b'\x08"\r')
    tap.eq(port.read_reply(), b"OK\r\n", "backspace frees a byte; the truncated command runs")
    tap.eq(listed_sha(port, 42, 0), sha(longer[:-1]), "truncated content was stored")


@tap.test("a leftover LF counts against the 4,095 bytes")
def _():
    _, port = emulator()
    tap.eq(port.command("AT", term=b"\r\n"), b"OK\r\n")
    head = b'AT%CMNG=0,43,0,"'
    content = b"D" * (4095 - len(head) - 1)
    port.write(head + content + b'"\r')
    tap.eq(port.read_for(SILENCE), b"", "LF + 4,095 bytes overflow: the quote is lost")


@tap.test("an unbalanced quote hangs until another quote arrives (§3.4)")
def _():
    _, port = emulator()
    port.write(b'AT+CGMI="x\r\n')
    tap.eq(port.read_for(SILENCE), b"")
    port.write(b'"\r')
    tap.eq(port.read_reply(), b"ERROR\r\n")
    tap.eq(port.command("AT"), b"OK\r\n")


@tap.test("input sent while a command runs is lost but for one stray byte (§2.1 item 7, §15.3)")
def _():
    _, port = emulator()
    port.write(b"AT\rAT+CGMI\r")
    tap.eq(port.read_for(SILENCE), b"OK\r\n", "only the first command is answered")
    tap.eq(port.command(b"T"), b"OK\r\n", "the stray 'A' was kept and completes 'AT'")


@tap.test("a NUL inside quotes ends the command as the modem sees it")
def _():
    _, port = emulator()
    tap.eq(port.command(b'AT%CMNG=0,9,0,"HONK\0HONK"'), b"ERROR\r\n",
           "the modem receives AT%CMNG=0,9,0,\"HONK: no closing quote")


@tap.test("information lines come before the final code, with CRLF and no echo (§10.3)")
def _():
    _, port = emulator()
    reply = port.command("AT+CGSN=1")
    tap.eq(lines_of(reply), [b'+CGSN: "' + IMEI.encode() + b'"', b"OK"])
    tap.ok(not reply.startswith(b"AT"), "no echo")


tap.done()
