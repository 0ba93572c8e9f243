"""Checking decoded request bodies field by field, with every bad field named in one `invalid_input`.

Reading the request itself is the web edge's part (blueprints/request_bodies.py); these take plain values.
"""

import json
import re

from hearth.errors import DomainError

USERNAME_RE = re.compile(r"[a-z0-9_.\-]{3,32}")
# One address as people type them: something@a.domain, no spaces, no second @. Whether it exists is for the
# mailed link to find out, not a pattern.
EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f<>,;\"]{1,64}@[^@\s\x00-\x1f\x7f<>,;\"]+\.[^@\s\x00-\x1f\x7f<>,;\".]{2,}")
MAX_ID = 2**31 - 1  # ids are INTEGER columns


def parse_json(raw):
    """Decode JSON text (str or bytes), refusing with ValueError what Python's parser lets through but nothing
    downstream can take: a lone surrogate (`"\\ud800"`, or its UTF-8 bytes) fails to encode in the database,
    the password hash and every frame sent back; nesting that exhausts the parser is no value either."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    escapes = (b"\\u", b"\xed") if isinstance(raw, bytes) else ("\\u",)  # a str frame was already valid UTF-8
    if any(marker in raw for marker in escapes):
        json.dumps(value, ensure_ascii=False).encode()  # raises UnicodeEncodeError, a ValueError
    return value


def text(min_len, max_len, strip=True, reaches_database=True):
    """A string of min–max characters; one stored or looked up may not hold NUL, which PostgreSQL refuses in text."""

    def check(value):
        if not isinstance(value, str):
            return None, "must be a string"
        if strip:
            value = value.strip()
        if not min_len <= len(value) <= max_len:
            return None, f"must be {min_len}–{max_len} characters"
        if reaches_database and "\x00" in value:
            return None, "must not contain NUL characters"
        return value, None

    return check


def username(value):
    if not isinstance(value, str):
        return None, "must be a string"
    value = value.strip().lower()
    if not USERNAME_RE.fullmatch(value):
        return None, "must be 3–32 of a-z, 0-9, _ . -"
    return value, None


def email_address(value):
    """An address, in lower case (emails are compared case-insensitively, like usernames)."""
    if not isinstance(value, str):
        return None, "must be a string"
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL_RE.fullmatch(value):
        return None, "must be an email address"
    return value, None


def integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        return None, "must be an integer"
    return value, None


def identifier(value):
    """The id of a row: an integer the id columns can hold (PostgreSQL refuses to compare them with a larger one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None, "must be an id"
    return value, None


# Passwords are only ever hashed: taken exactly as typed.
password = text(8, 256, strip=False, reaches_database=False)
password_attempt = text(1, 256, strip=False, reaches_database=False)
name = text(1, 80)
display_name = text(1, 80)


def blank_or(check):
    """`check`, except that an empty or blank string is None (register's display name: the username then)."""

    def blank_or_check(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, None
        return check(value)

    return blank_or_check


def parse(data, required=None, optional=None):
    """Check fields against their checkers; raise one 400 listing every bad one.

    `data` may be a function that reads the body, so that callers check membership
    (404) before the body is even parsed (400), as docs/protocol.md orders errors.
    """
    if callable(data):
        data = data()
    values, bad = {}, {}
    for fields, needed in ((required or {}, True), (optional or {}, False)):
        for field, check in fields.items():
            if data.get(field) is None:
                if needed:
                    bad[field] = "is required"
                continue
            value, problem = check(data[field])
            if problem:
                bad[field] = problem
            else:
                values[field] = value
    if bad:
        message = "; ".join(f"{field} {problem}" for field, problem in bad.items())
        raise DomainError("invalid_input", message[0].upper() + message[1:] + ".", fields=sorted(bad))
    return values
