# Rewrites a P-256 CSR's outer signatureAlgorithm to carry an explicit NULL
# parameter, the way older nRF9160 modem firmware encodes it.
import sys

def length_bytes(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def read_tlv(d, i):
    tag = d[i]
    n = d[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(d[j:j + k], "big")
        j += k
    return tag, j, j + n

d = open(sys.argv[1], "rb").read()
_, body, end = read_tlv(d, 0)
_, _, info_end = read_tlv(d, body)
info = d[body:info_end]
_, alg_body, alg_end = read_tlv(d, info_end)
alg = d[alg_body:alg_end] + b"\x05\x00"
alg = b"\x30" + length_bytes(len(alg)) + alg
rest = d[alg_end:end]
inner = info + alg + rest
open(sys.argv[2], "wb").write(b"\x30" + length_bytes(len(inner)) + inner)
