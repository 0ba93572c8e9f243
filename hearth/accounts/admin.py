"""Site admins: listing and adding accounts, deactivating and reactivating them, turning two-step sign-in off.

Each operation takes the id of the admin asking and checks, afresh from the database, that they are one
(anyone else: `forbidden`). An admin cannot deactivate or demote themself, so a site always keeps an
active admin; `flask set-admin NAME --off` refuses to demote the last one.

Deactivating ends every session and token of the account through the one path that ends sessions
(their sockets close with 4403 on every worker), and takes the person out of every workspace's
presence at once. Their messages, cards and memberships stay; a login answers `account_deactivated`.
"""

from datetime import UTC

import sqlalchemy as sa

from hearth.accounts import two_factor
from hearth.accounts.sessions import end_all_sessions
from hearth.accounts.users import find_user, register_user
from hearth.errors import DomainError
from hearth.event_log import announce_withdrawal
from hearth.extensions import db
from hearth.models import AuthSession, Membership, User, isoformat, utcnow
from hearth.validation import display_name, email_address, parse, password, username
from hearth.workspaces import topics


def boolean(value):
    if not isinstance(value, bool):
        return None, "must be true or false"
    return value, None


def require_admin(user_id):
    user = db.session.get(User, user_id)
    if user is None or not user.admin or user.deactivated_at is not None:
        raise DomainError("forbidden", "Only a site admin can do that.")
    return user


def users_for(admin_id):
    """Every account, oldest first, as an admin sees it."""
    require_admin(admin_id)
    last_seen = (
        sa.select(AuthSession.user_id, sa.func.max(AuthSession.last_seen_at).label("last_seen_at"))
        .group_by(AuthSession.user_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(User, last_seen.c.last_seen_at).outerjoin(last_seen, last_seen.c.user_id == User.id).order_by(User.id)
    ).all()
    return [admin_view(user, seen) for user, seen in rows]


def admin_view(user, last_seen_at=None):
    """A user with what only admins see. `last_seen_at`: the latest use of any of their sessions (a token refresh,
    a login), or null for an account never signed in. `email`: the account's address, or null."""
    seen = last_seen_at.replace(tzinfo=last_seen_at.tzinfo or UTC) if last_seen_at else None
    return {
        **user.to_dict(),
        "admin": user.admin,
        "email": user.email,
        "deactivated": user.deactivated_at is not None,
        "created_at": isoformat(user.created_at),
        "last_seen_at": isoformat(seen) if seen else None,
    }


def create_account(admin_id, data):
    """An account an admin adds (whatever the registration mode); it can sign in at once."""
    require_admin(admin_id)
    fields = parse(
        data,
        required={"username": username, "password": password},
        optional={"display_name": display_name, "email": email_address, "admin": boolean},
    )
    if "email" in fields and db.session.scalar(sa.select(User.id).where(User.email == fields["email"])):
        raise DomainError("conflict", "That email address belongs to another account.", fields=["email"])
    user = register_user(fields["username"], fields["password"], fields.get("display_name"), fields.get("admin"))
    if "email" in fields:
        user.email = fields["email"]  # the admin's word: unverified until its owner follows a mailed link
        db.session.commit()
    return admin_view(user)


def _target(admin_id, user_id):
    require_admin(admin_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", "No such user.")
    return user


def deactivate(admin_id, user_id):
    """The account can no longer sign in; everything it was signed in with ends now, everywhere."""
    user = _target(admin_id, user_id)
    if user.id == admin_id:
        raise DomainError("conflict", "You cannot deactivate your own account: another admin can.")
    if user.deactivated_at is None:
        user.deactivated_at = utcnow()
    db.session.commit()
    workspace_ids = db.session.scalars(sa.select(Membership.workspace_id).where(Membership.user_id == user.id)).all()
    if workspace_ids:  # out of presence without the reconnect grace, before their sockets close
        announce_withdrawal(map(topics.presence, workspace_ids), "removed", user_id=user.id)
    end_all_sessions(user.id, reason="deactivated")


def reactivate(admin_id, user_id):
    """The account may sign in again (its old sessions stay ended)."""
    user = _target(admin_id, user_id)
    user.deactivated_at = None
    db.session.commit()


def reset_two_factor(admin_id, user_id):
    """Two-step sign-in off, for someone who lost both their phone and their recovery codes."""
    _target(admin_id, user_id)
    two_factor.disable(user_id)


# what `POST …/users/<id>/<action>` does, for the API and the admin page alike
ACTIONS = {"deactivate": deactivate, "reactivate": reactivate, "reset-two-factor": reset_two_factor}


def change_admin(admin_id, user_id, data):
    """Make an account a site admin, or no longer one; nobody demotes themself."""
    user = _target(admin_id, user_id)
    fields = parse(data, required={"admin": boolean})
    if user.id == admin_id and not fields["admin"]:
        raise DomainError("conflict", "You cannot remove your own admin rights: another admin can.")
    user.admin = fields["admin"]
    db.session.commit()
    return admin_view(user)


def set_admin(name, on=True):
    """The operator's switch (`flask set-admin`): the user, or None when there is no such username. The last
    active admin is not demoted (`conflict`)."""
    user = find_user(name)
    if user is None:
        return None
    if not on and user.admin:
        others = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.admin.is_(True), User.deactivated_at.is_(None), User.id != user.id)
        )
        if not others:
            raise DomainError("conflict", f"{user.username} is the last site admin: make another one first.")
    user.admin = on
    db.session.commit()
    return user
