"""Editing in real Chromium, two people at once: messages edited and deleted, cards edited, dragged and moved.

Each test runs on a desktop window and on a 390 × 844 phone; axe-core checks the pages it leaves behind.
"""

import itertools
import json
from pathlib import Path

import pytest
from servers import Hearth
from support import PASSWORD, workspace_of
from tabs import Tab
from wsclient import Person

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
numbers = itertools.count()


@pytest.fixture(scope="module")
def server():
    hearth = Hearth(env={"HEARTH_PRESENCE_GRACE": "1"})
    hearth.start()
    yield hearth
    hearth.stop()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def world(server):
    """Alice and Bob in a new workspace with a channel and a board holding two cards in "To do"."""
    n = next(numbers)
    alice, bob = Person(server.url, f"alice{n}"), Person(server.url, f"bob{n}")
    place = workspace_of(alice, bob, name="Team")
    ws, channel, board, columns = place.workspace, place.channel, place.board, place.columns
    cards = [
        alice.api("POST", f"/api/boards/{board['id']}/cards", {"column_id": columns[0], "title": title}).json()
        for title in ("Write the docs", "Fix the login")
    ]
    return {
        "alice": alice,
        "bob": bob,
        "channel": channel,
        "board": board,
        "columns": columns,
        "cards": cards,
        "chat_path": f"/w/{ws['id']}/c/{channel['id']}",
        "board_path": f"/w/{ws['id']}/b/{board['id']}",
    }


@pytest.fixture
def tabs(chromium, server, viewport):
    """Open a signed-in tab for a person on a path, at this test's viewport; all are closed afterwards."""
    opened = []

    def open_tab(person, path, javascript=True):
        width, height = VIEWPORTS[viewport]
        context = chromium.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript, bypass_csp=True
        )
        opened.append(context)
        tab = Tab(context, server.url)
        if javascript:
            tab.login(person.username, path)
        else:
            tab.page.goto(f"{server.url}/auth/login?next={path}")
            tab.page.fill("#login-form input[name=username]", person.username)
            tab.page.fill("#login-form input[name=password]", PASSWORD)
            tab.page.click("#login-form button[type=submit]")
            tab.page.wait_for_url(f"{server.url}{path}")
        return tab

    yield open_tab
    for context in opened:
        context.close()


def serious_axe_findings(page):
    """Serious or critical WCAG 2.1 AA findings in the page's own content (the shared top bar is checked elsewhere)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "tags => axe.run('main', {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_21_AA
    )
    found = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    return json.dumps([(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]) if found else ""


def sticking_out(page):
    """The elements of the page's own content (not the shared top bar) wider than the window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )


def test_an_edit_and_a_deletion_by_one_person_appear_live_for_the_other(world, tabs, viewport, tmp_path):
    alice, bob = tabs(world["alice"], world["chat_path"]), tabs(world["bob"], world["chat_path"])
    alice.send("see you at 10")
    alice.send("my password is hunter2")
    bob.wait_for_message("my password is hunter2")
    alice.wait_for_message("my password is hunter2")
    first_id = alice.page.get_attribute("#messages li:has-text('see you at 10')", "data-message-id")
    first = alice.page.locator(f"#messages li[data-message-id='{first_id}']")
    # Bob sees no edit or delete buttons on Alice's messages
    assert bob.page.locator("#messages button[data-action]").count() == 0

    first.locator("button[data-action=edit]").click()
    field = first.locator(".edit-form textarea")
    assert field.evaluate("el => el === document.activeElement")
    field.fill("see you at 11")
    field.press("Enter")
    bob.page.wait_for_selector("#messages li:has-text('see you at 11'):has-text('edited')", timeout=10000)
    assert "see you at 10" not in bob.page.text_content("#messages")
    alice.page.wait_for_selector("#messages li:has-text('see you at 11') .edited")
    assert alice.page.evaluate("() => document.activeElement.dataset.action") == "edit"  # focus stays put

    alice.page.once("dialog", lambda dialog: dialog.accept())
    alice.page.locator("#messages li:has-text('hunter2') button[data-action=delete]").click()
    bob.page.wait_for_selector("#messages li:has-text('hunter2')", state="detached", timeout=10000)
    alice.page.wait_for_selector("#messages li:has-text('hunter2')", state="detached")
    assert bob.bodies() == ["see you at 11"]

    # a reload shows the same: the edit is stored, the deletion too
    bob.page.reload()
    bob.live()
    assert bob.bodies() == ["see you at 11"]
    assert "edited" in bob.page.text_content("#messages li[data-message-id]")
    alice.page.screenshot(path=str(tmp_path / f"chat-edited-{viewport}.png"))
    assert sticking_out(alice.page) == []
    assert not serious_axe_findings(alice.page)


def test_a_message_edited_while_a_tab_was_offline_shows_its_final_state_after_it_resumes(world, tabs):
    alice, bob = world["alice"], tabs(world["bob"], world["chat_path"])
    channel = world["channel"]["id"]
    kept = alice.api("POST", f"/api/channels/{channel}/messages", {"body": "draft one"}).json()
    gone = alice.api("POST", f"/api/channels/{channel}/messages", {"body": "wrong room"}).json()
    bob.wait_for_message("wrong room")
    bob.page.context.set_offline(True)
    bob.page.evaluate("() => globalThis.hearth.socket.ws?.close()")
    bob.page.wait_for_selector("#connection-status:not([data-state=open])", timeout=10000)
    alice.api("PATCH", f"/api/messages/{kept['id']}", {"body": "final words"})
    alice.api("DELETE", f"/api/messages/{gone['id']}")
    alice.api("POST", f"/api/channels/{channel}/messages", {"body": "afterwards"})
    bob.page.context.set_offline(False)
    bob.wait_for_message("afterwards", timeout=30000)
    bob.page.wait_for_selector("#messages li:has-text('final words'):has-text('edited')")
    assert bob.bodies() == ["final words", "afterwards"]
