"""`tagsmith lot dossier`: a lot of emulated kits provisioned on the bench, its
evidence folder written and checked with standard tools only (sha256sum,
openssl cms, poppler's pdftotext/pdfinfo/pdftoppm), tampering caught, and a lot
with a failed and a re-keyed unit shown as it happened."""

import json
import os
import shutil
import subprocess

from tsharness import SOURCE_ROOT, Tap, Workspace, luhn_imei

tap = Tap()
PASS = "dossier-test-passphrase"
IMEIS = [luhn_imei(35265610013001 + i) for i in range(3)]


def workspace():
    ws = Workspace()
    ws.cli("ca", "init", "--name", "Root", pass_=PASS, check=True)
    ws.cli("ca", "intermediate", "--name", "Devices", "--parent", "Root", pass_=PASS, check=True)
    return ws


def run_line(ws, lot, units):
    """Provisions `units` kits already plugged in as lot `lot`."""
    r = ws.cli("--json", "line", "--ca", "Devices", "--sec-tag", 7, "--lot", lot,
               "--report", ws.path("lot-" + lot), "--parallel", "--units", units,
               pass_=PASS, timeout=300)
    summary = json.loads(r.stdout)
    # `line` exits 3 when the lot has failures.
    tap.eq(r.returncode, 3 if summary["failed"] else 0, r)
    return summary


def dossier(ws, lot, out):
    r = ws.cli("lot", "dossier", lot, "--out", out, pass_=PASS)
    tap.eq(r.returncode, 0, r)
    # The key evidence and the signing certificate are in the keyed audit log, which replays.
    r = ws.cli("audit", "verify", pass_=PASS)
    tap.eq(r.returncode, 0, r)
    return out


def run(argv, cwd):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True)


def cms_verify(folder):
    return run(["openssl", "cms", "-verify", "-binary", "-content", "SHA256SUMS", "-in",
                "SHA256SUMS.p7s", "-inform", "DER", "-CAfile", "root.pem", "-out", os.devnull],
               folder)


def load(folder):
    with open(os.path.join(folder, "dossier.json")) as f:
        return json.load(f)


def pdf_text(folder):
    """The PDF's text in drawing order, each cell's wrapped lines joined."""
    r = run(["pdftotext", "-raw", "dossier.pdf", "-"], folder)
    tap.eq(r.returncode, 0, r.stderr)
    return " ".join(r.stdout.split())


def refresh_sample(folder):
    """Copies the dossier into data/dossier-sample, and its first page as a PNG beside it,
    for the README."""
    sample = os.path.join(SOURCE_ROOT, "data", "dossier-sample")
    shutil.rmtree(sample, ignore_errors=True)
    shutil.copytree(folder, sample)
    r = run(["pdftoppm", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-png", "dossier.pdf",
             os.path.join(SOURCE_ROOT, "data", "dossier-sample-page-1")], folder)
    tap.eq(r.returncode, 0, r.stderr)


