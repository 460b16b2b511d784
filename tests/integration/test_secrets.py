#!/usr/bin/python3
"""Secrets stay secret: after a session that creates CAs, signs, writes a key file on
request and provisions a modem with a host-made key, neither the passphrase nor any
private key is found in the ledger, the workspace (temporary files, XDG folders), the
logs (stdout and stderr with every debug message on), or the memory of the process
(everything a core dump would hold) just before it exits from a signing session.

Each key is looked for as its raw scalar (big-endian, and byte-reversed as OpenSSL keeps
it in memory), its hex, its unencrypted PKCS#8 DER and the base64 of that DER.
The key file the user asked for (--key-out) and the emulated modem's flash
(--state) are where keys belong, so those two files are not searched.
"""

import base64
import binascii
import configparser
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile

from tsharness import Failure, Tap, Workspace, SOURCE_ROOT, WRAPPER

tap = Tap()
PASS = "Canary-" + secrets.token_hex(12)
SEC_TAG = 16842753
SERVER_CA = os.path.join(SOURCE_ROOT, "tests", "unit", "data", "provision", "server-root.pem")


def key_needles(pem, passphrase=None):
    """Byte strings that betray the private key in pem (encrypted when passphrase is set)."""
    args = ["openssl", "pkey", "-passin", "stdin"] if passphrase else ["openssl", "pkey"]
    stdin = (passphrase + "\n" + pem) if passphrase else pem
    der = subprocess.run(args + ["-outform", "DER"], input=stdin.encode(), capture_output=True, check=True).stdout
    text = subprocess.run(args + ["-text", "-noout"], input=stdin.encode(), capture_output=True,
                          check=True).stdout.decode()
    m = re.search(r"priv:\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    if not m:
        raise Failure(f"no private scalar in openssl's dump of the key: {text[:200]}")
    scalar = binascii.unhexlify(re.sub(r"[\s:]", "", m.group(1)))
    scalar = scalar.lstrip(b"\0")
    hexed = scalar.hex()
    return {
        "scalar": scalar,
        "scalar (little-endian)": scalar[::-1],
        "scalar hex": hexed.encode(),
        "scalar HEX": hexed.upper().encode(),
        "PKCS#8 DER": der,
        "PKCS#8 base64": base64.b64encode(der)[:48],
    }


def passphrase_needles():
    return {"passphrase": PASS.encode(), "passphrase (UTF-16)": PASS.encode("utf-16-le")}


def search(blob, where, needles):
    found = [name for name, needle in needles.items() if needle and needle in blob]
    if found:
        raise Failure(f"{where} holds the {', '.join(found)}")


class Session:
    def __init__(self):
        self.ws = Workspace()
        self.tmp = self.ws.path("tmp")
        os.makedirs(self.tmp, mode=0o700)
        self.ws.env["TMPDIR"] = self.tmp
        self.ws.env["G_MESSAGES_DEBUG"] = "all"
        self.logs = []
        self.key_out = self.ws.path("device.key")
        self.state = self.ws.path("modem.state")
        self.csr_key = self.ws.path("csr.key")

    def run(self, *args):
        argv, env = self.ws.cli_argv("--pass", "stdin", *args)
        proc = subprocess.run(argv, input=PASS + "\n", capture_output=True, text=True, env=env, timeout=600)
        self.logs.append(f"$ tagsmith {' '.join(map(str, args))}\n{proc.stdout}{proc.stderr}")
        if proc.returncode != 0:
            raise Failure(f"tagsmith {' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def memory_at_exit(self, *args):
        """Runs the CLI under gdb, stops it at exit_group and returns the contents of every
        readable mapping: what a core dump holds. Mappings over 256 MiB are skipped: they
        are ASan's shadow, which would make a real core file terabytes large."""
        scratch = tempfile.mkdtemp(prefix="tagsmith-secrets-")
        try:
            script = os.path.join(scratch, "dump.py")
            with open(script, "w") as f:
                f.write(GDB_DUMP.replace("OUTPUT", repr(os.path.join(scratch, "memory.bin"))))
            argv, env = self.ws.cli_argv("--pass", "stdin", *args)
            argv = argv[len(WRAPPER):]  # gdb must stop tagsmith itself, not a valgrind around it
            proc = subprocess.run(["gdb", "-q", "-batch", "-nx",
                                   "-ex", "set startup-with-shell off",
                                   "-ex", "catch syscall exit_group",
                                   "-ex", "run",
                                   "-ex", f"source {script}",
                                   "-ex", "kill",
                                   "--args", *argv],
                                  input=PASS + "\n", capture_output=True, text=True, env=env, timeout=900)
            try:
                with open(os.path.join(scratch, "memory.bin"), "rb") as f:
                    memory = f.read()
            except FileNotFoundError:
                raise Failure(f"gdb did not dump the process: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        print(f"# {' '.join(map(str, args[:1]))}: searched {len(memory) >> 20} MiB of process memory")
        return memory


GDB_DUMP = """
import gdb
inferior = gdb.selected_inferior()
with open(OUTPUT, "wb") as out:
    for line in gdb.execute("info proc mappings", to_string=True).splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].startswith("0x"):
            continue
        start, end = int(fields[0], 16), int(fields[1], 16)
        if end - start > 256 << 20:
            continue
        try:
            out.write(bytes(inferior.read_memory(start, end - start)))
        except gdb.MemoryError:
            pass
"""


s = None
keys = {}


@tap.test("a signing session: CAs, a CSR, a key file on request, a CRL, a host-key provisioning, a revocation")
def _():
    global s
    s = Session()
    s.run("ca", "init", "--name", "Root")
    s.run("ca", "intermediate", "--name", "Sub", "--parent", "Root")
    csr = s.ws.path("device.csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", s.csr_key, "-subj", "/CN=device", "-out", csr], check=True, capture_output=True)
    s.run("issue", "--ca", "Sub", "--imei", "352656100367872", "--csr", csr)
    s.run("issue", "--ca", "Sub", "--imei", "352656100367880", "--new-key", "--key-out", s.key_out)
    modem = s.ws.emulator("--no-pacing", "--keygen-ms", "0", "--flash-ms", "0", "--state", s.state)
    s.run("provision", "--port", modem.port, "--ca", "Sub", "--sec-tag", SEC_TAG, "--server-ca", SERVER_CA,
          "--host-key")
    modem.stop()
    s.run("revoke", "--ca", "Sub", "--imei", "352656100367872", "--reason", "keyCompromise")
    s.run("crl", "--ca", "Sub")

    db = sqlite3.connect(f"file:{s.ws.db}?mode=ro", uri=True)
    for name, pem in db.execute("SELECT name, key_pkcs8 FROM authorities"):
        keys[f"CA {name} key"] = key_needles(pem, PASS)
    db.close()
    with open(s.key_out) as f:
        keys["--new-key device key"] = key_needles(f.read())
    state = configparser.ConfigParser(interpolation=None)
    state.read(s.state)
    host = [g for g in state.sections() if g == f"Credential {SEC_TAG} 2"]
    tap.ok(host, f"the modem holds no private key at sec_tag {SEC_TAG}: {state.sections()}")
    keys["host-made modem key"] = key_needles(base64.b64decode(state[host[0]]["Content"]).decode())
    tap.eq(sorted(keys), ["--new-key device key", "CA Root key", "CA Sub key", "host-made modem key"])


def all_needles():
    needles = passphrase_needles()
    for owner, k in keys.items():
        needles.update({f"{owner} {what}": v for what, v in k.items()})
    return needles


@tap.test("the ledger, temporary files and XDG folders hold no passphrase and no unencrypted key")
def _():
    allowed = {s.key_out, s.state, s.csr_key}
    searched = 0
    for root, _, files in os.walk(s.ws.dir):
        for name in files:
            path = os.path.join(root, name)
            if path in allowed or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                search(f.read(), path, all_needles())
            searched += 1
    tap.ok(searched >= 2, f"only {searched} files were searched")
    tap.ok(os.path.exists(s.ws.db), "the ledger exists")


@tap.test("stdout and stderr, with every debug message on, hold no passphrase and no key")
def _():
    search("\n".join(s.logs).encode(), "the logs", all_needles())


def ca_key_needles(owner="Sub"):
    return {f"CA {owner} key {w}": v for w, v in keys[f"CA {owner} key"].items()}


@tap.test("the memory of an issuing session at exit holds neither the passphrase nor the CA key")
def _():
    csr = s.ws.path("second.csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "/dev/null", "-subj", "/CN=second", "-out", csr], check=True, capture_output=True)
    imei = "352656100367898"
    memory = s.memory_at_exit("issue", "--ca", "Sub", "--imei", imei, "--csr", csr)
    # The process's own arguments prove the dump is its memory, so a miss means something.
    tap.ok(imei.encode() in memory, "the dump does not hold the process's own arguments")
    search(memory, "the memory of `tagsmith issue`", {**passphrase_needles(), **ca_key_needles()})


@tap.test("the memory of a host-key provisioning at exit holds neither the passphrase, the CA key nor the new key")
def _():
    modem = s.ws.emulator("--no-pacing", "--keygen-ms", "0", "--flash-ms", "0", "--state", s.state)
    memory = s.memory_at_exit("provision", "--port", modem.port, "--ca", "Sub", "--sec-tag", SEC_TAG,
                              "--server-ca", SERVER_CA, "--host-key", "--force")
    modem.stop()
    tap.ok(modem.port.encode() in memory, "the dump does not hold the process's own arguments")
    state = configparser.ConfigParser(interpolation=None)
    state.read(s.state)
    new_key = key_needles(base64.b64decode(state[f"Credential {SEC_TAG} 2"]["Content"]).decode())
    tap.ok(new_key["scalar"] != keys["host-made modem key"]["scalar"], "provisioning made a new key")
    search(memory, "the memory of `tagsmith provision --host-key`",
           {**passphrase_needles(), **ca_key_needles(), **{f"new host key {w}": v for w, v in new_key.items()}})


tap.done()
