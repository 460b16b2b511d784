"""Certificates, chains and CRLs from the ledger, checked by verifiers nobody here
wrote: OpenSSL (strict, client purpose, CRL), GnuTLS certtool, mbedTLS 2.28, and real
mutual-TLS handshakes of openssl s_client against openssl s_server and gnutls-serv.
The matrix covers every CA key type, every device profile, both host device key types
and a %KEYGEN CSR, each accepted, and rejected once revoked with the CRLs loaded."""

import json
import os
import re
import socket
import subprocess
import threading
import time

from tsharness import SOURCE_ROOT, Tap, Workspace, luhn_imei

tap = Tap()
PASS = "interop passphrase"
IMEI = "490154203237518"
MBEDTLS_VERIFY = os.environ.get("TAGSMITH_MBEDTLS_VERIFY", "mbedtls-verify")
KEYGEN = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "ca", "keygen.txt")
CA_KEYS = ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]
PROFILES = ["generic", "lwm2m", "nrfcloud", "nrfcloud-uuid", "azure", "aws"]
DEVICE_KEYS = ["ec-p256", "ec-p384"]
UUID = "504d5632-3739-42fb-80c8-1411df972166"


def run(*args, input=None):
    return subprocess.run(list(args), capture_output=True, text=True, input=input, timeout=60)


class Pki:
    """Root (P-384) → Issuing (P-256), a device certificate with a host key, and
    PEM files of each piece in the workspace."""

    def __init__(self, key_root="ec-p384", key_issuing="ec-p256"):
        self.ws = ws = Workspace()
        ws.cli("ca", "init", "--name", "Root", "--key", key_root, pass_=PASS, check=True)
        ws.cli("ca", "intermediate", "--name", "Issuing", "--parent", "Root", "--path-len", "0",
               "--key", key_issuing, pass_=PASS, check=True)
        self.root = ws.write("root.pem", ws.cli("ca", "export", "Root", check=True).stdout)
        self.issuing = ws.write("issuing.pem", ws.cli("ca", "export", "Issuing", check=True).stdout)
        self.device = ws.write("device.pem", ws.cli("issue", "--ca", "Issuing", "--imei", IMEI, "--new-key",
                                                    "--key-out", ws.path("device.key"), pass_=PASS,
                                                    check=True).stdout)
        self.key = ws.path("device.key")
        self.chain = ws.write("chain.pem", open(self.device).read() + open(self.issuing).read())

    def issue(self, imei, profile, key_type=None):
        """A device certificate under Issuing: a host key of key_type, or the %KEYGEN CSR.
        Returns (certificate, key or None, device + Issuing chain) paths."""
        name = f"{imei}-{profile}"
        args = ["issue", "--ca", "Issuing", "--imei", imei, "--profile", profile, "--uuid", UUID]
        key = None
        if key_type:
            key = self.ws.path(name + ".key")
            args += ["--new-key", "--key", key_type, "--key-out", key]
        else:
            args += ["--csr", KEYGEN]
        pem = self.ws.cli(*args, pass_=PASS, check=True).stdout
        cert = self.ws.write(name + ".pem", pem)
        chain = self.ws.write(name + "-chain.pem", pem + open(self.issuing).read())
        return cert, key, chain

    def crls(self, name):
        """Both CRLs (Issuing's, then Root's) in one PEM file."""
        path = self.crl(name)
        return self.ws.write(name + "-both.pem", open(path).read() + open(path + "-root.pem").read())

    def crl(self, name):
        pem = self.ws.cli("crl", "--ca", "Issuing", pass_=PASS, check=True).stdout
        root_crl = self.ws.cli("crl", "--ca", "Root", pass_=PASS, check=True).stdout
        self.ws.write(name + "-root.pem", root_crl)
        return self.ws.write(name, pem)

    def revoke(self):
        self.ws.cli("revoke", "--ca", "Issuing", "--imei", IMEI, "--reason", "keyCompromise", pass_=PASS, check=True)


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


@tap.test("openssl verify -crl_check_all -x509_strict rejects a device whose intermediate is revoked on the root's CRL")
def _():
    pki = Pki()
    r = openssl_verify(pki, pki.crl("crl1.pem"))
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    serial = json.loads(pki.ws.cli("--json", "ca", "list", check=True).stdout)[1]["serial"]
    pki.ws.cli("revoke", "--ca", "Root", "--serial", serial, "--reason", "cACompromise", pass_=PASS, check=True)
    r = openssl_verify(pki, pki.crl("crl2.pem"))
    tap.ok(r.returncode != 0, "a chain through a revoked intermediate verified")
    tap.contains(r.stdout + r.stderr, "certificate revoked")
    tap.contains(r.stdout + r.stderr, "CN = Issuing")
    # The device's own entry is not what failed: Issuing's CRL still lists nothing.
    text = run("openssl", "crl", "-noout", "-text", "-in", pki.ws.path("crl2.pem")).stdout
    tap.contains(text, "No Revoked Certificates")


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


