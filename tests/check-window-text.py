#!/usr/bin/python3
"""What the window says is for people using the window: no command lines to type, no raw modem
commands, no audit event identifiers.

- In src/gui/*.c, every string literal outside comments and outside log calls (g_debug,
  g_message, g_warning, g_critical) and prefix tests (g_str_has_prefix) — that is, the text
  the window shows — names no `tagsmith …` command, no command-line option (--host-key), no
  shell command (ls /etc/ssl/certs) and no AT command (AT%…, AT+…).
- In ui/*.ui, no translatable text does.
- The messages that ca/ and src/provision/ give both front ends name no `tagsmith …` command
  or command-line option (--pass-file) in the part the window shows (ts_error_advice() leaves
  out what follows CA_ERROR_CLI_HINT):
  string literals outside comments, preprocessor lines and log calls, up to CA_ERROR_CLI_HINT,
  and none in a statement that builds the command line's hint (ca_error_add_cli_hint(), or a
  variable named cli_hint) or that runs a program (g_subprocess_new() and the like: arguments).

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
# The core's folders, whose messages reach the window through ts_error_advice().
CORE = [os.path.join("src", "provision"), "ca"]
# What the core's messages must not show: the first two of FORBIDDEN.
COMMAND_LINE = FORBIDDEN[:2]
PREPROCESSOR = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
CLI_HINT = re.compile(r"cli_hint\b")
# A program's arguments, not a message.
RUNS_PROGRAM = re.compile(r"\b(g_subprocess_new|g_subprocess_launcher_spawn|g_spawn_\w+)\s*\(")


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


def check_core(path, source):
    found = []
    code = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    code = PREPROCESSOR.sub("", code)
    line = 1
    for statement in re.split(r"(?<=;)|(?<=\{)|(?<=\})", code):
        if not (NOT_SHOWN.search(statement) or CLI_HINT.search(statement)
                or RUNS_PROGRAM.search(statement)):
            shown = statement.split("CA_ERROR_CLI_HINT")[0]
            for literal in LITERAL.finditer(shown):
                for pattern, what in COMMAND_LINE:
                    if pattern.search(literal.group(1)):
                        at = line + statement[:literal.start()].count("\n")
                        found.append(f"{path}:{at}: a message the window shows names {what}: "
                                     f"\"{literal.group(1)}\"")
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
    for folder in CORE:
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith(".c"):
                with open(os.path.join(root, folder, name), encoding="utf-8") as f:
                    found += check_core(os.path.join(folder, name), f.read())
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
    bad_core = ('#define INFO "tagsmith key label"\n'
                'static void f (GError **error) {\n'
                '  g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND,\n'
                '               "No CA “%s”. `tagsmith ca list` shows them.", name);\n'
                '  g_set_error (error, CA_ERROR, CA_ERROR_NOT_FOUND, "No CA “%s”. Check the name."\n'
                '               CA_ERROR_CLI_HINT "`tagsmith ca list` shows them.", name);\n'
                '  ca_error_add_cli_hint (error, _("`tagsmith crl` publishes it."));\n'
                '  g_string_append (cli_hint, "`tagsmith creds write`");\n'
                '  g_debug ("ran tagsmith crl");\n'
                '  g_prefix_error (error, _("Run tagsmith crl --ca %s: "), name);\n'
                '  g_set_error (error, CA_ERROR, CA_ERROR_LOCKED, "Wrong passphrase. Give it with "\n'
                '               "--pass-file FILE.");\n'
                '  g_set_error (error, CA_ERROR, CA_ERROR_LOCKED, "Wrong passphrase. Give it again."\n'
                '               CA_ERROR_CLI_HINT "pass --pass-file FILE.");\n'
                '  g_subprocess_new (0, error, program, "--state", state, NULL);\n}\n')
    found = check_core("made-up.c", bad_core)
    assert len(found) == 4, found
    assert found[0].startswith("made-up.c:4:"), found
    assert [f[:13] for f in found[1:3]] == ["made-up.c:10:"] * 2, found
    assert found[3].startswith("made-up.c:12:") and "option" in found[3], found


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
