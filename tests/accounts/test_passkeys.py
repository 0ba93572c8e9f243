"""Passkeys over the API: registered with a recent sign-in, listed, removed, and signing in on their own — and
every way of bending a sign-in refused: a spent or stale challenge, another origin, another relying party, a
counter that goes back, a replayed assertion, an unverified user."""

from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from passkey_device import PasskeyDevice, b64url
from support import PASSWORD, Auth

from hearth.extensions import db
from hearth.models import PasskeyChallenge, User, utcnow

COOKIES = ("access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token")


def register_passkey(auth, device=None, name="Laptop"):
    """A passkey of the signed-in user, made by `device` (a new one by default); (device, its listing)."""
    device = device or PasskeyDevice()
    options = auth.call("POST", "/auth/passkeys/register/options")
    assert options.status_code == 200, options.get_data(as_text=True)
    answer = auth.call("POST", "/auth/passkeys", {"credential": device.create(options.json), "name": name})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return device, answer.json


def sign_in_options(client):
    answer = client.post("/auth/passkeys/login/options", json={})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


def sign_in(client, credential):
    return client.post("/auth/passkeys/login", json={"credential": credential})


def backdate(app, challenge):
    """The challenge as if asked for 5 minutes and a second ago (time is moved, not waited out)."""
    with app.app_context():
        row = db.session.scalar(sa.select(PasskeyChallenge).where(PasskeyChallenge.challenge == challenge))
        row.expires_at -= timedelta(minutes=5, seconds=1)
        db.session.commit()


@pytest.fixture
def stranger(app):
    """A browser with nobody signed in."""
    return app.test_client()


def test_a_passkey_is_registered_with_a_discoverable_verified_credential_and_listed(auth):
    auth.register("alice")
    options = auth.call("POST", "/auth/passkeys/register/options").json
    assert options["rp"]["id"] == "localhost"
    assert options["user"]["name"] == "alice"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    device = PasskeyDevice()
    added = auth.call("POST", "/auth/passkeys", {"credential": device.create(options), "name": "Work laptop"})
    assert added.status_code == 201
    assert set(added.json) == {"id", "name", "created_at", "last_used_at"}
    assert added.json["name"] == "Work laptop" and added.json["last_used_at"] is None
    assert auth.call("GET", "/auth/passkeys").json == [added.json]
    # the next registration leaves out the device already registered, and names the account the same way
    again = auth.call("POST", "/auth/passkeys/register/options").json
    assert [c["id"] for c in again["excludeCredentials"]] == [b64url(device.credential_id)]
    assert again["user"]["id"] == options["user"]["id"]


def test_a_passkey_signs_in_like_a_password_with_a_session_and_the_four_cookies(auth, stranger):
    auth.register("alice")
    device, listed = register_passkey(auth)
    options = sign_in_options(stranger)
    assert "allowCredentials" not in options and options["userVerification"] == "required"
    answer = sign_in(stranger, device.get(options))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["user"]["username"] == "alice"
    assert {"session_id", "access_expires_at"} <= set(answer.json)
    assert all(stranger.get_cookie(name, path="/auth" if name == "refresh_token_cookie" else "/") for name in COOKIES)
    signed_in = Auth(stranger)
    assert signed_in.call("GET", "/api/me").json["username"] == "alice"
    sessions = signed_in.call("GET", "/auth/sessions").json
    assert answer.json["session_id"] in [s["id"] for s in sessions]
    assert auth.call("GET", "/auth/passkeys").json[0]["last_used_at"] is not None
    assert listed["last_used_at"] is None


