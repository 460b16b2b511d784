"""The Fleet page over a small ledger: searching by the start of a UUID or a serial, Escape
clearing the search, Tab leaving the sidebar for the page without switching pages, and at a
phone's 360 px every IMEI shown whole while less important columns give way, the toolbar's
actions moving into a menu as its filters need the room, and every page fitting; a click on a
column header sorting by it, a second reversing it."""

import os
import re
import sqlite3
import subprocess
import sys
import time

from dogtail.rawinput import keyCombo, pressKey, typeText

from tsgui import NARROW, App, Tap, scratch_dir

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from tsharness import luhn_imei  # noqa: E402

TAGSMITH = os.environ.get("TAGSMITH", "tagsmith")
SCHEMA = "io.github.tagsmith.Tagsmith"
PASS = "gui-fleet-passphrase"
N_DEVICES = 6
# Device 3 is the one searched for by the start of its UUID and of its serial.
IMEIS = [luhn_imei(35000000000000 + i) for i in range(N_DEVICES)]
UUIDS = [f"50363154-3931-4a21-80b9-00000000000{i}" for i in range(N_DEVICES)]
UUIDS[3] = "50363154-3931-4a21-80b9-d88271bf0e17"
SERIALS = [f"10000000000000{i:02X}" for i in range(N_DEVICES)]
SERIALS[3] = "7E57AB12CD34EF56"


def make_ledger(path):
    """A ledger with two authorities from the CLI, then a few devices with their current
    certificates written straight in, as tests/bench/bench-fleet.py fills a large one. The
    certificates end in the reverse of IMEI order, a day apart."""
    env = dict(os.environ, TAGSMITH_DB=path, TS_TEST_PASS=PASS)
    for args in (["ca", "init", "--name", "Root"],
                 ["ca", "intermediate", "--name", "Devices", "--parent", "Root"]):
        subprocess.run([TAGSMITH, "--pass", "env:TS_TEST_PASS", *args], env=env, check=True,
                       capture_output=True, timeout=120)
    con = sqlite3.connect(path)
    authority = con.execute("SELECT id FROM authorities WHERE name = 'Devices'").fetchone()[0]
    now = int(time.time())
    with con:
        for i, imei in enumerate(IMEIS):
            con.execute("INSERT INTO devices (imei, uuid, model, lot, first_seen, last_seen) "
                        "VALUES (?, ?, 'nRF9160', ?, ?, ?)", (imei, UUIDS[i], f"LOT-{i % 2}", now, now))
            cert = con.execute(
                "INSERT INTO certificates (authority_id, serial, imei, profile, subject, not_before, not_after, "
                "pubkey_sha256, issued_at, pem, sha256_lf, sha256_crlf) "
                "VALUES (?, ?, ?, 'generic', ?, ?, ?, '', ?, '', '', '')",
                (authority, SERIALS[i], imei, "CN=" + imei, now, now + (365 - i) * 86400, now)).lastrowid
            # The sort keys copied from the current certificate (ca-schema-7.sql).
            con.execute("UPDATE devices SET current_certificate_id = ?, current_not_after = ?, "
                        "current_status_rank = 1 WHERE imei = ?", (cert, now + (365 - i) * 86400, imei))
    con.close()


def imei_labels(app):
    return app.window.findChildren(lambda n: n.roleName == "label" and re.fullmatch(r"\d{15}", n.name or ""))


def shown_imeis(app):
    return sorted({n.name for n in imei_labels(app)})


def open_fleet(window):
    keyCombo("<Alt>2")
    window.wait_for(lambda: window.content_title() == "Fleet")
    window.wait_for(lambda: shown_imeis(window) == IMEIS, timeout=30)


def rows_top_down(app):
    """The IMEIs of the rows on show, from the top: the list's row widgets are its children in
    the order they show (screen positions are not reported under X11)."""
    return [n.name for n in imei_labels(app)]


def click_header(app, title):
    app.find_matching(lambda n: n.roleName == "label" and n.name == title, root=app.window).click()


def search_text(app):
    return app.find("Search by IMEI, UUID or serial").text or ""


tap = Tap()
scratch = scratch_dir("tagsmith-gui-fleet-")
ledger = os.path.join(scratch, "fleet.db")
make_ledger(ledger)
subprocess.run(["gsettings", "reset", SCHEMA, "window-width"], check=True)
subprocess.run(["gsettings", "reset", SCHEMA, "fleet-sort"], check=True)
app = App(env={"TAGSMITH_DB": ledger})
wide_imei_width = []


@tap.test("the fleet lists every device")
def _():
    open_fleet(app)
    wide_imei_width.append(max(n.size[0] for n in imei_labels(app)))


