#!/usr/bin/python3
"""Runs one libFuzzer target as TAP: the seed corpus and every saved regression input
replay first (each must pass), then the target mutates from the seeds for FUZZ_SECONDS.

Usage: run-fuzzer.py FUZZER SEED_DIR REGRESSION_DIR
Environment: FUZZ_SECONDS (default 25); FUZZ_SEED (default 1, so CI runs repeat; 0 lets
libFuzzer pick a new one each run); FUZZ_WORK (where the grown corpus and any crash input
are kept; default a temporary folder that is removed on success).
A crash input is copied next to the log, so it can be added to REGRESSION_DIR.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

fuzzer, seeds, regressions = sys.argv[1:4]
seconds = int(os.environ.get("FUZZ_SECONDS", "25"))
seed = int(os.environ.get("FUZZ_SEED", "1"))
name = os.path.basename(fuzzer)
work = os.environ.get("FUZZ_WORK") or tempfile.mkdtemp(prefix=f"{name}-")
keep = bool(os.environ.get("FUZZ_WORK"))
corpus = os.path.join(work, "corpus")
artifacts = os.path.join(work, "artifacts") + os.sep
os.makedirs(corpus, exist_ok=True)
os.makedirs(artifacts, exist_ok=True)

env = dict(os.environ)
env.setdefault("ASAN_OPTIONS", "")
env["ASAN_OPTIONS"] += ":detect_leaks=1:abort_on_error=0"
env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

print("TAP version 13")
print("1..2")
failed = False


def report(ok, number, title, output):
    global failed
    print(f"{'ok' if ok else 'not ok'} {number} - {title}")
    if not ok:
        failed = True
        for line in output.splitlines()[-60:]:
            print(f"# {line}")
    sys.stdout.flush()


inputs = [os.path.join(d, f) for d in (seeds, regressions) if os.path.isdir(d)
          for f in sorted(os.listdir(d))]
proc = subprocess.run([fuzzer, *inputs], capture_output=True, text=True, env=env,
                      errors="replace")
report(proc.returncode == 0 and len(inputs) > 0, 1,
       f"{name}: {len(inputs)} seed and regression inputs replay clean", proc.stderr)

proc = subprocess.run([fuzzer, f"-max_total_time={seconds}", f"-seed={seed}", "-timeout=10",
                       "-rss_limit_mb=2048", "-max_len=8192", "-print_final_stats=1", "-close_fd_mask=1",
                       f"-artifact_prefix={artifacts}", corpus, seeds],
                      capture_output=True, text=True, env=env, errors="replace")
runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
cov = re.findall(r"cov: (\d+)", proc.stderr)
summary = f"{runs.group(1) if runs else '?'} runs, coverage {cov[-1] if cov else '?'} edges"
crashes = sorted(os.listdir(artifacts))
for c in crashes:
    print(f"# crash input: {os.path.join(artifacts, c)}")
report(proc.returncode == 0 and not crashes, 2,
       f"{name}: fuzzed {seconds}s with seed {seed} clean ({summary})", proc.stderr)

if not failed and not keep:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if failed else 0)
