"""Nothing a person typed is lost: drafts, unsent and refused messages, a signed-out tab, a page without JavaScript."""

import os
import re

import pytest
from servers import live_server
from support import PASSWORD, workspace_of
from tabs import Tab
from wsclient import Person

ACCESS_TTL = 4


server = live_server({"HEARTH_ACCESS_TTL": str(ACCESS_TTL), "HEARTH_PRESENCE_GRACE": "1"}, scope="function")


@pytest.fixture
def world(server):
    alice, bob = Person(server.url, "alice"), Person(server.url, "bob")
    team = workspace_of(alice, bob, name="Team")
    return {
        "alice": alice,
        "channel": team.channel,
        "chat_path": f"/w/{team.workspace['id']}/c/{team.channel['id']}",
    }


def stored(world):
    return [m["body"] for m in world["alice"].api("GET", f"/api/channels/{world['channel']['id']}/messages").json()]


def sign_in(page, url, next_path):
    page.fill("#login-form input[name=username]", "alice")
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(url + next_path)


@pytest.mark.parametrize("width", [1100, 390])
def test_a_draft_survives_a_reload(chromium, server, world, width):
    tab = Tab(chromium.new_context(viewport={"width": width, "height": 844}), server.url)
    tab.login("alice", world["chat_path"])
    tab.page.click("#composer [name=body]")
    tab.page.keyboard.type("a thought, half")
    tab.page.reload()
    tab.live()
    assert tab.page.input_value("#composer [name=body]") == "a thought, half"
    tab.page.keyboard.press("Control+a")
    tab.page.fill("#composer [name=body]", "a thought, whole")
    tab.page.keyboard.press("Enter")
    tab.wait_for_message("a thought, whole")
    tab.page.reload()
    tab.live()
    assert tab.page.input_value("#composer [name=body]") == ""  # sent: no longer a draft


def test_a_message_sent_offline_in_a_tab_then_closed_is_delivered_once_when_the_channel_opens_again(
    chromium, server, world
):
    context = chromium.new_context()
    first = Tab(context, server.url)
    first.login("alice", world["chat_path"])
    context.set_offline(True)
    first.page.wait_for_selector("#connection-status[data-state=offline]", timeout=10000)
    first.send("written on the train")
    assert first.page.locator("#messages [data-pending]").count() == 1
    first.page.close()
    context.set_offline(False)
    assert stored(world) == []

    second = Tab(context, server.url)
    second.page.goto(server.url + world["chat_path"])
    second.wait_for_message("written on the train")
    second.page.reload()
    second.live()
    second.wait_for_message("written on the train")
    assert second.bodies() == ["written on the train"]
    assert second.page.locator("#messages [data-pending]").count() == 0
    assert stored(world) == ["written on the train"]


def test_a_session_ended_elsewhere_says_so_and_keeps_the_half_written_message(chromium, server, world):
    tab = Tab(chromium.new_context(viewport={"width": 390, "height": 844}), server.url)
    tab.login("alice", world["chat_path"])
    tab.page.click("#composer [name=body]")
    tab.page.keyboard.type("about to say something important")
    alice = world["alice"]
    assert alice.api("POST", "/auth/logout-all").status_code == 204
    tab.page.wait_for_url(re.compile(r".*/auth/login\?next=.*ended=1"), timeout=10000)
    assert "You were signed out" in tab.page.text_content("#session-ended")
    sign_in(tab.page, server.url, world["chat_path"])
    tab.live()
    assert tab.page.input_value("#composer [name=body]") == "about to say something important"


