"""Two-step sign-in: TOTP codes (RFC 6238: 6 digits, 30 s steps, SHA-1) and single-use recovery codes.

A code is accepted once. The user's row keeps the last time step that signed
in, and a compare-and-swap UPDATE moves it forward, so a replayed code — on this
worker or any other — finds its step already taken. Recovery codes carry 80
random bits, are stored as SHA-256 digests, and are spent by an UPDATE that
only one request can win.
"""

import base64
import hashlib
import re
import secrets
import time
from hmac import compare_digest

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import RecoveryCode, User, utcnow

ISSUER = "Hearth"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock may be a step behind or ahead
RECOVERY_CODES = 10
TOTP_CODE = re.compile(r"\d{6}")
# The login form's second step: which user passed the password step, signed, for five minutes.
TICKET_COOKIE = "hearth_login_step"
TICKET_MAX_AGE = 300


def begin_setup(user_id):
    """A new secret for the user to scan; it does nothing until `enable` sees a code made from it."""
    user = db.session.get(User, user_id)
    if user.totp_secret is not None:
        # replacing the secret takes the password: a stolen session must not move the codes to another phone
        raise DomainError("conflict", "Two-step sign-in is already on: turn it off (with your password) first.")
    user.totp_pending_secret = pyotp.random_base32()
    db.session.commit()
    uri = pyotp.TOTP(user.totp_pending_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": user.totp_pending_secret, "otpauth_uri": uri}


def pending_setup(user_id):
    """The secret being set up and its URI, or None."""
    user = db.session.get(User, user_id)
    if user.totp_pending_secret is None:
        return None
    uri = pyotp.TOTP(user.totp_pending_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return {"secret": user.totp_pending_secret, "otpauth_uri": uri}


def enable(user_id, code):
    """Turn two-step sign-in on with the pending secret; returns the new recovery codes, shown only now."""
    user = db.session.get(User, user_id)
    if user.totp_secret is not None:
        raise DomainError("conflict", "Two-step sign-in is already on: turn it off (with your password) first.")
    pending = user.totp_pending_secret
    step = _matching_step(pending, code) if pending else None
    if step is None:
        raise DomainError("invalid_input", "That code does not match: check the phone's clock and try the next one.")
    # one step, and only while it is off: two set-ups racing cannot replace a secret already on
    turned_on = db.session.execute(
        sa.update(User)
        .where(User.id == user_id, User.totp_secret.is_(None), User.totp_pending_secret == pending)
        .values(totp_secret=pending, totp_pending_secret=None, totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not turned_on:
        db.session.rollback()
        raise DomainError("conflict", "Two-step sign-in is already on: turn it off (with your password) first.")
    db.session.expire(user)
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=_digest(code)) for code in codes)
    db.session.commit()
    return codes


def disable(user_id):
    user = db.session.get(User, user_id)
    user.totp_secret = user.totp_pending_secret = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.commit()


def accept_code(user, code):
    """True when `code` is the current TOTP code (±1 step) not used before, or an unused recovery code."""
    if not isinstance(code, str) or user.totp_secret is None:
        return False
    code = code.strip().replace(" ", "")
    if TOTP_CODE.fullmatch(code):
        step = _matching_step(user.totp_secret, code)
        return step is not None and _claim_step(user.id, step)
    return _spend_recovery_code(user.id, code)


def two_factor_on(user_id):
    return db.session.scalar(sa.select(User.totp_secret.is_not(None)).where(User.id == user_id))


def recovery_codes_left(user_id):
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def qr_svg(uri):
    """The QR code of an otpauth URI as inline SVG: drawn on the server, so the page needs no script or image host."""
    return Markup(
        segno.make(uri, error="m").svg_inline(
            scale=5, border=2, light="#fff", title="QR code for your authenticator app"
        )
    )


def _matching_step(secret, code):
    if not isinstance(code, str) or not TOTP_CODE.fullmatch(code.strip()):
        return None
    totp, now_step = pyotp.TOTP(secret), int(time.time()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def _claim_step(user_id, step):
    """Move the user's last accepted step forward to `step`; False when it was already there (a replay)."""
    claimed = db.session.execute(
        sa.update(User)
        .where(User.id == user_id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _spend_recovery_code(user_id, code):
    normalized = code.replace("-", "").lower()
    if not re.fullmatch(r"[a-z2-7]{16}", normalized):
        return False
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _digest(normalized),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    db.session.commit()
    return spent == 1


def _new_recovery_code():
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 16 characters, 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _digest(code):
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def login_ticket(user):
    """Proof, for the form's second step, that this user's password was right a moment ago.

    It names the user and a digest of their password hash (so a password change voids it); it is
    no password, and the second step still needs a code and counts toward the login limits.
    """
    return _tickets().dumps({"uid": user.id, "pw": _password_mark(user)})


def user_of_ticket(ticket):
    """The user a ticket from `login_ticket` names, or None when it is forged, expired or stale."""
    try:
        data = _tickets().loads(ticket or "", max_age=TICKET_MAX_AGE)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data.get("uid"), int) else None
    if user is None or not compare_digest(str(data.get("pw")), _password_mark(user)):
        return None
    return user


def _tickets():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hearth-login-step")


def _password_mark(user):
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]
