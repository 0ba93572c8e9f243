"""Threads, reactions and formatted messages in real Chromium, two people at once, at 1280 and 390 pixels wide.

A reply written in one tab's thread panel appears live in the other's; a reaction is added and taken back
with the keyboard alone; Markdown shows rendered. axe-core checks the page with the panel and picker open.
"""

import itertools

import pytest
from servers import live_server
from support import workspace_of
from tabs import axe_summary
from wsclient import Person

numbers = itertools.count()
server = live_server({})


@pytest.fixture
def world(server):
    n = next(numbers)
    alice, bob = Person(server.url, f"talice{n}"), Person(server.url, f"tbob{n}")
    place = workspace_of(alice, bob, name="Team")
    return {
        "alice": alice,
        "bob": bob,
        "channel": place.channel,
        "chat_path": f"/w/{place.workspace['id']}/c/{place.channel['id']}",
    }


def test_a_reply_in_a_thread_appears_live_in_the_other_tab(world, tabs, viewport):
    channel = world["channel"]["id"]
    parent = world["alice"].api("POST", f"/api/channels/{channel}/messages", {"body": "lunch plans?"}).json()
    alice, bob = tabs(world["alice"], world["chat_path"]), tabs(world["bob"], world["chat_path"])
    item = f"#message-{parent['id']}"

    bob.page.click(f"{item} button[data-action=reply]")
    bob.page.wait_for_selector("#thread:not([hidden]) .thread-parent:has-text('lunch plans?')")
    assert bob.page.evaluate("() => document.activeElement.id") == "thread-body"
    alice.page.click(f"{item} button[data-action=reply]")
    alice.page.fill("#thread-composer [name=body]", "pizza at **noon**")
    alice.page.press("#thread-composer [name=body]", "Enter")

    reply = "#thread-messages li[data-message-id]:not(.thread-parent):not([data-pending])"
    bob.page.wait_for_selector(f"{reply}:has-text('pizza at noon') strong", timeout=10000)
    alice.page.wait_for_selector(f"{reply}:has-text('pizza at noon')")
    # the reply is in the thread only; the channel's message counts it
    assert "pizza" not in bob.page.text_content("#messages")
    bob.page.wait_for_selector(f"{item} .thread-summary:has-text('1 reply')")

    # the author edits the reply in the thread, as in the channel; the other tab follows
    alice.page.click(f"{reply} button[data-action=edit]")
    alice.page.fill(f"{reply} .edit-form textarea", "pizza at one")
    alice.page.press(f"{reply} .edit-form textarea", "Enter")
    bob.page.wait_for_selector(f"{reply}:has-text('pizza at one'):has-text('edited')", timeout=10000)

    bob.page.screenshot(path=f"/tmp/thread-{viewport}.png")
    if viewport == "phone":  # the whole screen on a phone
        box = bob.page.locator("#thread").bounding_box()
        assert box["x"] == 0 and box["width"] == 390
    else:  # beside the channel, which stays in view
        assert bob.page.locator("#messages").is_visible()
        thread_left = bob.page.locator("#thread").bounding_box()["x"]
        messages = bob.page.locator("#messages").bounding_box()
        assert messages["x"] + messages["width"] <= thread_left
    assert not axe_summary(bob.page)

    bob.page.keyboard.press("Escape")
    bob.page.wait_for_selector("#thread", state="hidden")
    assert bob.page.evaluate("() => document.activeElement.dataset.action") == "reply"
    # the summary opens the thread again, with the reply loaded from the server
    bob.page.reload()
    bob.live()
    bob.page.click(f"{item} button[data-action=thread]")
    bob.page.wait_for_selector(f"{reply}:has-text('pizza at one')")
    bob.page.click("#thread button[data-action=close-thread]")
    bob.page.wait_for_selector("#thread", state="hidden")


def test_a_reaction_added_and_taken_back_with_the_keyboard_alone(world, tabs, viewport):
    channel = world["channel"]["id"]
    message = world["bob"].api("POST", f"/api/channels/{channel}/messages", {"body": "shipped it"}).json()
    alice, bob = tabs(world["alice"], world["chat_path"]), tabs(world["bob"], world["chat_path"])
    item = f"#message-{message['id']}"
    page = alice.page

    page.focus(f"{item} button[data-action=react]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reaction-picker:not([hidden])")
    assert page.evaluate("() => document.activeElement.dataset.emoji") == "👍"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("() => document.activeElement.dataset.emoji")
    assert chosen not in ("👍", "👎")
    page.screenshot(path=f"/tmp/picker-{viewport}.png")
    assert not axe_summary(page)
    page.keyboard.press("Escape")
    page.wait_for_selector("#reaction-picker", state="hidden")
    assert page.evaluate("() => document.activeElement.dataset.action") == "react"

    page.keyboard.press(" ")  # Space opens it too
    page.wait_for_selector("#reaction-picker:not([hidden])")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    last = "🆗"
    chip = f"{item} button[data-reaction='{last}']"
    page.wait_for_selector(f"{chip}[aria-pressed=true]", timeout=10000)
    bob.page.wait_for_selector(f"{chip}[aria-pressed=false]:has-text('1')", timeout=10000)
    page.screenshot(path=f"/tmp/reacted-{viewport}.png")

    # picking it again from the chip, by keyboard, takes it back
    page.focus(chip)
    page.keyboard.press("Enter")
    bob.page.wait_for_selector(chip, state="detached", timeout=10000)
    page.wait_for_selector(chip, state="detached")


def test_a_message_with_a_code_block_and_a_list_shows_rendered(world, tabs, viewport):
    alice = tabs(world["alice"], world["chat_path"])
    body = "Steps:\n\n- pull\n- `make test`\n\n```\nfor x in y:\n    print(x)\n```"
    alice.page.fill("#composer [name=body]", body)
    alice.page.click("#composer button[type=submit]")
    rendered = "#messages li[data-message-id]:not([data-pending]) .body"
    alice.page.wait_for_selector(f"{rendered} pre code", timeout=10000)
    assert alice.page.locator(f"{rendered} ul li").all_text_contents() == ["pull", "make test"]
    assert alice.page.text_content(f"{rendered} pre code") == "for x in y:\n    print(x)\n"
    alice.page.screenshot(path=f"/tmp/markdown-{viewport}.png")
    assert not axe_summary(alice.page)