def test_two_step_sign_in_asks_no_code_after_a_passkey(auth, stranger):
    auth.register("alice")
    secret = auth.call("POST", "/auth/2fa/setup").json["secret"]
    assert auth.call("POST", "/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    device, _ = register_passkey(auth)
    assert auth.login().json["error"] == "totp_required"  # the password alone is not enough
    assert sign_in(stranger, device.get(sign_in_options(stranger))).status_code == 200


def test_a_sign_in_challenge_works_once(auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    options = sign_in_options(stranger)
    assert sign_in(stranger, device.get(options)).status_code == 200
    again = sign_in(stranger, device.get(options))  # a fresh signature, a higher counter, the spent challenge
    assert again.status_code == 401 and again.json["error"] == "invalid_credentials"


def test_a_replayed_assertion_is_refused(auth, stranger, new_client):
    auth.register("alice")
    device, _ = register_passkey(auth)
    assertion = device.get(sign_in_options(stranger))
    assert sign_in(stranger, assertion).status_code == 200
    thief, _ = new_client()
    assert sign_in(thief, assertion).json["error"] == "invalid_credentials"
    assert thief.get_cookie("access_token_cookie") is None


def test_a_challenge_past_five_minutes_is_refused(app, auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    options = sign_in_options(stranger)
    backdate(app, options["challenge"])
    assert sign_in(stranger, device.get(options)).json["error"] == "invalid_credentials"
    assert sign_in(stranger, device.get(sign_in_options(stranger))).status_code == 200  # a fresh one works


def test_a_registration_challenge_works_once_in_time_and_for_its_own_session(app, auth, new_client):
    auth.register("alice")
    options = auth.call("POST", "/auth/passkeys/register/options").json
    device = PasskeyDevice()
    # another session of the same account cannot answer this session's challenge
    other_client, other = new_client()
    other.login("alice")
    foreign = other.call("POST", "/auth/passkeys", {"credential": device.create(options), "name": "x"})
    assert foreign.status_code == 400
    # that attempt spent nothing of this session's: it was never its to take
    assert auth.call("POST", "/auth/passkeys", {"credential": device.create(options), "name": "x"}).status_code == 201
    reused = auth.call("POST", "/auth/passkeys", {"credential": PasskeyDevice().create(options), "name": "y"})
    assert reused.status_code == 400 and reused.json["error"] == "invalid_input"
    stale = auth.call("POST", "/auth/passkeys/register/options").json
    backdate(app, stale["challenge"])
    late = auth.call("POST", "/auth/passkeys", {"credential": PasskeyDevice().create(stale), "name": "z"})
    assert late.status_code == 400
    assert [p["name"] for p in auth.call("GET", "/auth/passkeys").json] == ["x"]


def test_an_assertion_made_for_another_origin_is_refused(auth, stranger):
    """A phishing page on another site relays the challenge: the browser writes that site's origin in."""
    auth.register("alice")
    device, _ = register_passkey(auth)
    phished = device.get(sign_in_options(stranger), origin="https://hearth.example.evil")
    assert sign_in(stranger, phished).json["error"] == "invalid_credentials"


def test_an_assertion_for_another_relying_party_is_refused(auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    other_site = device.get(sign_in_options(stranger), rp_id="evil.example")
    assert sign_in(stranger, other_site).json["error"] == "invalid_credentials"


def test_a_registration_from_another_origin_or_relying_party_is_refused(auth):
    auth.register("alice")
    for bent in ({"origin": "http://evil.example"}, {"rp_id": "evil.example"}):
        options = auth.call("POST", "/auth/passkeys/register/options").json
        credential = PasskeyDevice().create(options, **bent)
        answer = auth.call("POST", "/auth/passkeys", {"credential": credential, "name": "x"})
        assert answer.status_code == 400, bent
    assert auth.call("GET", "/auth/passkeys").json == []


def test_the_relying_party_id_is_the_configured_one(make_app):
    app = make_app(PASSKEY_RP_ID="hearth.example")
    client = app.test_client()
    Auth(client).register("alice")
    options = Auth(client).call("POST", "/auth/passkeys/register/options").json
    assert options["rp"]["id"] == "hearth.example"
    assert client.post("/auth/passkeys/login/options", json={}).json["rpId"] == "hearth.example"


def test_a_counter_that_goes_back_or_stands_still_is_refused(auth, stranger):
    """A cloned authenticator shows itself by a counter behind the original's."""
    auth.register("alice")
    device, _ = register_passkey(auth)
    assert sign_in(stranger, device.get(sign_in_options(stranger), count=5)).status_code == 200
    for count in (3, 5):
        answer = sign_in(stranger, device.get(sign_in_options(stranger), count=count))
        assert answer.status_code == 401 and answer.json["error"] == "invalid_credentials", count
    assert sign_in(stranger, device.get(sign_in_options(stranger), count=6)).status_code == 200


def test_a_sign_in_without_user_verification_is_refused(auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    assert sign_in(stranger, device.get(sign_in_options(stranger), verified=False)).status_code == 401
    options = auth.call("POST", "/auth/passkeys/register/options").json
    unverified = PasskeyDevice().create(options, verified=False)
    assert auth.call("POST", "/auth/passkeys", {"credential": unverified, "name": "x"}).status_code == 400


def test_a_removed_passkey_no_longer_signs_in(auth, stranger):
    auth.register("alice")
    device, listed = register_passkey(auth)
    assert auth.call("DELETE", f"/auth/passkeys/{listed['id']}").status_code == 204
    assert auth.call("GET", "/auth/passkeys").json == []
    assert sign_in(stranger, device.get(sign_in_options(stranger))).json["error"] == "invalid_credentials"


def test_adding_and_removing_passkeys_need_a_recent_password(make_app):
    app = make_app(REAUTH_WINDOW=0)  # a sign-in is never recent enough: every change asks
    auth = Auth(app.test_client())
    auth.register("alice")
    asked = auth.call("POST", "/auth/passkeys/register/options")
    assert asked.status_code == 401 and asked.json["error"] == "reauth_required"
    app.config["REAUTH_WINDOW"] = 60
    assert auth.call("POST", "/auth/reauthenticate", {"password": PASSWORD}).status_code == 204
    _, listed = register_passkey(auth)
    app.config["REAUTH_WINDOW"] = 0
    refused = auth.call("DELETE", f"/auth/passkeys/{listed['id']}")
    assert refused.status_code == 401 and refused.json["error"] == "reauth_required"
    options = auth.call("POST", "/auth/passkeys/register/options")
    assert options.json["error"] == "reauth_required"
    assert len(auth.call("GET", "/auth/passkeys").json) == 1


def test_the_last_passkey_of_an_account_without_a_password_stays(app, auth):
    auth.register("alice")
    _, first = register_passkey(auth, name="Phone")
    _, second = register_passkey(auth, name="Laptop")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "alice"))
        user.set_unusable_password()
        db.session.commit()
    assert auth.login().json["error"] == "invalid_credentials"  # no password signs in any more
    assert auth.call("DELETE", f"/auth/passkeys/{first['id']}").status_code == 204
    last = auth.call("DELETE", f"/auth/passkeys/{second['id']}")
    assert last.status_code == 409 and last.json["error"] == "conflict"
    assert [p["name"] for p in auth.call("GET", "/auth/passkeys").json] == ["Laptop"]


def test_an_account_with_a_password_may_remove_its_last_passkey(auth):
    auth.register("alice")
    _, listed = register_passkey(auth)
    assert auth.call("DELETE", f"/auth/passkeys/{listed['id']}").status_code == 204


def test_nobody_lists_or_removes_another_persons_passkeys(auth, new_client):
    auth.register("alice")
    _, listed = register_passkey(auth)
    _, bob = new_client()
    bob.register("bob")
    assert bob.call("GET", "/auth/passkeys").json == []
    assert bob.call("DELETE", f"/auth/passkeys/{listed['id']}").status_code == 404
    assert len(auth.call("GET", "/auth/passkeys").json) == 1


def test_registering_needs_the_csrf_token_and_a_session(auth, stranger):
    auth.register("alice")
    forged = auth.client.post("/auth/passkeys/register/options", json={})
    assert forged.status_code == 403 and forged.json["error"] == "csrf_failed"
    assert stranger.post("/auth/passkeys/register/options", json={}).json["error"] == "token_missing"
    assert stranger.get("/auth/passkeys").json["error"] == "token_missing"


def test_a_sign_in_from_another_sites_page_is_refused(auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    foreign = {"Origin": "https://evil.example"}
    assert stranger.post("/auth/passkeys/login/options", json={}, headers=foreign).status_code == 403
    answer = stranger.post(
        "/auth/passkeys/login", json={"credential": device.get(sign_in_options(stranger))}, headers=foreign
    )
    assert answer.status_code == 403 and stranger.get_cookie("access_token_cookie") is None


@pytest.mark.parametrize(
    "credential",
    [None, "text", [], {}, {"response": {}}, {"id": 5, "response": {"clientDataJSON": "!!"}}, {"response": []}],
)
def test_a_malformed_credential_is_refused_without_a_server_error(auth, stranger, credential):
    auth.register("alice")
    answer = stranger.post("/auth/passkeys/login", json={"credential": credential})
    assert answer.status_code in (400, 401)
    added = auth.call("POST", "/auth/passkeys", {"credential": credential, "name": "x"})
    assert added.status_code == 400


def test_sign_in_challenges_are_limited_per_address(make_app):
    client = make_app(PASSKEY_OPTIONS_LIMIT="3/minute").test_client()
    answers = [client.post("/auth/passkeys/login/options", json={}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def remove_by_form(auth, passkey_id, **fields):
    return auth.client.post(
        f"/settings/security/passkeys/{passkey_id}/remove", data={"csrf_token": auth.csrf(), **fields}
    )


def test_the_security_page_explains_passkeys_and_lists_them_with_their_last_use(auth, stranger):
    auth.register("alice")
    device, listed = register_passkey(auth, name="Work laptop")
    page = auth.client.get("/settings/security").get_data(as_text=True)
    assert "A passkey lets you sign in without typing a password" in page
    assert f'data-passkey-id="{listed["id"]}"' in page and "Work laptop" in page and "never used" in page
    assert 'id="add-passkey"' in page
    sign_in(stranger, device.get(sign_in_options(stranger)))
    assert "last used" in auth.client.get("/settings/security").get_data(as_text=True)


def test_the_page_removes_a_passkey_asking_for_the_password_in_place_when_not_recent(make_app):
    app = make_app()
    auth = Auth(app.test_client())
    auth.register("alice")
    _, listed = register_passkey(auth)
    app.config["REAUTH_WINDOW"] = 0
    asked = remove_by_form(auth, listed["id"])
    assert asked.status_code == 401 and 'id="reauthenticate-form"' in asked.get_data(as_text=True)
    assert len(auth.call("GET", "/auth/passkeys").json) == 1
    assert remove_by_form(auth, listed["id"], reauth_password="wrong").status_code == 401
    done = remove_by_form(auth, listed["id"], reauth_password=PASSWORD)
    assert done.status_code == 303 and auth.call("GET", "/auth/passkeys").json == []
    app.config["REAUTH_WINDOW"] = 600
    assert remove_by_form(auth, listed["id"]).status_code == 404  # gone


def test_the_page_keeps_the_last_passkey_of_an_account_without_a_password(app, auth):
    auth.register("alice")
    _, listed = register_passkey(auth, name="Only key")
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == "alice")).set_unusable_password()
        db.session.commit()
    refused = remove_by_form(auth, listed["id"])
    assert refused.status_code == 409
    assert "only way to sign in" in refused.get_data(as_text=True)
    assert len(auth.call("GET", "/auth/passkeys").json) == 1


def test_a_deactivated_accounts_passkey_signs_nobody_in(app, auth, stranger):
    auth.register("alice")
    device, _ = register_passkey(auth)
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.username == "alice")).deactivated_at = utcnow()
        db.session.commit()
    answer = sign_in(stranger, device.get(sign_in_options(stranger)))
    assert answer.status_code == 401 and answer.json["error"] == "account_deactivated"
    assert "access_token_cookie" not in {c.key for c in stranger._cookies.values()}
