"""A team builds a sprint board in real Chromium, two people at once: a column added, renamed and moved, a card
assigned, dated, labelled and commented on, the board filtered, a card reordered by keyboard, and a conflict
over labels shown without losing either change. At 1280 px and at 390 px; axe-core checks what is left."""

import itertools

import pytest
from servers import live_server
from support import workspace_of
from tabs import axe_summary, screenshot
from wsclient import Person

numbers = itertools.count()
server = live_server({"HEARTH_PRESENCE_GRACE": "1"})


@pytest.fixture
def world(server):
    n = next(numbers)
    alice, bob = Person(server.url, f"alice{n}"), Person(server.url, f"bob{n}")
    place = workspace_of(alice, bob, name="Team", boards=("Sprint 12",))
    board, columns = place.board, place.columns
    cards = [
        alice.api("POST", f"/api/boards/{board['id']}/cards", {"column_id": columns[0], "title": title}).json()
        for title in ("Write the docs", "Fix the login")
    ]
    return {
        "alice": alice,
        "bob": bob,
        "board": board,
        "columns": columns,
        "cards": cards,
        "workspace": place.workspace,
        "board_path": f"/w/{place.workspace['id']}/b/{board['id']}",
    }


def card_at(card):
    return f"[data-card-id='{card['id']}']"


def column_names(tab):
    return tab.page.eval_on_selector_all(".board [data-column-id] h2", "els => els.map(e => e.textContent.trim())")


def visible_titles(tab):
    return tab.page.eval_on_selector_all(
        ".board [data-card-id]:not([hidden]) .title", "els => els.map(e => e.textContent.trim())"
    )


