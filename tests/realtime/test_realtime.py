"""The socket logic without a socket: delivery by seq, replay meeting live, slow readers, presence, limits."""

import json
import threading
import time

import pytest
from support import wait_until
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection

from hearth.realtime.broker import LocalBroker
from hearth.realtime.connection import Connection
from hearth.realtime.hub import Hub
from hearth.realtime.limits import SlidingBudget, TokenBucket
from hearth.realtime.presence import Presence
from hearth.realtime.registry import MemoryRegistry
from hearth.realtime.wire import event_frame, text_frame
from hearth.workspaces.topics import Topic


class FakeSocket:
    def __init__(self, block=False):
        self.sent = []
        self.block = threading.Event() if block else None

    def sendall(self, data):
        if self.block is not None:
            self.block.wait()
        self.sent.append(data)

    def shutdown(self, how):
        self.shut = how


class FakeProtocol:
    """The wsproto connection beneath: every Close frame is made by its send."""

    state = ConnectionState.OPEN

    def send(self, event):
        if isinstance(event, CloseConnection):
            self.state = ConnectionState.LOCAL_CLOSING
        return b""


class FakeWS:
    """What Connection needs of simple_websocket's Server."""

    def __init__(self, block=False):
        self.sock = FakeSocket(block)
        self.ws = FakeProtocol()
        self.closed_with = None

    def close(self, reason=None, message=None):
        self.ws.send(CloseConnection(reason, message))
        self.closed_with = (reason, message)


def written(conn):
    """True once every frame handed to the connection's writer has been written."""
    return conn._pending == 0


def frames_of(conn, timeout=2):
    """The JSON payloads the connection's writer has written, once it has written all it was given."""
    assert wait_until(lambda: written(conn), timeout), "the writer did not drain"
    return [json.loads(decode(frame)) for frame in conn.ws.sock.sent]


def decode(frame):
    length = frame[1] & 0x7F
    offset = 2 if length < 126 else 4 if length == 126 else 10
    return frame[offset:].decode()


def event(topic, seq):
    return event_frame(topic, seq, "message.created", json.dumps({"n": seq}))


@pytest.fixture
def hub_and_conn():
    hub = Hub()
    ws = FakeWS()
    conn = Connection(ws, user_id=1, session_id=7, key="k1")
    hub.add(conn)
    yield hub, conn, ws
    conn.stop_writer()


def test_text_frames_use_the_right_length_encoding():
    for size, header in ((5, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)):
        frame = text_frame("x" * size)
        assert frame[0] == 0x81 and len(frame) == size + header


def test_topic_parse():
    assert Topic.parse("chat:12") == ("chat", 12)
    assert Topic.parse("presence:3") == ("presence", 3)
    for bad, code in (
        ("weather:1", "unknown_topic"),
        ("chat", "not_found"),
        ("chat:-1", "not_found"),
        ("chat:１", "not_found"),
        ("board:1e3", "not_found"),
        ("chat:2147483648", "not_found"),
        ("chat:" + "9" * 40, "not_found"),
        ("presence:010", "not_found"),  # one topic, one name: never a second key for presence:10
        ("chat:00", "not_found"),
    ):
        with pytest.raises(ValueError, match=code):
            Topic.parse(bad)


def test_live_events_go_out_once_and_in_order(hub_and_conn):
    hub, conn, ws = hub_and_conn
    sub = hub.subscribe(conn, "chat:1")
    sub.last_seq = 0
    sub.release()  # live from here
    for seq in (1, 2, 2, 1, 3):
        hub.deliver_event("chat:1", seq, event("chat:1", seq))
    hub.deliver_event("chat:2", 1, event("chat:2", 1))  # not subscribed
    assert [f["seq"] for f in frames_of(conn)] == [1, 2, 3]


def test_an_event_frame_is_built_once_for_every_subscriber():
    hub = Hub()
    conns = [Connection(FakeWS(), user_id=i, session_id=i, key=f"k{i}") for i in range(3)]
    for conn in conns:
        hub.add(conn)
        sub = hub.subscribe(conn, "chat:1")
        sub.last_seq = 0
        sub.release()  # live from here
    hub.deliver_event("chat:1", 1, event("chat:1", 1))
    assert wait_until(lambda: all(conn.ws.sock.sent for conn in conns), timeout=2)
    sent = [conn.ws.sock.sent[0] for conn in conns]
    assert all(frame is sent[0] for frame in sent)
    for conn in conns:
        conn.stop_writer()


