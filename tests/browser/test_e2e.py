"""The client in real Chromium against Hearth under gunicorn: expiry, restarts, revocation, tabs and two users."""

import os
import re
import signal
from pathlib import Path

import pytest
import requests
from servers import SECRET, live_server
from support import expired, workspace_of
from tabs import Tab, new_tab
from wsclient import Person

DOCS = Path(__file__).resolve().parents[2] / "docs"
ACCESS_TTL = 8  # seconds: the client refreshes a quarter before, at about 6 s


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: docs/ with HEARTH_SCREENSHOTS=1 (to refresh the README's), else a temp folder."""
    return DOCS if os.environ.get("HEARTH_SCREENSHOTS") else tmp_path


server = live_server({"HEARTH_ACCESS_TTL": str(ACCESS_TTL), "HEARTH_PRESENCE_GRACE": "1"}, scope="function")


@pytest.fixture
def world(server):
    """Alice and Bob in a workspace with a channel and a board with one card."""
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    place = workspace_of(alice, bob, name="Team")
    ws, channel, board = place.workspace, place.channel, place.board
    card = alice.create(f"/api/boards/{board['id']}/cards", {"column_id": place.columns[0], "title": "Ship the client"})
    return {
        "alice": alice,
        "bob": bob,
        "workspace": ws,
        "channel": channel,
        "board": board,
        "card": card,
        "chat_path": f"/w/{ws['id']}/c/{channel['id']}",
        "board_path": f"/w/{ws['id']}/b/{board['id']}",
    }


def has_run_out(server, token):
    """True once the server answers this access token with token_expired."""
    response = requests.get(server.url + "/api/me", cookies={"access_token_cookie": token}, timeout=5)
    return response.status_code == 401 and response.json()["error"] == "token_expired"


def test_a_message_after_the_token_expired_goes_through_with_one_refresh(chromium, server, world, shots):
    tab = new_tab(chromium, server)
    tab.login("alice", world["chat_path"])
    first = tab.cookie("access_token_cookie")["value"]
    tab.send("before expiry")
    tab.wait_for_message("before expiry")
    assert tab.wait_until(lambda: has_run_out(server, first), timeout=ACCESS_TTL + 5)  # past the token's expiry
    tab.send("after expiry")
    tab.wait_for_message("after expiry")
    assert tab.bodies() == ["before expiry", "after expiry"]
    assert tab.count("/auth/refresh") == 1
    assert tab.page.locator(".failed, .error").count() == 0
    assert tab.page.get_attribute("#connection-status", "data-state") == "open"
    stored = world["alice"].api("GET", f"/api/channels/{world['channel']['id']}/messages").json()
    assert [m["body"] for m in stored] == ["before expiry", "after expiry"]
    tab.page.set_viewport_size({"width": 1100, "height": 700})
    tab.page.screenshot(path=str(shots / "chat.png"))
    assert (shots / "chat.png").stat().st_size > 10_000


def test_a_restart_with_an_expired_token_resumes_without_loss_or_duplicates(chromium, server, world):
    tab = new_tab(chromium, server)
    tab.login("alice", world["chat_path"])
    bob, channel = world["bob"], world["channel"]
    bob.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "bob 0"})
    tab.wait_for_message("bob 0")

    server.process.send_signal(signal.SIGTERM)
    server.process.wait(20)
    tab.page.wait_for_selector("#connection-status[data-state=reconnecting]", timeout=10000)
    assert re.search(r"Reconnecting( in \d+ s)?…", tab.page.text_content("#connection-status"))
    tab.send("typed while the server was down")
    assert tab.page.locator("#messages [data-pending]").count() == 1
    access = tab.cookie("access_token_cookie")  # the access token expires while the server is down
    tab.page.context.add_cookies([{**access, "value": expired(access["value"], SECRET)}])
    server.start()
    bob.login()
    for i in range(1, 6):
        bob.api("POST", f"/api/channels/{channel['id']}/messages", {"body": f"bob {i}"})

    tab.wait_for_message("bob 5", timeout=40000)
    tab.wait_for_message("typed while the server was down", timeout=20000)
    bodies = tab.bodies()
    assert [b for b in bodies if b.startswith("bob")] == [f"bob {i}" for i in range(6)]
    assert bodies.count("typed while the server was down") == 1
    stored = [m["body"] for m in bob.api("GET", f"/api/channels/{channel['id']}/messages").json()]
    assert stored.count("typed while the server was down") == 1
    assert tab.count("/auth/refresh") >= 1
    assert "/auth/login" not in tab.page.url


