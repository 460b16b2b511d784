#!/usr/bin/python3
"""Counts individual test cases across meson test logs and prints `N passed, N failed`,
after one line per failing case: the test, the case, and why it failed.

A TAP test contributes one count per `ok`/`not ok` line; a test that printed no TAP counts
once by its result. A TAP test whose process failed with no `not ok` line (a crash, a
sanitizer report, a timeout) adds one failure, so a crash can never read as a pass.
The reason is the case's own diagnostics (an assertion or exception line when there is one),
else the last thing the test printed; what the GUI harness said of the app follows it.
Usage: count-results.py BUILDDIR/meson-logs/testlog.json...
"""

import json
import os
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b[^#]*(#\s*(SKIP|TODO)\b)?", re.IGNORECASE)
# How long a case took (tsharness prints it after each case): never a reason.
TIMING = re.compile(r"^.*: \d+(\.\d+)?s$")
# A line that says what went wrong: an exception, a GLib assertion, a sanitizer report.
TELLING = re.compile(r"(^[\w.]*(Error|Exception|Failure)\b|ERROR:|Bail out!|Sanitizer|"
                     r"assertion|timed out)", re.IGNORECASE)


def reason(lines):
    """The most telling of LINES (diagnostics or output), shortened to one line."""
    lines = [line.lstrip("#").strip() for line in lines]
    lines = [line for line in lines if line and not TIMING.match(line) and not line.startswith("app:")]
    if not lines:
        return "no diagnostics"
    telling = [line for line in lines if TELLING.search(line)]
    text = (telling or lines)[-1]
    return text if len(text) <= 300 else text[:297] + "..."


def app_lines(lines):
    """What the GUI harness said of the app under test after a failed case ("# app: …")."""
    found = [line.lstrip("#").strip() for line in lines]
    return [line for line in found if line.startswith("app:")]


def diagnostics_after(outs, index):
    """The diagnostic lines that follow the result line at INDEX, up to the next result."""
    found = []
    for out in outs[index + 1:]:
        if TAP_LINE.match(out):
            break
        if out.startswith("#") or out.startswith(" "):
            found.append(out)
    return found

passed = failed = skipped = 0
failures = []

for path in sys.argv[1:]:
    if not os.path.exists(path):  # that run defined no tests
        continue
    with open(path) as log:
        for line in log:
            entry = json.loads(line)
            name, result = entry["name"], entry["result"]
            case_pass = case_fail = case_skip = 0
            outs = (entry.get("stdout") or "").splitlines()
            why = reason((outs + (entry.get("stderr") or "").splitlines())[-40:])
            if result == "TIMEOUT":
                why = f"hit its time limit after {entry.get('duration', 0):.0f} s; last said: {why}"
            for index, out in enumerate(outs):
                m = TAP_LINE.match(out)
                if not m:
                    continue
                if m.group(3):
                    case_skip += 1
                elif m.group(1).lower() == "ok":
                    case_pass += 1
                else:
                    case_fail += 1
                    said = diagnostics_after(outs, index)
                    failures.append("\n    ".join([f"{name}: {out}\n    because: {reason(said)}",
                                                    *app_lines(said)]))
            if case_pass + case_fail + case_skip == 0:
                if result in ("OK", "EXPECTEDFAIL"):
                    case_pass = 1
                elif result == "SKIP":
                    case_skip = 1
                else:
                    case_fail = 1
                    failures.append(f"{name}: {result}\n    because: {why}")
            elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and case_fail == 0:
                case_fail = 1
                failures.append(f"{name}: {result} after {case_pass} passing cases\n"
                                f"    because: {why}")
            passed += case_pass
            failed += case_fail
            skipped += case_skip

for f in failures:
    print(f"FAILED {f}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
