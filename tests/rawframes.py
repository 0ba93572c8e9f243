"""A WebSocket client that writes hand-built frames over a plain TCP socket and reports every byte it gets back.

A real client library would refuse to send a bad frame and would hide what arrives after a Close; this
one writes exactly what a test asks for and reads until the server ends the TCP connection, telling a
clean end (FIN) from a reset.
"""

import socket
import struct
import time

MASK = b"\x37\xfa\x21\x3d"
TEXT, BINARY, CONTINUATION, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9


def frame(opcode, payload=b"", fin=True, rsv=0, mask=MASK):
    """A client frame: masked, as every client frame must be; `rsv` is the reserved bits (0x40, 0x20, 0x10)."""
    payload = payload.encode() if isinstance(payload, str) else payload
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, n)
    return header + mask + masked(payload, mask)


def masked(payload, mask=MASK):
    """The payload XORed with the mask (the same operation masks and unmasks)."""
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(len(payload), "big")


def close_frame(code=1000, reason=b""):
    return frame(CLOSE, struct.pack("!H", code) + reason)


class RawSocket:
    """An upgraded /ws connection of `person`, spoken to in raw frames."""

    def __init__(self, server, person, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {server.url}\r\nCookie: {person.cookie_header()}\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            assert chunk, response
            response += chunk
        head, self.unread = response.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, data):
        self.sock.sendall(data)

    def next_frame(self, timeout=5):
        """The next server frame as (opcode, payload); None when the server ended the connection first."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = server_frame(self.unread)
            if parsed is not None:
                opcode, payload, size = parsed
                self.unread = self.unread[size:]
                return opcode, payload
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                assert not self.unread, f"the connection ended inside a frame: {self.unread!r}"
                return None
            self.unread += chunk

    def frames_until_end(self, timeout=5, answer_close=True):
        """Every frame until the server ends the connection, and how it ended: "fin" or "reset".

        With `answer_close`, the server's Close is answered as a well-behaved client does; like one, the
        client closes its socket once the server has ended the connection.
        """
        frames = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                received = self.next_frame(timeout=deadline - time.monotonic())
            except ConnectionResetError:
                return frames, "reset"
            if received is None:
                self.close()
                return frames, "fin"
            if received[0] == CLOSE and answer_close and not any(op == CLOSE for op, _ in frames):
                try:
                    self.send(close_frame(close_code(received[1])))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the reset shows on the next read
            frames.append(received)
        raise AssertionError(f"the server did not end the connection within {timeout} s; got {frames}")

    def close(self):
        self.sock.close()


def server_frame(data):
    """(opcode, payload, size) of the first complete unmasked frame in `data`, or None."""
    if len(data) < 2:
        return None
    opcode, n = data[0] & 0x0F, data[1] & 0x7F
    assert not data[1] & 0x80, "a server frame must not be masked"
    offset = 2
    if n == 126:
        if len(data) < 4:
            return None
        n, offset = struct.unpack("!H", data[2:4])[0], 4
    elif n == 127:
        if len(data) < 10:
            return None
        n, offset = struct.unpack("!Q", data[2:10])[0], 10
    if len(data) < offset + n:
        return None
    return opcode, data[offset : offset + n], offset + n


def close_code(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
