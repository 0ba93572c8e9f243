"""Every page, as a person on a phone or with a screen reader meets it: no sideways scrolling, no serious axe finding.

axe-core is the npm package (package.json, installed by `make install-test`), injected into each page by
Playwright and run with the WCAG 2.1 A and AA rules.
"""

import json
import os
import re
from pathlib import Path

import pytest
from servers import live_server
from support import PASSWORD, workspace_of
from tabs import VIEWPORTS as PHONE_AND_DESKTOP
from tabs import Tab, axe_violations
from wsclient import Person

LONG = "Supercalifragilisticexpialidocious" * 2  # a name without a place to break (68 characters)

VIEWPORTS = {**PHONE_AND_DESKTOP, "zoomed": (320, 640)}  # 320 px: 400 % zoom


server = live_server({"HEARTH_PRESENCE_GRACE": "1"})


@pytest.fixture(scope="module")
def site(server):
    """A workspace full of what widens pages: long unbroken names, titles and messages."""
    alice = Person(server.url, "alice", display_name=LONG)
    bob = Person(server.url, "bob")
    team = workspace_of(alice, bob, name=LONG, channels=(LONG,), boards=(LONG,))
    ws, channel, board = team.workspace, team.channel, team.board
    for i, column in enumerate(board["columns"]):
        for title in (f"Card {i}", LONG):
            card = {"column_id": column["id"], "title": title, "description": LONG}
            last_card = alice.api("POST", f"/api/boards/{board['id']}/cards", card).json()
    details = {"version": 1, "assignees": [alice.id, bob.id], "due_on": "2026-01-05", "labels": [LONG[:24], "bug"]}
    alice.api("PATCH", f"/api/cards/{last_card['id']}", details)
    alice.api("POST", f"/api/cards/{last_card['id']}/comments", {"body": LONG})
    for body in ("Hello there", LONG, "https://example.com/" + "a" * 120):
        alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": body})
    alice.api("POST", "/auth/tokens", {"name": LONG})
    alice.api("POST", "/auth/2fa/setup")  # the security page shows its QR code and secret
    alice.api("PATCH", "/api/me", {"email": "a-rather-long-mailbox-name." * 3 + "x@example.com"})
    link = alice.create(f"/api/workspaces/{ws['id']}/invites", {"email": "someone.with.a.long.address@example.com"})
    pages = {
        "workspaces": "/",
        "workspace": f"/w/{ws['id']}",
        "chat": f"/w/{ws['id']}/c/{channel['id']}",
        "board": f"/w/{ws['id']}/b/{board['id']}",
        "card": f"/w/{ws['id']}/b/{board['id']}/cards/{last_card['id']}",
        "my cards": f"/w/{ws['id']}/my-cards",
        "sessions": "/settings/sessions",
        "password": "/settings/password",
        "security": "/settings/security",
        "tokens": "/settings/tokens",
        "profile": "/settings/profile",
        "admin": "/admin",
        "invite": f"/invite/{link['token']}",
        "not found": f"/w/{ws['id']}/c/999999",
    }
    return server, pages


@pytest.fixture(scope="module")
def signed_in(chromium, site):
    """Alice's cookies, from one login through the form, for every signed-in page."""
    server, _ = site
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/auth/login")
    page.fill("#login-form input[name=username]", "alice")
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    state = context.storage_state()
    context.close()
    return state


def signed_out_pages():
    return {"login": "/auth/login", "register": "/auth/register", "forgot password": "/auth/password-reset"}


SIGNED_IN = [
    "workspaces",
    "workspace",
    "chat",
    "board",
    "card",
    "my cards",
    "sessions",
    "password",
    "security",
    "tokens",
    "profile",
    "admin",
    "invite",
    "not found",
]
EVERY_PAGE = ["login", "register", "forgot password", *SIGNED_IN]


