"""Conformance: %KEYGEN and %ATTESTTOKEN on tagsmith-emulator (§7, §8). The output is
decoded here (base64url + a small CBOR decoder) and checked with the openssl CLI."""

import base64
import configparser
import hashlib
import re
import subprocess
import time

from rawpty import start
from tsharness import Tap, Workspace

tap = Tap()
IMEI = "352656100367872"
ECDSA_SHA256_NULL = bytes.fromhex("300c06082a8648ce3d040302 0500".replace(" ", ""))
ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")


class Tagged:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def cbor(data):
    """Decodes one CBOR item that must fill data exactly."""
    value, rest = _item(data)
    if rest:
        raise AssertionError(f"{len(rest)} bytes after the CBOR item")
    return value


def _item(data):
    major, info, data = data[0] >> 5, data[0] & 0x1F, data[1:]
    if info < 24:
        arg = info
    elif info in (24, 25, 26, 27):
        n = 1 << (info - 24)
        arg, data = int.from_bytes(data[:n], "big"), data[n:]
    else:
        raise AssertionError(f"unsupported CBOR additional info {info}")
    if major == 0:
        return arg, data
    if major == 1:
        return -1 - arg, data
    if major == 2:
        return bytes(data[:arg]), data[arg:]
    if major == 3:
        return data[:arg].decode(), data[arg:]
    if major == 4:
        items = []
        for _ in range(arg):
            item, data = _item(data)
            items.append(item)
        return items, data
    if major == 5:
        out = {}
        for _ in range(arg):
            k, data = _item(data)
            out[k], data = _item(data)
        return out, data
    if major == 6:
        inner, data = _item(data)
        return Tagged(arg, inner), data
    if major == 7 and info == 22:
        return None, data
    raise AssertionError(f"unsupported CBOR major type {major}")


def b64url(text):
    tap.ok(re.fullmatch(r"[A-Za-z0-9_-]+", text), f"not unpadded base64url: {text!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token(reply, name):
    m = re.fullmatch(rb"%" + name + rb': "([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)"\r\nOK\r\n', reply)
    tap.ok(m, f"unexpected %{name.decode()} reply {reply!r}")
    return b64url(m.group(1).decode()), b64url(m.group(2).decode())


def der_int(v):
    b = v.to_bytes(32, "big").lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def identity_public_key(ws, state):
    """The emulated device's identity key, from its flash (the state file)."""
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(state)
    der = base64.b64decode(cp["Device"]["IdentityKey"])
    with open(ws.path("identity.der"), "wb") as f:
        f.write(der)
    subprocess.run(["openssl", "pkey", "-inform", "DER", "-in", ws.path("identity.der"),
                    "-pubout", "-out", ws.path("identity.pub")], check=True, capture_output=True)
    return ws.path("identity.pub")


def check_cose(ws, pub, cose, payload=None):
    """Checks the §7.3 COSE_Sign1 shape and its ES256 signature. Returns the payload."""
    tap.ok(isinstance(cose, Tagged) and cose.tag == 18, "COSE_Sign1 tag 18")
    protected, unprotected, body, signature = cose.value
    tap.eq(cbor(protected), {1: -7}, "alg ES256")
    tap.eq(unprotected, {4: b"\x21"}, "kid = CBOR -2, identity_key")
    if payload is None:
        payload = body
    else:
        tap.eq(body, None, "detached payload")
    tap.eq(len(signature), 64)
    sig_structure = bytes([0x84, 0x6A]) + b"Signature1" + bytes([0x43]) + protected + b"\x40"
    sig_structure += _bstr_head(len(payload)) + payload
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    seq = der_int(r) + der_int(s)
    with open(ws.path("sig.der"), "wb") as f:
        f.write(b"\x30" + bytes([len(seq)]) + seq)
    with open(ws.path("tbs.bin"), "wb") as f:
        f.write(sig_structure)
    res = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
                          ws.path("sig.der"), ws.path("tbs.bin")], capture_output=True)
    tap.eq(res.returncode, 0, f"COSE signature: {res.stdout!r} {res.stderr!r}")
    return payload


def _bstr_head(n):
    if n < 24:
        return bytes([0x40 | n])
    if n < 256:
        return bytes([0x58, n])
    return bytes([0x59]) + n.to_bytes(2, "big")


def openssl_req(ws, der, *args):
    with open(ws.path("csr.der"), "wb") as f:
        f.write(der)
    return subprocess.run(["openssl", "req", "-inform", "DER", "-in", ws.path("csr.der"),
                           "-noout", *args], capture_output=True, text=True)


