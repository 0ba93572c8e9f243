"""Login sessions: starting one, issuing its token pair, rotating refresh tokens, ending sessions.

A session row is the single source of truth: every token carries its `sid`, and a
token is only good while its session lives. `live_session` checks that with one
indexed lookup, remembered for a moment (HEARTH_SESSION_CACHE_TTL, 2 s) in a
cache that ending a session empties at once — here directly, in every other
process through its announcement (announce.py), which also tells the socket
service to close the sessions' sockets — so the hot path rarely touches the database.
"""

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    set_access_cookies,
    set_refresh_cookies,
)
from flask_jwt_extended.exceptions import JWTDecodeError

from hearth.errors import ApiError
from hearth.extensions import db, delete_in_batches, jwt
from hearth.metrics import REFRESHES
from hearth.models import AuthSession, User, UTCDateTime, avatar_url, utcnow
from hearth.realtime import announce, wire

REJECTION_MESSAGES = {
    "token_revoked": "This session has been signed out. Please log in again.",
    "session_expired": "This session has reached its maximum age. Please log in again.",
    "refresh_reused": "This refresh token was already used; the session has been signed out for safety.",
}


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: int
    cookie_max_age: int


@dataclass(frozen=True)
class Caller:
    """The user behind a request, as views see them: read-only, safe to share between requests."""

    id: int
    username: str
    display_name: str
    avatar_url: str | None = None
    admin: bool = False  # for what pages show (the top bar's Admin link); admin rights are checked afresh

    def to_dict(self):
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "avatar_url": self.avatar_url,
        }


@dataclass(frozen=True)
class LiveSession:
    id: int
    user_id: int
    expires_at: datetime
    user: Caller
    checked_at: float

    @classmethod
    def read(cls, sid):
        """The session's row with its user's names, or None when it was revoked, never existed, or its user
        was deactivated (a session that started while the deactivation ended the others ends here)."""
        row = db.session.connection().execute(LIVE_SESSION, {"sid": sid}).one_or_none()
        if row is None or row.revoked_at is not None or row.deactivated_at is not None:
            return None
        user = Caller(
            row.user_id,
            row.username,
            row.display_name,
            avatar_url(row.user_id, row.avatar_digest),
            bool(row.admin),
        )
        return cls(row.id, row.user_id, row.expires_at, user, time.monotonic())

    def ended_because(self, now=None):
        return "session_expired" if (now or utcnow()) >= self.expires_at else None


# Built once, from the tables rather than the mapped classes, and run on the session's connection: no ORM
# compile step and no new cache key per lookup — each socket of a reconnect storm brings an unseen session.
_session, _user = AuthSession.__table__.c, User.__table__.c
LIVE_SESSION = (
    sa.select(_session.id, _session.user_id, _session.expires_at, _session.revoked_at)
    .add_columns(_user.username, _user.display_name, _user.avatar_digest, _user.admin, _user.deactivated_at)
    .join_from(AuthSession.__table__, User.__table__, _user.id == _session.user_id)
    .where(_session.id == sa.bindparam("sid"))
)


class SessionCache:
    """Sessions this process found alive in the last `ttl` seconds."""

    def __init__(self, ttl):
        self.ttl = ttl
        self.entries = {}
        self.lock = threading.Lock()

    def get(self, sid):
        entry = self.entries.get(sid)
        if entry is not None and time.monotonic() - entry.checked_at < self.ttl:
            return entry
        return None

    def put(self, entry):
        if self.ttl > 0:
            with self.lock:
                if len(self.entries) > 100_000:  # bounded: old entries are only a cache
                    self.entries.clear()
                self.entries[entry.id] = entry

    def forget(self, session_ids):
        with self.lock:
            for sid in session_ids:
                self.entries.pop(sid, None)

    def forget_user(self, user_id):
        with self.lock:
            for sid in [sid for sid, entry in self.entries.items() if entry.user_id == user_id]:
                del self.entries[sid]

    def clear(self):
        with self.lock:
            self.entries.clear()


def session_cache():
    return current_app.extensions["hearth.session_cache"]


