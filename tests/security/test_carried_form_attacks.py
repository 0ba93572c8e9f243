"""A carried form's seal, replayed: one seal once made a card each time it was posted, for 15 minutes.
And a sealed password form put the current and the new password in the resume page's HTML."""

import base64
import re

from itsdangerous import URLSafeTimedSerializer
from support import PASSWORD, workspace_of
from test_carried_forms import expire_access_token, post_form, resume_fields


def carried_fields(app, seal):
    with app.app_context():
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="hearth.carried-form")
        return dict(serializer.loads(seal)["fields"])


def test_a_seal_posted_again_makes_nothing_again(app, auth):
    auth.register()
    team = workspace_of(auth, name="w")
    board_path = f"/w/{team.workspace['id']}/b/{team.board['id']}"
    expire_access_token(app, auth)
    fields = resume_fields(post_form(auth, f"{board_path}/cards", {"column_id": team.columns[0], "title": "Once"}))
    renewed = auth.client.post("/auth/resume", data=fields)
    answers = [auth.client.post(renewed.location, data=fields) for _ in range(4)]  # the attack: post it again
    assert [a.status_code for a in answers] == [303] * 4
    assert {a.location for a in answers[1:]} == {renewed.location}  # back to the page, nothing done
    cards = auth.call("GET", f"/api/boards/{team.board['id']}").json["columns"][0]["cards"]
    assert [c["title"] for c in cards] == ["Once"]


def test_a_sealed_password_form_carries_no_password_and_the_page_asks_again(app, auth):
    auth.register()
    expire_access_token(app, auth)
    fields = {
        "current_password": PASSWORD,
        "new_password": "a new passphrase 42",
        "confirm_password": "a new passphrase 42",
    }
    page = post_form(auth, "/settings/password", fields)
    html = page.get_data(as_text=True)
    seal = resume_fields(page)["carried_form"]
    readable = base64.urlsafe_b64decode(seal.split(".")[0] + "==").decode(errors="replace")
    for secret in (PASSWORD, "a new passphrase 42"):
        assert secret not in html and secret not in readable
    assert not any("password" in name for name in carried_fields(app, seal))
    renewed = auth.client.post("/auth/resume", data=resume_fields(page))
    asked = auth.client.post(renewed.location, data=resume_fields(page))
    assert asked.status_code == 400 and re.search(r'name="current_password"', asked.get_data(as_text=True))
    assert auth.login(password=PASSWORD).status_code == 200  # unchanged