def test_a_revoked_session_lands_on_login_once_without_a_loop(chromium, server, world):
    tab = new_tab(chromium, server)
    tab.login("alice", world["chat_path"])
    alice = world["alice"]
    session_id = next(s["id"] for s in alice.api("GET", "/auth/sessions").json() if not s["current"])
    before = len(tab.requests)
    assert alice.api("DELETE", f"/auth/sessions/{session_id}").status_code == 204
    tab.page.wait_for_url(re.compile(r".*/auth/login\?next="), timeout=5000)
    tab.wait(3)  # what is under test is that nothing follows (no loop): there is no event to wait for
    after = tab.requests[before:]
    assert sum(1 for r in after if r.startswith("/auth/login")) == 1, after
    assert "/auth/refresh" not in after
    assert len(after) < 10, after


def test_a_missing_refresh_token_lands_on_login_once(chromium, server, world):
    tab = new_tab(chromium, server)
    tab.login("alice", world["chat_path"])
    context = tab.page.context
    kept = [c for c in context.cookies() if c["name"] != "refresh_token_cookie"]
    before = len(tab.requests)
    context.clear_cookies()
    context.add_cookies(kept)
    # the refresh before expiry finds no refresh token: the session is over for this tab
    tab.page.wait_for_url(re.compile(r".*/auth/login\?next=%2Fw%2F"), timeout=(ACCESS_TTL + 5) * 1000)
    tab.wait(3)  # that nothing follows (no loop) is under test: there is no event to wait for
    after = tab.requests[before:]
    assert sum(1 for r in after if r.startswith("/auth/login")) == 1, after
    assert after.count("/auth/refresh") == 1, after
    assert len(after) < 15, after


def test_two_tabs_share_one_refresh_and_follow_a_logout(chromium, server, world):
    context = chromium.new_context()
    first = Tab(context, server.url)
    first.login("alice", world["chat_path"])
    second = Tab(context, server.url)
    second.page.goto(server.url + world["chat_path"])
    second.live()
    token = first.cookie("access_token_cookie")["value"]
    assert first.wait_until(lambda: has_run_out(server, token), timeout=ACCESS_TTL + 5)  # both tabs were due
    assert first.count("/auth/refresh") + second.count("/auth/refresh") == 1
    first.send("still here")
    second.wait_for_message("still here")

    first.page.click("#logout-form button")
    first.page.wait_for_url(re.compile(r".*/auth/login"))
    second.page.wait_for_url(re.compile(r".*/auth/login\?next="), timeout=5000)


def test_a_card_moved_by_one_user_moves_for_the_other(chromium, server, world, shots):
    alice_tab, bob_tab = new_tab(chromium, server), new_tab(chromium, server)
    alice_tab.login("alice", world["board_path"])
    bob_tab.login("bob", world["board_path"])
    card = world["card"]
    columns = [c["id"] for c in world["board"]["columns"]]
    selector = f"[data-card-id='{card['id']}']"
    alice_tab.page.hover(selector)  # a card's move buttons show while it is pointed at (or focused)
    alice_tab.page.click(f"{selector} button[data-move=next]")
    bob_tab.page.wait_for_selector(f"[data-column-id='{columns[1]}'] {selector}", timeout=10000)
    assert bob_tab.page.get_attribute(selector, "data-version") == "2"
    alice_tab.page.wait_for_selector(f"[data-column-id='{columns[1]}'] {selector}:not([data-pending])")
    alice_tab.page.set_viewport_size({"width": 1100, "height": 600})
    alice_tab.page.screenshot(path=str(shots / "board.png"))
    assert (shots / "board.png").stat().st_size > 10_000
