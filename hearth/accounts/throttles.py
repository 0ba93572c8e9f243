"""Rate limits per client address and per user: in memory, or in Redis across workers and hosts.

Logins count every guess before it is checked, atomically (in Redis across workers),
so a burst of guesses cannot all pass a limit that only some of them fit; a right
password gives its attempt back and a complete sign-in clears the username's
count, so in effect failures count. Registers count every attempt. All use moving
windows, so a lock lifts gradually. Writes to `/api` and adding members are limited per user: writes
by a token bucket that socket publishes count toward too, adding
members by a moving window, since each attempt tells whether a username exists. Password-reset
requests are counted per client address and per account; beyond either limit they quietly mail nothing.
"""

import math
import time

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hearth.errors import ApiError
from hearth.realtime.limits import SlidingBudgets, make_attempt_windows, make_token_buckets

# Events replayed to one user's sockets in any window: a subscribe-from-0 loop would otherwise turn a few
# bytes sent into megabytes read from the database and written out, and many sockets as many times over.
REPLAY_BUDGET, REPLAY_WINDOW = 5000, 10


class Throttle:
    def __init__(self, app):
        cfg = app.config
        self.storage = storage_from_string(cfg["REDIS_URL"] or "memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.login_by_username = attempt_windows(cfg, "LOGIN_USERNAME_LIMIT")
        self.login_by_address = attempt_windows(cfg, "LOGIN_ADDRESS_LIMIT")
        self.logins_of_username = parse(cfg["LOGIN_SUCCESS_LIMIT"])
        self.password_confirmations = attempt_windows(cfg, "PASSWORD_CHANGE_LIMIT")
        self.register_by_address = parse(cfg["REGISTER_LIMIT"])
        self.passkey_options_by_address = parse(cfg["PASSKEY_OPTIONS_LIMIT"])
        self.member_additions = parse(cfg["MEMBER_ADD_LIMIT"])
        self.resets_by_account = parse(cfg["PASSWORD_RESET_ACCOUNT_LIMIT"])
        self.resets_by_address = parse(cfg["PASSWORD_RESET_ADDRESS_LIMIT"])
        self.writes = make_token_buckets(cfg["REDIS_URL"], cfg["API_WRITE_RATE"], cfg["API_WRITE_BURST"])
        self.replays = SlidingBudgets(REPLAY_BUDGET, REPLAY_WINDOW)

    def count_login(self, username, address):
        """Count one guess (a password or a two-step code) for this username and address before it is checked,
        or refuse it: however many arrive at once, no more are checked than the limits allow. The username's
        successes are only tested: every login costs a password hash, and each success a session."""
        if not self.limiter.test(self.logins_of_username, "signed-in", username):
            reset_at = self.limiter.get_window_stats(self.logins_of_username, "signed-in", username).reset_time
            raise too_many("Too many logins; try again later.", reset_at - time.time())
        attempt = Attempt()
        for windows, key in ((self.login_by_username, username), (self.login_by_address, address)):
            wait, ticket = windows.take(key)
            if wait:
                attempt.give_back()
                raise too_many("Too many failed logins; try again later.", wait)
            attempt.counted.append((windows, key, ticket))
        return attempt

    def login_succeeded(self, username, attempt):
        """A complete sign-in clears the username's count; the address gets its attempt back."""
        attempt.give_back()
        self.login_by_username.clear(username)
        self.limiter.hit(self.logins_of_username, "signed-in", username)

    def count_password_confirmation(self, session_id):
        """Counted per session, apart from the login limits: a lock on the username (anyone can cause one)
        never keeps a signed-in person from changing their password. A right password gives it back."""
        key = str(session_id)
        wait, ticket = self.password_confirmations.take(key)
        if wait:
            raise too_many("Too many wrong passwords; try again later.", wait)
        return Attempt([(self.password_confirmations, key, ticket)])

    def count_passkey_login(self, address):
        """A passkey sign-in counts as a guess from its address until it proves right (as a password does)."""
        wait, ticket = self.login_by_address.take(address)
        if wait:
            raise too_many("Too many failed logins; try again later.", wait)
        return Attempt([(self.login_by_address, address, ticket)])

    def check_passkey_options(self, address):
        """Each sign-in challenge is stored until it is used or runs out: an address may ask for so many."""
        if not self.limiter.hit(self.passkey_options_by_address, "passkey-options", address):
            limit, keys = self.passkey_options_by_address, ("passkey-options", address)
            self._refuse(limit, keys, "Too many passkey sign-ins started; try again later.")

    def check_register(self, address):
        if not self.limiter.hit(self.register_by_address, "register", address):
            self._refuse(
                self.register_by_address, ("register", address), "Too many sign-ups from here; try again later."
            )

    def check_write(self, user_id):
        """One write to the API by this user, whichever worker or host serves it."""
        wait = self.write_wait(user_id)
        if wait:
            raise too_many("Too many changes at once; slow down.", wait)

    def write_wait(self, user_id):
        """Count one write (over HTTP or a socket publish) of this user: 0, or the seconds to wait."""
        return self.writes.take(f"writes:{user_id}")

    def replay_allowed(self, user_id, events):
        """Spend `events` of the user's replay budget, shared by all their sockets in this process."""
        return self.replays.take(str(user_id), events)

    def check_member_addition(self, user_id):
        """Every attempt counts, found or not: the answer tells whether a username exists."""
        if not self.limiter.hit(self.member_additions, "members", str(user_id)):
            self._refuse(self.member_additions, ("members", str(user_id)), "Too many members added; try again later.")

    def reset_allowed_from(self, address):
        """Count one password-reset request from this client address; False beyond the limit (no mail, still 202)."""
        return self.limiter.hit(self.resets_by_address, "reset-address", address)

    def reset_allowed_for(self, account):
        """Count one password-reset request naming this account (known or not); False beyond the limit."""
        return self.limiter.hit(self.resets_by_account, "reset-account", account)

    def _refuse(self, limit, keys, message):
        reset_at = self.limiter.get_window_stats(limit, *keys).reset_time
        raise too_many(message, reset_at - time.time())


def too_many(message, wait):
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(max(1, math.ceil(wait)))})


class Attempt:
    """The guesses one request counted: given back when it proved to be no guess (a right password)."""

    def __init__(self, counted=None):
        self.counted = counted or []

    def give_back(self):
        for windows, key, ticket in self.counted:
            windows.give_back(key, ticket)
        self.counted = []


def attempt_windows(cfg, name):
    """An attempt window sized by a setting written as the `limits` library reads it ("10/5minutes")."""
    limit = parse(cfg[name])
    return make_attempt_windows(cfg["REDIS_URL"], limit.amount, limit.get_expiry())


def throttle():
    return current_app.extensions["hearth.throttle"]


def init_app(app):
    app.extensions["hearth.throttle"] = Throttle(app)
