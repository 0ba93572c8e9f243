"""The workspace API: membership, limits, idempotency, paging, ordering and versions."""

import json

import pytest

from hearth.extensions import db
from hearth.models import Event, Message, utcnow
from hearth.realtime import wire


def test_workspaces_are_created_and_listed_for_their_members(team):
    ws = team.workspace
    assert ws["name"] == "Hearth team" and isinstance(ws["id"], int)
    assert ws["owner_id"] == team.alice.call("GET", "/api/me").json["id"]
    assert team.bob.call("GET", "/api/workspaces").json == [ws]
    assert team.carol.call("GET", "/api/workspaces").json == []


def test_a_new_workspace_starts_with_a_public_general_channel_that_members_see(team):
    made = team.carol.create("/api/workspaces", {"name": "Fresh"})
    channels = team.carol.call("GET", f"/api/workspaces/{made['id']}/channels").json
    assert [c["name"] for c in channels] == ["general"]
    assert team.carol.call("POST", f"/api/workspaces/{made['id']}/members", {"username": "bob"}).status_code == 201
    seen = team.bob.call("GET", f"/api/workspaces/{made['id']}/channels").json
    assert [c["id"] for c in seen] == [channels[0]["id"]]
    said = team.bob.call("POST", f"/api/channels/{channels[0]['id']}/messages", {"body": "hi all"})
    assert said.status_code == 201
    assert team.alice.call("GET", f"/api/channels/{channels[0]['id']}/messages").status_code == 404


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, 12, None])
def test_names_must_be_1_to_80_characters(team, name):
    for path in (
        "/api/workspaces",
        f"/api/workspaces/{team.workspace['id']}/channels",
        f"/api/workspaces/{team.workspace['id']}/boards",
    ):
        response = team.alice.call("POST", path, {"name": name})
        assert (response.status_code, response.json["error"], response.json["fields"]) == (
            400,
            "invalid_input",
            ["name"],
        )


def test_only_the_owner_adds_members(team):
    wid = team.workspace["id"]
    added = team.alice.call("POST", f"/api/workspaces/{wid}/members", {"username": "carol"})
    assert added.status_code == 201 and added.json["username"] == "carol"
    assert set(added.json) == {"id", "username", "display_name", "avatar_url"}
    refused = team.bob.call("POST", f"/api/workspaces/{wid}/members", {"username": "dave"})
    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    members = team.carol.call("GET", f"/api/workspaces/{wid}/members").json
    assert sorted(m["username"] for m in members) == ["alice", "bob", "carol"]


def test_a_stranger_adding_members_sees_no_workspace(team):
    response = team.carol.call("POST", f"/api/workspaces/{team.workspace['id']}/members", {"username": "carol"})
    assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_adding_an_unknown_or_existing_member(team):
    wid = team.workspace["id"]
    unknown = team.alice.call("POST", f"/api/workspaces/{wid}/members", {"username": "nobody"})
    assert (unknown.status_code, unknown.json["fields"]) == (400, ["username"])
    again = team.alice.call("POST", f"/api/workspaces/{wid}/members", {"username": "bob"})
    assert (again.status_code, again.json["error"]) == (409, "conflict")


def test_names_are_unique_within_a_workspace(team):
    wid = team.workspace["id"]
    for kind, taken in (("channels", "general"), ("boards", "Roadmap")):
        response = team.bob.call("POST", f"/api/workspaces/{wid}/{kind}", {"name": taken})
        assert (response.status_code, response.json["error"]) == (409, "conflict")
    other = team.carol.call("POST", "/api/workspaces", {"name": "Elsewhere"}).json
    assert team.carol.call("POST", f"/api/workspaces/{other['id']}/channels", {"name": "random"}).status_code == 201


def stranger_routes(team):
    wid, cid, bid = team.workspace["id"], team.channel["id"], team.board["id"]
    card = team.alice.call("POST", f"/api/boards/{bid}/cards", {"column_id": team.columns[0], "title": "secret"}).json
    team.alice.call("POST", f"/api/channels/{cid}/messages", {"body": "secret", "client_id": "m1"})
    return [
        ("GET", f"/api/workspaces/{wid}/members", None),
        ("POST", f"/api/workspaces/{wid}/members", {"username": "carol"}),
        ("GET", f"/api/workspaces/{wid}/channels", None),
        ("POST", f"/api/workspaces/{wid}/channels", {"name": "mine"}),
        ("GET", f"/api/channels/{cid}/messages", None),
        ("POST", f"/api/channels/{cid}/messages", {"body": "hi", "client_id": "x"}),
        ("GET", f"/api/workspaces/{wid}/boards", None),
        ("POST", f"/api/workspaces/{wid}/boards", {"name": "mine"}),
        ("GET", f"/api/boards/{bid}", None),
        ("POST", f"/api/boards/{bid}/cards", {"column_id": team.columns[0], "title": "mine"}),
        ("PATCH", f"/api/cards/{card['id']}", {"version": 1, "title": "owned"}),
        ("DELETE", f"/api/cards/{card['id']}", {"version": 1}),
    ]


