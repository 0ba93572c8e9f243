"""The screens people open a hundred times a day, in real Chromium at 1280 × 800 and 390 × 844: the phone's
channel drawer, opening a busy channel at its first unread message, grouped messages across a day boundary,
the delete dialog, Up to edit, long messages and the length counter, the workspace home, the not-found page
and signing up with a blank display name. axe-core checks each screen; `tabs.screenshot` keeps its pictures."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
from servers import live_server
from support import PASSWORD, workspace_of
from tabs import VIEWPORTS, Tab, axe_summary, screenshot
from wsclient import Person, Program

numbers = itertools.count()
server = live_server({"HEARTH_PRESENCE_GRACE": "1"})


@pytest.fixture
def team(server):
    n = next(numbers)
    alice = Person(server.url, f"alice{n}", display_name="Alice")
    bob = Person(server.url, f"bob{n}", display_name="Bob")
    place = workspace_of(alice, bob, name="Daily team", channels=("general",), boards=("Roadmap",))
    ws, channel = place.workspace, place.channel
    return {
        "alice": alice,
        "bob": bob,
        "workspace": ws,
        "channel": channel,
        "chat_path": f"/w/{ws['id']}/c/{channel['id']}",
        "board_path": f"/w/{ws['id']}/b/{place.board['id']}",
        "home_path": f"/w/{ws['id']}",
    }


def shot(tab, name, viewport):
    screenshot(tab.page, f"{name}-{viewport}")


def in_view(page, selector, within="#messages"):
    """Whether the element is inside the scrolling list's visible box (and the window)."""
    return page.evaluate(
        """([selector, within]) => {
          const e = document.querySelector(selector).getBoundingClientRect();
          const box = document.querySelector(within).getBoundingClientRect();
          return e.top >= box.top - 1 && e.top < box.bottom && e.top < innerHeight;
        }""",
        [selector, within],
    )


def unread(person, team):
    channels = person.api("GET", f"/api/workspaces/{team['workspace']['id']}/channels").json()
    return next(c["unread"] for c in channels if c["id"] == team["channel"]["id"])


@pytest.fixture
def touch_tabs(chromium, server, viewport):
    """Like `tabs`, on a touch screen at the phone's size (taps), signed in."""
    opened = []

    def open_tab(person, path):
        width, height = VIEWPORTS[viewport]
        context = chromium.new_context(
            viewport={"width": width, "height": height}, has_touch=viewport == "phone", bypass_csp=True
        )
        opened.append(context)
        tab = Tab(context, server.url)
        tab.login(person.username, path)
        return tab

    yield open_tab
    for context in opened:
        context.close()


def test_the_channel_list_is_one_tap_away_on_every_workspace_page(team, touch_tabs, viewport):
    alice = touch_tabs(team["alice"], team["chat_path"])
    page = alice.page
    for path in (team["chat_path"], team["board_path"], team["home_path"]):
        page.goto(alice.url + path)
        alice.live()
        toggle = page.locator("button#sidebar-toggle")
        if viewport == "desktop":
            assert not toggle.is_visible() and page.locator("#channels").is_visible()
            continue
        box = toggle.bounding_box()
        assert toggle.is_visible() and box["y"] + box["height"] <= VIEWPORTS["phone"][1]
        assert not page.locator("#channels").is_visible()
        # a tap opens it, focus goes into it, and following a channel closes it
        toggle.tap()
        page.wait_for_selector("#channels", state="visible")
        assert page.evaluate("() => document.activeElement.closest('#channels') !== null")
        assert toggle.get_attribute("aria-expanded") == "true"
        alice.wait(0.4)  # the slide
        shot(alice, f"drawer-open-{path.split('/')[-2] if path.count('/') > 2 else 'home'}", viewport)
        assert not axe_summary(page), axe_summary(page)
        page.keyboard.press("Escape")
        page.wait_for_selector("#channels", state="hidden")
        assert page.evaluate("() => document.activeElement.id") == "sidebar-toggle"
        # by keyboard: Enter on the focused toggle, Tab stays in the drawer, Escape gives focus back
        page.keyboard.press("Enter")
        page.wait_for_selector("#channels", state="visible")
        for _ in range(6):
            page.keyboard.press("Tab")
            assert page.evaluate("() => !!document.activeElement.closest('#workspace-sidebar, #sidebar-toggle')")
        page.keyboard.press("Escape")
        page.wait_for_selector("#channels", state="hidden")
        assert toggle.get_attribute("aria-expanded") == "false"
    if viewport == "phone":  # and a channel picked from the drawer is opened
        page.goto(alice.url + team["home_path"])
        page.locator("button#sidebar-toggle").tap()
        page.locator("#channels a").first.tap()
        page.wait_for_url(alice.url + team["chat_path"])