def verdicts(pki, cert, chain, crls=None):
    """{verifier: accepted?} from OpenSSL (strict), GnuTLS certtool and mbedTLS."""
    args = ["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", pki.root,
            "-untrusted", pki.issuing]
    if crls:
        args += ["-crl_check_all", "-CRLfile", crls]
    ossl = run(*args, cert)
    args = ["certtool", "--verify", "--verify-profile", "medium", "--load-ca-certificate", pki.root,
            "--infile", chain]
    if crls:
        args += ["--load-crl", crls]
    gnutls = run(*args)
    mbed = run(MBEDTLS_VERIFY, pki.root, chain, *([crls] if crls else []))
    return {
        "openssl": (ossl.returncode == 0, ossl.stdout + ossl.stderr),
        "certtool": (gnutls.returncode == 0 and "Chain verification output: Verified" in gnutls.stdout,
                     gnutls.stdout + gnutls.stderr),
        "mbedtls": (mbed.returncode == 0, mbed.stdout + mbed.stderr),
    }


def matrix_test(root_key, issuing_key):
    @tap.test(f"{root_key} root, {issuing_key} issuing CA: every profile and device key verifies in "
              f"OpenSSL, GnuTLS and mbedTLS; a revoked one is refused by all three with the CRLs")
    def _():
        pki = Pki(root_key, issuing_key)
        r = run("openssl", "verify", "-x509_strict", "-CAfile", pki.root, pki.issuing)
        tap.eq(r.returncode, 0, r.stdout + r.stderr)
        devices = []
        for i, profile in enumerate(PROFILES):
            imei = luhn_imei(35265610100000 + i)
            devices.append(pki.issue(imei, profile, DEVICE_KEYS[i % len(DEVICE_KEYS)]))
        devices.append(pki.issue(luhn_imei(35265610100100), "generic"))  # the %KEYGEN CSR
        crls_before = pki.crls("crl-before.pem")
        for cert, _, chain in devices:
            for crls in (None, crls_before):
                for verifier, (ok, out) in verdicts(pki, cert, chain, crls).items():
                    tap.ok(ok, f"{verifier} refused {os.path.basename(cert)} (CRLs: {bool(crls)}): {out}")

        revoked_cert, _, revoked_chain = devices[0]
        serial = run("openssl", "x509", "-in", revoked_cert, "-noout", "-serial").stdout.strip().split("=")[1]
        pki.ws.cli("revoke", "--ca", "Issuing", "--serial", serial, "--reason", "keyCompromise", pass_=PASS,
                   check=True)
        crls_after = pki.crls("crl-after.pem")
        for verifier, (ok, out) in verdicts(pki, revoked_cert, revoked_chain, crls_after).items():
            tap.ok(not ok, f"{verifier} accepted a revoked certificate with the CRLs loaded: {out}")
        cert, _, chain = devices[1]
        for verifier, (ok, out) in verdicts(pki, cert, chain, crls_after).items():
            tap.ok(ok, f"{verifier} refused a valid certificate with the new CRLs: {out}")


for i, key in enumerate(CA_KEYS):
    matrix_test(key, CA_KEYS[(i + 1) % len(CA_KEYS)])


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


