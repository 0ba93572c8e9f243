"""Register and login: validation, conflicts, forms, redirects and rate limits."""

import pytest
from support import PASSWORD, Auth


def test_register_answers_the_documented_body(auth):
    response = auth.register("Carol", display_name="  Carol C. ")
    assert response.status_code == 201
    assert response.json["user"] == {"id": 1, "username": "carol", "display_name": "Carol C.", "avatar_url": None}
    assert isinstance(response.json["session_id"], int)
    assert isinstance(response.json["access_expires_at"], int)


@pytest.mark.parametrize(
    "body,bad",
    [
        ({"username": "ab", "password": PASSWORD}, ["username"]),
        ({"username": "a" * 33, "password": PASSWORD}, ["username"]),
        ({"username": "bad name!", "password": PASSWORD}, ["username"]),
        ({"username": "dave", "password": "short"}, ["password"]),
        ({"username": "dave", "password": "x" * 257}, ["password"]),
        ({"username": "dave", "password": PASSWORD, "display_name": "x" * 81}, ["display_name"]),
        ({"username": "dave", "password": PASSWORD, "display_name": "Da\x00ve"}, ["display_name"]),
        ({"username": 7, "password": ["list"]}, ["password", "username"]),
        ({}, ["password", "username"]),
    ],
)
def test_register_validation(client, body, bad):
    response = client.post("/auth/register", json=body)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_input"
    assert response.json["fields"] == bad
    assert response.json["message"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"[" * 5000 + b"]" * 5000])
def test_bodies_that_are_not_a_json_object_are_invalid_input(client, body):
    response = client.post("/auth/register", data=body, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "invalid_input")


def test_taken_username_is_a_conflict(auth):
    auth.register()
    response = auth.register("ALICE")
    assert (response.status_code, response.json["error"]) == (409, "conflict")


def test_login_with_wrong_password_or_unknown_user(auth):
    auth.register()
    for username, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        response = auth.login(username, password)
        assert (response.status_code, response.json["error"]) == (401, "invalid_credentials")
    assert auth.login("Alice").status_code == 200


def test_passwords_take_any_character_but_a_nul_in_a_username_is_refused(auth):
    """NUL never reaches the database (PostgreSQL refuses it in text); passwords are only hashed, so they keep it."""
    assert auth.register("dave", password="pass\x00word-1").status_code == 201
    assert auth.login("dave", password="pass\x00word-1").status_code == 200
    response = auth.login("da\x00ve", password="pass\x00word-1")
    assert (response.status_code, response.json["fields"]) == (400, ["username"])


def test_form_login_redirects_to_a_safe_next(client, auth):
    auth.register()
    form = {"username": "alice", "password": PASSWORD, "next": "/settings/sessions"}
    response = client.post("/auth/login", data=form)
    assert (response.status_code, response.location) == (303, "/settings/sessions")
    assert client.get("/settings/sessions").status_code == 200


@pytest.mark.parametrize(
    "next_value",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(client, auth, next_value):
    auth.register()
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD, "next": next_value})
    assert (response.status_code, response.location) == (303, "/")
    response = client.post("/auth/login?next=" + next_value, data={"username": "alice", "password": PASSWORD})
    assert response.location == "/"


def test_form_login_failure_shows_the_form_again_with_the_error(client, auth):
    auth.register()
    response = client.post("/auth/login", data={"username": "alice", "password": "wrong password"})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert 'id="login-form"' in page and "Wrong username or password" in page
    assert 'value="alice"' in page and "wrong password" not in page


def test_form_register_signs_in_and_redirects(client):
    form = {"username": "erin", "password": PASSWORD, "display_name": "Erin", "next": "/"}
    response = client.post("/auth/register", data=form)
    assert (response.status_code, response.location) == (303, "/")
    assert client.get("/api/me").json["display_name"] == "Erin"


