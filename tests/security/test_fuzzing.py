"""Property-based fuzzing (hypothesis) of the socket protocol and the JSON API, against the running server.

Frames and requests are drawn near the protocol (right types and real ids, some from another
workspace) and far from it (any JSON, any text). Whatever comes: the worker never crashes or
logs a traceback, the well-behaved neighbour stays connected and sees every stored event once,
and stored data changes exactly as the acks and 2xx answers say.
"""

import collections
import contextlib
import itertools
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wsclient import worker_of

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def near(good):
    """Mostly a plausible value, sometimes any JSON at all."""
    return st.one_of(good, good, any_json)


def frames(team):
    ours, theirs = team.ours, team.theirs
    topics = [
        f"{kind}:{place.__dict__[attr]['id']}"
        for place in (ours, theirs)
        for kind, attr in (("chat", "channel"), ("board", "board"), ("presence", "workspace"))
    ]
    data = st.fixed_dictionaries(
        {},
        optional={
            "body": near(st.text(max_size=40)),
            "client_id": near(st.text(min_size=1, max_size=8)),
            "op": near(st.sampled_from(["card.create", "card.update", "card.move", "card.delete"])),
            "card_id": near(st.sampled_from([ours.card["id"], theirs.card["id"], 0, 2**31])),
            "column_id": near(st.sampled_from(ours.columns + theirs.columns)),
            "version": near(st.integers(0, 4)),
            "title": near(st.text(max_size=30)),
            "position": near(st.integers(-2, 4)),
        },
    )
    frame = st.fixed_dictionaries(
        {"type": near(st.sampled_from(["subscribe", "unsubscribe", "publish", "ping"]))},
        optional={
            "topic": near(st.sampled_from(topics + ["chat:0", "chat:x", "board:"])),
            "since": near(st.none() | st.integers(-1, 6)),
            "ref": near(st.text(max_size=8)),
            "data": near(data),
        },
    )
    return frame.map(json.dumps) | any_json.map(json.dumps) | st.text(max_size=40)


def head(sock, topic):
    """The topic's current seq, read by subscribing (and leaving again)."""
    ref = sock.subscribe(topic)
    seq = sock.expect("subscribed", ref=ref)["seq"]
    sock.request("unsubscribe", topic=topic)
    sock.expect("unsubscribed")
    return seq


def test_random_frames_crash_nothing_disturb_no_one_and_store_only_what_they_ack(server, module_team):
    team = module_team
    ours, theirs = team.ours, team.theirs
    probe = {"ours": team.alice.socket(), "theirs": team.mallory.socket()}
    watched = {
        f"{kind}:{place.__dict__[attr]['id']}": side
        for side, place in (("ours", ours), ("theirs", theirs))
        for kind, attr in (("chat", "channel"), ("board", "board"))
    }
    before = {topic: head(probe[place], topic) for topic, place in watched.items()}
    neighbour = team.bob.socket()
    neighbour.subscribe(f"chat:{ours.channel['id']}", since=0)
    worker, log_start = worker_of(server, neighbour), len(server.output())
    fuzzers = itertools.cycle([team.alice.socket() for _ in range(8)])  # spread over sockets: under the frame rate
    acked = {topic: set() for topic in watched}
    answers = collections.Counter()

    @FUZZ
    @given(frames(team))
    def send(frame):
        sock = next(fuzzers)
        sock.ws.send(frame)
        marker = sock.request("ping")
        while (answer := sock.recv()).get("ref") != marker:
            answers[answer.get("code", answer["type"])] += 1
            if answer["type"] == "ack":
                acked[json.loads(frame)["topic"]].add(answer["seq"])
            if answer["type"] == "error":
                assert answer["code"] in (
                    "invalid_json",
                    "invalid_message",
                    "unknown_topic",
                    "not_found",
                    "conflict",
                    "rate_limited",
                ), (frame, answer)

    send()
    assert answers["rate_limited"] < answers.total() / 10, answers  # the fuzzing reached the handlers
    for topic, place in watched.items():  # each stored change was acked once; nothing else was stored
        assert head(probe[place], topic) - before[topic] == len(acked[topic]), topic
    assert not acked[f"chat:{theirs.channel['id']}"] and not acked[f"board:{theirs.board['id']}"]
    seen = []
    with contextlib.suppress(TimeoutError):
        while True:
            if (frame := neighbour.recv(timeout=1))["type"] == "event":
                seen.append(frame["seq"])
    assert seen == list(range(1, head(probe["ours"], f"chat:{ours.channel['id']}") + 1))  # each once, in order
    neighbour.alive()
    assert worker_of(server, neighbour) == worker  # the same worker, never restarted
    assert "Traceback" not in server.output()[log_start:]


API_PATHS = [
    "/api/workspaces",
    "/api/workspaces/{w}/members",
    "/api/workspaces/{w}/channels",
    "/api/workspaces/{w}/boards",
    "/api/channels/{c}/messages",
    "/api/boards/{b}",
    "/api/boards/{b}/cards",
    "/api/cards/{card}",
    "/api/me",
    "/api/channels/{c}/messages?before={n}",
    "/api/channels/{c}/messages?after={n}&limit={n}",
]


def requests_for(team):
    places = (team.ours, team.theirs)
    ids = st.fixed_dictionaries(
        {
            "w": st.sampled_from([p.workspace["id"] for p in places] + [0, 2**31]),
            "c": st.sampled_from([p.channel["id"] for p in places]),
            "b": st.sampled_from([p.board["id"] for p in places]),
            "card": st.sampled_from([p.card["id"] for p in places]),
            "n": st.sampled_from(["0", "-1", "abc", "99999999999999999999", "1e3", ""]),
        }
    )
    body = near(
        st.fixed_dictionaries(
            {},
            optional={
                "name": near(st.text(max_size=90)),
                "username": near(st.sampled_from([team.bob.username, team.mallory.username])),
                "body": near(st.text(max_size=50)),
                "client_id": near(st.text(max_size=8)),
                "column_id": near(st.sampled_from(team.ours.columns + team.theirs.columns)),
                "title": near(st.text(max_size=30)),
                "version": near(st.integers(0, 4)),
                "position": near(st.integers(-2, 4)),
            },
        )
    )
    return st.tuples(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]), st.sampled_from(API_PATHS), ids, body)


def test_random_api_requests_never_fail_and_change_nothing_unless_they_succeed(server, module_team, snapshot):
    team = module_team
    alice = team.alice
    theirs = {
        "w": team.theirs.workspace["id"],
        "c": team.theirs.channel["id"],
        "b": team.theirs.board["id"],
        "card": team.theirs.card["id"],
    }

    def state():
        return [snapshot(alice, team.ours), snapshot(team.mallory, team.theirs)]

    @settings(FUZZ, max_examples=100)
    @given(requests_for(team))
    def send(request):
        method, path, ids, body = request
        before = state() if method != "GET" else None
        response = alice.http.request(
            method,
            server.url + path.format(**ids),
            json=body,
            headers={"X-CSRF-TOKEN": alice.http.cookies.get("csrf_access_token")},
        )
        assert response.status_code < 500, (method, path, ids, body, response.text[:200])
        used = {field for _, field, _, _ in string.Formatter().parse(path) if field}
        if any(ids[key] == theirs[key] for key in used & theirs.keys()):
            assert response.status_code in (404, 405), (
                method,
                path,
                ids,
                response.text[:200],
            )  # Mallory's: no such thing
        if response.status_code >= 400:
            assert response.json()["error"]
            if before:
                assert state() == before, (method, path, ids, body)

    send()
    assert alice.api("GET", "/api/me").status_code == 200