def test_replay_meets_live_without_gap_or_duplicate(hub_and_conn):
    hub, conn, ws = hub_and_conn
    sub = hub.subscribe(conn, "chat:1")  # buffering from here
    sub.last_seq = 5
    # live events arrive while the replay is being read: some of them the replay also finds
    for seq in (8, 9, 10):
        hub.deliver_event("chat:1", seq, event("chat:1", seq))
    replayed = [(seq, text_frame(event("chat:1", seq))) for seq in (6, 7, 8, 9)]
    hub.replay(conn, sub, replayed)
    conn.send({"type": "subscribed", "topic": "chat:1", "seq": sub.last_seq})
    hub.go_live(conn, sub)
    hub.deliver_event("chat:1", 11, event("chat:1", 11))
    frames = frames_of(conn)
    assert [f.get("seq") for f in frames] == [6, 7, 8, 9, 9, 10, 11]
    assert frames[4]["type"] == "subscribed"


def test_a_gap_is_filled_from_the_log_before_going_on(hub_and_conn):
    hub, conn, ws = hub_and_conn
    sub = hub.subscribe(conn, "chat:1")
    sub.last_seq = 1
    sub.release()  # live from here
    gaps = []
    hub.on_gap = lambda c, s: gaps.append(s)
    hub.deliver_event("chat:1", 4, event("chat:1", 4))  # 2 and 3 were lost on the way
    hub.deliver_event("chat:1", 5, event("chat:1", 5))
    assert gaps == [sub]
    hub.replay(conn, sub, [(seq, text_frame(event("chat:1", seq))) for seq in (2, 3, 4)])
    hub.go_live(conn, sub)
    assert [f["seq"] for f in frames_of(conn)] == [2, 3, 4, 5]


def test_a_slow_reader_is_closed_with_1008_and_stalls_no_one():
    hub = Hub()
    slow_ws, fast_ws = FakeWS(block=True), FakeWS()
    slow = Connection(slow_ws, user_id=1, session_id=1, key="slow", queue_size=4)
    fast = Connection(fast_ws, user_id=2, session_id=2, key="fast", queue_size=4)
    for conn in (slow, fast):
        hub.add(conn)
        sub = hub.subscribe(conn, "chat:1")
        sub.last_seq = 0
        sub.release()  # live from here
    started = time.monotonic()
    for seq in range(1, 11):
        hub.deliver_event("chat:1", seq, event("chat:1", seq))
        assert wait_until(lambda: written(fast), timeout=1)  # the fast reader keeps up
    assert time.monotonic() - started < 1
    wait_until(lambda: slow_ws.closed_with is not None, timeout=2)
    assert slow.closed and (slow.close_code, slow.closed_by) == (1008, "server")
    assert slow_ws.closed_with is None or slow_ws.closed_with[0] == 1008
    slow_ws.sock.block.set()
    assert [f["seq"] for f in frames_of(fast)] == list(range(1, 11))
    fast.stop_writer()


def test_closing_a_session_closes_only_its_connections():
    hub = Hub()
    mine = [Connection(FakeWS(), user_id=1, session_id=10, key=f"m{i}") for i in range(2)]
    other = Connection(FakeWS(), user_id=1, session_id=11, key="o")
    for conn in (*mine, other):
        hub.add(conn)
    hub.close_sessions([10], 4403, "session ended")
    wait_until(lambda: all(c.ws.closed_with for c in mine), timeout=2)
    assert [c.ws.closed_with for c in mine] == [(4403, "session ended")] * 2
    assert other.ws.closed_with is None and not other.closed
    other.stop_writer()


def test_token_bucket_allows_bursts_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] += 1.0
    assert [bucket.take() for _ in range(3)] == [True, True, False]


