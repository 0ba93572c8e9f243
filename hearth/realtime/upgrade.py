"""What Hearth adds to flask-sock's upgrade: the handshake's checks, the socket's options, the checked caller.

flask-sock (simple-websocket, wsproto) answers the handshake and serves the socket. Two things it
leaves to the app: a malformed handshake would reach wsproto and end as a 500, so it is refused here
first with a 400 saying what to send; and its defaults (a reader thread per socket, no size limit,
permessage-deflate accepted) are not Hearth's.
"""

import base64
import binascii
from typing import NamedTuple

from hearth.protocol import MAX_FRAME_BYTES
from hearth.realtime.connection import InlineReader, NoEvent

VERSION = "13"
# read by the socket's own greenlet (Connection.messages, connection.py): no reader thread, no event to wait on;
# the maintenance loop pings (dead peers are reaped), frames over the limit close with 1009
SERVER_OPTIONS = {"max_message_size": MAX_FRAME_BYTES, "thread_class": InlineReader, "event_class": NoEvent}


class CheckedUpgrade(NamedTuple):
    """Who an accepted upgrade belongs to, as its checks found it; the socket is served with this alone."""

    user_id: int
    session_id: int
    socket_key: str  # its slot in the user's socket cap
    checked_at: float  # monotonic time the checks began: a session ended after it is caught once served
    request_id: str | None


def init_app(app):
    app.config.setdefault("SOCK_SERVER_OPTIONS", SERVER_OPTIONS)


def handshake_problem(environ):
    """What makes this upgrade no WebSocket opening handshake (RFC 6455 §4.2.1), or None.

    The route is a websocket one: routing has already refused a request without `Upgrade: websocket`
    and `Connection: Upgrade`.
    """
    if not environ.get("HTTP_HOST"):
        return "Send a Host header."
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION") != VERSION:
        return f"Unsupported WebSocket version: send Sec-WebSocket-Version: {VERSION}."
    try:
        nonce = base64.b64decode(environ.get("HTTP_SEC_WEBSOCKET_KEY", ""), validate=True)
    except (binascii.Error, ValueError):
        nonce = b""
    if len(nonce) != 16:
        return "Sec-WebSocket-Key must be 16 bytes in base64."
    return None


def decline_extensions(environ):
    """permessage-deflate would keep tens of KiB of zlib state per socket for frames of a few hundred
    bytes, and simple-websocket accepts it from every client that offers it (all browsers do)."""
    environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