@pytest.mark.parametrize("shown", [{}, {"display_name": ""}, {"display_name": "   "}, {"display_name": None}])
def test_a_blank_or_missing_display_name_is_the_username(client, shown):
    response = client.post("/auth/register", json={"username": "Dave", "password": PASSWORD, **shown})
    assert response.status_code == 201, response.json
    assert response.json["user"]["display_name"] == "dave"
    assert client.get("/api/me").json["display_name"] == "dave"


def test_the_register_form_takes_a_blank_display_name_and_a_capital_letter(client):
    form = {"username": "Erin", "password": PASSWORD, "display_name": "", "next": "/"}
    response = client.post("/auth/register", data=form)
    assert (response.status_code, response.location) == (303, "/")
    me = client.get("/api/me").json
    assert (me["username"], me["display_name"]) == ("erin", "erin")


def test_the_register_form_lets_a_capital_letter_through_and_keeps_what_was_typed(client, new_client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert 'pattern="[A-Za-z0-9_.\\-]+"' in page  # the browser does not refuse what the server lower-cases
    new_client()[1].register("erin")
    form = {"username": "Erin", "password": PASSWORD, "display_name": "Erin E.", "next": "/"}
    response = client.post("/auth/register", data=form)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="register-form"' in page and 'value="Erin"' in page and 'value="Erin E."' in page
    assert PASSWORD not in page


def test_ten_failures_lock_the_username_even_for_the_right_password(make_app):
    client = make_app().test_client()
    auth = Auth(client)
    auth.register()
    auth.register("bob")
    for _ in range(10):
        assert auth.login(password="wrong password").status_code == 401
    locked = auth.login()
    assert (locked.status_code, locked.json["error"]) == (429, "rate_limited")
    assert 1 <= int(locked.headers["Retry-After"]) <= 300
    # 429 answers are not failures, and other users are not locked out
    assert auth.login("bob").status_code == 200


def test_a_successful_login_resets_the_username_count(auth):
    auth.register()
    for _ in range(9):
        auth.login(password="wrong password")
    assert auth.login().status_code == 200
    for _ in range(9):
        assert auth.login(password="wrong password").status_code == 401
    assert auth.login().status_code == 200


def test_thirty_failures_from_one_address_lock_that_address(make_app):
    client = make_app().test_client()
    auth = Auth(client)
    auth.register()
    for i in range(30):
        assert auth.login(f"user{i}", "wrong password").status_code == 401
    locked = auth.login()
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    elsewhere = client.post(
        "/auth/login", json={"username": "alice", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert elsewhere.status_code == 200


def test_register_is_limited_per_address(make_app):
    client = make_app(REGISTER_LIMIT="3/minute").test_client()
    auth = Auth(client)
    for name in ("ann", "ben", "cat"):
        assert auth.register(name).status_code == 201
    refused = auth.register("dan")
    assert (refused.status_code, refused.json["error"]) == (429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 1


def test_forwarded_for_is_only_trusted_when_configured(make_app):
    for trusted, expect_separate in ((0, False), (1, True)):
        client = make_app(REGISTER_LIMIT="1/minute", TRUSTED_PROXIES=trusted).test_client()
        first = client.post(
            "/auth/register",
            json={"username": f"u{trusted}a", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.1"},
        )
        second = client.post(
            "/auth/register",
            json={"username": f"u{trusted}b", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.2"},
        )
        assert first.status_code == 201
        assert (second.status_code == 201) is expect_separate


def test_the_login_and_register_pages_send_a_signed_in_person_where_they_were_going(client, auth):
    auth.register()
    for form in ("/auth/login", "/auth/register"):
        response = client.get(f"{form}?next=/settings/sessions")
        assert (response.status_code, response.location) == (303, "/settings/sessions")


def test_the_login_page_is_shown_to_a_tab_that_lost_its_refresh_token(client, auth):
    auth.register()
    client.delete_cookie("refresh_token_cookie", path="/auth")
    page = client.get("/auth/login?next=/&ended=1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="session-ended"' in html and "app.js" not in html  # no client to send it round again
