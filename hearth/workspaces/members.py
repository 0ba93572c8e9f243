"""Workspaces and who is in them: the owner creates one as its first member, adds people, removes them.

Members coming and going are events of the workspace's own topic. Removing a member also takes
every topic of the workspace from their sockets, at once, announced after the commit.
"""

import sqlalchemy as sa

from hearth.accounts.throttles import throttle
from hearth.errors import DomainError
from hearth.event_log import announce_withdrawal, claim_seq, commit_and_announce
from hearth.extensions import db
from hearth.models import Board, Channel, ChannelMember, Membership, User, Workspace
from hearth.validation import name, parse, username
from hearth.workspaces import read_markers, topics, workspace_topics
from hearth.workspaces.access import is_member, not_found, owned_workspace, workspace_for
from hearth.workspaces.workspace_topics import append_workspace_event


def workspaces_of(user_id):
    return db.session.scalars(
        sa.select(Workspace).where(is_member(user_id, Workspace.id)).order_by(Workspace.name, Workspace.id)
    ).all()


FIRST_CHANNEL = "general"


def create_workspace(user_id, data):
    """A workspace with its creator as its owner and first member, and a public channel named `general`."""
    fields = parse(data, required={"name": name})
    workspace = Workspace(name=fields["name"], owner_id=user_id)
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace_id=workspace.id, user_id=user_id))
    db.session.flush()
    general = Channel(workspace_id=workspace.id, name=FIRST_CHANNEL, created_by_id=user_id)
    workspace_topics.add(general, "channel")  # commits it all
    return workspace


def members_of(user_id, workspace_id):
    workspace_for(user_id, workspace_id)
    return members_in(workspace_id)


def members_in(workspace_id):
    """The members of a workspace by name; the caller has checked membership."""
    return db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.display_name, User.id)
    ).all()


def add_member(user_id, workspace_id, data):
    """Only the owner adds members; a member who is not the owner is told so, a stranger sees nothing."""
    owned_workspace(user_id, workspace_id, "add members")
    # each attempt tells whether a username exists, and puts this workspace in a stranger's list: limited
    throttle().check_member_addition(user_id)
    fields = parse(data, required={"username": username})
    user = db.session.scalar(sa.select(User).where(User.username == fields["username"]))
    if user is None:
        raise DomainError("invalid_input", f"No user is called {fields['username']!r}.", fields=["username"])
    return admit(workspace_id, user)


def admit(workspace_id, user):
    """Make `user` a member, with `member.added` on the workspace's topic, committed with whatever the session's
    transaction already holds (an invitation's use, a new account). 409 when they are a member already:
    the whole transaction is rolled back."""
    seq = claim_seq(Workspace, workspace_id)
    if db.session.get(Membership, (workspace_id, user.id)):
        db.session.rollback()
        raise DomainError("conflict", f"{user.username} is already a member.")
    db.session.add(Membership(workspace_id=workspace_id, user_id=user.id))
    commit_and_announce(append_workspace_event(workspace_id, seq, "member.added", {"user": user.to_dict()}))
    return user


def remove_member(user_id, workspace_id, member_id):
    """The owner removes any other member; any member removes themself (leaves). The owner cannot leave.

    At once, everywhere: the removed person's sockets lose every topic of the workspace, and
    they leave its presence without the reconnect grace. Returns the workspace.
    """
    workspace = workspace_for(user_id, workspace_id)
    if member_id != user_id and workspace.owner_id != user_id:
        raise DomainError("forbidden", "Only the workspace's owner can remove other members.")
    if member_id == workspace.owner_id:
        raise DomainError("conflict", "The owner cannot leave their own workspace.")
    seq = claim_seq(Workspace, workspace_id)
    membership = db.session.get(Membership, (workspace_id, member_id))
    if membership is None:
        db.session.rollback()
        raise not_found("member")
    user = db.session.get(User, member_id)
    channel_ids = db.session.scalars(sa.select(Channel.id).where(Channel.workspace_id == workspace_id)).all()
    board_ids = db.session.scalars(sa.select(Board.id).where(Board.workspace_id == workspace_id)).all()
    read_markers.forget(member_id, channel_ids)
    # they leave every private channel and direct message of the workspace (and forget their levels)
    db.session.execute(
        sa.delete(ChannelMember).where(ChannelMember.user_id == member_id, ChannelMember.channel_id.in_(channel_ids))
    )
    db.session.delete(membership)
    commit_and_announce(append_workspace_event(workspace_id, seq, "member.removed", {"user": user.to_dict()}))
    withdrawn = [
        topics.workspace(workspace_id),
        topics.presence(workspace_id),
        *map(topics.chat, channel_ids),
        *map(topics.board, board_ids),
    ]
    announce_withdrawal(withdrawn, "removed", user_id=member_id)
    return workspace
