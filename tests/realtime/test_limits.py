"""The rate limits of hearth/realtime/limits.py — token buckets behind the write limit, attempt windows behind the
login limits — in memory and in Redis, on a clock the test moves."""

import pytest

from hearth.realtime.limits import MemoryAttemptWindows, MemoryTokenBuckets, RedisAttemptWindows, RedisTokenBuckets


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["memory", "redis"])
def buckets(request):
    def make(rate, burst, clock):
        if request.param == "memory":
            return MemoryTokenBuckets(rate, burst, clock=clock)
        redis = request.getfixturevalue("redis_server")
        redis.client.flushall()
        return RedisTokenBuckets(redis.url, rate, burst, clock=clock)

    return make


def test_a_bucket_allows_its_burst_then_its_rate_and_says_how_long_to_wait(buckets):
    clock = Clock()
    writes = buckets(10, 30, clock)
    assert [writes.take("alice") for _ in range(30)] == [0] * 30
    wait = writes.take("alice")
    assert wait == pytest.approx(0.1, abs=0.001)
    assert writes.take("bob") == 0  # every user has a bucket of their own
    clock.now += 0.1
    assert writes.take("alice") == 0 and writes.take("alice") > 0  # one more each tenth of a second
    clock.now += 3.0
    assert [writes.take("alice") for _ in range(31)].count(0) == 30  # refilled to the burst, no further


@pytest.fixture(params=["memory", "redis"])
def windows(request):
    def make(limit, window, clock):
        if request.param == "memory":
            return MemoryAttemptWindows(limit, window, clock=clock)
        redis = request.getfixturevalue("redis_server")
        redis.client.flushall()
        return RedisAttemptWindows(redis.url, limit, window, clock=clock)

    return make


def test_attempts_count_up_to_the_limit_then_wait_for_the_oldest_to_age_out(windows):
    clock = Clock()
    logins = windows(3, 300, clock)
    tickets = []
    for _ in range(3):
        wait, ticket = logins.take("alice")
        assert wait == 0 and ticket
        tickets.append(ticket)
        clock.now += 10
    wait, ticket = logins.take("alice")
    assert ticket is None and wait == pytest.approx(270)
    assert logins.take("bob")[0] == 0  # every key has its own window
    clock.now += 270
    assert logins.take("alice")[0] == 0  # the oldest aged out: one more
    assert logins.take("alice")[0] > 0


def test_an_attempt_given_back_or_a_cleared_key_makes_room(windows):
    clock = Clock()
    logins = windows(2, 300, clock)
    _, first = logins.take("alice")
    logins.take("alice")
    logins.give_back("alice", first)
    assert logins.take("alice")[0] == 0
    assert logins.take("alice")[0] > 0
    logins.clear("alice")
    waits = [logins.take("alice")[0] for _ in range(3)]
    assert waits[:2] == [0, 0] and waits[2] > 0


def test_a_write_goes_through_uncounted_while_redis_cannot_be_reached():
    """A limit against floods must not turn a Redis restart into an outage of writing."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    writes = RedisTokenBuckets(f"redis://127.0.0.1:{port}/0", 1, 1)
    assert [writes.take("alice") for _ in range(3)] == [0, 0, 0]