@tap.test("the start of a device UUID, in any case, finds that device")
def _():
    typeText("50363154-3931-4A21-80B9-D8827")
    app.wait_for(lambda: shown_imeis(app) == [IMEIS[3]])
    app.find("1 matching device", "label")


@tap.test("Escape clears the search and the whole fleet shows again")
def _():
    keyCombo("Escape")
    app.wait_for(lambda: search_text(app) == "")
    app.wait_for(lambda: shown_imeis(app) == IMEIS)
    app.find(f"{N_DEVICES} devices", "label")


@tap.test("the start of a certificate serial, with colons, finds its device")
def _():
    typeText("7e:57:ab")
    app.wait_for(lambda: shown_imeis(app) == [IMEIS[3]])
    keyCombo("Escape")
    app.wait_for(lambda: shown_imeis(app) == IMEIS)


@tap.test("Tab from the sidebar moves into the page without switching pages")
def _():
    sidebar = app.find("Pages", "list")
    row = app.find("Fleet", "list item")
    row.click()
    app.wait_for(lambda: row.focused)
    keyCombo("Tab")
    app.wait_for(lambda: app.window.findChildren(lambda n: n.focused and n.roleName != "list item"))
    focused = app.window.findChildren(lambda n: n.focused)
    assert not sidebar.findChildren(lambda n: n.focused), [n.name for n in focused]
    assert app.content_title() == "Fleet", app.content_title()


@tap.test("a click on a column header sorts the rows by it, a second click reverses them")
def _():
    app.wait_for(lambda: rows_top_down(app) == IMEIS)
    click_header(app, "Expires")
    app.wait_for(lambda: rows_top_down(app) == IMEIS[::-1])
    click_header(app, "Expires")
    app.wait_for(lambda: rows_top_down(app) == IMEIS)
    click_header(app, "IMEI")
    app.wait_for(lambda: rows_top_down(app) == IMEIS)
    click_header(app, "IMEI")
    app.wait_for(lambda: rows_top_down(app) == IMEIS[::-1])
    # All valid: the soonest to expire first.
    click_header(app, "Status")
    app.wait_for(lambda: rows_top_down(app) == IMEIS[::-1])


@tap.test("the order chosen is the Fleet's order at the next start")
def _():
    global app
    remembered = subprocess.run(["gsettings", "get", SCHEMA, "fleet-sort"], check=True,
                                capture_output=True, text=True).stdout.strip()
    assert remembered == "'status'", remembered
    app.close()
    app = App(env={"TAGSMITH_DB": ledger})
    open_fleet(app)
    app.wait_for(lambda: rows_top_down(app) == IMEIS[::-1])


@tap.test("at 360 px every IMEI shows whole, and less important columns give way")
def _():
    app.close()
    subprocess.run(["gsettings", "set", SCHEMA, "window-width", "360"], check=True)
    narrow = App(env={"TAGSMITH_DB": ledger})
    try:
        open_fleet(narrow)
        narrow.screenshot("fleet-narrow", NARROW)
        assert narrow.window.size[0] <= 360, narrow.window.size
        # An ellipsized IMEI is narrower than its whole text, which the wide window showed.
        widths = [n.size[0] for n in imei_labels(narrow)]
        assert min(widths) >= wide_imei_width[0], (widths, wide_imei_width)
        # A hidden column's header is off the bus, or has no width.
        headers = {n.name: n.size[0] for n in narrow.window.findChildren(
            lambda n: n.roleName == "label" and n.name in ("IMEI", "Status", "Authority"))}
        assert headers["IMEI"] > 0 and headers["Status"] > 0 and headers.get("Authority", 0) == 0, headers

        # With the days of "Expiring Within" shown as well, the toolbar still fits: the Revoke
        # and Export buttons give way to a menu.
        narrow.find_matching(lambda n: n.roleName == "push button"
                             and n.name == "Show only some devices").doActionNamed("click")
        narrow.find_matching(lambda n: n.roleName == "list item" and n.focused, narrow.node)
        pressKey("Home")
        for _ in range(3):
            pressKey("Down")
        keyCombo("Return")
        narrow.wait_for(lambda: narrow.window.findChildren(
            lambda n: n.name == "Expiring within days" and n.size[0] > 0))
        assert narrow.window.size[0] <= 360, narrow.window.size

        # Every page of the main window fits too.
        for i, title in enumerate(("Devices", "Fleet", "Authorities", "Production", "Activity"), 1):
            keyCombo(f"<Alt>{i}")
            narrow.wait_for(lambda: narrow.content_title() == title)
            assert narrow.window.size[0] <= 360, (title, narrow.window.size)
    finally:
        narrow.close()
        subprocess.run(["gsettings", "reset", SCHEMA, "window-width"], check=True)


try:
    tap.done()
finally:
    app.close()
    subprocess.run(["gsettings", "reset", SCHEMA, "fleet-sort"], check=True)
