"""Search (section 9.7), on SQLite's FTS5 and PostgreSQL's tsvector alike: what is found, by whom, in what order."""

import pytest
from support import workspace_of


def post(auth, channel, body, **extra):
    return auth.create(f"/api/channels/{channel['id']}/messages", {"body": body, **extra})


def search(auth, workspace, q, **params):
    query = {"q": q, **params}
    return auth.client.get(f"/api/workspaces/{workspace['id']}/search", query_string=query, headers=auth.headers())


def found(auth, workspace, q, **params):
    response = search(auth, workspace, q, **params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [
        (hit["kind"], hit["message"]["body"] if hit["kind"] == "message" else hit["card"]["title"])
        for hit in response.json["results"]
    ]


def test_words_all_match_the_last_as_a_prefix_newest_first(team):
    post(team.alice, team.channel, "the deploy failed on staging")
    post(team.bob, team.channel, "deploying to production tonight")
    post(team.alice, team.channel, "lunch at noon")
    ws = team.workspace
    assert found(team.bob, ws, "deploy") == [
        ("message", "deploying to production tonight"),
        ("message", "the deploy failed on staging"),
    ]
    assert found(team.bob, ws, "deploy staging") == [("message", "the deploy failed on staging")]
    assert found(team.bob, ws, "deploy stag") == [("message", "the deploy failed on staging")]
    assert found(team.bob, ws, "depl production") == []  # only the last word is a prefix
    assert found(team.bob, ws, "DEPLOY Staging") == [("message", "the deploy failed on staging")]


def test_a_phrase_matches_its_words_in_order(team):
    post(team.alice, team.channel, "failed deploy again")
    post(team.alice, team.channel, "the deploy failed")
    assert found(team.alice, team.workspace, '"deploy failed"') == [("message", "the deploy failed")]
    assert found(team.alice, team.workspace, '"failed deploy"') == [("message", "failed deploy again")]


def test_from_and_in_filter_by_author_and_channel(team):
    other = team.alice.create(f"/api/workspaces/{team.workspace['id']}/channels", {"name": "ops-room"})
    post(team.alice, team.channel, "report from alice")
    post(team.bob, team.channel, "report from bob")
    post(team.bob, other, "report in ops")
    ws = team.workspace
    assert found(team.alice, ws, "report from:bob") == [("message", "report in ops"), ("message", "report from bob")]
    assert found(team.alice, ws, "report from:BOB in:ops-room") == [("message", "report in ops")]
    assert found(team.alice, ws, "in:general report") == [
        ("message", "report from bob"),
        ("message", "report from alice"),
    ]
    assert found(team.alice, ws, "from:bob") == [("message", "report in ops"), ("message", "report from bob")]
    assert found(team.alice, ws, "report from:nobody") == []


def test_cards_are_found_by_title_and_description(team):
    card = team.alice.create(
        f"/api/boards/{team.board['id']}/cards",
        {"column_id": team.columns[0], "title": "Invoice template", "description": "the quarterly numbers"},
    )
    results = search(team.bob, team.workspace, "quarterly").json["results"]
    assert [hit["kind"] for hit in results] == ["card"]
    assert results[0]["card"]["id"] == card["id"] and results[0]["board"]["id"] == team.board["id"]
    assert "<mark>quarterly</mark>" in results[0]["snippet"]
    assert found(team.bob, team.workspace, "invoice from:alice") == []  # cards have no author


def test_replies_are_found_and_results_carry_their_channel(team):
    parent = post(team.alice, team.channel, "a question")
    reply = post(team.bob, team.channel, "the answer is fortytwo", parent_id=parent["id"])
    [hit] = search(team.alice, team.workspace, "fortytwo").json["results"]
    assert hit["message"]["id"] == reply["id"] and hit["message"]["parent_id"] == parent["id"]
    assert hit["channel"]["id"] == team.channel["id"] and hit["channel"]["name"] == "general"


def test_edited_and_deleted_text_is_never_found(team):
    message = post(team.alice, team.channel, "the password is hunter2")
    post(team.alice, team.channel, "gone soon: secretword")
    gone = post(team.alice, team.channel, "secretword again")
    team.alice.call("PATCH", f"/api/messages/{message['id']}", {"body": "nothing to see"})
    team.alice.call("DELETE", f"/api/messages/{gone['id']}")
    assert found(team.bob, team.workspace, "hunter2") == []
    assert found(team.bob, team.workspace, "nothing") == [("message", "nothing to see")]
    assert found(team.bob, team.workspace, "secretword") == [("message", "gone soon: secretword")]
    card = team.alice.create(
        f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": "oldname"}
    )
    team.alice.call("PATCH", f"/api/cards/{card['id']}", {"version": 1, "title": "newname", "description": "fresh"})
    assert found(team.bob, team.workspace, "oldname") == []
    assert found(team.bob, team.workspace, "newname") == [("card", "newname")]
    team.alice.call("DELETE", f"/api/cards/{card['id']}", {"version": 2})
    assert found(team.bob, team.workspace, "newname") == [] and found(team.bob, team.workspace, "fresh") == []


def test_only_members_search_and_only_their_workspace_is_searched(team, new_client):
    post(team.alice, team.channel, "confidential plans")
    assert search(team.carol, team.workspace, "confidential").status_code == 404
    _, dave = new_client()
    dave.register("dave")
    elsewhere = workspace_of(dave, team.carol, name="Elsewhere")
    post(dave, elsewhere.channel, "confidential elsewhere")
    assert found(team.bob, team.workspace, "confidential") == [("message", "confidential plans")]
    assert found(team.carol, elsewhere.workspace, "confidential") == [("message", "confidential elsewhere")]
    team.alice.call("DELETE", f"/api/workspaces/{team.workspace['id']}/members/{bob_id(team)}")
    assert search(team.bob, team.workspace, "confidential").status_code == 404


def bob_id(team):
    return team.bob.call("GET", "/api/me").json["id"]


def test_snippets_are_escaped_text_with_the_matches_marked(team):
    post(team.alice, team.channel, 'look <script>alert("x")</script> at the **beacon** & <b>more</b>')
    [hit] = search(team.bob, team.workspace, "beacon").json["results"]
    snippet = hit["snippet"]
    assert "<mark>beacon</mark>" in snippet
    assert "<script>" not in snippet and "<b>" not in snippet  # escaped (FTS5), or left out as markup (PostgreSQL)
    assert "&lt;script&gt;" in snippet or "alert(&quot;x&quot;)" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_paging_by_cursor_has_no_duplicates_and_no_gaps(team):
    bodies = [f"entry number {i}" for i in range(12)]
    for body in bodies:
        post(team.alice, team.channel, body)
    for i in range(3):
        team.alice.create(
            f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": f"entry card {i}"}
        )
    seen, before = [], None
    while True:
        params = {"limit": 4, **({"before": before} if before else {})}
        page = search(team.bob, team.workspace, "entry", **params).json
        assert len(page["results"]) <= 4
        seen += [(hit["kind"], (hit.get("message") or hit.get("card"))["id"]) for hit in page["results"]]
        before = page["next"]
        if before is None:
            break
    assert len(seen) == 15 == len(set(seen))
    assert [kind for kind, _ in seen][:3] == ["card", "card", "card"]  # the newest first


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "*",
        "deploy*",
        "NEAR(deploy failed)",
        "-deploy",
        "deploy OR failed",
        "deploy AND NOT failed",
        "body:deploy",
        "^deploy",
        "deploy & failed | x",
        "'deploy' <-> !failed",
        "deploy:*",
        '"deploy failed',
        "from:",
        'in:"\'; DROP TABLE messages; --"',
        "\\",
        "(((",
        "🔥 deploy",
    ],
)
def test_query_syntax_of_the_engines_is_only_text(team, q):
    post(team.alice, team.channel, "deploy failed")
    response = search(team.bob, team.workspace, q)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert response.json["error"] == "invalid_input"
    assert post(team.alice, team.channel, "still here")  # nothing was dropped