def test_a_team_builds_a_sprint_board(world, tabs, viewport):
    alice, bob = tabs(world["alice"], world["board_path"]), tabs(world["bob"], world["board_path"])
    docs, login = world["cards"]
    todo = world["columns"][0]

    # a column of their own, renamed and moved left by keyboard: live for Bob
    alice.page.fill("#new-column-name", "Review")
    alice.page.click("#add-column button[type=submit]")
    bob.page.wait_for_selector(".board [data-column-id] h2:text-is('Review')", timeout=10000)
    review = alice.page.locator("[data-column-id]:has(h2:text-is('Review'))")
    review.locator("[data-column-action=rename]").click()
    review.locator("input[name=name]").fill("In review")
    review.locator("input[name=name]").press("Enter")
    bob.page.wait_for_selector(".board [data-column-id] h2:text-is('In review')", timeout=10000)
    alice.page.focus("[data-column-id]:has(h2:text-is('In review')) [data-column-move=prev]")
    alice.page.keyboard.press("Enter")
    bob.page.wait_for_function(
        "() => [...document.querySelectorAll('.board [data-column-id] h2')].map(h => h.textContent).join('|')"
        " === 'To do|Doing|In review|Done'",
        timeout=10000,
    )
    assert column_names(alice) == ["To do", "Doing", "In review", "Done"]

    # the card assigned to Bob, due today in the viewer's zone, labelled
    day = alice.page.evaluate("() => new Date().toLocaleDateString('en-CA')")
    alice.page.click(f"{card_at(docs)} a.title")
    dialog = alice.page.locator("dialog.card-dialog")
    dialog.wait_for()
    dialog.locator(f".assignee-choice:has-text('{world['bob'].username}') input").check()
    dialog.locator("[name=due_on]").fill(day)
    dialog.locator("[name=labels]").fill("bug, docs")
    assert dialog.locator(".card-created").text_content().startswith(f"Created by {world['alice'].username}")
    dialog.locator("button[value=save]").click()
    dialog.wait_for(state="hidden")
    card_on_bobs = bob.page.locator(card_at(docs))
    bob.page.wait_for_selector(f"{card_at(docs)} .label:text-is('docs')", timeout=10000)
    assert card_on_bobs.locator(".label").all_text_contents() == ["bug", "docs"]
    assert card_on_bobs.locator(".due").get_attribute("class") == "due soon"
    assert card_on_bobs.locator(".due").text_content().strip().startswith("Due soon")
    assert card_on_bobs.locator(".assignees li").get_attribute("data-user-id") == str(world["bob"].id)

    # a comment in Markdown: shown in the dialog, counted on the card for Bob, who reads it and the activity
    alice.page.click(f"{card_at(docs)} a.title")
    dialog.locator("textarea[name=body]").fill("**Ship** it on _Friday_")
    dialog.locator("button[data-comment]").click()
    dialog.locator(".card-comments strong:text-is('Ship')").wait_for()
    bob.page.wait_for_selector(f"{card_at(docs)} .comment-count:not([hidden]) .count:text-is('1')", timeout=10000)
    dialog.locator("[data-close]").click()
    bob.page.click(f"{card_at(docs)} a.title")
    bobs_dialog = bob.page.locator("dialog.card-dialog")
    bobs_dialog.locator(".card-comments em:text-is('Friday')").wait_for()
    bobs_dialog.locator(".card-activity li:has-text('assigned')").wait_for()
    assert "created this in To do" in bobs_dialog.locator(".card-activity").text_content()
    screenshot(bob.page, f"card-dialog-{viewport}")
    assert not axe_summary(bob.page)
    bobs_dialog.locator("[data-close]").click()

    # filters: Bob's own cards, a label, this week
    bob.page.select_option("#filter-assignee", "me")
    assert visible_titles(bob) == ["Write the docs"]
    bob.page.select_option("#filter-assignee", "")
    bob.page.select_option("#filter-label", "bug")
    assert visible_titles(bob) == ["Write the docs"]
    bob.page.select_option("#filter-label", "")
    bob.page.check("#filter-due-week")
    assert visible_titles(bob) == ["Write the docs"]
    bob.page.uncheck("#filter-due-week")
    assert visible_titles(bob) == ["Write the docs", "Fix the login"]

    # reordered within its column by keyboard: focus stays on the card, Bob sees the new order
    alice.page.focus(f"{card_at(login)} button[data-move=up]")
    alice.page.keyboard.press("Enter")
    first_in_todo = f"document.querySelector(\"[data-column-id='{todo}'] [data-card-id]\").dataset.cardId"
    bob.page.wait_for_function(f"() => {first_in_todo} === '{login['id']}'", timeout=10000)
    alice.page.wait_for_selector(f"{card_at(login)}:not([data-pending])")
    focused = (
        "() => [document.activeElement.dataset.move, document.activeElement.closest('[data-card-id]')?.dataset.cardId]"
    )
    assert alice.page.evaluate(focused) == ["down", str(login["id"])]  # "up" is disabled at the top

    # the board uses the width it has; on a phone its columns scroll sideways with snap
    width = alice.page.evaluate("() => document.querySelector('.board').getBoundingClientRect().width")
    snap = alice.page.evaluate("() => getComputedStyle(document.querySelector('.board')).scrollSnapType")
    if viewport == "desktop":
        assert width > 900
    else:
        assert snap.startswith("x mandatory")
        assert alice.page.evaluate("() => document.querySelector('.board').scrollWidth") > width
    screenshot(alice.page, f"board-{viewport}", full_page=True)
    assert not axe_summary(alice.page)


def test_two_people_labelling_at_once_the_second_sees_the_first_ones_change_and_keeps_their_own(world, tabs, viewport):
    bob = tabs(world["bob"], world["board_path"])
    docs = world["cards"][0]
    bob.page.click(f"{card_at(docs)} a.title")
    dialog = bob.page.locator("dialog.card-dialog")
    dialog.locator("[name=labels]").fill("backend")
    world["alice"].api("PATCH", f"/api/cards/{docs['id']}", {"version": 1, "labels": ["urgent"]})
    bob.page.wait_for_selector(f"{card_at(docs)} .label:text-is('urgent')", timeout=10000)
    dialog.locator("button[value=save]").click()
    dialog.locator(".error:has-text('Someone else changed this card')").wait_for()
    assert dialog.locator("[name=labels]").input_value() == "urgent"
    assert "Labels: backend" in dialog.locator(".yours").text_content()
    screenshot(bob.page, f"conflict-{viewport}")
    dialog.locator("[name=labels]").fill("urgent, backend")
    dialog.locator("button[value=save]").click()
    dialog.wait_for(state="hidden")
    stored = world["alice"].api("GET", f"/api/boards/{world['board']['id']}").json()["columns"][0]["cards"][0]
    assert stored["labels"] == ["urgent", "backend"]
    assert not axe_summary(bob.page)
