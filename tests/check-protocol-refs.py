#!/usr/bin/python3
"""Every "§N" in the tree names a section of src/modem/PROTOCOL.md that exists, and every
"§N item K" a numbered item of that section. References to other documents say which
("RFC 5280 §4.1.2.5", "style.md §3.8") and are left alone. The old name of the notes
("protocol reference", the research file's name) is refused, so each citation is unambiguous.

Usage: check-protocol-refs.py SOURCE_ROOT"""

import os
import re
import sys

PROTOCOL = os.path.join("src", "modem", "PROTOCOL.md")
ROOTS = ["ca", "src", "firmware", "tests", "ui", "data"]
TOP_LEVEL = ["README.md", "DESIGN.md", "HACKING.md", "meson.build"]
SKIP_DIRS = {".git", "corpus", "regressions", "screenshots"}

REF = re.compile(r"§\s*(\d+(?:\.\d+)*)(?:\s+items?\s+(\d+))?")
# A citation of another document: the document is named right before the section sign.
OTHER_DOCUMENT = re.compile(r"(RFC\s*\d+|[\w.-]+\.md(?<!PROTOCOL\.md)|\bISO[\w ]*|\b3GPP[\w .]*)\s*$")
OLD_NAMES = re.compile(r"protocol reference\s*(§|$)|nrf91-at-protocol", re.IGNORECASE)
HEADING = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s")
ITEM = re.compile(r"^(\d+)\.\s")


def read_sections(path):
    """Maps each section number of the notes to the numbers of its list items."""
    sections = {}
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            heading = HEADING.match(line)
            if heading:
                current = heading.group(1)
                sections[current] = set()
                continue
            item = ITEM.match(line)
            if item and current is not None:
                sections[current].add(item.group(1))
    return sections


def text_files(root):
    for name in TOP_LEVEL:
        if os.path.isfile(os.path.join(root, name)):
            yield name
    for top in ROOTS:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                yield os.path.relpath(os.path.join(folder, name), root)


def check(root):
    notes = os.path.join(root, PROTOCOL)
    if not os.path.isfile(notes):
        return [f"{PROTOCOL} is missing: the code cites its sections"]
    sections = read_sections(notes)
    problems = []
    for relpath in text_files(root):
        try:
            with open(os.path.join(root, relpath), encoding="utf-8") as f:
                lines = f.readlines()
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(lines, 1):
            where = f"{relpath}:{number}"
            if relpath != os.path.relpath(__file__, root) and OLD_NAMES.search(line):
                problems.append(f"{where}: cite the notes as PROTOCOL.md, not by another name")
            for ref in REF.finditer(line):
                if OTHER_DOCUMENT.search(line[:ref.start()]):
                    continue
                section, item = ref.group(1), ref.group(2)
                if section not in sections:
                    problems.append(f"{where}: §{section} is not a section of {PROTOCOL}")
                elif item is not None and item not in sections[section]:
                    problems.append(f"{where}: §{section} of {PROTOCOL} has no item {item}")
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} reference(s) to {PROTOCOL} do not resolve", file=sys.stderr)
        return 1
    print(f"every § reference resolves in {PROTOCOL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
