#!/usr/bin/env python3
"""Every help page the window links to exists: F1 opens help:tagsmith/NAME for the page on
show, NAME being its stack page's name in ui/ts-window.ui, and any help:tagsmith/ID written
in the sources names a page of data/help/C. Usage: check-help-links.py SOURCE_ROOT"""

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

MALLARD = "{http://projectmallard.org/1.0/}"

root = sys.argv[1]
pages = {}
for path in glob.glob(os.path.join(root, "data", "help", "C", "*.page")):
    pages[ET.parse(path).getroot().get("id")] = path

linked = set()
window = ET.parse(os.path.join(root, "ui", "ts-window.ui")).getroot()
for stack_page in window.iter("object"):
    if stack_page.get("class") == "GtkStackPage":
        for prop in stack_page.findall("property"):
            if prop.get("name") == "name":
                linked.add(prop.text)
for path in glob.glob(os.path.join(root, "src", "**", "*.[ch]"), recursive=True):
    with open(path, encoding="utf-8") as f:
        linked.update(re.findall(r'"help:tagsmith/([\w-]+)"', f.read()))

failed = 0
for page_id in sorted(linked):
    if page_id not in pages:
        print(f"help:tagsmith/{page_id} is linked from the window but data/help/C has no such page")
        failed += 1
for page_id in ("index", "first-run"):
    if page_id not in pages:
        print(f"data/help/C has no {page_id} page")
        failed += 1
if not failed:
    print(f"all {len(linked)} help pages the window links to exist")
sys.exit(1 if failed else 0)
