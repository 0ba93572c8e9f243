"""A page form posted with an expired access token is carried through /auth/resume and carried out once."""

import re
import time

import jwt
import pytest
from support import workspace_of


@pytest.fixture
def chat(app, auth):
    """Alice in a channel, with an access token that has just expired (her session is live)."""
    auth.register()
    team = workspace_of(auth, name="w")
    path = f"/w/{team.workspace['id']}/c/{team.channel['id']}"
    expire_access_token(app, auth)
    return auth, path, team.channel["id"]


def expire_access_token(app, auth):
    """Re-sign the browser's access token with a past `exp`: the same session and CSRF value, only expired."""
    secret = app.config["JWT_SECRET_KEY"]
    claims = jwt.decode(auth.cookie("access_token_cookie"), secret, algorithms=["HS256"])
    claims["exp"] = int(time.time()) - 5
    auth.set_access_token(jwt.encode(claims, secret, algorithm="HS256"))


def post_form(auth, path, fields):
    return auth.client.post(path, data={"csrf_token": auth.csrf(), **fields})


def resume_fields(page):
    """The hidden fields of the resume page's form, as the browser would post them."""
    html = page.get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def bodies(auth, channel_id):
    return [m["body"] for m in auth.call("GET", f"/api/channels/{channel_id}/messages").json]


def test_a_message_posted_after_expiry_is_sent_once_the_sign_in_is_renewed(chat):
    auth, path, channel_id = chat
    page = post_form(auth, path, {"body": "typed for six minutes", "client_id": "c-1"})
    assert page.status_code == 200 and "is sent once you continue" in page.get_data(as_text=True)
    fields = resume_fields(page)
    assert fields["next"] == path and "typed for six minutes" not in fields["carried_form"]  # signed, not readable

    renewed = auth.client.post("/auth/resume", data=fields)
    assert (renewed.status_code, renewed.location) == (307, path)
    done = auth.client.post(renewed.location, data=fields)  # what the browser does with a 307
    assert done.status_code == 303 and done.location.startswith(f"{path}?newest#message-")
    assert bodies(auth, channel_id) == ["typed for six minutes"]


def test_a_resubmitted_resume_page_goes_back_to_the_page_without_posting_again(chat):
    auth, path, channel_id = chat
    fields = resume_fields(post_form(auth, path, {"body": "once"}))  # no client_id: only the gate stops a repeat
    old_refresh = auth.cookie("refresh_token_cookie", path="/auth")
    auth.client.post(auth.client.post("/auth/resume", data=fields).location, data=fields)
    auth.set_refresh_token(old_refresh)  # the back button: the page, and the token it was shown with
    again = auth.client.post("/auth/resume", data=fields)
    assert (again.status_code, again.location) == (303, path)
    assert bodies(auth, channel_id) == ["once"]


def test_a_seal_works_only_for_its_own_session_and_page(app, chat, new_client):
    auth, path, channel_id = chat
    fields = resume_fields(post_form(auth, path, {"body": "carried", "client_id": "c-1"}))
    # another session of the same user cannot spend it
    _, other = new_client()
    other.login()
    assert other.client.post(path, data={"carried_form": fields["carried_form"]}).status_code == 403
    # nor can this session post it to another page
    auth.client.post("/auth/resume", data={"csrf_token": auth.csrf("refresh"), "next": "/"})
    assert auth.client.post(f"{path}9", data=fields).status_code in (403, 404)
    forged = {**fields, "carried_form": fields["carried_form"][:-4] + "AAAA"}
    assert auth.client.post(path, data=forged).status_code == 403
    assert bodies(auth, channel_id) == []


def test_an_expired_post_without_its_csrf_value_is_not_carried(chat):
    auth, path, channel_id = chat
    response = auth.client.post(path, data={"csrf_token": "forged", "body": "from another site"})
    assert (response.status_code, response.location) == (303, f"/auth/resume?next={path}")
    cross_site = auth.client.post(
        path, data={"csrf_token": auth.csrf(), "body": "x"}, headers={"Origin": "https://evil.example"}
    )
    assert cross_site.status_code == 303 and "carried_form" not in cross_site.get_data(as_text=True)


def test_a_card_form_is_carried_too(app, auth):
    auth.register()
    team = workspace_of(auth, name="w")
    board_path = f"/w/{team.workspace['id']}/b/{team.board['id']}"
    expire_access_token(app, auth)
    page = post_form(auth, f"{board_path}/cards", {"column_id": team.columns[0], "title": "Carried card"})
    fields = resume_fields(page)
    renewed = auth.client.post("/auth/resume", data=fields)
    assert auth.client.post(renewed.location, data=fields).location == board_path
    cards = auth.call("GET", f"/api/boards/{team.board['id']}").json["columns"][0]["cards"]
    assert [c["title"] for c in cards] == ["Carried card"]