def start_session(user, user_agent):
    """A new session for one login, with its first refresh token's id."""
    cfg = current_app.config
    now = utcnow()
    expires_at = now + timedelta(seconds=cfg["SESSION_MAX_AGE"])
    session = AuthSession(
        user=user,
        created_at=now,
        last_seen_at=now,
        authenticated_at=now,
        user_agent=(user_agent or "")[:255],
        expires_at=expires_at,
        refresh_jti=new_jti(),
        refresh_expires_at=min(now + timedelta(seconds=cfg["REFRESH_TTL"]), expires_at),
    )
    db.session.add(session)
    db.session.commit()
    _end_sessions_over_the_cap(user.id)
    return session


def _end_sessions_over_the_cap(user_id):
    """A user holds at most MAX_SESSIONS_PER_USER live sessions: beyond it, those used longest ago end.

    Every login leaves a session row; without a cap a loop of correct logins would leave them without bound.
    """
    # personal access tokens have their own cap, and never yield to a login
    over = (
        sa.select(AuthSession.id)
        .where(*_live_browser_sessions(user_id))
        .order_by(AuthSession.last_seen_at.desc(), AuthSession.id.desc())
        .offset(current_app.config["MAX_SESSIONS_PER_USER"])
    )
    if ids := db.session.scalars(over).all():
        _end_sessions(AuthSession.id.in_(ids), reason="session_limit")


def issue_tokens(session):
    """A fresh access token and the session's *current* refresh token, neither outliving the session."""
    now = utcnow()
    access_until = min(now + timedelta(seconds=current_app.config["ACCESS_TTL"]), session.expires_at)
    claims = {"sid": session.id}
    access = create_access_token(
        identity=str(session.user_id), additional_claims=claims, expires_delta=access_until - now
    )
    refresh = create_refresh_token(
        identity=str(session.user_id),
        additional_claims={**claims, "jti": session.refresh_jti},
        expires_delta=session.refresh_expires_at - now,
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=int(access_until.timestamp()),
        # The access cookie outlives its JWT so that an expired token still arrives and says so.
        cookie_max_age=max(1, int((session.refresh_expires_at - now).total_seconds())),
    )


def set_token_cookies(response, pair):
    set_access_cookies(response, pair.access_token, max_age=pair.cookie_max_age)
    set_refresh_cookies(response, pair.refresh_token, max_age=pair.cookie_max_age)
    return response


