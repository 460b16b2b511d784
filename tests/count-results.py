#!/usr/bin/python3
"""Counts individual test cases across meson test logs and prints `N passed, N failed`.

A TAP test contributes one count per `ok`/`not ok` line; a test that printed no TAP counts
once by its result. A TAP test whose process failed with no `not ok` line (a crash, a
sanitizer report, a timeout) adds one failure, so a crash can never read as a pass.
Usage: count-results.py BUILDDIR/meson-logs/testlog.json...
"""

import json
import os
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b[^#]*(#\s*(SKIP|TODO)\b)?", re.IGNORECASE)

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
            for out in (entry.get("stdout") or "").splitlines():
                m = TAP_LINE.match(out)
                if not m:
                    continue
                if m.group(3):
                    case_skip += 1
                elif m.group(1).lower() == "ok":
                    case_pass += 1
                else:
                    case_fail += 1
                    failures.append(f"{name}: {out}")
            if case_pass + case_fail + case_skip == 0:
                if result in ("OK", "EXPECTEDFAIL"):
                    case_pass = 1
                elif result == "SKIP":
                    case_skip = 1
                else:
                    case_fail = 1
                    failures.append(f"{name}: {result}")
            elif result not in ("OK", "EXPECTEDFAIL", "SKIP") and case_fail == 0:
                case_fail = 1
                failures.append(f"{name}: {result} after {case_pass} passing cases")
            passed += case_pass
            failed += case_fail
            skipped += case_skip

for f in failures:
    print(f"FAILED {f}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
