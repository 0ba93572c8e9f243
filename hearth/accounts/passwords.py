"""Password hashing with argon2id; the cost profile is a setting so tests can run cheaply."""

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers = {}


def _hasher():
    name = current_app.config["PASSWORD_HASH_PROFILE"]
    if name not in _hashers:
        _hashers[name] = PasswordHasher.from_parameters(getattr(profiles, name))
    return _hashers[name]


def hash_password(password):
    return _hasher().hash(password)


def verify_password(password_hash, password):
    try:
        return _hasher().verify(password_hash, password)
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
