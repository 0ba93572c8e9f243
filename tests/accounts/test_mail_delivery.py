"""Mail through a real SMTP server (aiosmtpd on loopback) from Hearth under gunicorn: the links in the mails work,
and a mail server that is down fails no request and gets the mail once it is back."""

import time

import pytest
import requests
from mails import SMTPServer, link_in
from wsclient import Person, Program

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def smtp():
    server = SMTPServer()
    yield server
    server.stop()


def verify(person, smtp, address, mails_before=0):
    """Add an address, then follow the link of the mail the SMTP server received."""
    assert person.api("PATCH", "/api/me", {"email": address}).status_code == 200
    mail = smtp.wait_for(mails_before + 1)[mails_before]
    assert (mail["to"], mail["subject"]) == (address, "Confirm your email address for Hearth")
    link = link_in(mail)
    assert link.startswith(person.url + "/auth/verify-email/")
    assert 'id="verify-email-form"' in requests.get(link).text  # the page with the confirm button
    assert requests.post(link, headers={"Origin": person.url}).status_code == 204
    return link


def test_the_verification_mail_arrives_and_its_link_verifies_the_address(hearth_server, smtp):
    smtp.start()
    server = hearth_server({"HEARTH_SMTP_URL": smtp.url, "HEARTH_MAIL_FROM": "Hearth <hearth@example.org>"})
    alice = Person(server.url, "alice")
    verify(alice, smtp, "alice@example.com")
    assert alice.api("GET", "/api/me").json()["email_verified"] is True
    assert smtp.messages[0][1]["From"] == "Hearth <hearth@example.org>"


def test_a_reset_mail_arrives_and_its_link_ends_every_session_and_socket(hearth_server, smtp):
    smtp.start()
    server = hearth_server({"HEARTH_SMTP_URL": smtp.url})
    alice = Person(server.url, "alice")
    verify(alice, smtp, "alice@example.com")
    sock, bot = alice.socket(), Program(alice)
    sock.alive()
    asked = requests.post(server.url + "/auth/password-reset", json={"login": "ALICE@example.com"})
    assert asked.status_code == 202
    mail = smtp.wait_for(2)[1]
    assert (mail["to"], mail["subject"]) == ("alice@example.com", "Reset your Hearth password")
    link = link_in(mail)
    form = requests.get(link)
    assert form.status_code == 200 and 'id="new-password-form"' in form.text
    token = link.rsplit("/", 1)[1]
    started = time.monotonic()
    done = requests.post(f"{server.url}/auth/password-reset/{token}", json={"password": NEW_PASSWORD})
    assert done.status_code == 204
    assert sock.close_code(timeout=2) == 4403
    assert time.monotonic() - started < 1.0
    assert alice.api("GET", "/api/me").json()["error"] == "token_revoked"
    assert bot.api("GET", "/api/me").json()["error"] == "token_revoked"
    again = requests.post(f"{server.url}/auth/password-reset/{token}", json={"password": "another one entirely"})
    assert (again.status_code, again.json()["error"]) == (404, "not_found")
    signed_in = requests.post(server.url + "/auth/login", json={"username": "alice", "password": NEW_PASSWORD})
    assert signed_in.status_code == 200


def test_a_mail_server_that_is_down_fails_no_request_and_gets_the_mail_once_back(hearth_server):
    smtp = SMTPServer()  # its port is chosen, nothing listens on it yet
    server = hearth_server({"HEARTH_SMTP_URL": smtp.url})
    alice = Person(server.url, "alice")
    try:
        started = time.monotonic()
        changed = alice.api("PATCH", "/api/me", {"email": "alice@example.com"})
        assert changed.status_code == 200 and time.monotonic() - started < 1.0
        assert requests.post(server.url + "/auth/password-reset", json={"login": "alice"}).status_code == 202
        assert alice.api("GET", "/api/me").status_code == 200  # the worker serves on while the mail waits
        time.sleep(2)  # the mail server stays down across a few tries
        smtp.start()
        [mail] = smtp.wait_for(1, timeout=40)
        assert mail["to"] == "alice@example.com"
        link = link_in(mail)
        assert requests.post(link, headers={"Origin": server.url}).status_code == 204
        assert alice.api("GET", "/api/me").json()["email_verified"] is True
        assert len(smtp.wait_for(1)) == 1  # delivered once (and no reset: the address was not verified then)
    finally:
        smtp.stop()
    log = server.output()
    assert '"mail_deferred"' in log and '"mail_sent"' in log


def test_an_invitation_mail_arrives_and_its_link_lets_a_new_person_join(hearth_server, smtp):
    smtp.start()
    server = hearth_server({"HEARTH_SMTP_URL": smtp.url})
    alice = Person(server.url, "alice")
    workspace = alice.api("POST", "/api/workspaces", {"name": "Garden club"}).json()
    made = alice.api("POST", f"/api/workspaces/{workspace['id']}/invites", {"email": "carol@example.com"})
    assert made.status_code == 201
    mail = smtp.wait_for(1)[0]
    assert mail["to"] == "carol@example.com" and "Garden club" in mail["subject"]
    link = link_in(mail)
    assert link == made.json()["url"] and link.startswith(server.url + "/invite/")
    assert "Garden club" in requests.get(link).text  # the page a signed-out person lands on
    carol = Person(server.url, "carol")
    joined = carol.api("POST", f"/api/invites/{link.rsplit('/', 1)[1]}/accept")
    assert joined.status_code == 200 and joined.json()["id"] == workspace["id"]
