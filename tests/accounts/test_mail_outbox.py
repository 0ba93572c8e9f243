"""hearth/mail.py on its own: the SMTP URL, mail waiting for the commit, and the outbox's retries and drops."""

import smtplib

import pytest
from mails import SMTPServer, logged_mails

from hearth import mail
from hearth.extensions import db
from hearth.mail import Mail, Outbox, SMTPTransport


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", ("mail.example", 2525, False, False, None, None)),
        ("smtp://mail.example", ("mail.example", 25, False, False, None, None)),
        ("smtps://u%40x:p%3Ass@mail.example", ("mail.example", 465, True, False, "u@x", "p:ss")),
        ("smtp://user:pw@mail.example:587?starttls=1", ("mail.example", 587, False, True, "user", "pw")),
    ],
)
def test_the_smtp_url_says_host_port_tls_and_login(url, expected):
    t = SMTPTransport(url, "Hearth <h@example.org>")
    assert (t.host, t.port, t.implicit_tls, t.starttls, t.user, t.password) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_a_wrong_smtp_url_refuses_to_start(url):
    with pytest.raises(ValueError):
        SMTPTransport(url, "h@example.org")


def test_a_mail_is_plain_text_with_from_date_and_message_id():
    message = SMTPTransport("smtp://h", "Hearth <hearth@example.org>").message(Mail("a@example.com", "Hi", "Body"))
    assert (message["From"], message["To"], message["Subject"]) == (
        "Hearth <hearth@example.org>",
        "a@example.com",
        "Hi",
    )
    assert message["Date"] and message["Message-ID"].endswith("@example.org>")
    assert message.get_content_type() == "text/plain" and message.get_content().strip() == "Body"


def test_a_mail_waits_for_the_commit_and_a_rollback_drops_it(app, caplog):
    with app.test_request_context():
        mail.send_after_commit("a@example.com", "kept", "sent after the commit")
        assert logged_mails(caplog) == []  # nothing leaves inside the transaction
        db.session.commit()
        mail.send_after_commit("b@example.com", "dropped", "rolled back")
        db.session.rollback()
        db.session.commit()
    assert [m["subject"] for m in logged_mails(caplog)] == ["kept"]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Failing:
    def __init__(self, error):
        self.error, self.tries = error, 0

    def deliver(self, mail):
        self.tries += 1
        raise self.error


def test_an_unreachable_server_is_tried_again_with_longer_pauses_then_the_mail_is_dropped(caplog):
    clock, transport = Clock(), Failing(ConnectionRefusedError())
    outbox = Outbox(transport, retry_for=600, clock=clock)
    letter = Mail("a@example.com", "Hi", "Body", queued_at=0.0)
    pauses = []
    while True:
        outbox.attempt(letter)
        if not outbox.due:
            break
        due = outbox.due.pop()[0]
        pauses.append(due - clock.now)
        clock.now = due
    assert pauses[:7] == [1, 2, 4, 8, 16, 32, 60] and set(pauses[7:]) == {60}
    assert 540 < clock.now <= 600
    dropped = [r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == "mail_dropped"]
    assert len(dropped) == 1 and dropped[0]["to"] == "a@example.com"


def test_a_permanent_refusal_is_dropped_at_once(caplog):
    outbox = Outbox(Failing(smtplib.SMTPDataError(554, b"no")), retry_for=600, clock=Clock())
    outbox.attempt(Mail("a@example.com", "Hi", "Body"))
    assert not outbox.due
    assert any(isinstance(r.msg, dict) and r.msg.get("event") == "mail_dropped" for r in caplog.records)


def test_the_outbox_thread_delivers_to_a_real_smtp_server():
    smtp = SMTPServer().start()
    try:
        outbox = Outbox(SMTPTransport(smtp.url, "Hearth <hearth@example.org>"), retry_for=600)
        outbox.put(Mail("a@example.com", "Hello", "Plain text body"))
        [delivered] = smtp.wait_for(1)
        assert (delivered["to"], delivered["subject"], delivered["body"].strip()) == (
            "a@example.com",
            "Hello",
            "Plain text body",
        )
    finally:
        smtp.stop()