def test_sliding_budget_counts_what_was_spent_in_the_last_window_only():
    now = [0.0]
    budget = SlidingBudget(limit=5000, window=10, clock=lambda: now[0])
    for second in range(5):
        now[0] = second
        assert budget.take(1000)
    assert not budget.take(1)  # a refusal spends nothing
    now[0] = 9.9
    assert not budget.take(1)
    now[0] = 10.0  # the first 1,000 age out, the others still count
    assert budget.take(1000) and not budget.take(1)
    now[0] = 20.0
    assert budget.take(5000)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_failing_broker_handler_is_logged_and_the_others_still_get_the_message(caplog):
    """In one process as across Redis: publishing follows a commit, so a handler's bug never reaches the publisher."""
    broker, heard = LocalBroker(), []

    def broken(message):
        raise RuntimeError("a bug in one handler")

    broker.subscribe("events", broken)
    broker.subscribe("events", heard.append)
    broker.publish("events", "chat:1\n1")
    assert heard == ["chat:1\n1"]
    assert any("broker handler for events failed" in r.getMessage() and r.exc_info for r in caplog.records)


class Member:
    def __init__(self, user_id, key):
        self.user_id, self.key = user_id, key


def make_presence(grace=5):
    clock = Clock()
    hub, broker = Hub(), LocalBroker()
    users = lambda ids: {i: {"id": i, "username": f"u{i}", "display_name": f"U{i}"} for i in ids}  # noqa: E731
    presence = Presence(MemoryRegistry(clock), broker, hub, users, grace)
    diffs = []
    broker.subscribe("presence", lambda message: diffs.append(json.loads(message.split("\n", 2)[2])))
    return presence, clock, diffs


def test_presence_joins_once_per_user_and_counts_sockets():
    presence, clock, diffs = make_presence()
    state = presence.join(Member(1, "a"), 9)
    assert state == [{"id": 1, "username": "u1", "display_name": "U1", "connections": 1}]
    presence.join(Member(1, "b"), 9)
    presence.join(Member(2, "c"), 9)
    assert [[u["id"] for u in d["joins"]] for d in diffs] == [[1], [2]]
    assert [(u["id"], u["connections"]) for u in presence.state(9)] == [(1, 2), (2, 1)]


def test_presence_leave_comes_after_the_grace_and_only_for_the_last_socket():
    presence, clock, diffs = make_presence(grace=5)
    first, second = Member(1, "a"), Member(1, "b")
    presence.join(first, 9)
    presence.join(second, 9)
    presence.leave(first, 9)
    clock.now += 6
    presence.sweep(9)
    assert all(not d["leaves"] for d in diffs)
    presence.leave(second, 9)
    clock.now += 2
    presence.sweep(9)  # inside the grace: still present
    assert presence.state(9) and all(not d["leaves"] for d in diffs)
    clock.now += 4
    presence.sweep(9)
    assert [u["id"] for u in diffs[-1]["leaves"]] == [1]
    assert presence.state(9) == []


def test_presence_of_a_dead_worker_expires_within_a_minute():
    presence, clock, diffs = make_presence()
    presence.join(Member(1, "gone-with-its-worker"), 9)
    presence.local.clear()  # that worker died: nobody refreshes its member any more
    clock.now += 30
    presence.heartbeat()
    assert presence.state(9)
    clock.now += 31
    presence.sweep(9)
    assert [u["id"] for u in diffs[-1]["leaves"]] == [1]


def test_socket_slots_are_capped_and_expire():
    clock = Clock()
    registry = MemoryRegistry(clock)
    assert all(registry.claim("sockets:1", f"k{i}", 60, limit=3) for i in range(3))
    assert not registry.claim("sockets:1", "k3", 60, limit=3)
    assert registry.claim("sockets:1", "k0", 60, limit=3)  # refreshing a held slot is no new slot
    registry.release("sockets:1", "k1")
    assert registry.claim("sockets:1", "k3", 60, limit=3)
    clock.now += 61
    assert registry.claim("sockets:1", "k4", 60, limit=3)
    assert registry.live("sockets:1") == ["k4"]


UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}


def test_a_stopping_worker_refuses_upgrades_at_once_with_503_and_retry_after(app, client, auth):
    """After SIGTERM the worker still accepts for up to a second; a socket it took would hold its exit up."""
    auth.register()
    headers = {**UPGRADE, "Origin": "http://localhost", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    app.extensions["hearth.sockets"].going_away = True
    refused = client.get("/ws", headers=headers)
    assert (refused.status_code, refused.json["error"], refused.headers["Retry-After"]) == (503, "unavailable", "1")
    # before any other check: a stopping worker spends nothing on a socket it will not keep
    foreign = client.get("/ws", headers={**headers, "Origin": "https://evil.example"})
    assert foreign.status_code == 503