@tap.test("three kits: the folder checks with sha256sum and openssl; the PDF names every unit")
def _():
    ws = workspace()
    for imei, profile in zip(IMEIS, ("nrf9161", "nrf9151", "nrf9160")):
        ws.emulator("--no-pacing", "--profile", profile, "--imei", imei)
    summary = run_line(ws, "L1", 3)
    tap.eq((summary["passed"], summary["failed"]), (3, 0))

    out = dossier(ws, "L1", ws.path("dossier"))
    d = load(out)
    tap.eq((d["format"], d["schema_version"]), ("tagsmith-lot-dossier", 1))
    tap.eq(d["lot"]["name"], "L1")
    tap.eq(sorted(u["imei"] for u in d["units"]), sorted(IMEIS))
    for unit in d["units"]:
        tap.eq(unit["result"], "pass", unit)
        cert = unit["certificates"][0]
        tap.eq((cert["key_origin"], cert["sec_tag"]), ("modem", 7))
        tap.eq(cert["certificate_install"]["state"], "verified")
        tap.eq(cert["key_install"]["verification"], "cmng-listed")
        evidence = cert["key_evidence"]
        tap.ok(evidence is not None, f"{unit['imei']} has %KEYGEN evidence")
        tap.eq(evidence["device_uuid"], unit["device_uuid"])
        tap.ok({"cose-digest", "cose-device-uuid"} <= set(evidence["checks"]), evidence)
        tap.ok(evidence["keygen_token"].count(".") == 1, "the modem's token is kept")
        tap.ok(os.path.exists(os.path.join(out, cert["file"])), cert["file"])
        fp = run(["openssl", "x509", "-in", cert["file"], "-noout", "-fingerprint", "-sha256"], out)
        tap.eq(fp.stdout.split("=", 1)[1].strip().replace(":", ""), cert["sha256_fingerprint"])
    tap.eq([c["name"] for c in d["ca_chain"]], ["Devices", "Root"])
    tap.eq(len(d["audit_head"]["hash"]), 64)
    audit = json.loads(ws.cli("--json", "audit", "list", check=True).stdout)
    head = [e for e in audit if e["id"] == d["audit_head"]["sequence"]]
    tap.eq(head[0]["hash"].upper(), d["audit_head"]["hash"].upper(), "the ledger holds the quoted head")

    r = run(["sha256sum", "-c", "--strict", "SHA256SUMS"], out)
    tap.eq(r.returncode, 0, r.stdout + r.stderr)
    listed = {line.split("  ", 1)[1] for line in open(os.path.join(out, "SHA256SUMS")).read().splitlines()}
    on_disk = {os.path.relpath(os.path.join(root, f), out) for root, _, files in os.walk(out) for f in files}
    tap.eq(on_disk - listed, {"SHA256SUMS", "SHA256SUMS.p7s"}, "every other file is listed")
    r = cms_verify(out)
    tap.eq(r.returncode, 0, r.stderr)
    tap.contains(r.stderr, "Verification successful")
    tap.contains(open(os.path.join(out, "VERIFY.txt")).read(), "sha256sum -c SHA256SUMS")

    info = run(["pdfinfo", "dossier.pdf"], out)
    tap.eq(info.returncode, 0, info.stderr)
    tap.contains(info.stdout, "Evidence dossier of lot L1")
    text = pdf_text(out)
    for imei in IMEIS:
        tap.contains(text, imei)
    tap.contains(text, "Where the evidence stops")
    r = run(["pdftoppm", "-r", "30", "-f", "1", "-l", "1", "-png", "dossier.pdf", os.path.join(ws.dir, "page")], out)
    tap.eq(r.returncode, 0, r.stderr)
    tap.ok(os.path.getsize(ws.path("page-1.png")) > 1000, "the first page renders")

    # One changed byte anywhere is caught: in a listed file by sha256sum, in
    # SHA256SUMS by the signature.
    for name in ("dossier.json", "dossier.pdf", d["units"][0]["certificates"][0]["file"], "SHA256SUMS"):
        copy = ws.path("tampered-" + name.replace("/", "-"))
        shutil.copytree(out, copy)
        path = os.path.join(copy, name)
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x01]))
        sums = run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], copy)
        cms = cms_verify(copy)
        if name == "SHA256SUMS":
            tap.ok(cms.returncode != 0, "a changed SHA256SUMS fails the signature")
        else:
            tap.ok(sums.returncode != 0, f"a changed {name} fails sha256sum")
            tap.eq(cms.returncode, 0, "the signature still holds over SHA256SUMS")

    if os.environ.get("TAGSMITH_REFRESH_DOSSIER_SAMPLE"):
        refresh_sample(out)

    r = ws.cli("lot", "dossier", "L1", "--out", out, pass_=PASS)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "not empty")
    r = ws.cli("lot", "dossier", "nosuchlot", "--out", ws.path("none"), pass_=PASS)
    tap.eq(r.returncode, 1, r)
    tap.contains(r.stderr, "fleet list --lot")
    tap.ok(not os.path.exists(ws.path("none")), "nothing is left behind")


@tap.test("a failed unit and a re-keyed unit are shown as they happened")
def _():
    ws = workspace()
    good, old, rekeyed = IMEIS
    emu = ws.emulator("--no-pacing", "--profile", "nrf9161", "--imei", rekeyed)
    ws.emulator("--no-pacing", "--profile", "nrf9160-legacy", "--imei", old)
    ws.emulator("--no-pacing", "--profile", "nrf9151", "--imei", good)
    summary = run_line(ws, "L2", 3)
    tap.eq((summary["passed"], summary["failed"]), (2, 1))

    r = ws.cli("rekey", "--port", emu.port, "--ca", "Devices", "--sec-tag", 7,
               pass_=PASS, timeout=120)
    tap.eq(r.returncode, 0, r)

    out = dossier(ws, "L2", ws.path("dossier"))
    d = load(out)
    units = {u["imei"]: u for u in d["units"]}
    tap.eq(units[old]["result"], "fail")
    tap.eq(units[old]["certificates"], [])
    tap.ok(any(f["imei"] == old and f["outcome"] == "not-provisioned" for f in d["failures"]), d["failures"])
    tap.eq(units[good]["result"], "pass")

    certs = units[rekeyed]["certificates"]
    tap.eq(len(certs), 2, "the re-keyed unit shows both certificates")
    tap.eq([c["current"] for c in certs], [False, True])
    tap.eq(certs[0]["status"], "revoked")
    tap.ok(all(c["key_evidence"] is not None for c in certs), "both keys were made by the modem")
    tap.eq(units[rekeyed]["result"], "pass")
    tap.ok(any(r["serial"] == certs[0]["serial"] for r in d["revocations"]), d["revocations"])

    text = pdf_text(out)
    tap.contains(text, old)
    tap.contains(text, "FAIL")
    tap.contains(text, "Replaced by a newer certificate")
    tap.eq(run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], out).returncode, 0)
    tap.eq(cms_verify(out).returncode, 0)


tap.done()
