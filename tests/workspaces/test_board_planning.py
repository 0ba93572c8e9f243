"""Boards a team plans on (docs/protocol.md, boards and cards): the board's own columns, and cards with
assignees, a due date, labels, comments and their activity, checked over HTTP as each member would see them."""

import pytest

XSS = "<script>alert(1)</script>"


def board_of(who, team):
    return who.call("GET", f"/api/boards/{team.board['id']}").json


def column_names(who, team):
    return [c["name"] for c in board_of(who, team)["columns"]]


def card_in(who, team, card_id):
    cards = [c for column in board_of(who, team)["columns"] for c in column["cards"]]
    return next(c for c in cards if c["id"] == card_id)


@pytest.fixture
def card(team):
    return team.alice.create(
        f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "Login page"}
    )


@pytest.fixture
def people(team):
    return {name: getattr(team, name).call("GET", "/api/me").json["id"] for name in ("alice", "bob", "carol")}


# columns


def test_any_member_adds_renames_orders_and_deletes_an_empty_column(team):
    bob, board = team.bob, team.board["id"]
    review = bob.create(f"/api/boards/{board}/columns", {"name": "  Review  "})
    assert review == {"id": review["id"], "board_id": board, "name": "Review", "position": 3}
    assert column_names(team.alice, team) == ["To do", "Doing", "Done", "Review"]

    moved = bob.call("PATCH", f"/api/columns/{review['id']}", {"position": 1})
    assert moved.status_code == 200 and moved.json["position"] == 1
    assert column_names(team.alice, team) == ["To do", "Review", "Doing", "Done"]
    assert [c["position"] for c in board_of(team.alice, team)["columns"]] == [0, 1, 2, 3]

    renamed = bob.call("PATCH", f"/api/columns/{review['id']}", {"name": "In review", "position": 99})
    assert renamed.json["name"] == "In review" and renamed.json["position"] == 3  # past the end: last
    assert column_names(team.alice, team) == ["To do", "Doing", "Done", "In review"]

    assert bob.call("DELETE", f"/api/columns/{review['id']}").status_code == 204
    assert column_names(team.alice, team) == ["To do", "Doing", "Done"]
    assert bob.call("DELETE", f"/api/columns/{review['id']}").status_code == 404


def test_a_column_holding_a_card_is_not_deleted(team, card):
    answer = team.bob.call("DELETE", f"/api/columns/{team.columns[0]}")
    assert answer.status_code == 409 and answer.json["error"] == "conflict"
    assert column_names(team.alice, team) == ["To do", "Doing", "Done"]
    assert card_in(team.alice, team, card["id"])["column_id"] == team.columns[0]
    assert (
        team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "column_id": team.columns[1]}).status_code
        == 200
    )
    assert team.bob.call("DELETE", f"/api/columns/{team.columns[0]}").status_code == 204
    assert column_names(team.alice, team) == ["Doing", "Done"]


def test_a_column_name_is_text_and_its_length_is_checked(team):
    board = team.board["id"]
    script = team.bob.create(f"/api/boards/{board}/columns", {"name": XSS})
    assert script["name"] == XSS
    page = team.bob.client.get(f"/w/{team.workspace['id']}/b/{board}").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for bad in ("", "   ", "x" * 81, 5, None, ["a"], "a\x00b"):
        answer = team.bob.call("POST", f"/api/boards/{board}/columns", {"name": bad})
        assert answer.status_code == 400 and answer.json["fields"] == ["name"], bad
    for bad in ({}, {"position": -1}, {"position": "1"}, {"name": ""}, {"position": True}):
        answer = team.bob.call("PATCH", f"/api/columns/{script['id']}", bad)
        assert answer.status_code == 400, bad
    assert column_names(team.alice, team)[-1] == XSS


def test_a_board_holds_at_most_thirty_columns(team):
    for i in range(27):
        team.bob.create(f"/api/boards/{team.board['id']}/columns", {"name": f"c{i}"})
    answer = team.bob.call("POST", f"/api/boards/{team.board['id']}/columns", {"name": "one too many"})
    assert answer.status_code == 400 and len(column_names(team.alice, team)) == 30


