"""Accepting a checked upgrade: the 101 written straight from the request's headers.

flask-sock hands each upgrade to simple-websocket, which rebuilds the request as
bytes, parses it again through h11 and wsproto to reach the one value the answer
needs (the accept key), and builds a response class per request: together about
a tenth of an authenticated upgrade's CPU, paid again by every tab of a
reconnect storm. The request was already parsed by gunicorn and checked by
Hearth (Origin, token, session, cap); what is left is RFC 6455's handful of
header rules and a 101 whose only variable part is that key.

The socket is still simple-websocket's (framing by wsproto), with its handshake
done here: no subprotocol, no extension (permessage-deflate would cost tens of
KiB per socket for frames of a few hundred bytes).
"""

import base64
import binascii
import hashlib

from flask import Response
from simple_websocket import Server
from wsproto import ConnectionType
from wsproto.connection import Connection as Protocol

from hearth.protocol import MAX_FRAME_BYTES
from hearth.realtime.hub import InlineReader, NoEvent

WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
VERSION = "13"
# read by the socket's own greenlet (hub.Connection.messages): no reader thread, no event to wait on
OPTIONS = {"max_message_size": MAX_FRAME_BYTES, "thread_class": InlineReader, "event_class": NoEvent}


def handshake_problem(environ):
    """What makes this upgrade no WebSocket opening handshake (RFC 6455 §4.2.1), or None.

    The route is a websocket one: routing has already refused a request without `Upgrade: websocket`
    and `Connection: Upgrade`.
    """
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION") != VERSION:
        return f"Unsupported WebSocket version: send Sec-WebSocket-Version: {VERSION}."
    try:
        nonce = base64.b64decode(environ.get("HTTP_SEC_WEBSOCKET_KEY", ""), validate=True)
    except (binascii.Error, ValueError):
        nonce = b""
    if len(nonce) != 16:
        return "Sec-WebSocket-Key must be 16 bytes in base64."
    return None


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + WEBSOCKET_GUID).digest())


class AcceptedSocket(Server):
    """simple-websocket's server socket, its handshake answered from the WSGI environ (checked before)."""

    def __init__(self, environ):
        super().__init__(environ, **OPTIONS)

    def handshake(self):
        self.ws = Protocol(ConnectionType.SERVER)  # past the handshake: framing only
        self.sock.sendall(SWITCHING + accept_key(self.environ["HTTP_SEC_WEBSOCKET_KEY"]) + b"\r\n\r\n")
        self.connected = True


class SocketServed(Response):
    """What the view returns once its socket is done: under gunicorn nothing more is written on the connection
    (the StopIteration is gunicorn's way to drop it); the development server gets an ordinary response."""

    def __call__(self, environ, start_response):
        if "gunicorn.socket" in environ:
            raise StopIteration()
        return super().__call__(environ, start_response)
