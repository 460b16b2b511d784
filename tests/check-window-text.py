#!/usr/bin/python3
"""What the window says is for people using the window: no command lines to type, no raw modem
commands, no audit event identifiers.

- In src/gui/*.c, every string literal outside comments and outside log calls (g_debug,
  g_message, g_warning, g_critical) and prefix tests (g_str_has_prefix) — that is, the text
  the window shows — names no `tagsmith …` command, no command-line option (--host-key), no
  shell command (ls /etc/ssl/certs) and no AT command (AT%…, AT+…).
- In ui/*.ui, no translatable text does.
- The messages that ca/ and src/provision/ give both front ends and that the window shows
  verbatim name no command either where listed in CORE_MESSAGES.

Before looking at the tree the checker runs on made-up text, so that it cannot pass by
finding nothing.

Usage: check-window-text.py SOURCE_ROOT"""

import os
import re
import sys

FORBIDDEN = [
    (re.compile(r"\btagsmith\s+[a-z]"), "a tagsmith command"),
    (re.compile(r"(?<![\w-])--[a-z][a-z-]+"), "a command-line option"),
    (re.compile(r"\bls\s+/"), "a shell command"),
    (re.compile(r"\bAT[%+][A-Z]"), "an AT command"),
    (re.compile(r"\b[a-z]+(?:_[a-z]+)+\.[a-z]+(?:_[a-z]+)*\b"), "an audit event identifier"),
]
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
LITERAL = re.compile(r'"((?:\\.|[^"\\\n])*)"')
NOT_SHOWN = re.compile(r"\b(g_debug|g_message|g_warning|g_critical|g_str_has_prefix|g_log)\s*\(")
UI_TEXT = re.compile(r'<(?:property|attribute)[^>]*translatable="yes"[^>]*>([^<]*)<')
# Core messages the window shows verbatim, and the file each comes from: the notice of a
# keyless certificate retired, and the advice after a damaged audit log or CA key.
CORE_MESSAGES = {
    os.path.join("src", "provision", "ts-store.c"): "tagsmith crl",
    os.path.join("src", "provision", "ts-workspace-modem.c"): "tagsmith ca list",
    os.path.join("ca", "ca-audit.c"): "tagsmith audit verify",
    os.path.join("ca", "ca-authority.c"): "tagsmith audit verify",
}


def problems_in_text(text):
    return [what for pattern, what in FORBIDDEN if pattern.search(text)]


def check_c(path, source):
    found = []
    code = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    # A call's arguments may span lines: look at each statement as a whole.
    line = 1
    for statement in re.split(r"(?<=;)|(?<=\{)|(?<=\})", code):
        shown = not NOT_SHOWN.search(statement)
        if shown:
            for literal in LITERAL.finditer(statement):
                for what in problems_in_text(literal.group(1)):
                    at = line + statement[:literal.start()].count("\n")
                    found.append(f"{path}:{at}: shows {what}: \"{literal.group(1)}\"")
        line += statement.count("\n")
    return found


def check_ui(path, source):
    found = []
    for text in UI_TEXT.finditer(source):
        for what in problems_in_text(text.group(1)):
            at = source[:text.start()].count("\n") + 1
            found.append(f"{path}:{at}: shows {what}: \"{text.group(1)}\"")
    return found


def check_tree(root):
    found = []
    gui = os.path.join(root, "src", "gui")
    for name in sorted(os.listdir(gui)):
        if name.endswith(".c"):
            with open(os.path.join(gui, name), encoding="utf-8") as f:
                found += check_c(os.path.join("src", "gui", name), f.read())
    ui = os.path.join(root, "ui")
    for folder, _dirs, files in os.walk(ui):
        for name in sorted(files):
            if name.endswith(".ui"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    found += check_ui(os.path.relpath(path, root), f.read())
    for path, command in CORE_MESSAGES.items():
        with open(os.path.join(root, path), encoding="utf-8") as f:
            if command in COMMENT.sub("", f.read()):
                found.append(f"{path}: a message the window shows names `{command}`")
    return found


def self_test():
    bad_c = ('static void f (void) {\n  /* `tagsmith audit verify` in a comment is fine */\n'
             '  g_debug ("Sent AT%KEYGEN");\n'
             '  show (_("Run “tagsmith audit” for the whole log."));\n'
             '  show (_("Run again with --host-key."));\n'
             '  show (_("List them with ls /etc/ssl/certs."));\n'
             '  show_progress (self, "AT%KEYGEN=16,2,0");\n'
             '  show (_("Event ca.revoke"), "cert_install.verified");\n}\n')
    found = check_c("made-up.c", bad_c)
    assert len(found) == 5, found
    assert "made-up.c:4:" in found[0], found
    good_c = 'static void f (void) {\n  show (_("Verify the audit log on the Activity page."));\n}\n'
    assert check_c("made-up.c", good_c) == [], check_c("made-up.c", good_c)
    bad_ui = '<property name="label" translatable="yes">Run tagsmith crl --ca Root</property>'
    assert len(check_ui("made-up.ui", bad_ui)) == 2
    assert check_ui("made-up.ui", '<property name="label" translatable="yes">Lock</property>') == []


def main():
    self_test()
    found = check_tree(sys.argv[1])
    print("1..1")
    if found:
        print("not ok 1 - the window shows command lines or raw identifiers")
        for line in found:
            print(f"# {line}")
        return 1
    print("ok 1 - the window shows no command lines or raw identifiers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