def test_a_stranger_finds_no_column_and_no_board_to_add_one_to(team, app, auth):
    board, column = team.board["id"], team.columns[0]
    carol = team.carol
    assert carol.call("POST", f"/api/boards/{board}/columns", {"name": "mine"}).status_code == 404
    assert carol.call("PATCH", f"/api/columns/{column}", {"name": "mine"}).status_code == 404
    assert carol.call("DELETE", f"/api/columns/{team.columns[2]}").status_code == 404
    # Carol's own workspace's column is no column of Alice's board to move a card into
    other = carol.create("/api/workspaces", {"name": "elsewhere"})
    theirs = carol.create(f"/api/workspaces/{other['id']}/boards", {"name": "theirs"})
    assert team.bob.call("PATCH", f"/api/columns/{theirs['columns'][0]['id']}", {"name": "x"}).status_code == 404
    assert column_names(team.alice, team) == ["To do", "Doing", "Done"]


def test_columns_need_the_csrf_header(team):
    answer = team.bob.client.open(f"/api/boards/{team.board['id']}/columns", method="POST", json={"name": "forged"})
    assert answer.status_code == 403
    assert column_names(team.alice, team) == ["To do", "Doing", "Done"]


# card details


def test_a_card_gains_assignees_a_due_date_and_labels(team, card, people):
    assert card["assignees"] == [] and card["due_on"] is None and card["labels"] == [] and card["comment_count"] == 0
    assert card["created_by"]["username"] == "alice" and card["created_at"].endswith("Z")
    change = {
        "version": 1,
        "assignees": [people["bob"], people["alice"]],
        "due_on": "2026-12-24",
        "labels": [" bug ", "ux", "bug"],
    }
    answer = team.bob.call("PATCH", f"/api/cards/{card['id']}", change)
    assert answer.status_code == 200, answer.json
    shown = card_in(team.alice, team, card["id"])
    assert sorted(u["username"] for u in shown["assignees"]) == ["alice", "bob"]
    assert set(shown["assignees"][0]) == {"id", "username", "display_name", "avatar_url"}
    assert shown["due_on"] == "2026-12-24" and shown["labels"] == ["bug", "ux"] and shown["version"] == 2

    cleared = team.bob.call(
        "PATCH", f"/api/cards/{card['id']}", {"version": 2, "due_on": None, "labels": [], "assignees": []}
    )
    assert cleared.status_code == 200
    assert cleared.json["due_on"] is None and cleared.json["labels"] == [] and cleared.json["assignees"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"labels": ["x" * 25]},
        {"labels": [""]},
        {"labels": [f"l{i}" for i in range(11)]},
        {"labels": "bug"},
        {"labels": [1]},
        {"labels": ["a\x00"]},
        {"due_on": "2026-13-01"},
        {"due_on": "24/12/2026"},
        {"due_on": "2026-12-24T10:00:00"},
        {"due_on": 20261224},
        {"assignees": "bob"},
        {"assignees": [0]},
        {"assignees": [True]},
        {"assignees": [2**31]},
        {"assignees": list(range(1, 30))},
    ],
)
def test_bad_details_are_refused_and_nothing_changes(team, card, change):
    answer = team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, **change})
    assert answer.status_code == 400 and answer.json["fields"] == list(change), answer.json
    assert card_in(team.alice, team, card["id"])["version"] == 1


def test_only_members_of_the_workspace_are_assigned(team, card, people):
    for outsider in (people["carol"], 999_999):
        answer = team.bob.call(
            "PATCH", f"/api/cards/{card['id']}", {"version": 1, "assignees": [people["bob"], outsider]}
        )
        assert answer.status_code == 400 and answer.json["fields"] == ["assignees"]
    assert card_in(team.alice, team, card["id"])["assignees"] == []


def test_ten_labels_of_24_characters_and_script_in_them_are_kept_as_text(team, card):
    labels = [XSS[:20] + str(i) for i in range(9)] + ["é" * 24]
    answer = team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "labels": labels})
    assert answer.status_code == 200 and answer.json["labels"] == labels
    page = team.bob.client.get(f"/w/{team.workspace['id']}/b/{team.board['id']}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_stranger_can_neither_see_nor_change_a_cards_details(team, card, people):
    carol = team.carol
    assert carol.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "labels": ["mine"]}).status_code == 404
    assert carol.call("GET", f"/api/cards/{card['id']}/comments").status_code == 404
    assert carol.call("POST", f"/api/cards/{card['id']}/comments", {"body": "hi"}).status_code == 404
    assert carol.call("GET", f"/api/cards/{card['id']}/activity").status_code == 404
    assert card_in(team.alice, team, card["id"])["comment_count"] == 0


