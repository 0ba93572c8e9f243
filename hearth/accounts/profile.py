"""A person's profile: display name and email address, and proving the address by a mailed link.

A new address is unverified until the link mailed to it (48 hours, single use) is
followed; only a verified address receives password-reset links (reset.py), so
typing someone else's address into a profile gains nothing. Changing the address
needs the password given recently (recent_auth.py): copied cookies alone cannot
redirect the account's resets to another mailbox.
"""

import sqlalchemy as sa

from hearth import mail
from hearth.accounts import mailed_tokens
from hearth.accounts.recent_auth import require_recent_authentication
from hearth.accounts.sessions import session_cache
from hearth.accounts.two_factor import two_factor_on
from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import User
from hearth.validation import display_name, email_address, parse

VERIFY_TTL = 48 * 3600


def me(user_id):
    """`GET /api/me`: the user object with what only its owner sees."""
    user = db.session.get(User, user_id)
    return {
        **user.to_dict(),
        "two_factor": two_factor_on(user_id),
        "admin": user.admin,
        "email": user.email,
        "email_verified": user.email_verified,
    }


def update_profile(user_id, session_id, body, origin):
    """`PATCH /api/me` `{"display_name"?, "email"?}`; an empty email removes the address. Returns me."""
    data = body() if callable(body) else body
    if data.get("email") == "":
        data = {**data, "email": None}
        removing = True
    else:
        removing = False
    fields = parse(data, optional={"display_name": display_name, "email": email_address})
    user = db.session.get(User, user_id)
    if "display_name" in fields:
        user.display_name = fields["display_name"]
    try:
        if removing and user.email is not None:
            require_recent_authentication(session_id)
            user.email, user.email_verified = None, False
            mailed_tokens.withdraw(user_id, mailed_tokens.VERIFY_EMAIL)
        elif "email" in fields and (fields["email"] != user.email or not user.email_verified):
            if fields["email"] != user.email:
                require_recent_authentication(session_id)
                user.email, user.email_verified = fields["email"], False
                db.session.flush()  # a taken address fails here, before a link is made for it
            send_verification(user, origin)  # the same unverified address again: a new link
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("conflict", "That email address belongs to another account.", fields=["email"]) from None
    forget_cached(user_id)
    return me(user_id)


def resend_verification(user_id, origin):
    """A new link for the address on file, while it is unverified (a no-op otherwise)."""
    user = db.session.get(User, user_id)
    if user.email and not user.email_verified:
        send_verification(user, origin)
        db.session.commit()


def send_verification(user, origin):
    secret = mailed_tokens.issue(user.id, mailed_tokens.VERIFY_EMAIL, user.email, VERIFY_TTL)
    mail.send_after_commit(
        user.email,
        "Confirm your email address for Hearth",
        f"Hello {user.display_name},\n\n"
        f"Confirm that {user.email} is your address on Hearth (account {user.username}) by opening this link "
        f"within 48 hours:\n\n{origin}/auth/verify-email/{secret}\n\n"
        "If you did not add this address, ignore this mail: nothing changes until the link is followed.\n",
    )


def verification_link(secret):
    """The live link, or None: unknown, used, expired, or for an address the account no longer has."""
    token = mailed_tokens.find_live(secret, mailed_tokens.VERIFY_EMAIL)
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    return token if user.email == token.email else None


def verify_email(secret):
    """Follow a verification link: the address is verified. 404 not_found for a link that does not work."""
    token = verification_link(secret)
    if token is None or not mailed_tokens.spend(token):
        db.session.rollback()
        raise DomainError("not_found", "This link does not work: it was used, it expired, or the address changed.")
    user = db.session.get(User, token.user_id)
    user.email_verified = True
    db.session.commit()
    forget_cached(user.id)
    return user


def forget_cached(user_id):
    """This process shows the new name and avatar at once; others within the session cache's 2 s."""
    session_cache().forget_user(user_id)