def uuid_bytes(text):
    return bytes.fromhex(text.replace("-", ""))


def device(ws, *args):
    state = ws.path("modem.state")
    _, port = start(ws, "--imei", IMEI, "--no-banner", "--state", state, *args)
    port.command("AT+CMEE=1")
    return port, identity_public_key(ws, state)


@tap.test("nRF9160 KEYGEN: CSR with the legacy NULL, verified by openssl; COSE digest and UUID match")
def _():
    ws = Workspace()
    port, pub = device(ws)
    csr, cose_bytes = token(port.command("AT%KEYGEN=17,2,0"), b"KEYGEN")
    tap.ok(ECDSA_SHA256_NULL in csr, "signature algorithm carries the explicit NULL (§7.3)")
    res = openssl_req(ws, csr, "-verify")
    tap.eq(res.returncode, 0, f"openssl req -verify: {res.stderr}")
    tap.contains(res.stderr + res.stdout, "verify OK")
    payload = cbor(check_cose(ws, pub, cbor(cose_bytes)))
    tap.ok(isinstance(payload, Tagged) and payload.tag == 55799, "self-described CBOR")
    payload_id, uuid, sec_tag, digest, nonce = payload.value
    tap.eq(payload_id, 9, "CSR message")
    tap.eq(cbor(sec_tag), 17)
    tap.eq(digest, hashlib.sha256(csr).digest(), "COSE digest = SHA-256 of the CSR DER")
    tap.eq(len(nonce), 16)
    subject = openssl_req(ws, csr, "-subject", "-nameopt", "RFC2253").stdout.strip()
    tap.eq(subject, "subject=CN=" + "-".join([uuid.hex()[:8], uuid.hex()[8:12], uuid.hex()[12:16],
                                              uuid.hex()[16:20], uuid.hex()[20:]]),
           "default subject is CN=<device UUID>")
    tap.contains(csr, bytes.fromhex("030203e8"), "default key usage 111010000")
    text = openssl_req(ws, csr, "-text").stdout
    tap.contains(text, "Digital Signature, Non Repudiation, Key Encipherment, Key Agreement")
    tap.contains(text, "prime256v1")
    listing = port.command("AT%CMNG=1,17")
    tap.ok(re.fullmatch(rb'%CMNG: 17,2,"[0-9A-F]{64}"\r\nOK\r\n', listing), listing)
    tap.eq(port.command("AT%CMNG=2,17,2"), b"+CME ERROR: 514\r\n", "the key never leaves")
    msg, _ = token(port.command("AT%ATTESTTOKEN"), b"ATTESTTOKEN")
    tap.eq(cbor(msg).value[1], uuid, "UUID matches the attestation token")


@tap.test("nRF9161 KEYGEN: no NULL, subject and key usage from the parameters (§7.2)")
def _():
    ws = Workspace()
    port, pub = device(ws, "--profile", "nrf9161")
    csr, cose_bytes = token(port.command(
        'AT%KEYGEN=16842753,2,0,"O=Nordic Semiconductor,L=Trondheim,C=no,CN=mydevice","101010000"'),
        b"KEYGEN")
    tap.ok(ECDSA_SHA256 + b"\x03" in csr and ECDSA_SHA256_NULL not in csr, "standard encoding")
    tap.eq(openssl_req(ws, csr, "-verify").returncode, 0)
    subject = openssl_req(ws, csr, "-subject", "-nameopt", "RFC2253").stdout.strip()
    tap.eq(subject, "subject=CN=mydevice,C=no,L=Trondheim,O=Nordic Semiconductor")
    tap.contains(csr, bytes.fromhex("030203a8"), "key usage 101010000")
    payload = cbor(check_cose(ws, pub, cbor(cose_bytes))).value
    tap.eq(cbor(payload[2]), 16842753)
    tap.eq(payload[3], hashlib.sha256(csr).digest())
    m = re.match(rb"%DEVICEUUID: ([0-9a-f-]{36})\r\n", port.command("AT%DEVICEUUID"))
    tap.eq(payload[1], uuid_bytes(m.group(1).decode()), "UUID matches %DEVICEUUID")


