"""Ending sessions: logout, logout-all, revoking a device, changing the password."""

from support import PASSWORD, expired


def test_logout_works_with_an_expired_access_token(client, auth):
    auth.register()
    access = expired(auth.cookie("access_token_cookie"))
    auth.set_access_token(access)
    assert client.get("/api/me").json["error"] == "token_expired"
    response = auth.logout()
    assert response.status_code == 204
    assert client.get_cookie("access_token_cookie") is None
    assert client.get_cookie("refresh_token_cookie", path="/auth") is None
    auth.set_access_token(access)
    assert client.get("/api/me").json["error"] == "token_revoked"


def test_logout_refuses_every_token_of_that_session_and_only_that_session(app, auth, new_client):
    auth.register()
    laptop, laptop_auth = new_client()
    laptop_auth.login()
    bob_client, bob = new_client()
    bob.register("bob")

    access = auth.cookie("access_token_cookie")
    refresh = auth.cookie("refresh_token_cookie", path="/auth")
    refresh_csrf = auth.csrf("refresh")
    assert auth.logout().status_code == 204

    auth.set_access_token(access)
    assert auth.client.get("/api/me").json["error"] == "token_revoked"
    auth.set_refresh_token(refresh)
    response = auth.client.post("/auth/refresh", headers={"X-CSRF-TOKEN": refresh_csrf})
    assert (response.status_code, response.json["error"]) == (401, "token_revoked")
    # the same user's other device and another user are untouched
    assert laptop.get("/api/me").status_code == 200
    assert bob_client.get("/api/me").json["username"] == "bob"


def test_logout_all_ends_every_session_of_the_user(auth, new_client):
    auth.register()
    laptop, laptop_auth = new_client()
    laptop_auth.login()
    bob_client, bob = new_client()
    bob.register("bob")
    response = auth.client.post("/auth/logout-all", headers=auth.headers("refresh"))
    assert response.status_code == 204
    assert laptop.get("/api/me").json["error"] == "token_revoked"
    assert laptop_auth.refresh().json["error"] == "token_revoked"
    assert bob_client.get("/api/me").status_code == 200


def test_logout_needs_the_refresh_csrf_value(auth):
    auth.register()
    for headers in ({}, {"X-CSRF-TOKEN": "wrong"}, auth.headers("access")):
        response = auth.client.post("/auth/logout", headers=headers)
        assert (response.status_code, response.json["error"]) == (403, "csrf_failed")
    assert auth.client.get("/api/me").status_code == 200


def test_sessions_list_shows_each_device_and_marks_this_one(auth, new_client):
    auth.register()
    phone, phone_auth = new_client()
    phone_auth.login(headers={"User-Agent": "Phone Browser 1.0"})
    listed = auth.client.get("/auth/sessions").json
    assert len(listed) == 2
    assert {s["user_agent"] for s in listed} >= {"Phone Browser 1.0"}
    assert [s["current"] for s in listed].count(True) == 1
    assert set(listed[0]) == {"id", "created_at", "last_seen_at", "user_agent", "current"}
    assert listed[0]["created_at"].endswith("Z")


def test_revoking_another_device_refuses_its_tokens_at_once(auth, new_client):
    auth.register()
    phone, phone_auth = new_client()
    phone_auth.login()
    phone_sid = next(s["id"] for s in phone.get("/auth/sessions").json if s["current"])
    response = auth.client.delete(f"/auth/sessions/{phone_sid}", headers=auth.headers())
    assert response.status_code == 204
    assert phone.get("/api/me").json["error"] == "token_revoked"
    assert phone_auth.refresh().json["error"] == "token_revoked"
    assert auth.client.get("/api/me").status_code == 200
    assert [s["id"] for s in auth.client.get("/auth/sessions").json] != [phone_sid]
    assert len(auth.client.get("/auth/sessions").json) == 1


def test_a_session_of_another_user_cannot_be_revoked(auth, new_client):
    auth.register()
    bob_client, bob = new_client()
    bob.register("bob")
    bob_sid = bob_client.get("/auth/sessions").json[0]["id"]
    response = auth.client.delete(f"/auth/sessions/{bob_sid}", headers=auth.headers())
    assert (response.status_code, response.json["error"]) == (404, "not_found")
    assert bob_client.get("/api/me").status_code == 200


def test_password_change_ends_the_other_sessions(auth, new_client):
    auth.register()
    phone, phone_auth = new_client()
    phone_auth.login()
    body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    response = auth.client.post("/auth/password", json=body, headers=auth.headers())
    assert response.status_code == 204
    assert auth.client.get("/api/me").status_code == 200
    assert phone.get("/api/me").json["error"] == "token_revoked"
    assert auth.login(password=PASSWORD).json["error"] == "invalid_credentials"
    assert auth.login(password="a brand new passphrase").status_code == 200


def test_password_change_needs_the_current_password(auth):
    auth.register()
    body = {"current_password": "not my password", "new_password": "a brand new passphrase"}
    response = auth.client.post("/auth/password", json=body, headers=auth.headers())
    assert (response.status_code, response.json["error"]) == (401, "invalid_credentials")
    short = {"current_password": PASSWORD, "new_password": "short"}
    response = auth.client.post("/auth/password", json=short, headers=auth.headers())
    assert (response.status_code, response.json["fields"]) == (400, ["new_password"])
    assert auth.login().status_code == 200
