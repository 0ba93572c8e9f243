"""RFC 6455 closing behaviour of /ws against the real server, in hand-built frames over a raw TCP socket.

Each case class is one that Autobahn|Testsuite's fuzzing client found Hearth out on: a data frame after
our Close when a message and a closing frame arrive in one read (cases 3.2-3.4, 4.1.3-4.1.5,
4.2.3-4.2.5, 5.15 and an ordinary client close), a 1009 Close lost to a reset when a message over the
limit is still arriving (9.1.4, 9.3.7, 9.4.7), and the socket_close log line naming who closed.
"""

import itertools
import json
import time

import pytest
from rawframes import CLOSE, CONTINUATION, TEXT, RawSocket, close_code, close_frame, frame
from servers import live_server, wait_until
from support import workspace_of
from wsclient import Person

from hearth.protocol import MAX_FRAME_BYTES
from hearth.realtime.connection import CLOSE_WAIT

names = (f"conform{i}" for i in itertools.count())
PING = '{"type":"ping","ref":"r1"}'
PONG = b'{"type":"pong","ref":"r1"}'

# the frame that closes the socket, the Close code the server sends, who closed
CLOSING_FRAMES = {
    "the client's own Close": (close_frame(1000), 1000, "client"),
    "a reserved bit (3.2-3.4)": (frame(TEXT, PING, rsv=0x20), 1002, "server"),
    "a reserved data opcode (4.1.3-4.1.5)": (frame(0x3, b"\x00"), 1002, "server"),
    "a reserved control opcode (4.2.3-4.2.5)": (frame(0xB, b"\x00"), 1002, "server"),
    "a continuation of nothing (5.15)": (frame(CONTINUATION, "fragment"), 1002, "server"),
    "invalid UTF-8": (frame(TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"), 1007, "server"),
}


server = live_server()


@pytest.fixture
def person(server):
    return Person(server.url, next(names))


@pytest.fixture
def raw(server, person):
    sock = RawSocket(server, person)
    yield sock
    sock.close()


def close_logged(server, person, timeout=5):
    """The socket_close log line of this person's (only) socket, once the server has written it."""
    found = []

    def logged():
        lines = (json.loads(line) for line in server.output().splitlines() if line.startswith("{"))
        found[:] = [l for l in lines if l.get("message") == "socket_close" and l.get("user_id") == person.id]
        return found

    assert wait_until(logged, timeout=timeout), "no socket_close log line"
    assert len(found) == 1, found
    return found[0]["close_code"], found[0]["closed_by"]


def test_a_message_on_its_own_is_answered(raw):
    raw.send(frame(TEXT, PING))
    assert raw.next_frame() == (TEXT, PONG)


@pytest.mark.parametrize("closing", CLOSING_FRAMES, ids=list(CLOSING_FRAMES))
def test_nothing_follows_the_close_when_a_message_and_a_closing_frame_arrive_together(server, person, raw, closing):
    closing_frame, code, closed_by = CLOSING_FRAMES[closing]
    channel = workspace_of(person).channel
    publish = {"type": "publish", "topic": f"chat:{channel['id']}", "ref": "p1"}
    publish["data"] = {"body": "sent just before", "client_id": "c1"}
    raw.send(frame(TEXT, json.dumps(publish)) + closing_frame)  # one write: the server reads both at once
    frames, ending = raw.frames_until_end(answer_close=closed_by == "server")  # a client's Close is sent once
    assert [op for op, _ in frames] == [CLOSE], frames  # the ack never follows the Close
    assert close_code(frames[0][1]) == code
    assert ending == "fin"
    assert close_logged(server, person) == (code, closed_by)
    stored = person.api("GET", f"/api/channels/{channel['id']}/messages").json()
    assert [m["body"] for m in stored] == ["sent just before"]  # sent before the Close: kept, though unanswered


@pytest.mark.parametrize("fragment", [None, 16 * 1024], ids=["one frame (9.1)", "16 KiB fragments (9.3, 9.4)"])
def test_a_message_over_the_limit_gets_its_1009_close_and_a_clean_end(server, person, raw, fragment):
    payload = b"x" * (200 * 1024)
    assert len(payload) > MAX_FRAME_BYTES
    if fragment is None:
        data = frame(TEXT, payload)
    else:
        pieces = [payload[i : i + fragment] for i in range(0, len(payload), fragment)]
        data = b"".join(
            frame(TEXT if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1) for i, piece in enumerate(pieces)
        )
    try:
        for start in range(0, len(data), 8 * 1024):  # written in pieces, as a client streams a large message
            raw.send(data[start : start + 8 * 1024])
    except (ConnectionResetError, BrokenPipeError) as e:
        pytest.fail(f"the server reset the connection while the message was still arriving: {e!r}")
    frames, ending = raw.frames_until_end()
    assert [(op, close_code(payload)) for op, payload in frames] == [(CLOSE, 1009)]
    assert ending == "fin"
    assert close_logged(server, person) == (1009, "server")


def test_a_client_that_never_answers_the_close_is_ended_with_a_fin_after_the_wait(server, person, raw):
    raw.send(frame(TEXT, b"x" * (MAX_FRAME_BYTES + 1)))
    frames, ending = raw.frames_until_end(timeout=CLOSE_WAIT + 3, answer_close=False)
    assert [(op, close_code(payload)) for op, payload in frames] == [(CLOSE, 1009)]
    assert ending == "fin"
    assert close_logged(server, person) == (1009, "server")


def test_after_a_frame_that_cannot_be_parsed_the_close_is_followed_at_once_by_a_fin(server, person, raw):
    """The client's Close can no longer be found in what follows a broken frame, so it is not waited for."""
    raw.send(frame(TEXT, b"\xff"))
    started = time.monotonic()
    frames, ending = raw.frames_until_end(timeout=CLOSE_WAIT + 3, answer_close=False)
    assert [(op, close_code(payload)) for op, payload in frames] == [(CLOSE, 1007)]
    assert ending == "fin" and time.monotonic() - started < CLOSE_WAIT
    assert close_logged(server, person) == (1007, "server")


def test_a_connection_dropped_without_a_close_is_logged_as_1006_by_the_client(server, person, raw):
    raw.send(frame(TEXT, PING))
    assert raw.next_frame() == (TEXT, PONG)
    raw.close()
    assert close_logged(server, person) == (1006, "client")


def test_a_socket_closed_by_the_server_is_logged_with_the_servers_code(server, person, raw):
    person.api("POST", "/auth/logout")
    frames, ending = raw.frames_until_end()
    assert [(op, close_code(payload)) for op, payload in frames] == [(CLOSE, 4403)]
    assert ending == "fin"
    assert close_logged(server, person) == (4403, "server")