@pytest.mark.parametrize("width", [1100, 390])
def test_a_refused_message_stays_in_view_with_its_text_its_reason_and_a_retry(chromium, server, world, width):
    tab = Tab(chromium.new_context(viewport={"width": width, "height": 700}), server.url)
    tab.login("alice", world["chat_path"])
    for i in range(30):  # a long channel, so the refusal would be out of sight if it went to the top
        world["alice"].api("POST", f"/api/channels/{world['channel']['id']}/messages", {"body": f"filler {i}"})
    tab.wait_for_message("filler 29")
    too_long = "x" * 4001
    # the page refuses to send past the limit itself: lift its limit, as an older page would not have it
    tab.page.evaluate("document.querySelector('#composer [name=body]').dataset.maxLength = '100000'")
    tab.page.fill("#composer [name=body]", too_long)
    tab.page.keyboard.press("Enter")
    failed = tab.page.locator("#messages li.failed")
    failed.wait_for()
    assert failed.locator(".body").text_content() == too_long
    assert failed.locator("[role=alert]").text_content().startswith("Not sent:")
    assert failed.locator(".refusal button", has_text="Retry").is_visible()
    box, view = failed.locator("[role=alert]").bounding_box(), tab.page.locator("#messages").bounding_box()
    assert view["y"] <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"] + 1
    assert failed.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    if os.environ.get("HEARTH_PAGE_SHOTS"):
        tab.page.screenshot(path=f"{os.environ['HEARTH_PAGE_SHOTS']}/refused-{width}.png")
    failed.locator(".refusal button", has_text="Retry").click()  # still too long: refused again, still kept
    tab.page.wait_for_selector("#messages li.failed [role=alert]")
    failed.locator(".refusal button", has_text="Edit before sending").click()
    assert tab.page.input_value("#composer [name=body]") == too_long
    assert tab.page.locator("#messages li.failed").count() == 0
    tab.page.fill("#composer [name=body]", too_long[:4000])
    tab.page.keyboard.press("Enter")
    tab.wait_for_message("xxxx")
    assert stored(world)[-1] == too_long[:4000]


def test_without_javascript_a_message_posted_after_expiry_is_stored_once_and_shown(chromium, server, world):
    for i in range(60):
        world["alice"].api("POST", f"/api/channels/{world['channel']['id']}/messages", {"body": f"older {i}"})
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server.url}/auth/login?next={world['chat_path']}")
    sign_in(page, server.url, world["chat_path"])
    page.wait_for_timeout((ACCESS_TTL + 1) * 1000)  # the access token expires while the person types
    page.fill("#composer [name=body]", "typed slowly")
    page.click("#composer button[type=submit]")
    page.wait_for_selector("#resume-form")
    assert "is sent once you continue" in page.text_content("main")
    page.click("#resume-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(server.url + world["chat_path"]) + r"\?newest#message-\d+"))
    assert stored(world).count("typed slowly") == 1
    # the chat opens at what was just sent, not at the oldest of the page
    sent = page.locator("#messages li[data-message-id]:has-text('typed slowly')")
    box, view = sent.bounding_box(), page.locator("#messages").bounding_box()
    assert view["y"] <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"] + 1
    page.reload()  # reloading the page it landed on posts nothing again
    assert stored(world).count("typed slowly") == 1


@pytest.mark.parametrize("javascript", [False, True])
def test_the_chat_opens_at_its_newest_message_with_or_without_javascript(chromium, server, world, javascript):
    for i in range(60):
        world["alice"].api("POST", f"/api/channels/{world['channel']['id']}/messages", {"body": f"message {i}"})
    context = chromium.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server.url}/auth/login?next={world['chat_path']}")
    sign_in(page, server.url, world["chat_path"])
    view = page.locator("#messages").bounding_box() if javascript else page.locator(".message-scroller").bounding_box()
    newest = page.locator("#messages li[data-message-id]:has-text('message 59')").bounding_box()
    oldest = page.locator("#messages li[data-message-id]").first.bounding_box()
    assert view["y"] <= newest["y"] and newest["y"] + newest["height"] <= view["y"] + view["height"] + 1
    assert oldest["y"] + oldest["height"] <= view["y"]  # scrolled out of sight above