def test_a_non_member_gets_404_for_every_id_and_changes_nothing(team):
    routes = stranger_routes(team)
    before = team.alice.call("GET", f"/api/boards/{team.board['id']}").json
    for method, path, body in routes:
        response = team.carol.call(method, path, body)
        assert response.status_code == 404, (method, path, response.json)
        assert response.json["error"] == "not_found"
        assert "secret" not in response.get_data(as_text=True)
    assert team.alice.call("GET", f"/api/boards/{team.board['id']}").json == before
    assert [m["body"] for m in team.alice.call("GET", f"/api/channels/{team.channel['id']}/messages").json] == [
        "secret"
    ]


def test_membership_is_checked_before_the_body(team):
    response = team.carol.call("GET", f"/api/channels/{team.channel['id']}/messages?before=abc&limit=0")
    assert response.status_code == 404  # and before the query string
    for method, path, _ in stranger_routes(team):
        if method != "GET":
            response = team.carol.client.open(
                path, method=method, data=b"{broken", content_type="application/json", headers=team.carol.headers()
            )
            assert response.status_code == 404, path


def test_ids_that_do_not_exist_are_404(team):
    for path in ("/api/boards/999", "/api/channels/999/messages", "/api/workspaces/999/members"):
        assert team.alice.call("GET", path).json["error"] == "not_found"


def test_ids_larger_than_any_row_can_have_are_refused_not_failed(team):
    """PostgreSQL refuses to compare an INTEGER column with 2**31 or more: such ids must not reach it."""
    huge = 2**31
    for path in (f"/api/boards/{huge}", f"/api/channels/{huge}/messages", f"/api/workspaces/{10**20}/members"):
        response = team.alice.call("GET", path)
        assert (response.status_code, response.json["error"]) == (404, "not_found"), path
    assert team.alice.call("DELETE", f"/api/cards/{huge}", {"version": 1}).status_code == 404
    assert team.alice.client.delete(f"/auth/sessions/{huge}", headers=team.alice.headers()).status_code == 404
    for cursor in ("before", "after"):
        response = team.alice.call("GET", f"/api/channels/{team.channel['id']}/messages?{cursor}={huge}")
        assert (response.status_code, response.json["fields"]) == (400, [cursor])
    response = team.alice.call("POST", f"/api/boards/{team.board['id']}/cards", {"column_id": huge, "title": "t"})
    assert (response.status_code, response.json["fields"]) == (400, ["column_id"])
    assert team.alice.call("GET", "/api/me").status_code == 200  # nothing was left broken


@pytest.mark.parametrize("field,path", [("body", "messages"), ("client_id", "messages"), ("name", "channels")])
def test_text_with_a_nul_character_is_refused_and_nothing_is_stored(team, field, path):
    """PostgreSQL cannot store NUL in text; SQLite could, so both refuse it alike."""
    body = {"body": "hello", "client_id": "c1", "name": "random", field: "before\x00after"}
    url = (
        f"/api/channels/{team.channel['id']}/messages"
        if path == "messages"
        else f"/api/workspaces/{team.workspace['id']}/channels"
    )
    response = team.alice.call("POST", url, body)
    assert (response.status_code, response.json["fields"]) == (400, [field])
    assert team.alice.call("GET", f"/api/channels/{team.channel['id']}/messages").json == []
    assert [c["name"] for c in team.alice.call("GET", f"/api/workspaces/{team.workspace['id']}/channels").json] == [
        "general"
    ]


def post(team, body, who=None, client_id=None):
    payload = {"body": body}
    if client_id is not None:
        payload["client_id"] = client_id
    return (who or team.alice).call("POST", f"/api/channels/{team.channel['id']}/messages", payload)


