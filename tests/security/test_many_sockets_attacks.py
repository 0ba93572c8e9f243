"""One user with many sockets: each socket had budgets of its own, so 50 sockets had 50 times the user's.

Over HTTP the write limit stored 30 of 60 messages; 50 sockets stored 1,511 in 5.6 s. And 50 sockets
each replaying a topic from 0 read one user 122 MB in 10 s.
"""

import threading
import time

import pytest
from servers import Hearth, Redis
from support import workspace_of
from wsclient import Person


@pytest.fixture(scope="module")
def limited_two_workers():
    """The documented write limit (10 a second, bursts of 30), on two workers sharing Redis."""
    redis = Redis()
    hearth = Hearth(
        env={"REDIS_URL": redis.url, "HEARTH_API_WRITE_RATE": "10", "HEARTH_API_WRITE_BURST": "30"}, workers=2
    ).start()
    yield hearth
    hearth.stop()
    redis.stop()


def test_many_sockets_of_one_user_publish_within_the_users_write_limit(limited_two_workers):
    flooder = Person(limited_two_workers.url, "flooder")
    channel = workspace_of(flooder, channels=("general",), boards=()).channel  # 2 writes of the burst
    topic = f"chat:{channel['id']}"
    sockets = [flooder.socket() for _ in range(20)]
    stored, refused = [], []
    started = time.monotonic()

    def flood(sock, n):
        for i in range(40):
            ref = sock.request("publish", topic=topic, data={"body": f"{n}-{i}", "client_id": f"{n}-{i}"})
            while True:
                frame = sock.recv(10)
                if frame.get("ref") == ref:
                    (stored if frame["type"] == "ack" else refused).append(frame.get("code"))
                    break

    threads = [threading.Thread(target=flood, args=(sock, n)) for n, sock in enumerate(sockets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    assert len(stored) + len(refused) == 800
    assert set(refused) == {"rate_limited"}
    # the user's burst, then 10 a second (and the one refill that may fall due as the clock is read)
    assert len(stored) <= 30 + 10 * elapsed + 1, (len(stored), elapsed)
    over_http = flooder.api("POST", f"/api/channels/{channel['id']}/messages", {"body": "x", "client_id": "h"})
    assert over_http.status_code == 429  # the sockets spent the limit HTTP writes count toward


def test_many_sockets_of_one_user_share_one_replay_budget(server, team):
    """Each socket subscribing from 0 again and again: 10 sockets had 10 budgets of 5,000 events in 10 s."""
    channel = team.ours.channel["id"]
    for i in range(299):  # 300 events with the team's first message
        team.alice.api("POST", f"/api/channels/{channel}/messages", {"body": f"filler {i}", "client_id": f"f{i}"})
    topic = f"chat:{channel}"
    replayed = []

    def replay_loop(sock):
        for _ in range(20):
            sock.subscribe(topic, since=0)
            frame = sock.recv()
            if frame["type"] == "error":
                assert frame["code"] == "rate_limited"
                return
            while frame["type"] == "event":
                replayed.append(1)
                frame = sock.recv()
            sock.request("unsubscribe", topic=topic)
            sock.expect("unsubscribed")

    sockets = [team.bob.socket() for _ in range(10)]
    threads = [threading.Thread(target=replay_loop, args=(sock,)) for sock in sockets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(replayed) <= 5000  # one user's budget, however many sockets ask
    assert all(sock.alive() for sock in sockets)  # refused, not cut off