def open_page(chromium, site, signed_in, name, viewport):
    """A tab on `name` at this viewport: signed in as alice for the pages that need it."""
    server, pages = site
    width, height = VIEWPORTS[viewport]
    state = None if name in signed_out_pages() else signed_in
    # axe is injected as an inline script, which the page's own CSP rightly refuses
    context = chromium.new_context(viewport={"width": width, "height": height}, storage_state=state, bypass_csp=True)
    tab = Tab(context, server.url)
    tab.page.goto(server.url + {**pages, **signed_out_pages()}[name])
    if tab.page.locator("#connection-status").count():
        tab.live()
    return tab


def sideways_overflow(page):
    """How many CSS pixels the page scrolls sideways, and the widest elements that make it."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          const wide = [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id);
          return [root.scrollWidth - root.clientWidth, wide];
        }"""
    )


@pytest.mark.parametrize("viewport", ["phone", "zoomed"])
@pytest.mark.parametrize("name", EVERY_PAGE)
def test_no_page_scrolls_sideways_on_a_phone_or_at_400_percent_zoom(chromium, site, signed_in, name, viewport):
    tab = open_page(chromium, site, signed_in, name, viewport)
    overflow, widest = sideways_overflow(tab.page)
    shots = os.environ.get("HEARTH_PAGE_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=f"{shots}/{name.replace(' ', '-')}-{viewport}.png", full_page=True)
    tab.page.context.close()
    assert overflow <= 0, f"{name} scrolls {overflow} px sideways at {viewport}; too wide: {widest}"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", EVERY_PAGE)
def test_axe_finds_no_serious_violation(chromium, site, signed_in, name, viewport):
    tab = open_page(chromium, site, signed_in, name, viewport)
    found = axe_violations(tab.page)
    tab.page.context.close()
    summary = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
    assert not found, json.dumps(summary, indent=1)


@pytest.mark.parametrize("name", EVERY_PAGE)
def test_every_page_has_one_h1_and_a_skip_link_the_keyboard_reaches_first(chromium, site, signed_in, name):
    tab = open_page(chromium, site, signed_in, name, "phone")
    page = tab.page
    assert page.locator("h1").count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab.page.context.close()


def test_every_page_names_an_icon_that_exists_so_no_browser_asks_for_a_missing_favicon(chromium, site, signed_in):
    for name in EVERY_PAGE:
        tab = open_page(chromium, site, signed_in, name, "desktop")
        href = tab.page.get_attribute("link[rel=icon]", "href")
        icon = tab.page.request.get(tab.url + href)
        tab.page.context.close()
        assert icon.status == 200 and icon.headers["content-type"].startswith("image/"), (name, href, icon.status)


def test_the_chat_announces_new_messages_and_names_its_parts(chromium, site, signed_in):
    tab = open_page(chromium, site, signed_in, "chat", "phone")
    page = tab.page
    messages = page.locator("#messages")
    assert messages.get_attribute("aria-live") == "polite"  # a screen reader hears each new message
    assert messages.get_attribute("aria-label").startswith("Messages in #")
    messages.focus()  # scrollable, so a keyboard can reach and scroll it
    assert page.evaluate("document.activeElement.id") == "messages"
    box = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    assert box.count() == 1 and box.get_attribute("name") == "body"
    tab.page.context.close()


def test_every_move_button_on_a_board_says_which_card_goes_where(chromium, site, signed_in):
    tab = open_page(chromium, site, signed_in, "board", "desktop")
    labels = tab.page.eval_on_selector_all(
        "button[data-move]:not([disabled])", "els => els.map(e => e.getAttribute('aria-label'))"
    )
    tab.page.context.close()
    distinct_titles = [label for label in labels if LONG not in label]  # three cards share the long title
    assert distinct_titles and len(set(distinct_titles)) == len(distinct_titles), labels
    assert "Move “Card 0” to Doing" in labels and "Move “Card 1” to To do" in labels
