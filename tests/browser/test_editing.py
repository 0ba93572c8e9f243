"""Editing in real Chromium, two people at once: messages edited and deleted, cards edited, dragged and moved.

Each test runs on a desktop window and on a 390 × 844 phone; axe-core checks the pages it leaves behind.
"""

import itertools
from pathlib import Path

import pytest
from servers import live_server
from support import workspace_of
from tabs import axe_summary, sticking_out
from wsclient import Person

ROOT = Path(__file__).resolve().parents[2]
numbers = itertools.count()


server = live_server({"HEARTH_PRESENCE_GRACE": "1"})


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


def test_an_edit_and_a_deletion_by_one_person_appear_live_for_the_other(world, tabs, viewport, tmp_path):
    alice, bob = tabs(world["alice"], world["chat_path"]), tabs(world["bob"], world["chat_path"])
    alice.send("see you at 10")
    alice.send("my password is hunter2")
    bob.wait_for_message("my password is hunter2")
    alice.wait_for_message("my password is hunter2")
    first_id = alice.page.get_attribute("#messages li:has-text('see you at 10')", "data-message-id")
    first = alice.page.locator(f"#messages li[data-message-id='{first_id}']")
    # Bob sees no edit or delete buttons on Alice's messages
    assert bob.page.locator("#messages button[data-action=edit], #messages button[data-action=delete]").count() == 0

    first.locator("button[data-action=edit]").click()
    field = first.locator(".edit-form textarea")
    assert field.evaluate("el => el === document.activeElement")
    field.fill("see you at 11")
    field.press("Enter")
    bob.page.wait_for_selector("#messages li:has-text('see you at 11'):has-text('edited')", timeout=10000)
    assert "see you at 10" not in bob.page.text_content("#messages")
    alice.page.wait_for_selector("#messages li:has-text('see you at 11') .edited")
    assert alice.page.evaluate("() => document.activeElement.dataset.action") == "edit"  # focus stays put

    alice.page.locator("#messages li:has-text('hunter2') button[data-action=delete]").click()
    alice.page.click("#confirm-dialog[open] [data-confirm-ok]")  # the page's own dialog, not the browser's
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
    assert not axe_summary(alice.page)


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


def card_selector(card):
    return f"[data-card-id='{card['id']}']"


def titles_in(tab, column_id):
    return tab.page.eval_on_selector_all(
        f"[data-column-id='{column_id}'] [data-card-id] .title", "els => els.map(e => e.textContent.trim())"
    )


def test_a_card_dragged_to_another_column_and_within_one_moves_for_the_other(world, tabs, viewport, tmp_path):
    alice, bob = tabs(world["alice"], world["board_path"]), tabs(world["bob"], world["board_path"])
    docs, login = world["cards"]
    todo, doing, _ = world["columns"]
    alice.page.locator(card_selector(docs)).drag_to(alice.page.locator(f"[data-column-id='{doing}'] .cards"))
    bob.page.wait_for_selector(f"[data-column-id='{doing}'] {card_selector(docs)}", timeout=10000)
    alice.page.wait_for_selector(f"[data-column-id='{doing}'] {card_selector(docs)}:not([data-pending])")
    assert titles_in(bob, todo) == ["Fix the login"]

    # within a column: "Fix the login" dropped below "Write the docs" (on the column's foot), then above it
    alice.page.locator(card_selector(login)).drag_to(alice.page.locator(f"[data-column-id='{doing}'] .add-card"))
    bob.page.wait_for_function(
        f"() => document.querySelectorAll(\"[data-column-id='{doing}'] [data-card-id]\").length === 2"
    )
    alice.page.wait_for_selector(f"{card_selector(login)}:not([data-pending])")
    assert titles_in(bob, doing) == ["Write the docs", "Fix the login"]
    alice.page.locator(card_selector(login)).drag_to(
        alice.page.locator(card_selector(docs)), target_position={"x": 10, "y": 2}
    )
    first_in_doing = f"document.querySelector(\"[data-column-id='{doing}'] [data-card-id]\").dataset.cardId"
    bob.page.wait_for_function(f"() => {first_in_doing} === '{login['id']}'")
    assert titles_in(bob, doing) == titles_in(alice, doing) == ["Fix the login", "Write the docs"]
    board = world["bob"].api("GET", f"/api/boards/{world['board']['id']}").json()
    assert [c["title"] for c in board["columns"][1]["cards"]] == ["Fix the login", "Write the docs"]
    alice.page.screenshot(path=str(tmp_path / f"board-dragged-{viewport}.png"), full_page=True)
    assert sticking_out(alice.page) == []
    assert not axe_summary(alice.page)


