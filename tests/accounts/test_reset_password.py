"""`flask reset-password USERNAME`: the way back in for someone who forgot; every session and token ends."""

from support import PASSWORD


def reset(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["reset-password", *args], input=input)


def test_a_reset_sets_the_new_password_and_ends_every_session_and_token(app, client, auth, new_client):
    auth.register()
    token = auth.call("POST", "/auth/tokens", {"name": "bot"}).json["token"]
    _, laptop = new_client()
    laptop.login()
    result = reset(app, "Alice", "--password", "brand new secret")
    assert result.exit_code == 0, result.output
    assert "new password set for alice" in result.output
    for someone in (auth, laptop):
        assert someone.call("GET", "/api/me").json["error"] == "token_revoked"
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json["error"] == "token_revoked"
    assert auth.login(password=PASSWORD).json["error"] == "invalid_credentials"
    assert auth.login(password="brand new secret").status_code == 200


def test_the_password_is_asked_twice_when_not_given(app, auth):
    auth.register()
    result = reset(app, "alice", input="typed twice here\ntyped twice here\n")
    assert result.exit_code == 0, result.output
    assert auth.login(password="typed twice here").status_code == 200


def test_an_unknown_user_or_a_short_password_changes_nothing(app, auth):
    auth.register()
    unknown = reset(app, "nobody", "--password", "brand new secret")
    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output
    short = reset(app, "alice", "--password", "short")
    assert short.exit_code != 0 and "password" in short.output
    assert auth.call("GET", "/api/me").status_code == 200
    assert auth.login().status_code == 200


def test_two_step_sign_in_stays_on_unless_the_operator_turns_it_off(app, auth):
    import pyotp

    auth.register()
    secret = auth.call("POST", "/auth/2fa/setup").json["secret"]
    assert auth.call("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert reset(app, "alice", "--password", "brand new secret").exit_code == 0
    assert auth.login(password="brand new secret").json["error"] == "totp_required"
    assert reset(app, "alice", "--password", "brand new secret", "--turn-off-two-step").exit_code == 0
    assert auth.login(password="brand new secret").status_code == 200
    assert auth.call("GET", "/api/me").json["two_factor"] is False
