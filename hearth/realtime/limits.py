"""Rate limits, the app's one kind of each: token buckets, sliding budgets and attempt windows.

A token bucket allows a steady rate with bursts (API writes and socket publishes
of a user, frames of a socket); a sliding budget caps units spent in any window
(events replayed to a user); an attempt window counts guesses (logins, password
confirmations) before they are checked. The shared ones come in two storages:
in this process, or in Redis so that a user's requests count together on every
worker and host. Each step is atomic in both, so concurrent requests cannot all
pass a test that only one of them should.
"""

import collections
import itertools
import logging
import threading
import time
import uuid

log = logging.getLogger(__name__)


class TokenBucket:
    """`rate` per second with bursts up to `burst`, for one holder in this process."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = float(burst), clock()

    def take(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class SlidingBudget:
    """At most `limit` units spent in any `window` seconds (a log of what was spent, dropped as it ages)."""

    def __init__(self, limit, window, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.spent = collections.deque()  # (when, units)
        self.total = 0

    def take(self, units):
        """Spend `units` if they fit; False (and nothing spent) when they do not."""
        now = self.clock()
        while self.spent and self.spent[0][0] <= now - self.window:
            self.total -= self.spent.popleft()[1]
        if self.total + units > self.limit:
            return False
        self.spent.append((now, units))
        self.total += units
        return True


class SlidingBudgets:
    """A SlidingBudget per key (a user's sockets share theirs), in this process; idle keys are dropped."""

    def __init__(self, limit, window, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.budgets = {}
        self.lock = threading.Lock()

    def take(self, key, units):
        with self.lock:
            if len(self.budgets) > 10_000:  # bounded: a budget with nothing spent in its window is a fresh one
                since = self.clock() - self.window
                self.budgets = {k: b for k, b in self.budgets.items() if b.spent and b.spent[-1][0] > since}
            budget = self.budgets.get(key)
            if budget is None:
                budget = self.budgets[key] = SlidingBudget(self.limit, self.window, self.clock)
            return budget.take(units)


# A token bucket kept as its "theoretical arrival time" (GCRA): one number per key, changed atomically.
# Each request moves it `interval` later; a request that would move it more than `burst` intervals
# ahead of now waits until it would not.
TAKE = """
local now, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now) + interval
local over = tat - now - interval * burst
if over > 0 then return tostring(over) end
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1)
return '0'
"""


class MemoryTokenBuckets:
    """`rate` a second with bursts of `burst`, per key, in this process."""

    def __init__(self, rate, burst, clock=time.monotonic):
        self.interval, self.burst, self.clock = 1 / rate, burst, clock
        self.arrivals = {}
        self.lock = threading.Lock()

    def take(self, key):
        """0 when allowed (and counted), else the seconds until it would be."""
        with self.lock:
            now = self.clock()
            if len(self.arrivals) > 100_000:  # bounded: a key whose time has passed is a full bucket anyway
                self.arrivals = {k: t for k, t in self.arrivals.items() if t > now}
            tat = max(self.arrivals.get(key, now), now) + self.interval
            over = tat - now - self.interval * self.burst
            if over > 0:
                return over
            self.arrivals[key] = tat
            return 0


class RedisTokenBuckets:
    """The same in Redis, so that a user's requests count together on every worker and host."""

    PREFIX = "hearth:bucket:"

    def __init__(self, url, rate, burst, clock=time.time):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=5, decode_responses=True)
        self.interval, self.burst, self.clock = 1 / rate, burst, clock
        self._take = self.redis.register_script(TAKE)

    def take(self, key):
        """0, or the seconds to wait. While Redis cannot be reached the write goes through: a limit against
        floods must not turn a Redis restart into an outage of writing (events then fan out again within
        seconds, and nothing is lost)."""
        import redis

        try:
            return float(self._take(keys=[self.PREFIX + key], args=[self.clock(), self.interval, self.burst]))
        except (redis.ConnectionError, redis.TimeoutError) as e:
            log.warning("write limit not counted: Redis unavailable: %s", e)
            return 0


def make_token_buckets(redis_url, rate, burst):
    return RedisTokenBuckets(redis_url, rate, burst) if redis_url else MemoryTokenBuckets(rate, burst)


# A moving window of attempts kept as a sorted set (score: when, member: the attempt's ticket). Counting
# and refusing are one step, so a burst of attempts cannot all see room that only some of them may take.
ATTEMPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class MemoryAttemptWindows:
    """At most `limit` attempts per key in any `window` seconds, in this process.

    `take` counts an attempt before it is checked and returns its ticket; an attempt that turned
    out right may be given back (it was no guess) or the key cleared.
    """

    def __init__(self, limit, window, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.attempts = {}  # key: deque of (when, ticket)
        self.tickets = itertools.count()
        self.lock = threading.Lock()

    def take(self, key):
        """(0, ticket) when counted, else (seconds until one would be, None)."""
        with self.lock:
            now = self.clock()
            if len(self.attempts) > 100_000:
                self.attempts = {k: q for k, q in self.attempts.items() if q and q[-1][0] > now - self.window}
            log = self.attempts.setdefault(key, collections.deque())
            while log and log[0][0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return log[0][0] + self.window - now, None
            ticket = str(next(self.tickets))
            log.append((now, ticket))
            return 0, ticket

    def give_back(self, key, ticket):
        with self.lock:
            log = self.attempts.get(key, ())
            for entry in list(log):
                if entry[1] == ticket:
                    log.remove(entry)
                    break

    def clear(self, key):
        with self.lock:
            self.attempts.pop(key, None)


class RedisAttemptWindows:
    """The same in Redis, so attempts on every worker and host count together."""

    PREFIX = "hearth:attempts:"

    def __init__(self, url, limit, window, clock=time.time):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=5, decode_responses=True)
        self.limit, self.window, self.clock = limit, window, clock
        self._take = self.redis.register_script(ATTEMPT)

    def take(self, key):
        ticket = uuid.uuid4().hex
        wait = float(self._take(keys=[self.PREFIX + key], args=[self.clock(), self.window, self.limit, ticket]))
        return (wait, None) if wait else (0, ticket)

    def give_back(self, key, ticket):
        self.redis.zrem(self.PREFIX + key, ticket)

    def clear(self, key):
        self.redis.delete(self.PREFIX + key)


def make_attempt_windows(redis_url, limit, window):
    return RedisAttemptWindows(redis_url, limit, window) if redis_url else MemoryAttemptWindows(limit, window)
