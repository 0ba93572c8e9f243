"""The per-user token buckets behind the API's write limit, in memory and in Redis, on a clock the test moves."""

import pytest

from hearth.realtime.limits import MemoryTokenBuckets, RedisTokenBuckets


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