def rotate_refresh_token(session_id, jti):
    """Swap the session's refresh token for a new one; returns (session, "rotated" | "grace").

    The compare-and-swap UPDATE holds the row lock while it runs, so of two workers
    presenting the same token only one rotates; the other finds it in the grace. A
    rotation is that one statement, which also hands back the row: the session is
    read again only when the swap did not happen, to say why.
    """
    now = utcnow()
    # the refresh token slides, but never past the session's absolute end
    slid = sa.bindparam("slid", now + timedelta(seconds=current_app.config["REFRESH_TTL"]), type_=UTCDateTime())
    session = db.session.scalar(
        sa.update(AuthSession)
        .where(
            AuthSession.id == session_id,
            AuthSession.refresh_jti == jti,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .values(
            previous_refresh_jti=jti,
            refresh_jti=new_jti(),
            rotated_at=now,
            last_seen_at=now,
            refresh_expires_at=sa.case((AuthSession.expires_at < slid, AuthSession.expires_at), else_=slid),
        )
        .returning(AuthSession)
        .execution_options(populate_existing=True)
    )
    db.session.commit()
    if session is not None:
        REFRESHES.labels("rotated").inc()
        return session, "rotated"
    session = db.session.get(AuthSession, session_id)
    if session is None or session.ended_because(now):
        code = session.ended_because(now) if session else "token_revoked"
        raise ApiError(401, code, REJECTION_MESSAGES[code])
    if session.in_reuse_grace(jti, current_app.config["REUSE_GRACE"], now):
        REFRESHES.labels("grace").inc()
        return session, "grace"
    REFRESHES.labels("reused").inc()
    _end_sessions(AuthSession.id == session_id, reason="refresh_reused")
    raise ApiError(401, "refresh_reused", REJECTION_MESSAGES["refresh_reused"])


def end_session(user_id, session_id, reason):
    """End one session of this user (logout, or revoking a device); False when there was none live."""
    return bool(_end_sessions(AuthSession.id == session_id, AuthSession.user_id == user_id, reason=reason))


def end_other_sessions(user_id, keep_session_id, reason):
    """End every session of the user but the one asking (a password change, "sign out other devices")."""
    return _end_sessions(AuthSession.user_id == user_id, AuthSession.id != keep_session_id, reason=reason)


def end_other_devices(user_id, keep_session_id, reason):
    """End every other browser session ("sign out all other devices"); personal access tokens are kept."""
    return _end_sessions(
        AuthSession.user_id == user_id,
        AuthSession.id != keep_session_id,
        AuthSession.kind == "browser",
        reason=reason,
    )


def end_all_sessions(user_id, reason):
    """End every session of the user ("log out everywhere")."""
    return _end_sessions(AuthSession.user_id == user_id, reason=reason)


def _end_sessions(*conditions, reason):
    """End every live session matching the conditions, here and in every process; returns their ids.

    One UPDATE … RETURNING: a session another request ended meanwhile keeps its own time and reason.
    """
    ids = db.session.scalars(
        sa.update(AuthSession)
        .where(*conditions, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .returning(AuthSession.id)
    ).all()
    db.session.commit()
    if ids:
        session_cache().forget(ids)
        announce.of(current_app).sessions_ended(ids)
    return ids


ENDED_SESSIONS_KEPT = timedelta(days=30)  # "your devices" history and audits look back this far


def ended_long_ago(now=None):
    """Sessions that ended (revoked, past their end, or their refresh token expired) over 30 days ago."""
    cutoff = (now or utcnow()) - ENDED_SESSIONS_KEPT
    return sa.or_(
        AuthSession.revoked_at < cutoff, AuthSession.expires_at < cutoff, AuthSession.refresh_expires_at < cutoff
    )


def delete_ended_sessions(now=None, batch=5000):
    """Delete the sessions that ended over 30 days ago, in short transactions; returns how many went.

    None of them can come back: a token of a deleted session is answered `token_revoked`, as it was before.
    """
    return delete_in_batches(AuthSession, ended_long_ago(now), batch=batch)


def _live_browser_sessions(user_id):
    """The conditions of a user's live browser sessions: a personal access token's session is not one of them."""
    now = utcnow()
    return (
        AuthSession.user_id == user_id,
        AuthSession.kind == "browser",
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
        AuthSession.refresh_expires_at > now,
    )


def live_sessions(user_id):
    """The devices a user is signed in on (a personal access token's session is listed as the token)."""
    return db.session.scalars(
        sa.select(AuthSession).where(*_live_browser_sessions(user_id)).order_by(AuthSession.last_seen_at.desc())
    ).all()


def live_session(claims):
    """(the live session, None) when the token's session lives, else (None, the code to answer)."""
    sid = claims.get("sid")
    if not isinstance(sid, int) or isinstance(sid, bool):
        return None, "token_revoked"
    live = session_cache().get(sid)
    if live is None:
        live = LiveSession.read(sid)
        if live is None:
            return None, "token_revoked"
        if not live.ended_because():
            session_cache().put(live)
    if str(live.user_id) != claims.get("sub"):
        return None, "token_revoked"
    code = live.ended_because()
    return (None, code) if code else (live, None)


TOKEN_TYPES = ("access", "refresh")
CLAIMS = ("sub", "sid", "jti", "type", "iat", "exp")  # every token Hearth issues carries them all


def check_claims(claims):
    """Refuse a token without the claims every Hearth token carries, or of a type Hearth does not issue.

    flask-jwt-extended would take a token without `type` for an access token, and one
    without `exp` for a token that never expires; a forged or foreign token is neither.
    """
    missing = [name for name in CLAIMS if name not in claims]
    if missing:
        raise JWTDecodeError(f"Missing claims: {', '.join(missing)}")
    if claims["type"] not in TOKEN_TYPES:
        raise JWTDecodeError("Unknown token type")


def new_jti():
    return uuid.uuid4().hex


def init_app(app):
    cache = app.extensions["hearth.session_cache"] = SessionCache(app.config["SESSION_CACHE_TTL"])
    broker = app.extensions["hearth.broker"]
    wire.subscribe(broker, wire.EndedSessions, lambda ended: cache.forget(ended.ids))
    broker.when_reconnected(cache.clear)  # an ending published while away was missed: check every session afresh

    @jwt.decode_key_loader
    def key_for(jwt_header, unverified_claims):
        """The only place that sees a token's claims as sent, before the library fills in defaults."""
        check_claims(unverified_claims)
        return current_app.config["JWT_SECRET_KEY"]
