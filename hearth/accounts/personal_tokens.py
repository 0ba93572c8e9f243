"""Personal access tokens: how programs (bots, scripts, a CLI) call the API without cookies or CSRF.

A token is `hearth_pat_` and 43 random URL-safe characters; only its SHA-256
digest is stored (the secret has 256 bits, so a fast digest is enough). Each
token is backed by a session row of kind "token": deleting the token ends that
session, and so do a password change, "log out everywhere" and
`flask reset-password` — its requests answer `token_revoked` and its sockets
close with 4403 on every worker, exactly as a browser's would.

`last_used_at` is written at most once a minute per token and process, so a busy
bot costs no write per request.
"""

import hashlib
import secrets
import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from hearth.accounts.sessions import REJECTION_MESSAGES, end_session, ended_long_ago, live_session
from hearth.errors import ApiError, DomainError
from hearth.extensions import db, delete_in_batches
from hearth.models import AuthSession, PersonalToken, utcnow
from hearth.validation import parse, text

PREFIX = "hearth_pat_"
TOKEN_LIFETIME = timedelta(days=365 * 100)  # until deleted: the session row needs an end, so a far one
LAST_USED_EVERY = 60  # seconds between writes of one token's last_used_at
MAX_TOKENS_PER_USER = 50


def create_token(user_id, body):
    """A new token named by the body's `name`; returns (row, secret). The secret is never stored or shown again."""
    fields = parse(body, required={"name": text(1, 80)})
    if len(tokens_of(user_id)) >= MAX_TOKENS_PER_USER:
        raise DomainError("conflict", f"You already have {MAX_TOKENS_PER_USER} tokens: delete one you no longer use.")
    now = utcnow()
    session = AuthSession(
        user_id=user_id,
        kind="token",
        created_at=now,
        last_seen_at=now,
        user_agent="",
        expires_at=now + TOKEN_LIFETIME,
        refresh_jti=secrets.token_hex(16),  # no refresh token is ever issued for it
        refresh_expires_at=now + TOKEN_LIFETIME,
    )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken(user_id=user_id, session=session, name=fields["name"], token_hash=digest(secret))
    db.session.add_all([session, token])
    db.session.commit()
    return token, secret


def delete_ended_tokens(now=None, batch=5000):
    """Delete tokens whose session ended over 30 days ago (or is gone), before `flask prune` deletes the sessions.

    Such a token was already refused; once deleted it is unknown, so it answers `token_invalid`.
    """
    ended = sa.select(AuthSession.id).where(ended_long_ago(now))
    gone = sa.or_(PersonalToken.session_id.is_(None), PersonalToken.session_id.in_(ended))
    return delete_in_batches(PersonalToken, gone, batch=batch)


def tokens_of(user_id):
    """The user's live tokens, newest first."""
    return db.session.scalars(
        sa.select(PersonalToken)
        .join(AuthSession, AuthSession.id == PersonalToken.session_id)
        .where(PersonalToken.user_id == user_id, AuthSession.revoked_at.is_(None))
        .order_by(PersonalToken.id.desc())
    ).all()


def delete_token(user_id, token_id):
    """End the token's session; a token that is not the user's, or already deleted, is not found."""
    session_id = db.session.scalar(
        sa.select(PersonalToken.session_id).where(PersonalToken.id == token_id, PersonalToken.user_id == user_id)
    )
    if session_id is None or not end_session(user_id, session_id, reason="token_deleted"):
        raise DomainError("not_found", "No such token.")


def authenticate_bearer(header):
    """The live session behind an `Authorization: Bearer` header, or ApiError 401 (`token_invalid`/`token_revoked`)."""
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 200:
        raise ApiError(401, "token_invalid", "The Authorization header must be `Bearer hearth_pat_…`.")
    found = token_use().lookup(digest(secret))
    if found is None:
        raise ApiError(401, "token_invalid", "No such token.")
    token_id, session_id, user_id = found
    # the token's session is checked as a session token's is: through the cache that every ending empties
    live, _code = live_session({"sid": session_id, "sub": str(user_id)})
    if live is None:
        raise ApiError(401, "token_revoked", REJECTION_MESSAGES["token_revoked"])
    token_use().note(token_id)
    return live


def name_of_session(session_id):
    """The name of the token behind a session of kind "token" (what its messages say they came "via"), else None."""
    if session_id is None:
        return None
    return db.session.scalar(sa.select(PersonalToken.name).where(PersonalToken.session_id == session_id))


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenUse:
    """Per app and process: digest → (token id, session id, user id), which never changes, and when each use was
    last written."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids = {}
        self.written = {}

    def lookup(self, token_hash):
        found = self.ids.get(token_hash)
        if found is None:
            row = db.session.execute(
                sa.select(PersonalToken.id, PersonalToken.session_id, PersonalToken.user_id).where(
                    PersonalToken.token_hash == token_hash
                )
            ).first()
            if row is None:
                return None
            found = (row.id, row.session_id, row.user_id)
            with self.lock:
                if len(self.ids) > 100_000:  # bounded: it is only a cache
                    self.ids.clear()
                self.ids[token_hash] = found
        return found

    def note(self, token_id):
        now = time.monotonic()
        with self.lock:
            if now - self.written.get(token_id, -LAST_USED_EVERY) < LAST_USED_EVERY:
                return
            if len(self.written) > 100_000:
                self.written.clear()
            self.written[token_id] = now
        db.session.execute(sa.update(PersonalToken).where(PersonalToken.id == token_id).values(last_used_at=utcnow()))
        db.session.commit()


def token_use():
    return current_app.extensions["hearth.token_use"]


def init_app(app):
    app.extensions["hearth.token_use"] = TokenUse()