def gnutls_handshake(pki, server_cert, server_key, crls, device):
    """openssl s_client (the device) against gnutls-serv requiring and verifying a client
    certificate; returns (server output, client result)."""
    port = free_port()
    server = subprocess.Popen(["gnutls-serv", "-p", str(port), "--x509certfile", server_cert,
                               "--x509keyfile", server_key, "--x509cafile", pki.root, "--x509crlfile", crls,
                               "--require-client-cert", "--verify-client-cert"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    changed = threading.Condition()

    def read():
        for line in server.stdout:
            with changed:
                output.append(line)
                changed.notify_all()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        cert, key, _ = device
        client = run("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-cert", cert,
                     "-key", key, "-cert_chain", pki.issuing, "-CAfile", server_cert, input="Q\n")
        # The server has judged the client certificate once it prints its verdict, or a
        # handshake error other than the one for the readiness probe's empty connection.
        def judged():
            return any(line.startswith("- Status:") or (line.startswith("Error in handshake") and
                                                         "non-properly terminated" not in line)
                       for line in output)
        with changed:
            changed.wait_for(judged, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)
        reader.join(timeout=10)
    out = "".join(output)
    return out, client


@tap.test("mutual TLS with gnutls-serv --verify-client-cert succeeds, and fails once the device is revoked")
def _():
    pki = Pki("rsa-3072", "ec-p384")
    ws = pki.ws
    r = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ws.path("server.key"), "-out", ws.path("server.pem"), "-subj", "/CN=127.0.0.1",
            "-days", "2")
    tap.eq(r.returncode, 0, r.stderr)
    device = pki.issue(IMEI, "nrfcloud", "ec-p256")
    out, client = gnutls_handshake(pki, ws.path("server.pem"), ws.path("server.key"), pki.crls("crl1.pem"),
                                   device)
    tap.eq(client.returncode, 0, client.stdout + client.stderr + out)
    tap.contains(out, "The certificate is trusted")
    tap.contains(out, f"Subject: CN=nrf-{IMEI}")
    pki.revoke()
    out, client = gnutls_handshake(pki, ws.path("server.pem"), ws.path("server.key"), pki.crls("crl2.pem"),
                                   device)
    tap.ok(client.returncode != 0, client.stdout + out)
    tap.ok("The certificate is trusted" not in out, out)
    tap.contains(client.stderr, "alert")


def three_verifiers(root, chain):
    """{verifier: (accepted?, output)} for the chain file (device first, then its CAs)."""
    ossl = run("openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", root, "-untrusted", chain,
               chain)
    gnutls = run("certtool", "--verify", "--verify-profile", "medium", "--load-ca-certificate", root,
                 "--infile", chain)
    mbed = run(MBEDTLS_VERIFY, root, chain)
    return {
        "openssl": (ossl.returncode == 0, ossl.stdout + ossl.stderr),
        "certtool": (gnutls.returncode == 0 and "Chain verification output: Verified" in gnutls.stdout,
                     gnutls.stdout + gnutls.stderr),
        "mbedtls": (mbed.returncode == 0, mbed.stdout + mbed.stderr),
    }


@tap.test("a path length limits the whole chain: a CA below a pathlen:1 CA gets pathlen:0, nothing goes deeper, "
          "and its devices verify in OpenSSL, GnuTLS and mbedTLS")
def _():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "A", "--parent", "Root", "--path-len", "1", pass_=PASS, check=True)
    r = ws.cli("ca", "intermediate", "--name", "B", "--parent", "A", pass_=PASS, check=True)
    tap.contains(r.stdout, "Its path length is 0")
    r = ws.cli("ca", "intermediate", "--name", "C", "--parent", "B", pass_=PASS)
    tap.eq(r.returncode, 1, r.stderr)
    tap.contains(r.stderr, "“B” may not have CAs below it")
    r = ws.cli("ca", "intermediate", "--name", "Wide", "--parent", "A", "--path-len", "2", pass_=PASS)
    tap.eq(r.returncode, 1, r.stderr)
    tap.contains(r.stderr, "Give 0 or less")
    tap.contains(r.stderr, "On the command line, give --path-len 0 or less")
    tap.eq([c["name"] for c in json.loads(ws.cli("--json", "ca", "list", check=True).stdout)], ["Root", "A", "B"])

    text = run("openssl", "x509", "-noout", "-ext", "basicConstraints",
               input=ws.cli("ca", "export", "B", check=True).stdout).stdout
    tap.contains(text, "CA:TRUE, pathlen:0")
    root = ws.write("root.pem", ws.cli("ca", "export", "Root", check=True).stdout)
    device = ws.cli("issue", "--ca", "B", "--imei", IMEI, "--csr", KEYGEN, pass_=PASS, check=True).stdout
    chain = ws.write("chain.pem", device + ws.cli("ca", "export", "B", check=True).stdout +
                     ws.cli("ca", "export", "A", check=True).stdout)
    for verifier, (ok, out) in three_verifiers(root, chain).items():
        tap.ok(ok, f"{verifier} refused the device below B: {out}")


@tap.test("a compressed-point CSR is certified with the uncompressed point, which mbedTLS parses, and its key "
          "cannot be certified again for another IMEI in either form")
def _():
    pki = Pki()
    ws = pki.ws
    run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ws.path("k.pem"))
    run("openssl", "ec", "-in", ws.path("k.pem"), "-conv_form", "compressed", "-out", ws.path("kc.pem"))
    for name, key in (("compressed.csr", "kc.pem"), ("plain.csr", "k.pem")):
        r = run("openssl", "req", "-new", "-key", ws.path(key), "-subj", "/CN=device", "-out", ws.path(name))
        tap.eq(r.returncode, 0, r.stderr)
    text = run("openssl", "req", "-in", ws.path("compressed.csr"), "-noout", "-text").stdout
    tap.ok(re.search(r"pub:\s+0[23]:", text), "the request's point is compressed: " + text)

    imei = luhn_imei(35265610100300)
    pem = ws.cli("issue", "--ca", "Issuing", "--imei", imei, "--csr", ws.path("compressed.csr"), pass_=PASS,
                 check=True).stdout
    cert = ws.write("compressed-cert.pem", pem)
    chain = ws.write("compressed-chain.pem", pem + open(pki.issuing).read())
    text = run("openssl", "x509", "-in", cert, "-noout", "-text").stdout
    tap.ok(re.search(r"pub:\s+04:", text), "the certificate's point is uncompressed: " + text)
    cert_key = run("openssl", "x509", "-in", cert, "-noout", "-pubkey").stdout
    tap.eq(cert_key, run("openssl", "pkey", "-in", ws.path("k.pem"), "-pubout").stdout)
    for verifier, (ok, out) in three_verifiers(pki.root, chain).items():
        tap.ok(ok, f"{verifier} refused the certificate of a compressed-point CSR: {out}")

    for csr in ("plain.csr", "compressed.csr"):
        r = ws.cli("issue", "--ca", "Issuing", "--imei", luhn_imei(35265610100400), "--csr", ws.path(csr),
                   pass_=PASS)
        tap.eq(r.returncode, 1, r.stderr)
        tap.contains(r.stderr, f"already certified for the device {imei}")


tap.done()