# two people at once


def test_two_people_labelling_at_once_the_second_gets_the_first_ones_labels_back(team, card):
    first = team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "labels": ["bug"]})
    second = team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "labels": ["feature"]})
    assert first.status_code == 200
    assert second.status_code == 409 and second.json["error"] == "conflict"
    assert second.json["current"]["labels"] == ["bug"] and second.json["current"]["version"] == 2
    # Bob sees Alice's label, keeps his own beside it and saves both against the version he was shown
    both = team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 2, "labels": ["bug", "feature"]})
    assert both.status_code == 200 and card_in(team.alice, team, card["id"])["labels"] == ["bug", "feature"]


def test_two_people_assigning_at_once_lose_neither_assignment(team, card, people):
    first = team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "assignees": [people["alice"]]})
    second = team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "assignees": [people["bob"]]})
    assert first.status_code == 200 and second.status_code == 409
    assert [u["id"] for u in second.json["current"]["assignees"]] == [people["alice"]]
    merged = [people["alice"], people["bob"]]
    assert team.bob.call("PATCH", f"/api/cards/{card['id']}", {"version": 2, "assignees": merged}).status_code == 200
    assert sorted(u["id"] for u in card_in(team.alice, team, card["id"])["assignees"]) == sorted(merged)


def test_a_card_moved_into_a_column_deleted_meanwhile_stays_where_it_was(team, card):
    review = team.alice.create(f"/api/boards/{team.board['id']}/columns", {"name": "Review"})
    assert team.alice.call("DELETE", f"/api/columns/{review['id']}").status_code == 204
    dragged = team.bob.call(
        "PATCH", f"/api/cards/{card['id']}", {"version": 1, "column_id": review["id"], "position": 0}
    )
    assert dragged.status_code == 400 and dragged.json["fields"] == ["column_id"]
    shown = card_in(team.alice, team, card["id"])
    assert shown["column_id"] == team.columns[0] and shown["version"] == 1


# comments and activity


def test_comments_are_markdown_like_messages_and_counted_on_the_card(team, card):
    path = f"/api/cards/{card['id']}/comments"
    comment = team.bob.create(path, {"body": f"**ship** it @alice {XSS}"})
    assert set(comment) == {"id", "card_id", "author", "body", "html", "created_at"}
    assert comment["card_id"] == card["id"] and comment["author"]["username"] == "bob"
    assert "<strong>ship</strong>" in comment["html"] and 'class="mention"' in comment["html"]
    assert "<script>" not in comment["html"] and "&lt;script&gt;" in comment["html"]
    team.alice.create(path, {"body": "second"})
    listed = team.alice.call("GET", path).json
    assert [c["body"] for c in listed] == [f"**ship** it @alice {XSS}", "second"]
    assert card_in(team.alice, team, card["id"])["comment_count"] == 2
    for bad in ("", "  ", "x" * 4001, 3, None):
        answer = team.bob.call("POST", path, {"body": bad})
        assert answer.status_code == 400 and answer.json["fields"] == ["body"], bad
    assert team.bob.call("POST", path, {"body": "x" * 4000}).status_code == 201


def test_a_deleted_card_takes_its_comments_with_it(team, card):
    team.bob.create(f"/api/cards/{card['id']}/comments", {"body": "gone soon"})
    assert team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": 1}).status_code == 204
    assert team.alice.call("GET", f"/api/cards/{card['id']}/comments").status_code == 404


def test_the_activity_says_who_created_moved_assigned_and_renamed_the_card(team, card, people):
    path = f"/api/cards/{card['id']}"
    team.bob.call("PATCH", path, {"version": 1, "column_id": team.columns[1]})
    team.bob.call("PATCH", path, {"version": 2, "assignees": [people["alice"]]})
    team.alice.call("PATCH", path, {"version": 3, "title": "Sign-in page"})
    team.alice.call("PATCH", path, {"version": 4, "due_on": "2027-01-05", "labels": ["auth"]})
    steps = team.bob.call("GET", f"{path}/activity").json
    assert [(s["kind"], s["actor"]["username"]) for s in steps] == [
        ("created", "alice"),
        ("moved", "bob"),
        ("assigned", "bob"),
        ("renamed", "alice"),
        ("dated", "alice"),
        ("labelled", "alice"),
    ]
    assert steps[1]["detail"] == {"from": "To do", "to": "Doing"}
    assert steps[2]["detail"] == {"added": ["alice"], "removed": []}
    assert steps[3]["detail"] == {"from": "Login page", "to": "Sign-in page"}
    assert all(s["created_at"].endswith("Z") for s in steps)


