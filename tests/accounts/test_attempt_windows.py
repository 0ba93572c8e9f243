"""The attempt windows behind the login limits, in memory and in Redis, on a clock the test moves."""

import pytest

from hearth.realtime.limits import MemoryAttemptWindows, RedisAttemptWindows


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


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
