"""Outgoing mail: SMTP (`HEARTH_SMTP_URL`), or one JSON log line per mail (logger `hearth.mail`) by default.

Code that mails calls `send_after_commit(to, subject, body)` inside its transaction.
Nothing leaves then: the mail waits on the database session and goes only once
that transaction commits (a rollback drops it), so no one is mailed a link to a row
that was never stored. SMTP delivery then runs in this process's outbox, a
background thread (a greenlet under gunicorn's gevent worker): a slow or stopped
mail server never slows or fails a request. A mail that cannot be delivered is
tried again with a growing pause for `HEARTH_MAIL_RETRY_FOR` seconds (10
minutes), then dropped, and the drop is logged; a permanent refusal (5xx) is
dropped at once.
"""

import heapq
import itertools
import os
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
import structlog
from flask import current_app

from hearth.extensions import db

log = structlog.get_logger("hearth.mail")
PENDING = "hearth.mail.pending"  # the key in a database session's `info` of mails waiting for its commit
FIRST_RETRY, LONGEST_PAUSE = 1.0, 60.0  # seconds; the pause doubles between tries up to the longest


@dataclass
class Mail:
    to: str
    subject: str
    body: str
    queued_at: float = field(default_factory=time.monotonic)
    tries: int = 0


def send_after_commit(to, subject, body):
    """Mail `body` (plain text) to one address once the current database transaction commits."""
    outbox = current_app.extensions["hearth.mail"]
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any statement still ends it, and drops the mail
    session.info.setdefault(PENDING, []).append((outbox, Mail(to, subject, body)))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _hand_over_after_commit(session):
    for outbox, mail in session.info.pop(PENDING, ()):
        outbox.put(mail)


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _drop_when_closed(session, transaction):
    """A rollback, or a session closed without committing (a request that failed), drops what waited for a commit;
    a commit has handed it over already."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


class LogTransport:
    """The embedded default: the mail is a log line (a developer follows its link from the server's output)."""

    def deliver(self, mail):
        log.info("mail", to=mail.to, subject=mail.subject, body=mail.body)


class SMTPTransport:
    """`smtp://[user:pass@]host[:port][?starttls=1]`, or `smtps://` for TLS from the first byte."""

    def __init__(self, url, sender, timeout=10):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("HEARTH_SMTP_URL must look like smtp://[user:pass@]host:port or smtps://…")
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        self.host, self.port = parts.hostname, parts.port or (465 if self.implicit_tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender, self.timeout = sender, timeout

    def message(self, mail):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip(">") or None)
        message.set_content(mail.body)
        return message

    def deliver(self, mail):
        context = ssl.create_default_context()
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(self.message(mail))


class Outbox:
    """Mails waiting to leave this process: delivered in order of their next try by one background thread."""

    def __init__(self, transport, retry_for, clock=time.monotonic):
        self.transport, self.retry_for, self.clock = transport, retry_for, clock
        self.due = []  # heap of (when, order, Mail)
        self.order = itertools.count()
        self.ready = threading.Condition()
        self.worker_pid = None

    def put(self, mail):
        if isinstance(self.transport, LogTransport):
            self.transport.deliver(mail)  # a log line costs what any other does: no thread needed
            return
        with self.ready:
            heapq.heappush(self.due, (self.clock(), next(self.order), mail))
            self.ready.notify()
        self._start_worker()

    def _start_worker(self):
        """One worker per process, started on first use: a gunicorn worker forked from its master starts its own."""
        if self.worker_pid != os.getpid():
            self.worker_pid = os.getpid()
            threading.Thread(target=self._run, name="hearth-mail", daemon=True).start()

    def _run(self):
        while True:
            mail = self._next_due()
            self.attempt(mail)

    def _next_due(self):
        with self.ready:
            while not self.due or self.due[0][0] > self.clock():
                self.ready.wait(timeout=self.due[0][0] - self.clock() if self.due else None)
            return heapq.heappop(self.due)[2]

    def attempt(self, mail):
        """One try: delivered, put back for a later try, or dropped (and logged)."""
        mail.tries += 1
        try:
            self.transport.deliver(mail)
        except smtplib.SMTPResponseException as e:
            if e.smtp_code >= 500:
                return self._drop(mail, f"refused: {e.smtp_code}")
            self._later(mail, f"{e.smtp_code}")
        except smtplib.SMTPRecipientsRefused as e:
            return self._drop(mail, f"recipient refused: {sorted(code for code, _ in e.recipients.values())}")
        except (OSError, smtplib.SMTPException) as e:
            self._later(mail, type(e).__name__)
        else:
            log.info("mail_sent", to=mail.to, subject=mail.subject, tries=mail.tries)

    def _later(self, mail, why):
        pause = min(LONGEST_PAUSE, FIRST_RETRY * 2 ** (mail.tries - 1))
        if self.clock() + pause - mail.queued_at > self.retry_for:
            return self._drop(mail, f"undelivered for {self.retry_for} s, last: {why}")
        log.warning("mail_deferred", to=mail.to, subject=mail.subject, tries=mail.tries, retry_in=pause, reason=why)
        with self.ready:
            heapq.heappush(self.due, (self.clock() + pause, next(self.order), mail))
            self.ready.notify()

    def _drop(self, mail, why):
        log.error("mail_dropped", to=mail.to, subject=mail.subject, tries=mail.tries, reason=why)


def transport_for(cfg):
    if cfg["SMTP_URL"]:
        return SMTPTransport(cfg["SMTP_URL"], cfg["MAIL_FROM"])
    return LogTransport()


def init_app(app):
    app.extensions["hearth.mail"] = Outbox(transport_for(app.config), app.config["MAIL_RETRY_FOR"])