def test_posting_a_message(team):
    response = post(team, "hello <b>team</b>", client_id="c-1")
    assert response.status_code == 201
    message = response.json
    assert set(message) == {
        "id", "channel_id", "seq", "body", "html", "client_id", "author", "created_at", "edited_at",
        "parent_id", "reply_count", "last_reply_at", "reactions", "mentions", "files", "via",
    }  # fmt: skip
    assert message["body"] == "hello <b>team</b>" and message["seq"] == 1 and message["client_id"] == "c-1"
    assert message["html"] == "<p>hello &lt;b&gt;team&lt;/b&gt;</p>"
    assert message["author"]["username"] == "alice" and message["created_at"].endswith("Z")
    assert message["edited_at"] is None and message["parent_id"] is None and message["reactions"] == []
    assert message["via"] is None


def test_history_leaves_deleted_messages_out(app, team):
    kept, gone, last = (post(team, body).json for body in ("kept", "gone", "last"))
    with app.app_context():
        db.session.get(Message, gone["id"]).deleted_at = utcnow()
        db.session.commit()
    url = f"/api/channels/{team.channel['id']}/messages"
    assert [m["body"] for m in team.bob.call("GET", url).json] == ["kept", "last"]
    assert [m["body"] for m in team.bob.call("GET", f"{url}?after={kept['id']}").json] == ["last"]
    assert [m["body"] for m in team.bob.call("GET", f"{url}?before={last['id']}").json] == ["kept"]


def test_the_same_client_id_twice_stores_one_message(app, team):
    first = post(team, "only once", client_id="retry-me")
    second = post(team, "only once", client_id="retry-me")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json == first.json
    # another author may use the same client_id: it names one send of one author
    assert post(team, "bob's", who=team.bob, client_id="retry-me").status_code == 201
    listed = team.alice.call("GET", f"/api/channels/{team.channel['id']}/messages").json
    assert [m["body"] for m in listed] == ["only once", "bob's"]
    with app.app_context():
        assert db.session.query(Event).filter_by(topic=f"chat:{team.channel['id']}").count() == 2


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, 42, None])
def test_message_body_limits(team, body):
    response = post(team, body)
    assert (response.status_code, response.json["error"], response.json["fields"]) == (400, "invalid_input", ["body"])


def test_a_message_of_4000_characters_is_fine(team):
    assert post(team, "x" * 4000).status_code == 201


def test_a_message_and_its_event_are_one_transaction(app, team, monkeypatch):
    announced = []
    wire.subscribe(app.extensions["hearth.broker"], wire.Event, announced.append)

    def broken(*args, **kwargs):
        raise RuntimeError("event log unavailable")

    monkeypatch.setattr("hearth.workspaces.messages.append_event", broken)
    response = post(team, "must not be half-stored")
    assert response.status_code == 500
    monkeypatch.undo()
    with app.app_context():
        assert db.session.query(Message).count() == 0
        assert db.session.query(Event).filter(Event.topic.startswith("chat:")).count() == 0
    assert post(team, "next one").json["seq"] == 1
    # nothing of the rolled-back transaction was announced: only the message stored after it
    assert [(e.topic, e.seq) for e in announced] == [(f"chat:{team.channel['id']}", 1)]


def test_paging_across_250_messages_returns_each_exactly_once(team):
    for i in range(250):
        post(team, f"message {i}")
    path = f"/api/channels/{team.channel['id']}/messages"
    newest = team.alice.call("GET", path).json
    assert [m["body"] for m in newest] == [f"message {i}" for i in range(200, 250)]

    # backwards with before=, each page oldest first
    seen, cursor = [], None
    while True:
        page = team.alice.call("GET", path + f"?limit=100{'&before=%d' % cursor if cursor else ''}").json
        if not page:
            break
        assert [m["seq"] for m in page] == sorted(m["seq"] for m in page)
        seen = page + seen
        cursor = page[0]["id"]
    assert [m["body"] for m in seen] == [f"message {i}" for i in range(250)]

    # forwards with after=
    seen, cursor = [], 0
    while page := team.alice.call("GET", path + f"?limit=37&after={cursor}").json:
        seen += page
        cursor = page[-1]["id"]
    assert [m["body"] for m in seen] == [f"message {i}" for i in range(250)]
    assert len({m["id"] for m in seen}) == 250


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=many", "before=1&after=1", "after=x"])
def test_paging_parameters_are_checked(team, query):
    response = team.alice.call("GET", f"/api/channels/{team.channel['id']}/messages?{query}")
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def board(team):
    return team.alice.call("GET", f"/api/boards/{team.board['id']}").json


def titles(team):
    return [[card["title"] for card in column["cards"]] for column in board(team)["columns"]]


def add_card(team, title, column=0):
    response = team.alice.call(
        "POST", f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[column], "title": title}
    )
    assert response.status_code == 201, response.json
    return response.json