def test_a_labels_colour_is_derived_from_its_text_as_the_page_script_derives_it():
    from hearth.workspaces.boards import label_colour

    # the same values tests/js/board_filters.test.mjs expects of static/js/board_filters.js
    assert (label_colour("bug"), label_colour("ux"), label_colour("é")) == (4, 3, 1)


def test_my_cards_lists_the_viewers_cards_across_the_workspaces_boards_soonest_due_first(team, card, people):
    ws = team.workspace["id"]
    other = team.alice.create(f"/api/workspaces/{ws}/boards", {"name": "Sprint 2"})
    later = team.alice.create(
        f"/api/boards/{other['id']}/cards", {"column_id": other["columns"][1]["id"], "title": "Later"}
    )
    team.alice.call(
        "PATCH", f"/api/cards/{card['id']}", {"version": 1, "assignees": [people["bob"]], "due_on": "2027-02-01"}
    )
    team.alice.call(
        "PATCH", f"/api/cards/{later['id']}", {"version": 1, "assignees": [people["bob"]], "due_on": "2027-01-01"}
    )
    team.alice.create(
        f"/api/boards/{other['id']}/cards", {"column_id": other["columns"][0]["id"], "title": "Not Bob's"}
    )
    page = team.bob.client.get(f"/w/{ws}/my-cards")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="my-cards"' in text
    assert text.index("Later") < text.index("Login page") and "Not Bob" not in text
    assert f'href="/w/{ws}/b/{other["id"]}/cards/{later["id"]}"' in text and "Sprint 2</a> › Doing" in text
    assert 'id="my-cards-empty"' in team.alice.client.get(f"/w/{ws}/my-cards").get_data(as_text=True)
    assert team.carol.client.get(f"/w/{ws}/my-cards").status_code == 404


def test_without_javascript_the_up_and_down_buttons_reorder_a_column(team, card):
    second = team.alice.create(
        f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "Second"}
    )
    path = f"/w/{team.workspace['id']}/b/{team.board['id']}/cards/{second['id']}/move"
    answer = team.bob.client.post(path, data={"direction": "up", "version": "1", "csrf_token": team.bob.csrf()})
    assert answer.status_code == 303
    titles = [c["title"] for c in board_of(team.alice, team)["columns"][0]["cards"]]
    assert titles == ["Second", "Login page"]
    answer = team.bob.client.post(path, data={"direction": "up", "version": "2", "csrf_token": team.bob.csrf()})
    assert answer.status_code == 303  # already at the top: said on the board, nothing moves
    assert [c["title"] for c in board_of(team.alice, team)["columns"][0]["cards"]] == titles


def test_the_card_page_without_javascript_shows_its_details_comments_and_activity_and_takes_a_comment(
    team, card, people
):
    details = {"version": 1, "assignees": [people["bob"]], "labels": ["<i>x</i>"]}
    team.alice.call("PATCH", f"/api/cards/{card['id']}", details)
    path = f"/w/{team.workspace['id']}/b/{team.board['id']}/cards/{card['id']}"
    answer = team.bob.client.post(f"{path}/comments", data={"body": f"*done* {XSS}", "csrf_token": team.bob.csrf()})
    assert answer.status_code == 303
    page = team.bob.client.get(path).get_data(as_text=True)
    assert "<em>done</em>" in page and "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert "Created by alice" in page and "alice assigned bob" in page and "&lt;i&gt;x&lt;/i&gt;</li>" in page
    assert team.bob.client.post(f"{path}/comments", data={"body": "forged"}).status_code == 403
    assert (
        team.carol.client.post(f"{path}/comments", data={"body": "x", "csrf_token": team.carol.csrf()}).status_code
        == 404
    )
    assert [c["body"] for c in team.alice.call("GET", f"/api/cards/{card['id']}/comments").json] == [f"*done* {XSS}"]
