"""Password hashing with argon2id; the cost profile is a setting so tests can run cheaply.

A hash costs about 160 ms of CPU. Under gunicorn's gevent worker every request and
socket of the worker shares one thread, so hashing there would stall them all:
three logins in parallel once pushed another user's ping from 1 ms to 388 ms. The
hashing runs in gevent's thread pool instead (argon2 releases the GIL meanwhile).
"""

import os
import sys

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers = {}
# Stored in place of a hash for an account without a password (it signs in with passkeys): no hash has this
# form, so argon2 refuses it and no password ever matches.
UNUSABLE_PASSWORD = "!"


def _hasher():
    name = current_app.config["PASSWORD_HASH_PROFILE"]
    if name not in _hashers:
        _hashers[name] = PasswordHasher.from_parameters(getattr(profiles, name))
    return _hashers[name]


# Each hash holds 64 MiB while it runs: more at once than there are cores would only add memory.
HASHES_AT_ONCE = max(2, os.cpu_count() or 2)
_hashing_slots = []


def off_the_loop(work, *args):
    """`work(*args)` in gevent's thread pool when the worker runs on gevent, else here.

    Beyond HASHES_AT_ONCE, callers wait their turn as greenlets, never blocking the loop.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("threading"):
        return work(*args)
    import gevent
    from gevent.lock import BoundedSemaphore

    if not _hashing_slots:
        _hashing_slots.append(BoundedSemaphore(HASHES_AT_ONCE))
    with _hashing_slots[0]:
        return gevent.get_hub().threadpool.apply(work, args)


def hash_password(password):
    return off_the_loop(_hasher().hash, password)


def verify_password(password_hash, password):
    return off_the_loop(_verify, _hasher(), password_hash, password)


def _verify(hasher, password_hash, password):
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash):
    return _hasher().check_needs_rehash(password_hash)


def burn_verification_time(password):
    """Spend what a real verification would, so an unknown username is not told apart by timing."""
    verify_password(_dummy_hash(), password)


def _dummy_hash():
    name = current_app.config["PASSWORD_HASH_PROFILE"] + ":dummy"
    if name not in _hashers:
        _hashers[name] = hash_password("not-a-password-of-anyone")
    return _hashers[name]
