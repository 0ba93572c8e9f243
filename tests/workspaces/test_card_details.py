"""A card's details page, without JavaScript: its title and description edited, the card deleted, and races shown."""

import pytest

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def card(team):
    bid = team.board["id"]
    return team.alice.call("POST", f"/api/boards/{bid}/cards", {"column_id": team.columns[0], "title": "ship it"}).json


def details_path(team, card):
    return f"/w/{team.workspace['id']}/b/{team.board['id']}/cards/{card['id']}"


def stored(team, card):
    cards = [
        c for column in team.bob.call("GET", f"/api/boards/{team.board['id']}").json["columns"] for c in column["cards"]
    ]
    return next((c for c in cards if c["id"] == card["id"]), None)


def submit(team, who, path, **fields):
    return who.client.post(path, data={**fields, "csrf_token": who.csrf()})


def test_the_board_links_each_card_to_its_details_and_shows_its_description(team, card):
    team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "description": "the release notes"})
    board = team.bob.client.get(f"/w/{team.workspace['id']}/b/{team.board['id']}").get_data(as_text=True)
    assert f'href="{details_path(team, card)}"' in board and "the release notes" in board
    page = team.bob.client.get(details_path(team, card))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="title"' in text and 'value="ship it"' in text and "the release notes</textarea>" in text
    assert 'name="version" value="2"' in text and "Delete this card" in text


def test_a_card_is_edited_through_its_details_form(team, card):
    path = details_path(team, card)
    response = submit(team, team.bob, path, title="ship it today", description=f"notes {XSS}", version="1")
    assert (response.status_code, response.location) == (303, f"/w/{team.workspace['id']}/b/{team.board['id']}")
    after = stored(team, card)
    assert (after["title"], after["description"], after["version"]) == ("ship it today", f"notes {XSS}", 2)
    assert XSS not in team.bob.client.get(path).get_data(as_text=True)  # escaped on the way out


def test_whoever_loses_a_race_sees_the_current_card_a_note_and_their_own_text(team, card):
    path = details_path(team, card)
    assert submit(team, team.alice, path, title="alice's title", description="", version="1").status_code == 303
    lost = submit(team, team.bob, path, title="bob's title", description="bob's notes", version="1")
    text = lost.get_data(as_text=True)
    assert lost.status_code == 409
    assert "Someone else changed this card" in text
    assert 'value="alice&#39;s title"' in text and 'name="version" value="2"' in text
    assert "bob&#39;s title" in text and "bob&#39;s notes" in text  # nothing typed is lost
    assert stored(team, card)["title"] == "alice's title"  # and nothing was overwritten
    # saving again from the page as it now is goes through
    assert submit(team, team.bob, path, title="bob's title", description="", version="2").status_code == 303
    assert stored(team, card)["title"] == "bob's title"


def test_bad_input_on_the_details_form_is_explained_and_kept(team, card):
    response = submit(team, team.bob, details_path(team, card), title="  ", description="kept", version="1")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Title must be" in text and "kept</textarea>" in text
    assert stored(team, card)["version"] == 1


def test_a_card_is_deleted_from_its_details_page(team, card):
    path = details_path(team, card)
    response = submit(team, team.bob, f"{path}/delete", version="1")
    assert (response.status_code, response.location) == (303, f"/w/{team.workspace['id']}/b/{team.board['id']}")
    assert stored(team, card) is None
    assert team.bob.client.get(path).status_code == 404


def test_deleting_a_card_someone_just_changed_shows_it_first(team, card):
    path = details_path(team, card)
    team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "title": "still needed"})
    response = submit(team, team.bob, f"{path}/delete", version="1")
    assert response.status_code == 409 and "still needed" in response.get_data(as_text=True)
    assert stored(team, card)["title"] == "still needed"


def test_a_strangers_or_a_wrong_boards_card_details_are_404(team, card):
    assert team.carol.client.get(details_path(team, card)).status_code == 404
    other = team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/boards", {"name": "Other"}).json
    assert team.alice.client.get(f"/w/{team.workspace['id']}/b/{other['id']}/cards/{card['id']}").status_code == 404
    response = submit(team, team.carol, details_path(team, card), title="mine", version="1")
    assert response.status_code == 404 and stored(team, card)["title"] == "ship it"