def test_bad_queries_limits_and_cursors_are_400(team):
    ws = team.workspace
    for params in (
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 257},
        {"q": " ".join(["w"] * 17)},
        {"q": "a\x00b"},
        {"q": "deploy", "limit": 0},
        {"q": "deploy", "limit": 51},
        {"q": "deploy", "limit": "ten"},
        {"q": "deploy", "before": "not-a-cursor"},
        {"q": "deploy", "before": "x" * 5000},
    ):
        q = params.pop("q")
        response = search(team.bob, ws, q, **params)
        assert (response.status_code, response.json["error"]) == (400, "invalid_input"), params
    missing = team.bob.client.get(f"/api/workspaces/{ws['id']}/search", headers=team.bob.headers())
    assert missing.status_code == 400
    assert search(team.bob, ws, "deploy", limit=50).status_code == 200


def test_search_needs_a_session(team):
    response = team.bob.client.get(f"/api/workspaces/{team.workspace['id']}/search?q=x")
    assert response.status_code == 200  # the cookie alone reads, as every GET of /api
    team.bob.logout()
    assert team.bob.client.get(f"/api/workspaces/{team.workspace['id']}/search?q=x").status_code == 401


def test_history_around_a_message_holds_it_and_up_to_limit_on_each_side(team):
    ids = [post(team.alice, team.channel, f"m{i}")["id"] for i in range(20)]
    path = f"/api/channels/{team.channel['id']}/messages"
    page = team.bob.client.get(f"{path}?around={ids[10]}&limit=3", headers=team.bob.headers()).json
    assert [m["id"] for m in page] == ids[7:14]
    edge = team.bob.client.get(f"{path}?around={ids[1]}&limit=3", headers=team.bob.headers()).json
    assert [m["id"] for m in edge] == ids[0:5]
    reply = post(team.bob, team.channel, "in a thread", parent_id=ids[5])
    thread = team.bob.client.get(f"{path}?around={reply['id']}&limit=1", headers=team.bob.headers()).json
    assert [m["id"] for m in thread] == ids[4:7]  # a reply opens its thread's first message
    both = team.bob.client.get(f"{path}?around={ids[3]}&before={ids[5]}", headers=team.bob.headers())
    assert both.status_code == 400
    stranger = team.carol.client.get(f"{path}?around={ids[3]}", headers=team.carol.headers())
    assert stranger.status_code == 404