def test_a_new_board_has_three_columns(team):
    state = board(team)
    assert [c["name"] for c in state["columns"]] == ["To do", "Doing", "Done"]
    assert [c["position"] for c in state["columns"]] == [0, 1, 2]
    assert set(state) >= {"id", "name", "seq", "columns"} and state["seq"] == 0
    assert team.board["name"] == "Roadmap" and team.board["workspace_id"] == team.workspace["id"]


def test_cards_are_added_at_the_end_of_their_column(team):
    a, b = add_card(team, "a"), add_card(team, "b")
    assert (a["position"], b["position"], a["version"]) == (0, 1, 1)
    assert set(a) >= {"id", "board_id", "column_id", "title", "position", "version"}
    assert titles(team) == [["a", "b"], [], []]
    assert board(team)["seq"] == 2


def patch(team, card, **fields):
    return team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": card["version"], **fields})


def positions_are_dense(team):
    for column in board(team)["columns"]:
        assert [card["position"] for card in column["cards"]] == list(range(len(column["cards"])))


def test_moves_keep_positions_dense_and_ordered(team):
    cards = {t: add_card(team, t) for t in "abcd"}
    moved = patch(team, cards["b"], column_id=team.columns[1])
    assert moved.status_code == 200 and moved.json["version"] == 2 and moved.json["position"] == 0
    assert titles(team) == [["a", "c", "d"], ["b"], []]
    positions_are_dense(team)

    cards = {c["title"]: c for col in board(team)["columns"] for c in col["cards"]}
    assert patch(team, cards["d"], column_id=team.columns[1], position=0).status_code == 200
    assert titles(team) == [["a", "c"], ["d", "b"], []]
    cards = {c["title"]: c for col in board(team)["columns"] for c in col["cards"]}
    assert patch(team, cards["a"], position=1).status_code == 200  # within its column
    assert titles(team) == [["c", "a"], ["d", "b"], []]
    cards = {c["title"]: c for col in board(team)["columns"] for c in col["cards"]}
    assert patch(team, cards["c"], column_id=team.columns[1], position=99).json["position"] == 2  # past the end
    assert titles(team) == [["a"], ["d", "b", "c"], []]
    positions_are_dense(team)


def test_editing_a_title(team):
    card = add_card(team, "draft")
    response = patch(team, card, title="final")
    assert response.json["title"] == "final" and response.json["version"] == 2
    assert titles(team)[0] == ["final"]


def test_a_stale_version_is_a_conflict_with_the_current_card(team):
    card = add_card(team, "contended")
    assert patch(team, card, title="first edit").status_code == 200
    stale = patch(team, card, column_id=team.columns[2])
    assert (stale.status_code, stale.json["error"]) == (409, "conflict")
    assert stale.json["current"]["title"] == "first edit" and stale.json["current"]["version"] == 2
    assert titles(team) == [["first edit"], [], []]
    deleted = team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": 1})
    assert deleted.status_code == 409 and deleted.json["current"]["version"] == 2
    assert board(team)["seq"] == 2  # refused changes leave no event


def test_deleting_a_card_closes_the_gap(team):
    a, b, c = (add_card(team, t) for t in "abc")
    assert team.alice.call("DELETE", f"/api/cards/{b['id']}", {"version": 1}).status_code == 204
    assert titles(team) == [["a", "c"], [], []]
    positions_are_dense(team)
    missing = team.alice.call("DELETE", f"/api/cards/{a['id']}", {})
    assert (missing.status_code, missing.json["fields"]) == (400, ["version"])


@pytest.mark.parametrize(
    "fields,bad",
    [
        ({"title": "x" * 201}, ["title"]),
        ({"title": ""}, ["title"]),
        ({"position": -1}, ["position"]),
        ({"position": "first"}, ["position"]),
        ({"column_id": "two"}, ["column_id"]),
        ({"version": "1", "title": "ok"}, ["version"]),
    ],
)
def test_card_update_validation(team, fields, bad):
    card = add_card(team, "valid")
    response = team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, **fields})
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")
    assert response.json.get("fields", bad) == bad


def test_card_titles_are_1_to_200_characters(team):
    assert add_card(team, "x" * 200)["title"] == "x" * 200
    response = team.alice.call(
        "POST", f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "x" * 201}
    )
    assert (response.status_code, response.json["fields"]) == (400, ["title"])


