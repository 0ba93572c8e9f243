"""Forgotten passwords: a link mailed to the account's verified address, then a new password.

Asking for a link answers the same way whatever the login names, and takes the
same time: the request only checks its client address's limit and hands the login
to a background task (a greenlet under gunicorn), which looks the account up,
counts it toward its own limit (5 an hour), and mails a link (30 minutes, single
use, stored as a digest) only to a verified address. Nothing of that shows in the
answer or its timing.

Following the link sets a new password and ends every session and token of the
account. With two-step sign-in on it also asks for a code, counted like a login
guess: a mailbox alone never takes an account over.
"""

import threading

import sqlalchemy as sa
import structlog
from flask import current_app

from hearth import mail
from hearth.accounts import mailed_tokens
from hearth.accounts.sessions import end_all_sessions
from hearth.accounts.throttles import throttle
from hearth.accounts.users import check_login_code
from hearth.errors import ApiError, DomainError
from hearth.extensions import db
from hearth.models import User

RESET_TTL = 30 * 60
log = structlog.get_logger("hearth.accounts.reset")


def request_reset(login, client_address, origin):
    """`POST /auth/password-reset`: count the address, then look the login up after the answer."""
    if not throttle().reset_allowed_from(client_address):
        log.info("password_reset_limited", by="address")
        return
    app = current_app._get_current_object()
    threading.Thread(target=_mail_link_in_background, args=(app, login, origin), daemon=True).start()


def _mail_link_in_background(app, login, origin):
    with app.app_context():
        try:
            mail_reset_link(login, origin)
        finally:
            db.session.remove()


def mail_reset_link(login, origin):
    """Mail a reset link when `login` (a username or an email address) names an account with a verified address
    and that account is within its limit; otherwise do nothing. Returns whether a link was mailed."""
    user = find_account(login)
    account = f"user:{user.id}" if user else f"unknown:{login.strip().lower()}"
    if not throttle().reset_allowed_for(account):
        log.info("password_reset_limited", by="account")
        return False
    if user is None or not user.email or not user.email_verified:
        return False
    secret = mailed_tokens.issue(user.id, mailed_tokens.PASSWORD_RESET, user.email, RESET_TTL)
    mail.send_after_commit(
        user.email,
        "Reset your Hearth password",
        f"Hello {user.display_name},\n\n"
        f"Someone (we hope you) asked to reset the password of {user.username} on Hearth. Choose a new one within "
        f"30 minutes here:\n\n{origin}/auth/reset/{secret}\n\n"
        "If it was not you, ignore this mail: your password stays as it is.\n",
    )
    db.session.commit()
    return True


def find_account(login):
    login = login.strip().lower()
    column = User.email if "@" in login else User.username
    return db.session.scalar(sa.select(User).where(column == login))


def reset_link(secret):
    """(link, user) while the link works: unused, within 30 minutes, and the account still has that verified
    address. None otherwise."""
    token = mailed_tokens.find_live(secret, mailed_tokens.PASSWORD_RESET)
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    if user.email != token.email or not user.email_verified:
        return None
    return token, user


def not_found():
    return DomainError("not_found", "This reset link does not work: it was used, it expired, or it never existed.")


def reset_password(secret, fields_of, client_address):
    """`POST /auth/password-reset/<token>`: a working link (404), a valid body (400), the two-step code (401),
    then the new password; every session and token of the account ends."""
    found = reset_link(secret)
    if found is None:
        raise not_found()
    token, user = found
    fields = fields_of()
    if user.two_factor:
        if fields.get("totp") is None:
            raise ApiError(401, "totp_required", "Two-step sign-in is on: send the code from the app as `totp`.")
        check_login_code(user, fields["totp"], client_address)
    if not mailed_tokens.spend(token):
        db.session.rollback()
        raise not_found()
    mailed_tokens.withdraw(user.id, mailed_tokens.PASSWORD_RESET)
    user = db.session.get(User, user.id)
    user.set_password(fields["password"])
    db.session.commit()
    ended = end_all_sessions(user.id, reason="password_reset")
    log.info("password_reset", user_id=user.id, sessions_ended=len(ended))
    return user
