"""Sets whose members expire unless refreshed: open sockets per user, presence per workspace.

Each worker refreshes its own members on a heartbeat, so the members of a
worker that died expire on their own. In memory for one process; in Redis
(sorted sets scored by expiry, changed by atomic scripts) across workers and hosts.
"""

import threading
import time

CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[4])
if limit > 0 and redis.call('ZSCORE', KEYS[1], ARGV[3]) == false
   and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

PRUNE = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
return gone
"""


class MemoryRegistry:
    def __init__(self, clock=time.time):
        self.sets = {}
        self.clock = clock
        self.lock = threading.Lock()

    def claim(self, key, member, ttl, limit=0):
        """Add (or refresh) a member unless the set already holds `limit` live ones."""
        with self.lock:
            members = self._pruned(key)
            if limit and member not in members and len(members) >= limit:
                return False
            members[member] = self.clock() + ttl
            return True

    def refresh(self, entries, ttl):
        with self.lock:
            until = self.clock() + ttl
            for key, member in entries:
                if member in self.sets.get(key, {}):
                    self.sets[key][member] = until

    def release(self, key, member):
        with self.lock:
            return self.sets.get(key, {}).pop(member, None) is not None

    def live(self, key):
        with self.lock:
            now = self.clock()
            return [m for m, until in self.sets.get(key, {}).items() if until > now]

    def prune(self, key):
        """Remove the expired members and return them (each to exactly one caller)."""
        with self.lock:
            members = self.sets.get(key, {})
            now = self.clock()
            gone = [m for m, until in members.items() if until <= now]
            for m in gone:
                del members[m]
            return gone

    def _pruned(self, key):
        members = self.sets.setdefault(key, {})
        now = self.clock()
        for m in [m for m, until in members.items() if until <= now]:
            del members[m]
        return members


class Pipelined:
    """Commands that callers issue at the same moment reach Redis in one round trip: a pipeline.

    Every socket of a reconnect storm claims its slot of the socket cap as it opens and gives it
    back as it closes; one at a time, that was a fifth of a worker's CPU. The first caller yields
    once (under gevent, to the other greenlets about to call), then sends what has gathered and
    hands each caller its own answer, or its own error; callers that came meanwhile wait for theirs.
    """

    def __init__(self, redis):
        self.redis = redis
        self.lock = threading.Lock()
        self.gathering = []  # [add(pipeline), answer, done event] of the callers waiting for the next send

    def run(self, add):
        """`add(pipeline)` queues one command; returns its answer (raises its error)."""
        entry = [add, None, threading.Event()]
        with self.lock:
            self.gathering.append(entry)
            first = len(self.gathering) == 1
        if first:
            time.sleep(0)
            with self.lock:
                batch, self.gathering = self.gathering, []
            self._send(batch)
        entry[2].wait()
        if isinstance(entry[1], Exception):
            raise entry[1]
        return entry[1]

    def _send(self, batch):
        try:
            pipeline = self.redis.pipeline(transaction=False)
            for add, _, _ in batch:
                add(pipeline)
            answers = pipeline.execute(raise_on_error=False)
        except Exception as error:  # the connection itself failed: every caller gets the error
            answers = [error] * len(batch)
        for entry, answer in zip(batch, answers, strict=True):
            entry[1] = answer
            entry[2].set()


class RedisRegistry:
    PREFIX = "hearth:live:"

    def __init__(self, url, clock=time.time):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=5, decode_responses=True)
        self.clock = clock
        self._claim = self.redis.register_script(CLAIM)
        self._prune = self.redis.register_script(PRUNE)
        self.pipelined = Pipelined(self.redis)

    def claim(self, key, member, ttl, limit=0):
        now = self.clock()
        args = [now, now + ttl, member, limit or 0, int(ttl * 2) + 1]
        keys = [self.PREFIX + key]
        return bool(self.pipelined.run(lambda pipeline: self._claim(keys=keys, args=args, client=pipeline)))

    def refresh(self, entries, ttl):
        until = self.clock() + ttl
        pipe = self.redis.pipeline(transaction=False)
        for key, member in entries:
            pipe.zadd(self.PREFIX + key, {member: until}, xx=True)
            pipe.expire(self.PREFIX + key, int(ttl * 2) + 1)
        pipe.execute()

    def release(self, key, member):
        return bool(self.pipelined.run(lambda pipeline: pipeline.zrem(self.PREFIX + key, member)))

    def live(self, key):
        return self.redis.zrangebyscore(self.PREFIX + key, f"({self.clock()}", "+inf")

    def prune(self, key):
        return self._prune(keys=[self.PREFIX + key], args=[self.clock()])


def make_registry(redis_url):
    return RedisRegistry(redis_url) if redis_url else MemoryRegistry()