def test_keyboard_moves_keep_focus_on_the_moved_card(world, tabs):
    alice, bob = tabs(world["alice"], world["board_path"]), tabs(world["bob"], world["board_path"])
    docs = world["cards"][0]
    todo, doing, done = world["columns"]
    alice.page.focus(f"{card_selector(docs)} button[data-move=next]")
    alice.page.keyboard.press("Enter")
    alice.page.wait_for_selector(f"[data-column-id='{doing}'] {card_selector(docs)}:not([data-pending])")
    focused = (
        "() => [document.activeElement.dataset.move, document.activeElement.closest('[data-card-id]')?.dataset.cardId]"
    )
    assert alice.page.evaluate(focused) == ["next", str(docs["id"])]
    alice.page.keyboard.press("Enter")  # again, without touching the mouse: on to Done
    alice.page.wait_for_selector(f"[data-column-id='{done}'] {card_selector(docs)}:not([data-pending])")
    # "next" is disabled at the last column: focus moves to the card's other button, still on the card
    assert alice.page.evaluate(focused) == ["prev", str(docs["id"])]
    bob.page.wait_for_selector(f"[data-column-id='{done}'] {card_selector(docs)}", timeout=10000)
    alice.page.keyboard.press("Enter")
    alice.page.wait_for_selector(f"[data-column-id='{doing}'] {card_selector(docs)}:not([data-pending])")
    assert alice.page.evaluate(focused) == ["prev", str(docs["id"])]


def test_a_card_edited_in_its_details_shows_the_new_title_for_the_other(world, tabs, viewport, tmp_path):
    alice, bob = tabs(world["alice"], world["board_path"]), tabs(world["bob"], world["board_path"])
    docs, login = world["cards"]
    alice.page.click(f"{card_selector(docs)} a.title")
    dialog = alice.page.locator("dialog.card-dialog")
    dialog.wait_for()
    assert alice.page.evaluate("() => document.activeElement.name") == "title"
    dialog.locator("[name=title]").fill("Write the user guide")
    dialog.locator("[name=description]").fill("Start with signing in.")
    alice.page.screenshot(path=str(tmp_path / f"card-details-{viewport}.png"))
    assert not axe_summary(alice.page)
    dialog.locator("button[type=submit]").click()
    bob.page.wait_for_selector(f"{card_selector(docs)} .title:has-text('Write the user guide')", timeout=10000)
    assert bob.page.text_content(f"{card_selector(docs)} .description") == "Start with signing in."
    dialog.wait_for(state="hidden")
    assert alice.page.evaluate("() => document.activeElement.classList.contains('title')")

    # Bob opens the other card; Alice renames it first: Bob sees the note, the current card and his own text
    bob.page.click(f"{card_selector(login)} a.title")
    bob_dialog = bob.page.locator("dialog.card-dialog")
    bob_dialog.locator("[name=title]").fill("Fix the login for good")
    world["alice"].api("PATCH", f"/api/cards/{login['id']}", {"version": 1, "title": "Fix the sign-in"})
    bob.page.wait_for_selector(f"{card_selector(login)} .title:has-text('Fix the sign-in')")
    bob_dialog.locator("button[type=submit]").click()
    bob_dialog.locator(".error:has-text('Someone else changed this card')").wait_for()
    assert bob_dialog.locator("[name=title]").input_value() == "Fix the sign-in"
    assert "Fix the login for good" in bob_dialog.locator(".yours").text_content()
    bob.page.screenshot(path=str(tmp_path / f"card-conflict-{viewport}.png"))
    stored = world["alice"].api("GET", f"/api/boards/{world['board']['id']}").json()["columns"][0]["cards"]
    assert [c["title"] for c in stored] == ["Write the user guide", "Fix the sign-in"]

    # and deleted from the details: gone for both
    bob.page.once("dialog", lambda confirm: confirm.accept())
    bob_dialog.locator("button[data-delete]").click()
    alice.page.wait_for_selector(card_selector(login), state="detached", timeout=10000)
    bob.page.wait_for_selector(card_selector(login), state="detached")


def test_card_details_work_without_javascript(world, tabs, viewport, tmp_path):
    alice = tabs(world["alice"], world["board_path"], javascript=False)
    docs = world["cards"][0]
    alice.page.click(f"{card_selector(docs)} a.title")
    alice.page.wait_for_url(f"**/cards/{docs['id']}")
    alice.page.fill("form.card-form [name=title]", "Write the admin guide")
    alice.page.fill("form.card-form [name=description]", "Backups first.")
    alice.page.click("form.card-form button[type=submit]")
    alice.page.wait_for_url(f"**{world['board_path']}")
    assert alice.page.text_content(f"{card_selector(docs)} .title").strip() == "Write the admin guide"
    assert alice.page.text_content(f"{card_selector(docs)} .description").strip() == "Backups first."

    alice.page.click(f"{card_selector(docs)} a.title")
    world["bob"].api("PATCH", f"/api/cards/{docs['id']}", {"version": 2, "title": "Bob's title"})
    alice.page.fill("form.card-form [name=title]", "Alice's late title")
    alice.page.click("form.card-form button[type=submit]")
    alice.page.wait_for_selector(".error:has-text('Someone else changed this card')")
    assert alice.page.input_value("form.card-form [name=title]") == "Bob's title"
    assert "Alice's late title" in alice.page.text_content(".yours")
    alice.page.screenshot(path=str(tmp_path / f"card-page-conflict-{viewport}.png"), full_page=True)
    assert sticking_out(alice.page) == []
    details = alice.page.url
    with_script = tabs(world["alice"], world["board_path"])  # axe itself needs JavaScript: the same page there
    with_script.page.goto(details)
    assert not axe_summary(with_script.page)
    alice.page.click("form.delete-card button")
    alice.page.wait_for_url(f"**{world['board_path']}")
    assert alice.page.locator(card_selector(docs)).count() == 0
