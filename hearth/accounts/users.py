"""Accounts: registering a user, checking a login, changing a password.

The blueprints and the CLI call these; none of them builds a user or an ORM clause by hand.
"""

import sqlalchemy as sa

from hearth.accounts.passwords import burn_verification_time
from hearth.accounts.sessions import end_other_sessions
from hearth.accounts.throttles import throttle
from hearth.errors import ApiError
from hearth.extensions import db
from hearth.models import User


def register_user(username, password, display_name=None):
    """A new user who can log in at once; 409 when the username is taken. Fields are already validated."""
    user = User(username=username, display_name=display_name or username)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict", "That username is taken.", fields=["username"]) from None
    return user


def find_user(username):
    return db.session.scalar(sa.select(User).where(User.username == username.lower()))


def check_login(username, password, client_address):
    """The user these credentials name, within the login limits; 401 invalid_credentials otherwise.

    An unknown username costs what a wrong password does, so timing tells neither apart.
    """
    name = username.lower()
    throttle().check_login(name, client_address)
    user = find_user(name)
    if user is None:
        burn_verification_time(password)
    if user is None or not user.check_password(password):
        throttle().login_failed(name, client_address)
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    db.session.commit()  # keeps a rehashed password
    throttle().login_succeeded(name)
    return user


def change_password(user_id, current_password, new_password, session_id):
    """Set a new password after checking the current one; every other session of the user ends.

    Limited by wrong current passwords of this session, never by the login limits of the username.
    """
    user = db.session.get(User, user_id)
    throttle().check_password_change(session_id)
    if not user.check_password(current_password):
        throttle().password_change_failed(session_id)
        raise ApiError(401, "invalid_credentials", "The current password is wrong.", fields=["current_password"])
    user.set_password(new_password)
    db.session.commit()
    end_other_sessions(user.id, session_id, reason="password_changed")
