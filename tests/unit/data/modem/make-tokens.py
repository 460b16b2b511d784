#!/usr/bin/python3
"""Builds %KEYGEN and %ATTESTTOKEN answer lines around csr.der (see commands.txt).
A tiny CBOR encoder, independent of Tagsmith's decoder. The COSE signature is
64 zero bytes: hosts cannot verify it anyway (PROTOCOL.md §7.3)."""
import base64, hashlib, sys

def head(major, n):
    if n < 24: return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size): return bytes([major << 5 | ai]) + n.to_bytes(size, "big")

def uint(n): return head(0, n) if n >= 0 else head(1, -1 - n)
def bstr(b): return head(2, len(b)) + b
def arr(*items): return head(4, len(items)) + b"".join(items)
def tag(t, item): return head(6, t) + item
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

uuid = bytes.fromhex("504d5632373942fb80c81411df972166")
fw_uuid = bytes.fromhex("25c95751efa440d48b4a1dcaab81fac9")
nonce = bytes.fromhex("90115c20ac3f381b520b43c76bd5d99c")
protected = bstr(bytes([0xa1, 0x01, 0x26]))          # {1: -7}
unprotected = bytes([0xa1, 0x04]) + bstr(bytes([0x21]))  # {4: h'21'}

def cose(payload):
    return tag(18, arr(protected, unprotected, payload, bstr(bytes(64))))

def keygen(csr, digest, sec_tag=16842753):
    payload = tag(55799, arr(uint(9), bstr(uuid), bstr(uint(sec_tag)), bstr(digest), bstr(nonce)))
    return '%KEYGEN: "' + b64u(csr) + "." + b64u(cose(bstr(payload))) + '"\n'

csr = open("csr.der", "rb").read()
p384 = open("csr-p384.der", "rb").read()
open("keygen.txt", "w").write(keygen(csr, hashlib.sha256(csr).digest()))
open("keygen-bad-digest.txt", "w").write(keygen(csr, bytes(32)))
open("keygen-high-tag.txt", "w").write(keygen(csr, hashlib.sha256(csr).digest(), -2147483647))
open("keygen-p384.txt", "w").write(keygen(p384, hashlib.sha256(p384).digest()))
message = tag(55799, arr(uint(1), bstr(uuid), uint(3), bstr(fw_uuid), bstr(nonce)))
open("attest.txt", "w").write('%ATTESTTOKEN: "' + b64u(message) + "." + b64u(cose(head(7, 22))) + '"\n')
