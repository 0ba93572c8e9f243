"""What channels and boards share: a row named uniquely in its workspace, whose coming and going are events
of the workspace's own topic (`workspace:<id>`, its head the workspace row's `seq`), as members' are.

Renaming or deleting one rewrites its earlier events there (same seq, same kind), as message edits do:
they carry the new name, or for one deleted only its ids and `"redacted": true`, so no replay hands a
later member a name that was taken back. Deleting one also takes its own topic from whoever follows
it, announced after the commit like the events.
"""

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import (
    announce_withdrawal,
    append_event,
    append_private_event,
    claim_seq,
    commit_and_announce,
    forget_topic,
    rewrite_earlier_events,
)
from hearth.extensions import db
from hearth.models import ChannelMember, Workspace
from hearth.validation import name, parse
from hearth.workspaces import topics


def append_workspace_event(workspace_id, seq, kind, data):
    return append_event(topics.workspace(workspace_id), seq, kind, data)


def _event(row, seq, kind, data, stored=None):
    """The row's event on its workspace's topic: a private channel's or a direct message's for its members only."""
    if getattr(row, "kind", "public") == "public":
        return append_workspace_event(row.workspace_id, seq, kind, data)
    audience = db.session.scalars(sa.select(ChannelMember.user_id).where(ChannelMember.channel_id == row.id)).all()
    return append_private_event(topics.workspace(row.workspace_id), seq, kind, data, audience, stored)


def _rewrite_earlier(row, what, rewrite):
    """Rewrite the earlier `<what>.created` and `<what>.updated` events of a channel or board."""
    topic = topics.workspace(row.workspace_id)
    rewrite_earlier_events(topic, row.id, rewrite, kinds=(f"{what}.created", f"{what}.updated"))


def rows_in(model, workspace_id):
    """The channels (or boards) of a workspace, by name; the caller has checked membership."""
    return db.session.scalars(
        sa.select(model).where(model.workspace_id == workspace_id).order_by(model.name, model.id)
    ).all()


def named(data):
    return parse(data, required={"name": name})["name"]


def add(row, what, members=()):
    """Store a new channel or board and its `<what>.created` event on the workspace's topic.

    `members` (user ids) are a private channel's first members, and the only ones to hear of it."""
    seq = claim_seq(Workspace, row.workspace_id)
    db.session.add(row)
    _flush_named(what)
    db.session.add_all(ChannelMember(channel_id=row.id, user_id=user_id) for user_id in members)
    db.session.flush()
    commit_and_announce(_event(row, seq, f"{what}.created", row.to_dict()))
    return row


def _flush_named(what):
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("conflict", f"A {what} with that name already exists here.", fields=["name"]) from None


def rename(row, what, data):
    """Give a channel or board the name in `data`; the caller has checked that the user owns its workspace."""
    new_name = named(data)
    seq = claim_seq(Workspace, row.workspace_id)
    row.name = new_name
    _flush_named(what)
    _rewrite_earlier(row, what, lambda earlier: {**earlier, "name": new_name})
    commit_and_announce(_event(row, seq, f"{what}.updated", row.to_dict()))
    return row


def delete(row, what):
    """Delete a channel or board with everything in it; whoever follows its topic is told it is gone.

    Returns what it was (`to_dict()` before the deletion). The caller has checked that the user owns it.
    """
    workspace_id, topic, was = row.workspace_id, row.topic, row.to_dict()
    seq = claim_seq(Workspace, workspace_id)
    gone = {"id": row.id, "workspace_id": workspace_id}
    _rewrite_earlier(row, what, lambda earlier: {**gone, "redacted": True})
    forget_topic(topic)
    # a private channel's members hear of it; its log keeps nothing of it, not even its id
    event = _event(row, seq, f"{what}.deleted", gone, stored={"redacted": True})
    db.session.delete(row)
    db.session.flush()
    commit_and_announce(event)
    announce_withdrawal([topic], "deleted")
    return was
