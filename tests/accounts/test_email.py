"""Email addresses on the profile (`PATCH /api/me`) and their verification by a mailed link (docs/protocol.md)."""

import pytest
from mails import link_in, logged_mails
from support import PASSWORD, expired

from hearth.extensions import db
from hearth.models import AuthSession, MailedToken, utcnow


def path_of(link):
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def add_email(auth, address):
    return auth.call("PATCH", "/api/me", {"email": address})


def test_me_shows_email_verification_and_avatar(client, auth):
    auth.register("alice")
    me = client.get("/api/me").json
    assert (me["email"], me["email_verified"], me["avatar_url"]) == (None, False, None)


def test_a_new_email_is_unverified_until_the_mailed_link_is_confirmed(client, auth, caplog):
    auth.register("alice")
    answer = add_email(auth, "Alice@Example.COM")
    assert answer.status_code == 200
    assert (answer.json["email"], answer.json["email_verified"]) == ("alice@example.com", False)
    [mail] = logged_mails(caplog)
    assert mail["to"] == "alice@example.com"
    path = path_of(link_in(mail))
    assert path.startswith("/auth/verify-email/")
    page = client.get(path)  # a GET shows a button and changes nothing
    assert page.status_code == 200 and b'id="verify-email-form"' in page.data
    assert client.get("/api/me").json["email_verified"] is False
    assert client.post(path).status_code == 204
    assert client.get("/api/me").json["email_verified"] is True
    assert client.post(path).status_code == 404  # single use
    assert client.get(path).status_code == 404


def test_the_link_works_signed_out_from_another_browser_but_not_from_a_foreign_origin(client, auth, new_client, caplog):
    auth.register("alice")
    add_email(auth, "alice@example.com")
    path = path_of(link_in(logged_mails(caplog)[0]))
    other, _ = new_client()
    refused = other.post(path, headers={"Origin": "https://evil.example"})
    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    assert client.get("/api/me").json["email_verified"] is False
    assert other.post(path, headers={"Origin": "http://localhost"}).status_code == 204
    assert client.get("/api/me").json["email_verified"] is True


def test_a_form_confirms_and_shows_the_address(client, auth, new_client, caplog):
    auth.register("alice")
    add_email(auth, "alice@example.com")
    path = path_of(link_in(logged_mails(caplog)[0]))
    other, _ = new_client()
    page = other.post(path, data={"confirm": "yes"})
    assert page.status_code == 200 and b"alice@example.com is verified" in page.data


def test_emails_are_unique_whatever_their_case(auth, new_client):
    auth.register("alice")
    assert add_email(auth, "Shared@Example.com").status_code == 200
    _, bob = new_client()
    bob.register("bob")
    taken = add_email(bob, "shared@EXAMPLE.com")
    assert (taken.status_code, taken.json["error"]) == (409, "conflict")
    assert bob.call("GET", "/api/me").json["email"] is None


def test_a_link_expires_after_48_hours(app, client, auth, caplog):
    auth.register("alice")
    add_email(auth, "alice@example.com")
    path = path_of(link_in(logged_mails(caplog)[0]))
    with app.app_context():
        db.session.execute(db.update(MailedToken).values(expires_at=utcnow()))
        db.session.commit()
    assert client.post(path).status_code == 404


def test_changing_the_address_again_voids_the_first_link(client, auth, caplog):
    auth.register("alice")
    add_email(auth, "first@example.com")
    add_email(auth, "second@example.com")
    first, second = (path_of(link_in(mail)) for mail in logged_mails(caplog))
    assert client.post(first).status_code == 404
    assert client.post(second).status_code == 204
    assert client.get("/api/me").json == {**client.get("/api/me").json, "email": "second@example.com"}


def test_the_same_unverified_address_again_mails_a_new_link(auth, caplog):
    auth.register("alice")
    add_email(auth, "alice@example.com")
    add_email(auth, "alice@example.com")
    assert [mail["to"] for mail in logged_mails(caplog)] == ["alice@example.com"] * 2


def test_the_display_name_changes(client, auth):
    auth.register("alice")
    answer = auth.call("PATCH", "/api/me", {"display_name": "  Alice Liddell "})
    assert answer.status_code == 200 and answer.json["display_name"] == "Alice Liddell"
    assert client.get("/api/me").json["display_name"] == "Alice Liddell"


@pytest.mark.parametrize(
    "body",
    [
        {"display_name": ""},
        {"display_name": "x" * 81},
        {"display_name": 5},
        {"email": "not an address"},
        {"email": "a@b"},
        {"email": "two@@example.com"},
        {"email": "x" * 250 + "@example.com"},
        {"email": "a@example.com\r\nBcc: victim@example.com"},
        {"email": ["a@example.com"]},
    ],
)
def test_bad_fields_are_invalid_input_and_change_nothing(client, auth, caplog, body):
    auth.register("alice")
    before = client.get("/api/me").json
    answer = auth.call("PATCH", "/api/me", body)
    assert (answer.status_code, answer.json["error"]) == (400, "invalid_input")
    assert list(body) == answer.json["fields"]
    assert client.get("/api/me").json == before
    assert logged_mails(caplog) == []


def test_changing_the_email_needs_a_recent_password(app, client, auth, caplog):
    auth.register("alice")
    with app.app_context():
        db.session.execute(db.update(AuthSession).values(authenticated_at=None))
        db.session.commit()
    refused = add_email(auth, "alice@example.com")
    assert (refused.status_code, refused.json["error"]) == (401, "reauth_required")
    assert client.get("/api/me").json["email"] is None and logged_mails(caplog) == []
    assert auth.call("PATCH", "/api/me", {"display_name": "Still fine"}).status_code == 200  # a name needs none
    assert auth.call("POST", "/auth/reauthenticate", {"password": PASSWORD}).status_code == 204
    assert add_email(auth, "alice@example.com").status_code == 200


def test_an_empty_email_removes_the_address(client, auth):
    auth.register("alice")
    add_email(auth, "alice@example.com")
    answer = add_email(auth, "")
    assert answer.status_code == 200 and (answer.json["email"], answer.json["email_verified"]) == (None, False)


def test_patch_me_needs_csrf_and_a_live_token(client, auth):
    auth.register("alice")
    forged = client.patch("/api/me", json={"display_name": "forged"})
    assert (forged.status_code, forged.json["error"]) == (403, "csrf_failed")
    auth.set_access_token(expired(auth.cookie("access_token_cookie")))
    stale = auth.call("PATCH", "/api/me", {"display_name": "late"})
    assert (stale.status_code, stale.json["error"]) == (401, "token_expired")


def test_a_failed_change_mails_nothing(auth, new_client, caplog):
    """The mail waits for the commit: a conflict rolls the change back, and its mail with it."""
    auth.register("alice")
    add_email(auth, "taken@example.com")
    _, bob = new_client()
    bob.register("bob")
    assert add_email(bob, "taken@example.com").status_code == 409
    assert [mail["to"] for mail in logged_mails(caplog)] == ["taken@example.com"]
