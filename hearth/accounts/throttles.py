"""Login and register throttles on the `limits` library: in memory, or in Redis across workers and hosts.

Logins count failures only (a success clears the username's count); registers
count every attempt. Both use a moving window, so a lock lifts gradually.
"""

import math
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
        self.register_by_address = parse(app.config["REGISTER_LIMIT"])

    def check_login(self, username, address):
        """Refuse while either failure count is full, before the password is even looked at."""
        for limit, key in ((self.login_by_username, username), (self.login_by_address, address)):
            if not self.limiter.test(limit, "login", key):
                self._refuse(limit, ("login", key), "Too many failed logins; try again later.")

    def login_failed(self, username, address):
        self.limiter.hit(self.login_by_username, "login", username)
        self.limiter.hit(self.login_by_address, "login", address)

    def login_succeeded(self, username):
        self.limiter.clear(self.login_by_username, "login", username)

    def check_register(self, address):
        if not self.limiter.hit(self.register_by_address, "register", address):
            self._refuse(
                self.register_by_address, ("register", address), "Too many sign-ups from here; try again later."
            )

    def _refuse(self, limit, keys, message):
        reset_at = self.limiter.get_window_stats(limit, *keys).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})


def throttle():
    return current_app.extensions["hearth.throttle"]


def init_app(app):
    app.extensions["hearth.throttle"] = Throttle(app)
