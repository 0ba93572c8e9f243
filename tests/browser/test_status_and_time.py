"""What the chat page says is true: the connection status follows the socket, times are the viewer's own."""

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from servers import live_server
from support import workspace_of
from tabs import Tab
from wsclient import Person

NEW_YORK = "America/New_York"


server = live_server({"HEARTH_PRESENCE_GRACE": "1"}, scope="function")


@pytest.fixture
def world(server):
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    team = workspace_of(alice, bob, name="Team")
    return {
        "alice": alice,
        "bob": bob,
        "channel": team.channel,
        "chat_path": f"/w/{team.workspace['id']}/c/{team.channel['id']}",
    }


def open_chat(chromium, server, world, width=1100, **context_options):
    context = chromium.new_context(viewport={"width": width, "height": 800}, **context_options)
    tab = Tab(context, server.url)
    tab.login("alice", world["chat_path"])
    return tab


def status(tab):
    return tab.page.get_attribute("#connection-status", "data-state"), tab.page.text_content("#connection-status")


@pytest.mark.parametrize("width", [1100, 390])
def test_the_status_is_live_again_after_an_offline_blip_the_socket_survives(chromium, server, world, width):
    tab = open_chat(chromium, server, world, width)
    seen = []
    tab.page.expose_function("recordStatus", lambda state: seen.append(state))
    tab.page.evaluate(
        """() => new MutationObserver(() => window.recordStatus(
             document.getElementById('connection-status').dataset.state))
           .observe(document.getElementById('connection-status'), {attributes: true})"""
    )
    tab.page.evaluate("window.firstSocket = hearth.socket.ws")
    context = tab.page.context
    context.set_offline(True)
    tab.wait(1)
    context.set_offline(False)
    tab.page.wait_for_function("document.getElementById('connection-status').dataset.state === 'open'")
    tab.wait(6)  # past the 5 s the socket gives a probe ping to answer
    assert status(tab) == ("open", "Live")
    world["bob"].api("POST", f"/api/channels/{world['channel']['id']}/messages", {"body": "still flowing"})
    tab.wait_for_message("still flowing")
    tab.send("mine too")
    tab.wait_for_message("mine too")
    # the socket lived through the blip, so no moment of it ever read offline
    assert tab.page.evaluate("hearth.socket.ws === window.firstSocket")
    assert "offline" not in seen, seen


def test_messages_sent_while_offline_are_counted_and_sent_when_back(chromium, server, world):
    tab = open_chat(chromium, server, world)
    context = tab.page.context
    context.set_offline(True)
    # the socket is asked whether it still works; it cannot answer, so it is dropped and the page says so
    tab.page.wait_for_selector("#connection-status[data-state=offline]", timeout=10000)
    for body in ("one", "two"):
        tab.page.fill("#composer [name=body]", body)
        tab.page.keyboard.press("Enter")
    tab.page.wait_for_function("document.getElementById('connection-status').textContent.includes('2 messages')")
    assert status(tab) == ("offline", "Offline — 2 messages will be sent when you're back")
    context.set_offline(False)
    tab.wait_for_message("two")
    assert status(tab) == ("open", "Live")
    stored = [m["body"] for m in world["alice"].api("GET", f"/api/channels/{world['channel']['id']}/messages").json()]
    assert stored == ["one", "two"]


def backdate(server, message_id, moment):
    """Move a stored message to another day, as if it had been written then."""
    with sqlite3.connect(Path(server.tmp) / "hearth.db") as db:
        db.execute(
            "UPDATE messages SET created_at = ? WHERE id = ?",
            (moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "), message_id),
        )


def test_times_and_day_separators_follow_the_viewers_time_zone(chromium, server, world):
    alice, channel = world["alice"], world["channel"]
    old = alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "from last week"}).json()
    last_week = datetime.now(UTC) - timedelta(days=6)
    backdate(server, old["id"], last_week)
    tab = open_chat(chromium, server, world, timezone_id=NEW_YORK, locale="en-US")
    tab.send("from today")
    tab.wait_for_message("from today")
    bob_sent = alice.api("GET", f"/api/channels/{channel['id']}/messages").json()[-1]

    local = ZoneInfo(NEW_YORK)
    times = tab.page.eval_on_selector_all("#messages [data-message-id] time", "els => els.map(e => e.textContent)")
    clock = [
        f"{m.hour % 12 or 12}:{m.minute:02d} {'AM' if m.hour < 12 else 'PM'}"
        for m in (last_week.astimezone(local), datetime.fromisoformat(bob_sent["created_at"]).astimezone(local))
    ]
    assert times == clock
    days = tab.page.eval_on_selector_all("#messages li.day", "els => els.map(e => e.textContent.trim())")
    week_ago = last_week.astimezone(local)
    assert days == [f"{week_ago:%A}, {week_ago:%B} {week_ago.day}, {week_ago.year}", "Today"]
    # the separators sit before the first message of each day
    order = tab.page.eval_on_selector_all(
        "#messages > li", "els => els.map(e => e.classList.contains('day') ? 'day' : e.textContent.includes('today'))"
    )
    assert order == ["day", False, "day", True]
    if os.environ.get("HEARTH_PAGE_SHOTS"):
        tab.page.screenshot(path=f"{os.environ['HEARTH_PAGE_SHOTS']}/chat-days.png")


def test_without_javascript_times_say_they_are_utc(chromium, server, world):
    alice, channel = world["alice"], world["channel"]
    sent = alice.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "hello"}).json()
    tab = Tab(chromium.new_context(java_script_enabled=False, timezone_id=NEW_YORK), server.url)
    tab.page.goto(f"{server.url}/auth/login?next={world['chat_path']}")
    tab.page.fill("#login-form input[name=username]", "alice")
    tab.page.fill("#login-form input[name=password]", "correct horse battery")
    tab.page.click("#login-form button[type=submit]")
    tab.page.wait_for_url(server.url + world["chat_path"])
    at = datetime.fromisoformat(sent["created_at"])
    time = tab.page.locator("#messages [data-message-id] time")
    assert time.text_content() == f"{at:%H:%M} UTC"
    assert time.get_attribute("datetime") == sent["created_at"]
    assert tab.page.text_content("#messages li.day") == f"{at:%A, %d %B %Y} (UTC)"
