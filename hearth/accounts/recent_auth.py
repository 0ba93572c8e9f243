"""Recent authentication ("sudo mode"): changes that could keep an account from its owner ask for the password.

Copied cookies are a whole session, but they are not the password. Within
HEARTH_REAUTH_WINDOW seconds of signing in, or of giving the password again
(`POST /auth/reauthenticate`), a session may turn two-step sign-in on, create
personal access tokens, end other sessions, change its email, and add or remove
passkeys; later these answer 401 `reauth_required`. Turning two-step sign-in off
and changing the password ask for the password in the request itself.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from hearth.accounts.users import confirm_password
from hearth.errors import ApiError
from hearth.extensions import db
from hearth.models import AuthSession, utcnow


def authenticated_recently(session_id):
    """Read from the row, never the session cache: a password given a moment ago counts at once."""
    at = db.session.scalar(sa.select(AuthSession.authenticated_at).where(AuthSession.id == session_id))
    return at is not None and utcnow() - at <= timedelta(seconds=current_app.config["REAUTH_WINDOW"])


def require_recent_authentication(session_id):
    """The guard of a sensitive change: 401 reauth_required unless the session gave its password recently."""
    if not authenticated_recently(session_id):
        raise ApiError(
            401, "reauth_required", "Confirm your password first: POST /auth/reauthenticate, then try again."
        )


def reauthenticate(user_id, password, session_id, field="password"):
    """Check the password (counted before it is checked, per session) and mark the session as just authenticated."""
    confirm_password(user_id, password, session_id, field=field)
    mark_authenticated(session_id)


def mark_authenticated(session_id):
    db.session.execute(sa.update(AuthSession).where(AuthSession.id == session_id).values(authenticated_at=utcnow()))
    db.session.commit()
