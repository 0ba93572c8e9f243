"""Invitation links: an owner makes one, whoever holds it joins the workspace (signed in, or signing up with it).

The token is never stored: the row keeps its SHA-256 digest, to find it by, and a random salt from
which the token is derived again with the site's secret key (HMAC), so that the owner's page can
show a live link to copy while a copy of the database alone opens nothing.

A use is counted by one statement — `UPDATE … SET uses = uses + 1 WHERE … AND uses < max_uses …
RETURNING` — in the transaction that adds the member, so however many people accept at once, no
more than `max_uses` join. A link stops working when it expires, is withdrawn, is used up, or its
creator is deactivated.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from hearth import mail
from hearth.accounts.users import add_user, check_registration
from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import Invitation, Membership, User, Workspace, utcnow
from hearth.validation import parse
from hearth.workspaces.access import not_found, owned_workspace
from hearth.workspaces.members import admit

DEFAULT_LIFETIME = 7 * 24 * 3600
LIFETIMES = (60, 30 * 24 * 3600)
MAX_USES = 1000
MAX_LIVE_PER_WORKSPACE = 100  # a bound on what the owner's page lists and a stolen session could make
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PATH = "/invite/"


def bounded(low, high):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return None, f"must be an integer from {low} to {high}"
        return value, None

    return check


def email(value):
    if not isinstance(value, str) or len(value.strip()) > 254 or not EMAIL_RE.fullmatch(value.strip()):
        return None, "must be an email address"
    return value.strip(), None


def create_invitation(user_id, workspace_id, data, origin):
    """A new link to the workspace (owner only); returns (invitation, token). With `email`, the link is mailed
    (after the commit that stores it; `origin` is the site's, which the link starts with).

    Without `max_uses`, a link for one named person (`email`) works once, a link to share works up to 1,000 times.
    """
    workspace = owned_workspace(user_id, workspace_id, "invite people")
    fields = parse(
        data,
        optional={"max_uses": bounded(1, MAX_USES), "expires_in": bounded(*LIFETIMES), "email": email},
    )
    if len(live_in(workspace_id)) >= MAX_LIVE_PER_WORKSPACE:
        raise DomainError("conflict", f"This workspace has {MAX_LIVE_PER_WORKSPACE} live links: withdraw some first.")
    salt = secrets.token_hex(16)
    token = token_of(salt)
    invitation = Invitation(
        workspace_id=workspace.id,
        created_by_id=user_id,
        salt=salt,
        token_hash=digest(token),
        email=fields.get("email"),
        max_uses=fields.get("max_uses", 1 if "email" in fields else MAX_USES),
        expires_at=utcnow() + timedelta(seconds=fields.get("expires_in", DEFAULT_LIFETIME)),
    )
    db.session.add(invitation)
    db.session.flush()
    if invitation.email:
        mail.send_after_commit(invitation.email, *invitation_mail(invitation, link(origin, token)))
    db.session.commit()
    return invitation, token


def invitation_mail(invitation, url):
    """(subject, body) of the mail that carries a link."""
    inviter, workspace = invitation.created_by.display_name, invitation.workspace.name
    subject = f"{inviter} invited you to {workspace} on Hearth"
    body = (
        f"{inviter} invited you to join {workspace} on Hearth, where the team chats and plans.\n\n"
        f"Open this link to join (it works until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n\n{url}\n\n"
        "If you did not expect this, ignore this mail: nothing happens unless the link is opened.\n"
    )
    return subject, body


def invitations_of(user_id, workspace_id):
    """The live links of a workspace, newest first (owner only)."""
    owned_workspace(user_id, workspace_id, "see its invitation links")
    return live_in(workspace_id)


def live_in(workspace_id):
    return db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.workspace_id == workspace_id, *live(utcnow()))
        .order_by(Invitation.id.desc())
    ).all()


def withdraw(user_id, invitation_id):
    """The link stops working at once. 404 unless it is a live link of a workspace the user is in; 403 for a
    member who is not its owner."""
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.id == invitation_id, *live(utcnow())))
    if invitation is None:
        raise not_found("invitation")
    owned_workspace(user_id, invitation.workspace_id, "withdraw its invitation links")
    invitation.withdrawn_at = utcnow()
    db.session.commit()


def workspace_invited_to(token):
    """The workspace a live link leads to (for its page), or None."""
    invitation = _live_invitation(token)
    return db.session.get(Workspace, invitation.workspace_id) if invitation else None


def accept(user_id, token):
    """Join the workspace a live link leads to; returns the workspace. A member already is answered with it,
    and nothing is counted; a dead or unknown link is `not_found`."""
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == digest(token)))
    if invitation is None:
        raise not_found("invitation")
    if db.session.get(Membership, (invitation.workspace_id, user_id)):
        return db.session.get(Workspace, invitation.workspace_id)
    return _join(db.session.get(User, user_id), token)


def sign_up(username, password, display_name, token, mode):
    """A new account that joins the link's workspace in the same transaction: (user, workspace).

    Where sign-up needs an invitation, a dead link is `registration_closed`; on an open site it is `not_found`
    (no account is made: the person came to join).
    """
    check_registration(mode, invited=True)
    user = add_user(username, password, display_name)
    try:
        return user, _join(user, token)
    except DomainError as e:
        db.session.rollback()
        if e.code == "not_found" and mode == "invite":
            raise DomainError("registration_closed", "That invitation has expired or was withdrawn.") from None
        raise


def _join(user, token):
    """Count a use and add the member, committed together; a link with no use left is `not_found`."""
    now = utcnow()
    workspace_id = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.token_hash == digest(token), *live(now))
        .values(uses=Invitation.uses + 1)
        .returning(Invitation.workspace_id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if workspace_id is None:
        db.session.rollback()
        raise not_found("invitation (it may have expired, been used up or withdrawn)")
    try:
        admit(workspace_id, user)
    except DomainError as e:
        if e.code != "conflict":
            raise
        # the same person accepting twice at once: the other accept added them, and this use was rolled back
    return db.session.get(Workspace, workspace_id)


def live(now):
    """The conditions of a link that still works."""
    creator_active = sa.exists().where(User.id == Invitation.created_by_id, User.deactivated_at.is_(None))
    return (
        Invitation.withdrawn_at.is_(None),
        Invitation.expires_at > now,
        Invitation.uses < Invitation.max_uses,
        creator_active,
    )


def _live_invitation(token):
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == digest(token), *live(utcnow())))


def link(origin, token):
    return f"{origin.rstrip('/')}{PATH}{token}"


def link_of(invitation, origin):
    """The link of a stored invitation, for its owner to copy; None when the site's secret key changed since
    (the link still works, but only its first answer showed it)."""
    token = token_of(invitation.salt)
    return link(origin, token) if hmac.compare_digest(digest(token), invitation.token_hash) else None


def token_of(salt):
    secret_key = current_app.config["SECRET_KEY"]
    return hmac.new(secret_key.encode(), f"invitation:{salt}".encode(), hashlib.sha256).hexdigest()[:43]


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()
