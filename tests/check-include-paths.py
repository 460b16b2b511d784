#!/usr/bin/python3
"""The layering of HACKING.md, enforced by the include paths: each library's sources find the
headers of their own folder and of the libraries below them, and nothing else, so a wrong
`#include` does not compile. For every library this preprocesses small probe files with the
exact flags of one of its sources (from the build's compile_commands.json): the header of an
allowed library must be found, and the header of any other must not, whether named bare
("ts-modem.h") or by its path ("src/modem/ts-modem.h", "modem/ts-modem.h").

Usage: check-include-paths.py BUILD_ROOT SOURCE_ROOT"""

import json
import os
import shlex
import subprocess
import sys
import tempfile

# Library: (folder, a header in it, the meson output folder of its objects).
LIBRARIES = {
    "ca": ("ca", "ca.h", "ca/libca.a.p/"),
    "modem": ("src/modem", "ts-modem.h", "src/modem/libts-modem.a.p/"),
    "provision": ("src/provision", "ts-provision.h", "src/provision/libts-provision.a.p/"),
    "cli": ("src/cli", "ts-cli.h", "src/cli/libts-cli.a.p/"),
    "gui": ("src/gui", "ts-window.h", "src/gui/libts-gui.a.p/"),
    "firmware": ("firmware", "fw-modem.h", "firmware/tagsmith-emulator.p/"),
}

# Who may include whom (DESIGN.md, HACKING.md "Layering").
ALLOWED = {
    "ca": {"ca"},
    "modem": {"modem"},
    "provision": {"provision", "ca", "modem"},
    "cli": {"cli", "provision", "ca", "modem"},
    "gui": {"gui", "provision", "ca", "modem"},
    "firmware": {"firmware"},
}

NOT_FOUND = ("No such file or directory", "file not found")


def preprocess_command(entry, probe):
    """The entry's compiler and flags, preprocessing @probe instead of compiling its file."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    kept = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-o", "-c", "-MQ", "-MF", "-MT"):
            skip = True
        elif arg in ("-MD", "-MMD") or arg == entry["file"]:
            pass
        else:
            kept.append(arg)
    return kept + ["-E", "-o", os.devnull, probe]


def entry_of(entries, output_folder):
    for entry in entries:
        if entry.get("output", "").startswith(output_folder) and entry["file"].endswith(".c"):
            return entry
    return None


def main():
    build_root, source_root = sys.argv[1], sys.argv[2]
    with open(os.path.join(build_root, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)

    failures = []
    checks = 0
    with tempfile.TemporaryDirectory() as scratch:
        for library, (_, _, output_folder) in LIBRARIES.items():
            entry = entry_of(entries, output_folder)
            if entry is None:
                failures.append(f"{library}: no compile command for {output_folder} in {build_root}")
                continue
            for other, (folder, header, _) in LIBRARIES.items():
                assert os.path.isfile(os.path.join(source_root, folder, header)), header
                allowed = other in ALLOWED[library]
                spellings = [header] if allowed else \
                    sorted({header, f"{folder}/{header}", f"{folder.split('/')[-1]}/{header}"})
                for spelling in spellings:
                    probe = os.path.join(scratch, f"probe-{library}-{other}.c")
                    with open(probe, "w", encoding="utf-8") as p:
                        p.write(f'#include "config.h"\n#include "{spelling}"\n')
                    result = subprocess.run(preprocess_command(entry, probe), cwd=entry["directory"],
                                            capture_output=True, text=True)
                    checks += 1
                    if allowed and result.returncode != 0:
                        failures.append(f"{library} cannot include \"{spelling}\" of {other}:\n"
                                        f"{result.stderr.strip()}")
                    elif not allowed and result.returncode == 0:
                        failures.append(f"{library} can include \"{spelling}\" of {other}, "
                                        f"which the layering forbids")
                    elif not allowed and not any(s in result.stderr for s in NOT_FOUND):
                        failures.append(f"{library} including \"{spelling}\" failed for another "
                                        f"reason than a missing header:\n{result.stderr.strip()}")

    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{checks} include probes, {len(failures)} wrong")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