@tap.test("KEYGEN response_content 1 returns the public key (payload id 8)")
def _():
    ws = Workspace()
    port, pub = device(ws, "--profile", "nrf9151")
    spki, cose_bytes = token(port.command("AT%KEYGEN=18,2,1"), b"KEYGEN")
    tap.eq(len(spki), 91)
    tap.ok(base64.b64encode(spki).startswith(b"MFkwEwYHKoZIzj0CAQYI"))
    with open(ws.path("spki.der"), "wb") as f:
        f.write(spki)
    res = subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-in", ws.path("spki.der"),
                          "-noout", "-text"], capture_output=True, text=True)
    tap.eq(res.returncode, 0, res.stderr)
    tap.contains(res.stdout, "prime256v1")
    payload = cbor(check_cose(ws, pub, cbor(cose_bytes))).value
    tap.eq(payload[0], 8)
    tap.eq(payload[3], hashlib.sha256(spki).digest())


@tap.test("the endorsement key (type 8) is created once and then reused")
def _():
    ws = Workspace()
    port, _ = device(ws)
    first, _ = token(port.command("AT%KEYGEN=19,8"), b"KEYGEN")
    second, _ = token(port.command("AT%KEYGEN=19,8"), b"KEYGEN")
    tap.eq(first, second)
    tap.eq(len(first), 91)


@tap.test("KEYGEN errors: mfw 1.2 gives 0, reserved tag 514, bad parameters ERROR and leave no key")
def _():
    ws = Workspace()
    _, legacy = start(ws, "--profile", "nrf9160-legacy", "--no-banner")
    legacy.command("AT+CMEE=1")
    tap.eq(legacy.command("AT%KEYGEN=17,2,0"), b"+CME ERROR: 0\r\n")
    port, _ = device(ws)
    tap.eq(port.command("AT%KEYGEN=2147483648,2,0"), b"+CME ERROR: 514\r\n")
    tap.eq(port.command("AT%KEYGEN=17,3,0"), b"ERROR\r\n", "key type 3")
    tap.eq(port.command("AT%KEYGEN=17,2,2"), b"ERROR\r\n", "response content 2")
    tap.eq(port.command('AT%KEYGEN=17,2,0,"NOPE=x"'), b"ERROR\r\n", "unknown attribute")
    tap.eq(port.command('AT%KEYGEN=17,2,0,"CN=x","12"'), b"ERROR\r\n", "key usage not 9 bits")
    tap.eq(port.command("AT%CMNG=1,17"), b"OK\r\n", "no key left behind")
    tap.contains(port.command("at%keygen=17,2,0,,"), b"%KEYGEN: ",
                 "lower case and empty optional parameters work (§7.1)")


@tap.test("%ATTESTTOKEN: §8.1 message, challenge as nonce, detached COSE signature")
def _():
    ws = Workspace()
    port, pub = device(ws, "--profile", "nrf9161")
    challenge = "90115c20ac3f381b520b43c76bd5d99c"
    msg, cose_bytes = token(port.command(f'AT%ATTESTTOKEN="{challenge}"'), b"ATTESTTOKEN")
    check_cose(ws, pub, cbor(cose_bytes), payload=msg)
    message = cbor(msg)
    tap.eq(message.tag, 55799)
    msg_type, uuid, device_type, fw_uuid, nonce = message.value
    tap.eq((msg_type, device_type), (1, 4), "device identity message from an nRF9161")
    tap.eq(nonce, bytes.fromhex(challenge))
    m = re.match(rb"%XMODEMUUID: ([0-9a-f-]{36})\r\n", port.command("AT%XMODEMUUID"))
    tap.eq(fw_uuid, uuid_bytes(m.group(1).decode()), "firmware UUID = %XMODEMUUID")
    m = re.match(rb"%DEVICEUUID: ([0-9a-f-]{36})\r\n", port.command("AT%DEVICEUUID"))
    tap.eq(uuid, uuid_bytes(m.group(1).decode()))
    msg, _ = token(port.command("AT%ATTESTTOKEN"), b"ATTESTTOKEN")
    tap.ok(cbor(msg).value[4] != bytes.fromhex(challenge), "without a challenge: a fresh nonce")
    tap.eq(port.command('AT%ATTESTTOKEN="abc"'), b"ERROR\r\n")
    port.command("AT+CFUN=1")
    token(port.command("AT%ATTESTTOKEN"), b"ATTESTTOKEN")  # works with LTE active (§8.1)


@tap.test("KEYGEN takes the modelled time when pacing is on")
def _():
    ws = Workspace()
    _, port = start(ws, "--no-banner", "--keygen-ms", "400", "--flash-ms", "0", pacing=True)
    t0 = time.monotonic()
    port.command("AT%KEYGEN=17,2,0")
    tap.ok(time.monotonic() - t0 >= 0.4, "keygen returned early")


tap.done()
