"""Rate limits per client address and per user: in memory, or in Redis across workers and hosts.

Logins count failures only (a success clears the username's count); registers
count every attempt. Both use a moving window of the `limits` library, so a lock
lifts gradually. Writes to `/api` and adding members are limited per user: writes
by a token bucket (a steady rate with bursts, as socket publishes are), adding
members by a moving window, since each attempt tells whether a username exists.
"""

import math
import threading
import time

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hearth.errors import ApiError


class Throttle:
    def __init__(self, app):
        self.storage = storage_from_string(app.config["REDIS_URL"] or "memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.login_by_username = parse(app.config["LOGIN_USERNAME_LIMIT"])
        self.login_by_address = parse(app.config["LOGIN_ADDRESS_LIMIT"])
        self.logins_of_username = parse(app.config["LOGIN_SUCCESS_LIMIT"])
        self.password_change_failures = parse(app.config["PASSWORD_CHANGE_LIMIT"])
        self.register_by_address = parse(app.config["REGISTER_LIMIT"])
        self.member_additions = parse(app.config["MEMBER_ADD_LIMIT"])
        cfg = app.config
        self.writes = make_token_buckets(cfg["REDIS_URL"], cfg["API_WRITE_RATE"], cfg["API_WRITE_BURST"])

    def check_login(self, username, address):
        """Refuse while either failure count, or the username's successes, is full, before the password is
        even looked at: every login costs a password hash, and each success a session."""
        for limit, key in ((self.login_by_username, username), (self.login_by_address, address)):
            if not self.limiter.test(limit, "login", key):
                self._refuse(limit, ("login", key), "Too many failed logins; try again later.")
        if not self.limiter.test(self.logins_of_username, "signed-in", username):
            self._refuse(self.logins_of_username, ("signed-in", username), "Too many logins; try again later.")

    def login_failed(self, username, address):
        self.limiter.hit(self.login_by_username, "login", username)
        self.limiter.hit(self.login_by_address, "login", address)

    def login_succeeded(self, username):
        self.limiter.clear(self.login_by_username, "login", username)
        self.limiter.hit(self.logins_of_username, "signed-in", username)

    def check_password_change(self, session_id):
        """Wrong current passwords are counted per session, apart from the login limits: a lock on the
        username (anyone can cause one) never keeps a signed-in person from changing their password."""
        key = str(session_id)
        if not self.limiter.test(self.password_change_failures, "password-change", key):
            self._refuse(
                self.password_change_failures, ("password-change", key), "Too many wrong passwords; try again later."
            )

    def password_change_failed(self, session_id):
        self.limiter.hit(self.password_change_failures, "password-change", str(session_id))

    def check_register(self, address):
        if not self.limiter.hit(self.register_by_address, "register", address):
            self._refuse(
                self.register_by_address, ("register", address), "Too many sign-ups from here; try again later."
            )

    def check_write(self, user_id):
        """One write to the API by this user, whichever worker or host serves it."""
        wait = self.writes.take(f"writes:{user_id}")
        if wait:
            raise too_many("Too many changes at once; slow down.", wait)

    def check_member_addition(self, user_id):
        """Every attempt counts, found or not: the answer tells whether a username exists."""
        if not self.limiter.hit(self.member_additions, "members", str(user_id)):
            self._refuse(self.member_additions, ("members", str(user_id)), "Too many members added; try again later.")

    def _refuse(self, limit, keys, message):
        reset_at = self.limiter.get_window_stats(limit, *keys).reset_time
        raise too_many(message, reset_at - time.time())


def too_many(message, wait):
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(max(1, math.ceil(wait)))})


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
        return float(self._take(keys=[self.PREFIX + key], args=[self.clock(), self.interval, self.burst]))


def make_token_buckets(redis_url, rate, burst):
    return RedisTokenBuckets(redis_url, rate, burst) if redis_url else MemoryTokenBuckets(rate, burst)


def throttle():
    return current_app.extensions["hearth.throttle"]


def init_app(app):
    app.extensions["hearth.throttle"] = Throttle(app)
