"""The workspace pages: rendered for members, 404 for others, escaped, and usable through their forms."""

import re

import pytest
from support import Auth, expired, workspace_of

XSS = "<img src=x onerror=alert(1)>"


def html(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def page_paths(team):
    wid = team.workspace["id"]
    return ["/", f"/w/{wid}", f"/w/{wid}/c/{team.channel['id']}", f"/w/{wid}/b/{team.board['id']}"]


def test_each_page_renders_for_a_member_with_its_hooks(team):
    client = team.bob.client
    home, ws, chat, board = (html(client.get(p)) for p in page_paths(team))
    for page in (home, ws, chat, board):
        assert 'id="logout-form"' in page
    assert "Hearth team" in home
    assert 'id="presence"' in ws and "general" in ws and "Roadmap" in ws
    assert 'id="messages"' in chat and 'form id="composer"' in chat and 'name="body"' in chat
    assert board.count("data-column-id=") == 3


@pytest.mark.parametrize("which", [1, 2, 3])
def test_workspace_pages_of_a_stranger_are_404(team, which):
    assert team.carol.client.get(page_paths(team)[which]).status_code == 404


def test_a_channel_or_board_under_the_wrong_workspace_is_404(team):
    other = team.alice.call("POST", "/api/workspaces", {"name": "Other"}).json
    assert team.alice.client.get(f"/w/{other['id']}/c/{team.channel['id']}").status_code == 404
    assert team.alice.client.get(f"/w/{other['id']}/b/{team.board['id']}").status_code == 404


def test_every_page_redirects_through_resume_when_the_token_expired(client, auth):
    auth.register()
    place = workspace_of(auth, name="w", channels=("c",), boards=("b",))
    wid, cid, bid = place.workspace["id"], place.channel["id"], place.board["id"]
    auth.set_access_token(expired(auth.cookie("access_token_cookie")))
    for path in ("/", f"/w/{wid}", f"/w/{wid}/c/{cid}", f"/w/{wid}/b/{bid}"):
        response = client.get(path)
        assert (response.status_code, response.location) == (303, f"/auth/resume?next={path}")


def test_user_text_is_escaped_on_every_page(team):
    wid = team.workspace["id"]
    evil = team.alice.call("POST", "/api/workspaces", {"name": XSS}).json
    team.alice.call("POST", f"/api/workspaces/{wid}/channels", {"name": XSS})
    team.alice.call("POST", f"/api/workspaces/{wid}/boards", {"name": XSS})
    team.alice.call("POST", f"/api/channels/{team.channel['id']}/messages", {"body": XSS})
    team.alice.call("POST", f"/api/boards/{team.board['id']}/cards", {"column_id": team.columns[0], "title": XSS})
    pages = page_paths(team) + [f"/w/{evil['id']}"]
    for path in pages:
        page = html(team.alice.client.get(path))
        assert XSS not in page, path
        assert "onerror=alert(1)&gt;" in page, path


def test_the_chat_page_shows_the_last_50_messages_oldest_first(team):
    for i in range(60):
        team.alice.call("POST", f"/api/channels/{team.channel['id']}/messages", {"body": f"note {i}"})
    team.bob.call("POST", f"/api/channels/{team.channel['id']}/read", {"seq": 60})
    page = html(team.bob.client.get(page_paths(team)[2]))
    bodies = re.findall(r'<div class="body"><p>(note \d+)</p>', page)  # each body as its rendered Markdown
    assert bodies == [f"note {i}" for i in range(10, 60)]
    assert page.count("data-message-id=") == 50 and "data-more-after" not in page


def test_the_chat_page_opens_at_the_first_unread_message_when_the_newest_50_do_not_reach_it(team):
    channel_id = team.channel["id"]
    for i in range(150):
        team.alice.call("POST", f"/api/channels/{channel_id}/messages", {"body": f"note {i}"})
    team.bob.call("POST", f"/api/channels/{channel_id}/read", {"seq": 30})  # read up to note 29
    path = page_paths(team)[2]
    page = html(team.bob.client.get(path))
    bodies = re.findall(r'<div class="body"><p>(note \d+)</p>', page)
    assert bodies == [f"note {i}" for i in range(20, 80)]  # ten read ones above the first unread, then 50
    assert page.index('id="new-messages"') < page.index("<p>note 30</p>") and page.index("<p>note 29</p>") < page.index(
        'id="new-messages"'
    )
    assert "data-more-after" in page and 'id="jump-newest"' in page
    # "Jump to newest" without JavaScript: the newest 50, the line not among them
    newest = html(team.bob.client.get(f"{path}?newest"))
    assert re.findall(r'<div class="body"><p>(note \d+)</p>', newest) == [f"note {i}" for i in range(100, 150)]
    assert "data-more-after" not in newest
    # the author's own messages are never unread: Alice opens at the newest
    mine = html(team.alice.client.get(path))
    assert re.findall(r'<div class="body"><p>(note \d+)</p>', mine)[-1] == "note 149"
    assert 'id="new-messages"' not in mine


def test_the_composer_form_sends_a_message(team):
    path = page_paths(team)[2]
    response = team.bob.client.post(path, data={"body": "from the form", "csrf_token": team.bob.csrf()})
    assert response.status_code == 303 and re.fullmatch(rf"{path}\?newest#message-\d+", response.location)
    assert "from the form" in html(team.bob.client.get(path))
    empty = team.bob.client.post(path, data={"body": "  ", "csrf_token": team.bob.csrf()}, follow_redirects=True)
    assert "Body must be 1–4000 characters" in html(empty)


def test_forms_need_csrf(team):
    path = page_paths(team)[2]
    assert team.bob.client.post(path, data={"body": "forged"}).status_code == 403
    assert "forged" not in html(team.bob.client.get(path))


def test_the_board_page_moves_cards_with_its_buttons(team):
    wid, bid = team.workspace["id"], team.board["id"]
    path = f"/w/{wid}/b/{bid}"
    card = team.alice.call("POST", f"/api/boards/{bid}/cards", {"column_id": team.columns[0], "title": "ship it"}).json
    page = html(team.bob.client.get(path))
    block = re.search(
        rf'<li class="kcard" data-card-id="{card["id"]}" data-version="1"[^>]*>.*?</form>', page, re.S
    ).group(0)
    assert 'data-move="prev"' in block and 'data-move="next"' in block
    assert re.search(r'data-move="prev"[^>]*disabled', block)

    move = f"{path}/cards/{card['id']}/move"
    form = {"direction": "next", "version": "1", "csrf_token": team.bob.csrf()}
    assert team.bob.client.post(move, data=form).status_code == 303
    state = team.bob.call("GET", f"/api/boards/{bid}").json
    assert [c["title"] for c in state["columns"][1]["cards"]] == ["ship it"]

    stale = team.bob.client.post(move, data=form, follow_redirects=True)
    assert "changed since you loaded it" in html(stale)
    back = {"direction": "prev", "version": "2", "csrf_token": team.bob.csrf()}
    team.bob.client.post(move, data=back)
    assert [c["title"] for c in team.bob.call("GET", f"/api/boards/{bid}").json["columns"][0]["cards"]] == ["ship it"]


def test_creating_things_through_the_forms(team):
    client, csrf = team.alice.client, team.alice.csrf()
    response = client.post("/w", data={"name": "Made by form", "csrf_token": csrf})
    assert response.status_code == 303
    wid = int(response.location.rsplit("/", 1)[1])
    channel = client.post(f"/w/{wid}/channels", data={"name": "random", "csrf_token": csrf})
    assert re.fullmatch(rf"/w/{wid}/c/\d+", channel.location)
    board = client.post(f"/w/{wid}/boards", data={"name": "Plans", "csrf_token": csrf})
    assert re.fullmatch(rf"/w/{wid}/b/\d+", board.location)
    column = re.search(r'data-column-id="(\d+)"', html(client.get(board.location))).group(1)
    client.post(board.location + "/cards", data={"column_id": column, "title": "first card", "csrf_token": csrf})
    assert "first card" in html(client.get(board.location))
    added = client.post(f"/w/{wid}/members", data={"username": "carol", "csrf_token": csrf}, follow_redirects=True)
    assert "carol" in html(added)
    assert team.carol.client.get(f"/w/{wid}").status_code == 200


def test_only_the_owner_sees_the_add_member_form(team):
    wid = team.workspace["id"]
    assert 'id="add-member-form"' in html(team.alice.client.get(f"/w/{wid}"))
    assert 'id="add-member-form"' not in html(team.bob.client.get(f"/w/{wid}"))


def test_seed_demo_creates_something_to_try(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    auth = Auth(client)
    assert auth.login("ada", "hearth-demo").status_code == 200
    [ws] = auth.call("GET", "/api/workspaces").json
    [channel] = auth.call("GET", f"/api/workspaces/{ws['id']}/channels").json
    assert len(auth.call("GET", f"/api/channels/{channel['id']}/messages").json) == 3
    [board] = auth.call("GET", f"/api/workspaces/{ws['id']}/boards").json
    assert sum(len(c["cards"]) for c in auth.call("GET", f"/api/boards/{board['id']}").json["columns"]) == 4
    assert Auth(app.test_client()).login("grace", "hearth-demo").status_code == 200
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code != 0
