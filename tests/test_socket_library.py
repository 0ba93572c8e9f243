"""The socket code reads simple-websocket's internals (its input buffer, event handling and wsproto
connection) to read in the socket's own greenlet. The versions are pinned in pyproject.toml; this test
drives a real simple-websocket server through those internals, so an upgrade that changes them fails here
first, loudly, instead of as sockets that hang in production."""

import socket
import struct
from importlib.metadata import version

import simple_websocket

from hearth.protocol import MAX_FRAME_BYTES
from hearth.realtime.hub import Connection, InlineReader, NoEvent

PINNED = {"simple-websocket": "1.1.0", "flask-sock": "0.7.0"}


def masked(opcode, payload):
    """A client frame: final, masked (with a zero key, so the payload reads as sent)."""
    assert len(payload) < 126
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + b"\x00\x00\x00\x00" + payload


def receive(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return data


def accepted_socket():
    server_side, client_side = socket.socketpair()
    client_side.settimeout(5)
    environ = {
        "werkzeug.socket": server_side,
        "HTTP_HOST": "localhost",
        "HTTP_CONNECTION": "Upgrade",
        "HTTP_UPGRADE": "websocket",
        "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
        "HTTP_SEC_WEBSOCKET_VERSION": "13",
    }
    ws = simple_websocket.Server(
        environ, thread_class=InlineReader, event_class=NoEvent, max_message_size=MAX_FRAME_BYTES
    )
    handshake = b""
    while b"\r\n\r\n" not in handshake:
        handshake += client_side.recv(4096)
    assert handshake.startswith(b"HTTP/1.1 101")
    return Connection(ws, user_id=1, session_id="s", key="k"), client_side


def test_the_installed_versions_are_the_pinned_ones():
    assert {name: version(name) for name in PINNED} == PINNED


def test_messages_pings_and_close_go_through_the_internals_the_socket_code_reads():
    conn, client = accepted_socket()
    messages = conn.messages()
    client.sendall(masked(0x9, b"hi") + masked(0x1, b'{"type":"ping"}'))
    assert next(messages) == '{"type":"ping"}'
    assert receive(client, 4) == b"\x8a\x02hi"  # the library's own pong, written through the connection
    assert conn.ping() is True and receive(client, 2) == b"\x89\x00"
    assert conn.ping() is False  # the first ping was never answered
    client.sendall(masked(0xA, b"") + masked(0x8, struct.pack("!H", 1000)))
    assert list(messages) == []
    assert conn.closed and not conn.reading
    assert int(conn.ws.close_reason) == 1000


def test_a_frame_over_the_limit_ends_the_reading_loop():
    conn, client = accepted_socket()
    messages = conn.messages()
    big = b"x" * (MAX_FRAME_BYTES + 1)
    client.sendall(struct.pack("!BBQ", 0x81, 0x80 | 127, len(big)) + b"\x00\x00\x00\x00" + big)
    assert list(messages) == []
    assert conn.closed