def test_the_top_bar_stays_one_line_and_only_the_chat_scrolls(team, tabs, viewport):
    for n in range(40):
        team["bob"].api("POST", f"/api/channels/{team['channel']['id']}/messages", {"body": f"line {n}"})
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    height = page.evaluate("() => document.querySelector('.topbar').getBoundingClientRect().height")
    assert height < 64, height  # one line, not three
    assert page.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 1")  # the page does not scroll
    assert page.locator("#messages").evaluate("l => l.scrollHeight > l.clientHeight")  # the list does
    pill = page.locator("#connection-status")
    assert pill.get_attribute("data-state") == "open" and pill.get_attribute("title") == "Live"
    composer = page.locator("#composer textarea").bounding_box()
    assert composer["y"] + composer["height"] <= VIEWPORTS[viewport][1]  # the composer is on screen
    shot(alice, "chat", viewport)
    assert not axe_summary(page), axe_summary(page)


def test_a_busy_channel_opens_at_its_first_unread_message_and_the_marker_follows_the_reader(team, tabs, viewport):
    channel = team["channel"]
    team["alice"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": "read before"})
    for n in range(150):
        team["bob"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": f"unread {n}"})
    assert unread(team["alice"], team) == 150
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    assert in_view(page, "#new-messages")
    first = page.locator("#messages li:has-text('unread 0')").first
    assert in_view(page, f"#{first.get_attribute('id')}")
    assert page.locator("#messages li:has-text('unread 149')").count() == 0  # the newest are not even loaded yet
    assert page.locator("#jump-newest").is_visible()
    shot(alice, "first-unread", viewport)
    # what is in view is read, no more: the count falls but the channel is not cleared
    assert alice.wait_until(lambda: unread(team["alice"], team) < 150)
    alice.wait(1)
    left = unread(team["alice"], team)
    assert 100 < left < 150, left
    # reading on down moves the marker further
    page.locator("#messages").evaluate("l => l.scrollBy(0, l.clientHeight)")
    assert alice.wait_until(lambda: unread(team["alice"], team) < left)
    assert page.locator("#jump-unread").is_visible()  # the line is above the view now
    # Jump to newest loads the rest in place and reads to the end
    page.click("#jump-newest")
    page.wait_for_selector("#messages li:has-text('unread 149')")
    assert alice.wait_until(lambda: in_view(page, "#messages li:last-child"))
    assert alice.wait_until(lambda: unread(team["alice"], team) == 0)
    bodies = alice.bodies()
    assert bodies == ["read before", *(f"unread {n}" for n in range(150))]  # each once, in order
    page.wait_for_selector("#jump-newest", state="hidden")
    page.click("#jump-unread")
    assert alice.wait_until(lambda: in_view(page, "#new-messages"))
    # a message arriving now shows live at the end
    team["bob"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": "one more"})
    alice.wait_for_message("one more")
    assert not axe_summary(page), axe_summary(page)


def test_one_persons_messages_group_and_a_new_day_starts_a_new_group(team, tabs, viewport, server):
    channel = team["channel"]
    ids = [
        team["bob"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": f"note {n}"}).json()["id"]
        for n in range(4)
    ]
    said = team["alice"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": "reply from alice"}).json()
    team["alice"].api("POST", f"/api/channels/{channel['id']}/read", {"seq": said["seq"]})
    engine = sa.create_engine(server.env["DATABASE_URL"])
    with engine.begin() as db:
        created = db.execute(sa.text("SELECT created_at FROM messages WHERE id = :id"), {"id": ids[2]}).scalar()
        when = created if not isinstance(created, str) else __import__("datetime").datetime.fromisoformat(created)
        for n, message_id in enumerate(ids[:2]):  # the first two were yesterday, a minute apart
            moment = when - timedelta(days=1) + timedelta(minutes=n)
            db.execute(sa.text("UPDATE messages SET created_at = :at WHERE id = :id"), {"at": moment, "id": message_id})
    engine.dispose()
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    kinds = page.evaluate(
        """() => [...document.querySelectorAll('#messages > li')].map(li => li.classList.contains('day') ? 'day'
            : li.id ? (li.classList.contains('continued') ? 'more' : 'head') : li.className)"""
    )
    assert kinds == ["day", "head", "more", "day", "head", "more", "head"], kinds
    second = page.locator(f"#message-{ids[1]}")
    assert not second.locator(".author").is_visible() and not second.locator(".avatar").is_visible()
    assert page.locator(f"#message-{ids[2]} .author").is_visible()
    # one that arrives live joins the group of its author's last message
    team["alice"].api("POST", f"/api/channels/{channel['id']}/messages", {"body": "and another"})
    alice.wait_for_message("and another")
    assert "continued" in page.locator("#messages > li:last-child").get_attribute("class")
    shot(alice, "grouped", viewport)
    assert not axe_summary(page), axe_summary(page)


def test_deleting_asks_in_the_page_and_escape_keeps_the_message(team, tabs, viewport):
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    alice.send("keep me")
    alice.send("delete me")
    alice.wait_until(lambda: page.locator("#messages li[data-message-id]").count() == 2)
    item = page.locator("#messages li:has-text('delete me')")
    actions = item.locator(".actions")
    assert actions.evaluate("a => getComputedStyle(a).opacity") == "0"  # no buttons standing under every message
    item.hover()
    alice.wait_until(lambda: actions.evaluate("a => getComputedStyle(a).opacity") == "1")
    item.locator("button[data-action=delete]").click()
    page.wait_for_selector("#confirm-dialog[open]")
    shot(alice, "confirm-dialog", viewport)
    assert not axe_summary(page), axe_summary(page)
    page.keyboard.press("Escape")
    page.wait_for_selector("#confirm-dialog", state="hidden")
    alice.wait(0.5)
    assert alice.bodies() == ["keep me", "delete me"]
    item.locator("button[data-action=delete]").click()
    page.click("#confirm-dialog[open] [data-confirm-ok]")
    page.wait_for_selector("#messages li:has-text('delete me')", state="detached")
    # Up in the empty composer edits the last message, with one set of buttons
    page.focus("#composer textarea")
    page.keyboard.press("ArrowUp")
    form = page.locator("#messages li:has-text('keep me') .edit-form")
    form.wait_for()
    assert page.evaluate("() => document.activeElement.closest('.edit-form') !== null")
    assert not page.locator("#messages li:has-text('keep me') .actions").is_visible()
    assert page.locator("#messages li:has-text('keep me') button:visible").count() == 2  # Save and Cancel
    page.keyboard.press("Escape")
    form.wait_for(state="detached")


def test_a_long_message_folds_and_a_too_long_one_is_refused_not_cut(team, tabs, viewport):
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    field = page.locator("#composer textarea")
    field.fill("x" * 3700)
    assert page.locator("#composer-count").text_content() == "300 characters left"
    field.fill("y" * 4500)  # as a paste: nothing is cut off
    assert field.evaluate("f => f.value.length") == 4500
    assert "Too long: 4,500 of at most 4,000" in page.locator("#composer-count").text_content()
    field.press("Enter")
    alice.wait(0.5)
    assert page.locator("#messages li[data-message-id], #messages li[data-pending]").count() == 0
    assert field.evaluate("f => f.value.length") == 4500
    shot(alice, "too-long", viewport)
    long_text = "\n\n".join(f"Paragraph {n}: " + "words " * 60 for n in range(10))
    field.fill(long_text)
    field.press("Enter")
    more = page.locator("#messages .show-more")
    more.wait_for()
    body = page.locator("#messages li[data-message-id] .body")
    folded = body.evaluate("b => b.getBoundingClientRect().height")
    assert folded < 250
    more.click()
    assert more.text_content() == "Show less" and body.evaluate("b => b.getBoundingClientRect().height") > folded * 2
    page.reload()
    alice.live()
    assert page.locator("#messages .show-more").is_visible()  # stored ones fold too
    assert not axe_summary(page), axe_summary(page)


def test_a_program_message_says_via_its_token(team, tabs, viewport):
    bot = Program(team["alice"], name="deploy-bot")
    alice = tabs(team["alice"], team["chat_path"])
    bot.api("POST", f"/api/channels/{team['channel']['id']}/messages", {"body": "deployed v2"})
    alice.wait_for_message("deployed v2")
    assert alice.page.locator("#messages li:has-text('deployed v2') .via").text_content() == "via deploy-bot"
    alice.page.reload()
    alice.live()
    assert alice.page.locator("#messages li:has-text('deployed v2') .via").text_content() == "via deploy-bot"


def test_the_workspace_home_leads_with_activity_and_welcomes_a_new_member(team, tabs, viewport, server):
    team["alice"].api("POST", f"/api/channels/{team['channel']['id']}/messages", {"body": "Welcome aboard"})
    carol = Person(server.url, f"carol{next(numbers)}")
    team["alice"].create(f"/api/workspaces/{team['workspace']['id']}/members", {"username": carol.username})
    tab = tabs(carol, team["home_path"])
    page = tab.page
    assert page.locator("#welcome").is_visible()
    assert "Welcome aboard" in page.locator("#home-channels").text_content()
    # the channels come before any form
    order = page.evaluate(
        "() => document.querySelector('#home').compareDocumentPosition(document.querySelector('#create-channel-form'))"
    )
    assert order & 4  # DOCUMENT_POSITION_FOLLOWING
    shot(tab, "home", viewport)
    assert not axe_summary(page), axe_summary(page)
    page.goto(tab.url + team["chat_path"])
    tab.live()
    assert tab.wait_until(lambda: unread(carol, team) == 0)
    page.goto(tab.url + team["home_path"])
    assert page.locator("#welcome").count() == 0  # once they have read something, no more welcome


def test_a_channel_one_cannot_see_is_a_friendly_not_found_page(team, tabs, viewport, server):
    stranger = Person(server.url, f"dave{next(numbers)}")
    own = stranger.create("/api/workspaces", {"name": "Elsewhere"})
    tab = tabs(stranger, f"/w/{own['id']}")
    response = tab.page.goto(tab.url + team["chat_path"])
    assert response.status == 404
    assert tab.page.locator("#error-page h1").text_content() == "We can't find that page"
    assert tab.page.locator("#error-page a[href='/']").is_visible()
    shot(tab, "not-found", viewport)
    assert not axe_summary(tab.page), axe_summary(tab.page)


def test_signing_up_with_a_blank_display_name_and_a_capital_letter(server, chromium, viewport):
    width, height = VIEWPORTS[viewport]
    context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    try:
        tab = Tab(context, server.url)
        page = tab.page
        name = f"Erin{next(numbers)}"
        Person(server.url, name.lower())  # taken already
        page.goto(server.url + "/auth/register")
        page.fill("#register-form input[name=username]", name)
        page.fill("#register-form input[name=password]", PASSWORD)
        page.click("#register-form button[type=submit]")
        page.wait_for_selector("p.error")
        assert "taken" in page.text_content("p.error") or "exists" in page.text_content("p.error")
        # nothing typed is lost, the password included
        assert page.input_value("#register-form input[name=password]") == PASSWORD
        assert page.input_value("#register-form input[name=username]") == name
        shot(tab, "register-taken", viewport)
        assert not axe_summary(page), axe_summary(page)
        page.fill("#register-form input[name=username]", name + "x")
        page.click("#register-form button[type=submit]")
        page.wait_for_url(server.url + "/")
        assert page.text_content(".topbar .who") == (name + "x").lower()
    finally:
        context.close()


def test_the_status_pill_and_presence_say_when_this_tab_is_not_connected(team, tabs, viewport):
    alice = tabs(team["alice"], team["chat_path"])
    page = alice.page
    pill = page.locator("#connection-status")
    assert pill.is_visible() and pill.evaluate("p => getComputedStyle(p).borderRadius") != "0px"
    assert not page.locator("#presence[data-stale]").count()
    page.evaluate("() => globalThis.hearth.socket.ws.close()")  # the connection drops
    page.wait_for_selector("#presence[data-stale]", state="attached")  # marked at once (it reconnects soon)
    alice.live()  # and back: presence is live again
    page.wait_for_selector("#presence[data-stale]", state="detached")
    assert page.locator("#presence-stale").is_hidden()
