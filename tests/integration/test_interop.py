"""Certificates, chains and CRLs from the ledger, checked by verifiers nobody here
wrote: OpenSSL (strict, client purpose, CRL), GnuTLS certtool, mbedTLS 2.28, and a
real mutual-TLS handshake between openssl s_server and s_client."""

import os
import socket
import subprocess
import time

from tsharness import SOURCE_ROOT, Tap, Workspace

tap = Tap()
PASS = "interop passphrase"
IMEI = "490154203237518"
MBEDTLS_VERIFY = os.environ.get("TAGSMITH_MBEDTLS_VERIFY", "mbedtls-verify")
KEYGEN = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "ca", "keygen.txt")


def run(*args, input=None):
    return subprocess.run(list(args), capture_output=True, text=True, input=input, timeout=60)


class Pki:
    """Root (P-384) → Issuing (P-256), a device certificate with a host key, and
    PEM files of each piece in the workspace."""

    def __init__(self, key_root="ec-p384"):
        self.ws = ws = Workspace()
        ws.cli("ca", "init", "--name", "Root", "--key", key_root, pass_=PASS, check=True)
        ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", "--path-len", "0", pass_=PASS,
               check=True)
        self.root = ws.write("root.pem", ws.cli("ca", "export", "Root", check=True).stdout)
        self.issuing = ws.write("issuing.pem", ws.cli("ca", "export", "Issuing", check=True).stdout)
        self.device = ws.write("device.pem", ws.cli("issue", "--ca", "Issuing", "--imei", IMEI, "--new-key",
                                                    "--key-out", ws.path("device.key"), pass_=PASS,
                                                    check=True).stdout)
        self.key = ws.path("device.key")
        self.chain = ws.write("chain.pem", open(self.device).read() + open(self.issuing).read())

    def crl(self, name):
        pem = self.ws.cli("crl", "--ca", "Issuing", pass_=PASS, check=True).stdout
        root_crl = self.ws.cli("crl", "--ca", "Root", pass_=PASS, check=True).stdout
        self.ws.write(name + "-root.pem", root_crl)
        return self.ws.write(name, pem)

    def revoke(self):
        self.ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI, "--reason", "keyCompromise", check=True)


def openssl_verify(pki, crl=None):
    args = ["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", pki.root,
            "-untrusted", pki.issuing]
    if crl:
        args += ["-crl_check_all", "-CRLfile", crl, "-CRLfile", crl.replace(".pem", "") + ".pem-root.pem"]
    return run(*args, pki.device)


@tap.test("openssl verify -x509_strict -purpose sslclient accepts the chain, and the CRL once revoked")
def _():
    pki = Pki()
    r = openssl_verify(pki)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    r = openssl_verify(pki, pki.crl("crl1.pem"))
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    pki.revoke()
    r = openssl_verify(pki, pki.crl("crl2.pem"))
    tap.ok(r.returncode != 0, "a revoked certificate verified")
    tap.contains(r.stdout + r.stderr, "certificate revoked")
    # The CA certificates are strict-valid on their own too.
    r = run("openssl", "verify", "-x509_strict", "-CAfile", pki.root, pki.issuing)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)


@tap.test("a %KEYGEN CSR's certificate verifies strictly as well")
def _():
    pki = Pki(key_root="rsa-3072")
    pem = pki.ws.cli("issue", "--ca", "Issuing", "--imei", "352656100123457", "--csr", KEYGEN, "--profile",
                     "lwm2m", pass_=PASS, check=True).stdout
    cert = pki.ws.write("keygen-cert.pem", pem)
    r = run("openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", pki.root,
            "-untrusted", pki.issuing, cert)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)


@tap.test("GnuTLS certtool --verify-chain accepts the chain")
def _():
    pki = Pki()
    chain = pki.ws.write("full.pem", open(pki.device).read() + open(pki.issuing).read() + open(pki.root).read())
    r = run("certtool", "--verify-chain", "--infile", chain)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    tap.contains(r.stdout, "Chain verification output: Verified")
    r = run("certtool", "--verify", "--load-ca-certificate", pki.root, "--infile", pki.chain)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    crl = pki.crl("crl.pem")
    r = run("certtool", "--crl-info", "--infile", crl)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)


@tap.test("mbedTLS 2.28 parses and verifies the chain and honours the CRL")
def _():
    pki = Pki()
    r = run(MBEDTLS_VERIFY, pki.root, pki.chain)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    r = run(MBEDTLS_VERIFY, pki.root, pki.chain, pki.crl("crl1.pem"))
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    pki.revoke()
    r = run(MBEDTLS_VERIFY, pki.root, pki.chain, pki.crl("crl2.pem"))
    tap.eq(r.returncode, 1, r.stdout + r.stderr)
    tap.contains(r.stdout, "revoked")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def handshake(pki, server_cert, server_key, crl=None):
    """One TLS 1.2 mutual-TLS connection; returns (server output, client result)."""
    port = free_port()
    args = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", "-tls1_2",
            "-cert", server_cert, "-key", server_key, "-Verify", "2", "-verify_return_error",
            "-CAfile", pki.root, "-purpose", "sslclient"]
    if crl:
        args += ["-crl_check", "-CRL", crl]
    server = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if "ACCEPT" in line:
            break
    client = run("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-cert", pki.device,
                 "-key", pki.key, "-cert_chain", pki.issuing, "-CAfile", server_cert, input="Q\n")
    try:
        out, _ = server.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        out, _ = server.communicate()
    return out, client


@tap.test("mutual TLS with s_server -Verify succeeds, and fails once the device is revoked and the CRL loaded")
def _():
    pki = Pki()
    ws = pki.ws
    r = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ws.path("server.key"), "-out", ws.path("server.pem"), "-subj", "/CN=127.0.0.1",
            "-days", "2")
    tap.eq(r.returncode, 0, r.stderr)
    out, client = handshake(pki, ws.path("server.pem"), ws.path("server.key"), pki.crl("crl1.pem"))
    tap.eq(client.returncode, 0, client.stdout + client.stderr + out)
    tap.contains(out, f"subject=CN = {IMEI}")
    tap.ok("verify error" not in out, out)
    pki.revoke()
    out, client = handshake(pki, ws.path("server.pem"), ws.path("server.key"), pki.crl("crl2.pem"))
    tap.ok(client.returncode != 0, client.stdout + out)
    tap.contains(out, "certificate revoked")


tap.done()
