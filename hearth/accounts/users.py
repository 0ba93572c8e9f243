"""Accounts: registering a user, checking a login (password, then the two-step code), changing a password.

The blueprints and the CLI call these; none of them builds a user or an ORM clause by hand.

Every password or code counts toward the login limits before it is checked, and
only a complete sign-in clears the username's count: a right password followed by
wrong codes locks the account like wrong passwords do.
"""

import sqlalchemy as sa

from hearth.accounts import two_factor
from hearth.accounts.passwords import burn_verification_time
from hearth.accounts.sessions import end_all_sessions, end_other_sessions
from hearth.accounts.throttles import throttle
from hearth.errors import ApiError, DomainError
from hearth.extensions import db
from hearth.models import User

REGISTRATION_CLOSED = {
    "invite": "Sign-up on this site needs an invitation: ask a workspace's owner for an invite link.",
    "closed": "Sign-up on this site is closed: ask a site admin to add an account for you.",
}


def register_user(username, password, display_name=None, admin=False):
    """A new user who can log in at once; 409 when the username is taken. Fields are already validated."""
    user = add_user(username, password, display_name, admin)
    db.session.commit()
    return user


def add_user(username, password, display_name=None, admin=False):
    """A new user in the session's transaction, not yet committed (a sign-up with an invitation joins its
    workspace in the same transaction). The first account of an empty site is its admin, decided by the
    INSERT itself, so no other account can slip in between a count and the write."""
    first_account = sa.not_(sa.exists().where(User.id.is_not(None)))
    user = User(username=username, display_name=display_name or username, admin=True if admin else first_account)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ApiError(409, "conflict", "That username is taken.", fields=["username"]) from None
    return user


def check_registration(mode, invited):
    """Whether anyone may sign up: `open`, or `invite` with an invitation; the first account of a site always may."""
    if mode == "open" or (mode == "invite" and invited) or not site_has_accounts():
        return
    raise DomainError("registration_closed", REGISTRATION_CLOSED.get(mode, REGISTRATION_CLOSED["closed"]))


def site_has_accounts():
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


def find_user(username):
    return db.session.scalar(sa.select(User).where(User.username == username.lower()))


def check_login(username, password, client_address, totp=None):
    """The user these credentials name, within the login limits; 401 invalid_credentials otherwise.

    An unknown username costs what a wrong password does, so timing tells neither apart. With
    two-step sign-in on, a right password without `totp` is 401 totp_required (not a failure).
    """
    name = username.lower()
    attempt = throttle().count_login(name, client_address)
    user = find_user(name)
    release_connection()
    if user is None:
        burn_verification_time(password)
    if user is None or not user.check_password(password):
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    keep_rehashed_password(user)
    refuse_deactivated(user)
    if user.two_factor:
        if totp is None:
            attempt.give_back()  # a right password is no guess; the code counts when it comes
            raise ApiError(401, "totp_required", "Two-step sign-in is on: send the code from the app as `totp`.")
        _check_code(user, totp)
    throttle().login_succeeded(name, attempt)
    return user


def check_login_code(user, totp, client_address):
    """The login form's second step, for a user whose password was right a moment ago."""
    attempt = throttle().count_login(user.username, client_address)
    refuse_deactivated(user)
    _check_code(user, totp)
    throttle().login_succeeded(user.username, attempt)
    return user


def refuse_deactivated(user):
    """Said only once the password was right: a wrong one stays `invalid_credentials`, so this tells nobody
    without the password that the account exists."""
    if user.deactivated_at is not None:
        raise ApiError(401, "account_deactivated", "A site admin has deactivated this account.")


def _check_code(user, totp):
    if not two_factor.accept_code(user, totp):
        raise ApiError(401, "invalid_credentials", "Wrong or already used code.", fields=["totp"])


def release_connection():
    """Give the pooled connection back before hashing: a hash may wait its turn for a slot, and logins
    waiting with connections in hand once kept every other request from the database. The user read
    before stays readable (its columns are loaded) and is added back to keep a rehashed password."""
    db.session.close()


def keep_rehashed_password(user):
    if sa.inspect(user).detached:
        db.session.add(user)
    db.session.commit()


def confirm_password(user_id, attempt, session_id, field="password"):
    """The user's row when `attempt` is their password (asked again before a change to the account).

    Limited by wrong attempts of this session, never by the login limits of the username; each
    attempt counts before it is checked, and a right one is given back.
    """
    counted = throttle().count_password_confirmation(session_id)
    user = db.session.get(User, user_id)
    if not user.check_password(attempt):
        raise ApiError(401, "invalid_credentials", f"The {field.replace('_', ' ')} is wrong.", fields=[field])
    counted.give_back()
    db.session.commit()  # keeps a rehashed password
    return user


def change_password(user_id, current_password, new_password, session_id):
    """Set a new password after checking the current one; every other session of the user ends, and so does
    every personal access token (each is a session)."""
    user = confirm_password(user_id, current_password, session_id, field="current_password")
    user.set_password(new_password)
    db.session.commit()
    end_other_sessions(user.id, session_id, reason="password_changed")


def reset_password(username, new_password, turn_off_two_step=False):
    """The operator's way back in for someone who forgot: a new password, and every session and token ended.
    With `turn_off_two_step`, for someone who also lost their phone and recovery codes, two-step sign-in goes off.
    Returns the user (None when there is no such username) and how many sessions ended."""
    user = find_user(username)
    if user is None:
        return None, 0
    user.set_password(new_password)
    db.session.commit()
    if turn_off_two_step:
        two_factor.disable(user.id)
    return user, len(end_all_sessions(user.id, reason="password_reset"))
