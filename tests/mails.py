"""Reading the mails Hearth sent: from its log (the embedded default) or from a real SMTP server on loopback."""

import re
from email import message_from_bytes, policy

from servers import free_port
from support import wait_until

LINK = re.compile(r"https?://\S+/(?:auth/reset|auth/verify-email|invite)/[A-Za-z0-9_-]+")


def logged_mails(caplog):
    """Every mail written to the `hearth.mail` log, as {"to", "subject", "body"}."""
    return [
        {key: record.msg[key] for key in ("to", "subject", "body")}
        for record in caplog.records
        if record.name == "hearth.mail" and isinstance(record.msg, dict) and record.msg.get("event") == "mail"
    ]


def link_in(mail):
    return LINK.search(mail["body"]).group(0)


class SMTPServer:
    """aiosmtpd on a free loopback port, keeping every message it receives; `start` may come later than `port`."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.messages = []
        self.controller = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        from aiosmtpd.controller import Controller

        server = self

        class Keep:
            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
                return "250 kept"

        self.controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def mails(self):
        return [
            {"to": rcpt[0], "subject": message["Subject"], "body": message.get_body(("plain",)).get_content()}
            for rcpt, message in self.messages
        ]

    def wait_for(self, count=1, timeout=20):
        return wait_until(lambda: len(self.messages) >= count and self.mails(), timeout=timeout)
