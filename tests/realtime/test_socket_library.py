"""The socket code reads simple-websocket's internals (its input buffer, event handling and wsproto
connection) to read in the socket's own greenlet. The versions are pinned in pyproject.toml; this test
drives a real simple-websocket server through those internals, so an upgrade that changes them fails here
first, loudly, instead of as sockets that hang in production."""

import socket
import struct
from importlib.metadata import version

import simple_websocket
from wsproto.connection import ConnectionState

from hearth.protocol import MAX_FRAME_BYTES
from hearth.realtime.connection import Connection, InlineReader, NoEvent

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


def close_code_read(sock):
    """The code of the Close frame that must come next."""
    header = receive(sock, 2)
    assert header[0] == 0x88, header
    return struct.unpack("!H", receive(sock, header[1])[:2])[0]


def nothing_more(sock, wait=0.2):
    """True when no byte arrives within `wait` seconds (in these tests nothing ends the connection)."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) is None
    except TimeoutError:
        return True
    finally:
        sock.settimeout(5)


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


def test_a_frame_over_the_limit_is_closed_with_1009_and_read_on_until_the_clients_close():
    conn, client = accepted_socket()
    big = b"x" * (MAX_FRAME_BYTES + 1)
    client.sendall(
        struct.pack("!BBQ", 0x81, 0x80 | 127, len(big))
        + b"\x00\x00\x00\x00"
        + big
        + masked(0x1, b'{"type":"ping"}')
        + masked(0x8, struct.pack("!H", 1000))
    )
    assert list(conn.messages()) == []  # what follows our Close is read and discarded, up to the client's Close
    assert conn.ws.ws.state is ConnectionState.CLOSED and not conn.reading
    assert close_code_read(client) == 1009
    assert nothing_more(client)
    assert (conn.close_code, conn.closed_by) == (1009, "server")  # seen where the protocol made the Close


def test_a_frame_that_cannot_be_parsed_ends_our_writing_after_the_message_before_it():
    conn, client = accepted_socket()
    client.sendall(masked(0x1, b'{"type":"ping"}') + masked(0x1, b"\xff"))
    client.shutdown(socket.SHUT_WR)  # the client's end comes after the frames, so the reading loop can finish
    messages = conn.messages()
    assert next(messages) == '{"type":"ping"}'  # sent before the bad frame: still acted on
    conn.send({"type": "pong"})  # but its answer would follow our Close: not written
    assert list(messages) == []
    assert int(conn.ws.close_reason) == 1007  # recorded for a parse failure: how one is told apart
    assert close_code_read(client) == 1007
    assert client.recv(1) == b""  # our FIN right after the Close
    assert (conn.close_code, conn.closed_by) == (1007, "server")


def test_a_message_read_with_the_clients_close_is_handed_on_and_nothing_follows_the_close():
    conn, client = accepted_socket()
    client.sendall(masked(0x1, b'{"type":"ping"}') + masked(0x8, struct.pack("!H", 1000)))
    messages = conn.messages()
    assert next(messages) == '{"type":"ping"}'
    conn.send({"type": "pong"})  # its answer, from this greenlet or any other, is not written
    assert list(messages) == []
    assert close_code_read(client) == 1000
    assert nothing_more(client)
    assert (conn.close_code, conn.closed_by) == (1000, "client")


def test_once_the_server_is_ending_a_socket_no_buffered_message_is_handed_on():
    conn, client = accepted_socket()
    client.sendall(masked(0x1, b'{"type":"ping","ref":"1"}') + masked(0x1, b'{"type":"ping","ref":"2"}'))
    messages = conn.messages()
    assert next(messages) == '{"type":"ping","ref":"1"}'
    conn.close_soon(4403, "session ended")  # as a revoked session's socket is closed
    assert close_code_read(client) == 4403
    client.sendall(masked(0x8, struct.pack("!H", 4403)))  # the client answers the Close
    assert list(messages) == []  # the second ping, read with the first, is not acted on
    assert (conn.close_code, conn.closed_by) == (4403, "server")