def test_the_search_page_lists_results_that_open_the_message_in_its_channel(team):
    ids = [post(team.alice, team.channel, f"filler {i}")["id"] for i in range(60)]
    target = post(team.alice, team.channel, "the <b>needle</b> is here")
    ids += [post(team.alice, team.channel, f"later {i}")["id"] for i in range(60)]
    ws = team.workspace["id"]
    page = team.bob.client.get(f"/w/{ws}/search?q=needle").get_data(as_text=True)
    assert 'id="results"' in page and 'id="search"' in page
    link = f"/w/{ws}/c/{team.channel['id']}?around={target['id']}"
    assert f'data-result href="{link}"' in page
    assert "<mark>needle</mark>" in page and "<b>needle</b>" not in page
    chat = team.bob.client.get(link).get_data(as_text=True)
    # highlighted, and continued: alice's messages before it are grouped with it
    assert f'id="message-{target["id"]}" class="highlighted continued" aria-current="true"' in chat
    assert f'id="message-{ids[40]}"' in chat and f'id="message-{ids[-1]}"' not in chat  # the history around it
    assert f'<a href="/w/{ws}/c/{team.channel["id"]}">Jump to the newest messages</a>' in chat
    assert 'id="search"' in team.bob.client.get(f"/w/{ws}/c/{team.channel['id']}").get_data(as_text=True)
    assert team.carol.client.get(f"/w/{ws}/search?q=needle").status_code == 404
    bad = team.bob.client.get(f"/w/{ws}/search?q=" + "x" * 300)
    assert bad.status_code == 200 and "at most 256 characters" in bad.get_data(as_text=True)
