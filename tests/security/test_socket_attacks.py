"""Attacks on the socket's bookkeeping: outliving a logout, replaying the log to amplify traffic, and naming
one topic two ways."""

import itertools
import threading
import time

import pytest
from servers import running_hearth
from websockets.exceptions import InvalidStatus
from wsclient import Person

racers = (f"racer{i}" for i in itertools.count())


@pytest.fixture(
    scope="module",
    params=[(1, False), (1, True), (2, True)],
    ids=["one worker", "one worker on Redis", "two workers on Redis"],
)
def racing_server(request):
    """The socket cap's slot is claimed in Redis when it is set: a wait, during which a logout can run."""
    workers, on_redis = request.param
    env = {}
    if on_redis:
        redis = request.getfixturevalue("redis_server")
        redis.client.flushall()
        env = {"REDIS_URL": redis.url}
    with running_hearth(env, workers=workers) as hearth:
        yield hearth


def sockets_opened_during_logout(server):
    """Six sockets of a new session opening while it logs out; returns those that opened, and when logout returned."""
    victim = Person(server.url, next(racers))
    opened, start = [], threading.Barrier(7)

    def open_socket():
        start.wait()
        try:
            opened.append(victim.socket())
        except InvalidStatus as e:  # the logout came first: refused with 401, as it should be
            assert e.response.status_code == 401

    openers = [threading.Thread(target=open_socket) for _ in range(6)]
    for thread in openers:
        thread.start()
    start.wait()
    assert victim.api("POST", "/auth/logout").status_code == 204
    logged_out_at = time.monotonic()
    for thread in openers:
        thread.join(10)
    return opened, logged_out_at


def test_a_socket_opened_while_its_session_logs_out_is_closed_within_a_second(racing_server):
    """Each socket that got through must close with 4403 as promptly as those open before the logout
    (the upgrade had checked the session before the logout's close could find the socket)."""
    for trial in range(10):
        opened, logged_out_at = sockets_opened_during_logout(racing_server)
        for sock in opened:
            try:
                code = sock.close_code(timeout=max(0.05, logged_out_at + 1.5 - time.monotonic()))
            except TimeoutError:
                code = "still open"
            assert code == 4403, f"trial {trial}: a socket of the ended session is {code}"


def test_a_subscribe_loop_is_held_to_the_replay_budget(server, team):
    """Subscribe from 0, unsubscribe, again: each subscribe costs a few bytes and replays the whole topic."""
    channel = team.ours.channel["id"]
    for i in range(299):  # 300 events with the team's first message
        team.alice.api("POST", f"/api/channels/{channel}/messages", {"body": f"filler {i}", "client_id": f"f{i}"})
    sock, topic = team.bob.socket(), f"chat:{channel}"
    replayed = replays = 0
    while replays < 20:
        ref = sock.subscribe(topic, since=0)
        frame = sock.recv()
        if frame["type"] == "error":
            assert (frame["code"], frame["ref"]) == ("rate_limited", ref)
            break
        while frame["type"] == "event":
            replayed += 1
            frame = sock.recv()
        assert frame["type"] == "subscribed", frame
        replays += 1
        sock.request("unsubscribe", topic=topic)
        sock.expect("unsubscribed")
    assert replays == 16 and replayed == 16 * 300  # 5,000 events in 10 s: 16 replays of 300 fit, the 17th not
    assert sock.alive()  # refused, not cut off


@pytest.mark.parametrize("alias", ["presence:0{id}", "presence:00{id}", "chat:0{channel}", "board:0{board}"])
def test_a_topic_is_known_by_one_name_only(team, alias):
    """`presence:010` was a second subscription to `presence:10`: watching presence while counted as gone."""
    ours = team.ours
    topic = alias.format(id=ours.workspace["id"], channel=ours.channel["id"], board=ours.board["id"])
    watcher, sock = team.bob.socket(), None
    ref = watcher.subscribe(topic, since=None)
    watcher.expect("error", ref=ref, code="not_found")
    assert watcher.alive()
    if topic.startswith("presence:"):  # and under the alias, no presence frame ever comes
        sock = team.alice.socket()
        sock.subscribe(f"presence:{ours.workspace['id']}")
        sock.expect("subscribed")
        sock.expect("presence_state")
        assert watcher.quiet(0.5)
