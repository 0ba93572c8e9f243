"""A workspace's channels: listed with what each member has not read yet, created, renamed and deleted."""

import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import Channel, Message, ReadMarker
from hearth.workspaces import workspace_topics
from hearth.workspaces.access import owned, workspace_for


def channel_list(user_id, workspace_id):
    """The channels as the sidebar shows them: each with its head `seq`, the user's `read_seq` and `unread`."""
    workspace_for(user_id, workspace_id)
    return unread_in(user_id, workspace_id)


def unread_in(user_id, workspace_id):
    """`channel_list` for a workspace whose membership the caller has checked.

    Unread counts the messages by others after the marker that are not deleted, in one query for all channels.
    """
    read_seq = sa.func.coalesce(ReadMarker.seq, 0)
    unread = (
        sa.select(sa.func.count())
        .select_from(Message)
        .where(
            Message.channel_id == Channel.id,
            Message.seq > read_seq,
            Message.author_id != user_id,
            Message.deleted_at.is_(None),
        )
        .correlate(Channel, ReadMarker)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Channel, read_seq, unread)
        .outerjoin(ReadMarker, sa.and_(ReadMarker.channel_id == Channel.id, ReadMarker.user_id == user_id))
        .where(Channel.workspace_id == workspace_id)
        .order_by(Channel.name, Channel.id)
    ).all()
    return [{**channel.to_dict(), "seq": channel.seq, "read_seq": seen, "unread": n} for channel, seen, n in rows]


def create_channel(user_id, workspace_id, data):
    workspace_for(user_id, workspace_id)
    return workspace_topics.add(Channel(workspace_id=workspace_id, name=workspace_topics.named(data)), "channel")


def rename_channel(user_id, channel_id, data, workspace_id=None):
    channel = owned(Channel, "channel", user_id, channel_id, "rename channels", workspace_id)
    return workspace_topics.rename(channel, "channel", data)


def delete_channel(user_id, channel_id, workspace_id=None):
    """Delete a channel with its messages; returns what it was."""
    channel = owned(Channel, "channel", user_id, channel_id, "delete channels", workspace_id)
    return workspace_topics.delete(channel, "channel")