def test_a_column_of_another_board_is_refused(team):
    other = team.alice.call("POST", f"/api/workspaces/{team.workspace['id']}/boards", {"name": "Other"}).json
    foreign_column = other["columns"][0]["id"]
    response = team.alice.call(
        "POST", f"/api/boards/{team.board['id']}/cards", {"column_id": foreign_column, "title": "sneaky"}
    )
    assert (response.status_code, response.json["fields"]) == (400, ["column_id"])
    card = add_card(team, "stay")
    assert patch(team, card, column_id=foreign_column).status_code == 400
    assert titles(team)[0] == ["stay"]


def test_board_events_record_each_change_in_order(app, team):
    card = add_card(team, "tracked")
    card = patch(team, card, title="renamed").json
    card = patch(team, card, column_id=team.columns[1]).json
    team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": card["version"]})
    with app.app_context():
        events = db.session.query(Event).filter_by(topic=f"board:{team.board['id']}").order_by(Event.seq).all()
        assert [(e.seq, e.kind) for e in events] == [
            (1, "card.created"),
            (2, "card.updated"),
            (3, "card.moved"),
            (4, "card.deleted"),
        ]


def board_log(app, team):
    with app.app_context():
        events = db.session.query(Event).filter_by(topic=f"board:{team.board['id']}").order_by(Event.seq).all()
        return [(e.seq, e.kind, json.loads(e.data)) for e in events]


def test_an_edited_cards_earlier_events_carry_its_current_text_and_their_own_place(app, team):
    card = add_card(team, "first title")
    card = patch(team, card, description="pasted a secret by mistake").json
    card = patch(team, card, column_id=team.columns[1]).json
    card = patch(team, card, title="final title", description="cleaned up").json
    log = board_log(app, team)
    assert "first title" not in str(log) and "secret" not in str(log)
    assert [(kind, data["title"], data["description"]) for _, kind, data in log] == [
        ("card.created", "final title", "cleaned up"),
        ("card.updated", "final title", "cleaned up"),
        ("card.moved", "final title", "cleaned up"),
        ("card.updated", "final title", "cleaned up"),
    ]
    # where the card was and which version it had at each step stay as they were
    assert [(data["column_id"], data["version"]) for _, _, data in log] == [
        (team.columns[0], 1),
        (team.columns[0], 2),
        (team.columns[1], 3),
        (team.columns[1], 4),
    ]


def test_a_deleted_cards_earlier_events_keep_their_seq_but_not_its_text(app, team):
    other = add_card(team, "unrelated")
    card = add_card(team, "ssh key inside")
    card = patch(team, card, column_id=team.columns[2]).json
    team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": card["version"]})
    log = board_log(app, team)
    assert "ssh key" not in str(log)
    gone = {"id": card["id"], "board_id": team.board["id"], "redacted": True}
    assert log == [
        (1, "card.created", other),
        (2, "card.created", {**gone, "column_id": team.columns[0]}),
        (3, "card.moved", {**gone, "column_id": team.columns[2]}),
        (4, "card.deleted", {"id": card["id"], "board_id": team.board["id"], "column_id": team.columns[2]}),
    ]


def count_statements(app, fn):
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_board_costs_the_same_queries_for_3_or_60_cards(app, team):
    wid, bid = team.workspace["id"], team.board["id"]
    counts = {}
    for total in (3, 60):
        while sum(len(col) for col in titles(team)) < total:
            add_card(team, "card", column=sum(len(col) for col in titles(team)) % 3)
        api = count_statements(app, lambda: team.alice.call("GET", f"/api/boards/{bid}"))
        page = count_statements(app, lambda: team.alice.client.get(f"/w/{wid}/b/{bid}"))
        counts[total] = (api, page)
    assert counts[3] == counts[60], counts
    assert counts[60][0] <= 5, counts


def test_renaming_or_deleting_a_channel_or_board_rewrites_only_its_own_workspace_events(app, team):
    """A channel and a board can share an id (one table each): each keeps what its own events say."""
    channel, board = team.channel, team.board
    assert channel["id"] == board["id"]  # the case this is about
    assert team.alice.call("PATCH", f"/api/channels/{channel['id']}", {"name": "renamed"}).status_code == 200
    assert team.alice.call("DELETE", f"/api/boards/{board['id']}").status_code == 204

    def created(kind):
        with app.app_context():
            topic = f"workspace:{team.workspace['id']}"
            event = db.session.query(Event).filter_by(topic=topic, kind=kind, subject_id=channel["id"]).one()
            return json.loads(event.data)

    assert created("channel.created")["name"] == "renamed"
    assert created("board.created") == {"id": board["id"], "workspace_id": team.workspace["id"], "redacted": True}
