"""Preferences takes a PostgreSQL server for the fleet ledger as well as a file: the URI is tried
before it is chosen, a URI that holds a password is refused, and a URI that does not connect says
why and keeps the ledger in use. Runs against the server that TAGSMITH_TEST_PG_URI names
(`./tests/dev.sh test` starts one)."""

import os
import re
import subprocess
import uuid

from dogtail.rawinput import keyCombo, typeText

from tsgui import App, Skip, Tap, ledger_cli, scratch_dir

SCHEMA = "io.github.tagsmith.Tagsmith"
PG_URI = os.environ.get("TAGSMITH_TEST_PG_URI", "")
PASSPHRASE = "correct horse battery staple"


def chosen_ledger():
    out = subprocess.run(["gsettings", "get", SCHEMA, "ledger"], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().strip("'")


def reset_chosen_ledger():
    """The ledger chosen in Preferences outlives the window: put it back for the next test."""
    subprocess.run(["gsettings", "reset", SCHEMA, "ledger"], check=True)


def psql(uri, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c", sql],
                   check=True, capture_output=True)


def with_database(uri, name):
    """@uri with its database replaced by @name."""
    return re.sub(r"^(postgres(?:ql)?://[^/?]*/)[^?]*", lambda m: m.group(1) + name, uri)


tap = Tap()
app = None
server_db = None
server_uri = ""
file_ledger = ""


def start():
    """A window over a ledger file that holds one CA, and a database of its own on the server
    that holds another."""
    global app, server_db, server_uri, file_ledger
    if not PG_URI:
        raise Skip("TAGSMITH_TEST_PG_URI names no PostgreSQL server")
    if app is not None:
        return
    reset_chosen_ledger()
    scratch = scratch_dir("tagsmith-gui-server-")
    file_ledger = os.path.join(scratch, "fleet.db")
    ledger_cli(file_ledger, "ca", "init", "--name", "File Root CA", passphrase=PASSPHRASE)
    server_db = "gui_" + uuid.uuid4().hex[:12]
    psql(PG_URI, f'CREATE DATABASE "{server_db}"')
    server_uri = with_database(PG_URI, server_db)
    ledger_cli(server_uri, "ca", "init", "--name", "Server Root CA", passphrase=PASSPHRASE)
    app = App(env={"TAGSMITH_DB": file_ledger})
    show_authorities()
    label_containing("File Root CA", app.window)


def label_containing(text, root=None, timeout=20):
    return app.find_matching(lambda n: n.roleName == "label" and text in n.name,
                             root=root or app.node, timeout=timeout)


def show_authorities():
    keyCombo("<Alt>3")
    app.wait_for(lambda: app.content_title() == "Authorities")


def open_preferences():
    keyCombo("<Control>comma")
    return app.window_named("Preferences")


def close_preferences():
    keyCombo("Escape")
    app.wait_for(lambda: not [w for w in app.node.children if w.name == "Preferences"])


def apply_server(uri):
    """Opens Preferences, types @uri into the server row and applies it. The ledger file row
    has the focus when Preferences opens and the server row is the next field; GTK 4.8's
    AT-SPI cannot set an entry's text, so it is typed, as a person would."""
    preferences = open_preferences()
    app.find_matching(lambda n: n.roleName == "text" and n.name == "Ledger server", preferences)
    keyCombo("Tab")
    typeText(uri)
    keyCombo("Return")
    return preferences


def in_use(preferences, text):
    """The In use row says @text (the In use row's subtitle is a label of its own)."""
    return label_containing(text, preferences)


@tap.test("a URI that holds a password is refused with the ways to keep one, and not stored")
def _():
    start()
    with_password = server_uri.replace("user=tagsmith", "user=tagsmith&password=hunter22")
    preferences = apply_server(with_password)
    advice = label_containing("holds a password")
    assert "~/.pgpass" in advice.name and "PGPASSFILE" in advice.name, advice.name
    assert chosen_ledger() == "", chosen_ledger()
    in_use(preferences, file_ledger)
    assert not app.node.findChildren(lambda n: "hunter22" in (n.name or "")), "the password is shown"
    close_preferences()


@tap.test("a URI that does not connect says why and keeps the ledger in use")
def _():
    start()
    apply_server(with_database(PG_URI, "no_such_ledger_" + uuid.uuid4().hex[:8]))
    advice = label_containing("no_such_ledger_")
    assert "does not exist" in advice.name, advice.name
    close_preferences()
    preferences = apply_server("mysql://fleet.example/ledger")
    label_containing("not a PostgreSQL server URI")
    assert chosen_ledger() == "", chosen_ledger()
    in_use(preferences, file_ledger)
    close_preferences()
    show_authorities()
    label_containing("File Root CA", app.window)


@tap.test("a URI given as the ledger file is never taken for a file name")
def _():
    start()
    open_preferences()
    # The ledger file row has the focus when Preferences opens.
    typeText(server_uri)
    keyCombo("Return")
    label_containing("That is an address, not a file")
    assert chosen_ledger() == "", chosen_ledger()
    close_preferences()


@tap.test("a server URI is applied: Preferences names it and Authorities shows the server's CA")
def _():
    start()
    apply_server(server_uri)
    app.wait_for(lambda: chosen_ledger() == server_uri)
    label_containing("Connected: the fleet ledger is now on " + server_uri)
    close_preferences()
    in_use(open_preferences(), server_uri)
    close_preferences()
    show_authorities()
    label_containing("Server Root CA", app.window)
    app.wait_for(lambda: not app.window.findChildren(
        lambda n: n.roleName == "label" and "File Root CA" in n.name))


try:
    tap.done()
finally:
    if app is not None:
        app.close()
    reset_chosen_ledger()
    if server_db is not None:
        psql(PG_URI, f'DROP DATABASE IF EXISTS "{server_db}" WITH (FORCE)')
