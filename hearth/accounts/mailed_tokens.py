"""Links mailed to someone (verifying an address, resetting a password): single use, short-lived, stored as digests.

The secret (256 random bits) exists only in the mail; the database holds its SHA-256,
so a copy of the database opens no account. Spending a link is one conditional
UPDATE, so two requests racing with the same link cannot both use it.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import MailedToken, utcnow

VERIFY_EMAIL, PASSWORD_RESET = "verify_email", "password_reset"


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(user_id, purpose, email, ttl_seconds):
    """A new link's secret; earlier unused links of the same purpose for this user stop working. Not committed."""
    withdraw(user_id, purpose)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        MailedToken(
            user_id=user_id,
            purpose=purpose,
            email=email,
            token_hash=digest(secret),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    return secret


def find_live(secret, purpose):
    """The unused, unexpired link of this purpose whose secret this is, or None."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    token = db.session.scalar(
        sa.select(MailedToken).where(MailedToken.token_hash == digest(secret), MailedToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def spend(token):
    """Mark the link used; False when another request used it first. Not committed."""
    spent = db.session.execute(
        sa.update(MailedToken).where(MailedToken.id == token.id, MailedToken.used_at.is_(None)).values(used_at=utcnow())
    )
    return spent.rowcount == 1


def withdraw(user_id, purpose):
    """Every unused link of this purpose for this user stops working. Not committed."""
    db.session.execute(
        sa.update(MailedToken)
        .where(MailedToken.user_id == user_id, MailedToken.purpose == purpose, MailedToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
