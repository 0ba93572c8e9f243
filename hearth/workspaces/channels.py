"""A workspace's channels: listed with what each member has not read yet, created, renamed and deleted.

A private channel or a direct message is only its members' (access.py's `readable_channel`): its events on
the workspace's topic reach them alone, and anyone else sees `{"redacted": true}` at their seq. Its members
come and go here; one removed loses its topic from their sockets at once, on every worker.
"""

import hashlib

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import announce_withdrawal, append_private_event, claim_seq, commit_and_announce
from hearth.extensions import db
from hearth.models import Channel, ChannelMember, Membership, Message, MessageMention, ReadMarker, User, Workspace
from hearth.validation import name, parse, username
from hearth.workspaces import read_markers, topics, workspace_topics
from hearth.workspaces.access import channel_for, may_read, not_found, owned, workspace_for
from hearth.workspaces.members import members_in

NOTIFY_LEVELS = ("all", "mentions", "none")
DM_MAX_OTHERS = 8
DM_NAME_PREFIX = "\x1fdm "  # a typed name is stripped of a leading \x1f: no channel named by a person can be a DM's


def channel_list(user_id, workspace_id):
    """The channels as the sidebar shows them: each with its head `seq`, the user's `read_seq` and `unread`."""
    workspace_for(user_id, workspace_id)
    return unread_in(user_id, workspace_id)


def unread_in(user_id, workspace_id):
    """`channel_list` for a workspace whose membership the caller has checked: only the channels the user may
    read, each with `unread`, the user's unread `mentions` there and their `notify` level.

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
    mentions = (
        sa.select(sa.func.count())
        .select_from(MessageMention)
        .join(Message, Message.id == MessageMention.message_id)
        .where(
            MessageMention.user_id == user_id,
            MessageMention.channel_id == Channel.id,
            Message.seq > read_seq,
            Message.deleted_at.is_(None),
        )
        .correlate(Channel, ReadMarker)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Channel, read_seq, unread, mentions, ChannelMember.notify)
        .outerjoin(ReadMarker, sa.and_(ReadMarker.channel_id == Channel.id, ReadMarker.user_id == user_id))
        .outerjoin(ChannelMember, sa.and_(ChannelMember.channel_id == Channel.id, ChannelMember.user_id == user_id))
        .where(Channel.workspace_id == workspace_id, may_read(user_id, Channel))
        .order_by(Channel.name, Channel.id)
    ).all()
    people = dm_people([channel.id for channel, *_ in rows if channel.kind == "dm"])
    return [
        {
            **seen_by(user_id, channel, people.get(channel.id)),
            "seq": channel.seq,
            "read_seq": seen,
            "unread": n,
            "mentions": m,
            "notify": notify or default_notify(channel),
        }
        for channel, seen, n, m, notify in rows
    ]


def default_notify(channel):
    return "all" if channel.kind == "dm" else "mentions"


def dm_people(channel_ids):
    """{channel id: [users]} of these direct messages, each by display name."""
    if not channel_ids:
        return {}
    people = {}
    rows = db.session.execute(
        sa.select(ChannelMember.channel_id, User)
        .join(User, User.id == ChannelMember.user_id)
        .where(ChannelMember.channel_id.in_(channel_ids))
        .order_by(User.display_name, User.id)
    ).all()
    for channel_id, user in rows:
        people.setdefault(channel_id, []).append(user)
    return people


def seen_by(user_id, channel, people=None):
    """The channel's object as this user sees it: a direct message is named after the other people in it."""
    data = channel.to_dict()
    if channel.kind == "dm":
        people = people if people is not None else dm_people([channel.id]).get(channel.id, [])
        data.update(dm_names(people, user_id))
    return data


def dm_names(people, viewer_id=None):
    """A direct message's `name` (the others' display names; everyone's when no viewer) and its `members`."""
    others = [p for p in people if p.id != viewer_id] or people
    return {"name": ", ".join(p.display_name for p in others), "members": [p.to_dict() for p in people]}


def channel_seen(user_id, channel):
    """One channel as the channel list shows it, for the answer that creates or finds it."""
    return next(c for c in unread_in(user_id, channel.workspace_id) if c["id"] == channel.id)


def create_channel(user_id, workspace_id, data):
    """A public channel, or with `"private": true` a private one whose only member is its creator."""
    workspace_for(user_id, workspace_id)
    body = parse(data, required={"name": name}, optional={"private": boolean})
    private = body.get("private", False)
    channel = Channel(
        workspace_id=workspace_id, name=body["name"], kind="private" if private else "public", created_by_id=user_id
    )
    return workspace_topics.add(channel, "channel", members=[user_id] if private else ())


def boolean(value):
    if not isinstance(value, bool):
        return None, "must be true or false"
    return value, None


def rename_channel(user_id, channel_id, data, workspace_id=None):
    channel = owned(Channel, "channel", user_id, channel_id, "rename channels", workspace_id)
    if channel.kind == "dm":
        raise DomainError("conflict", "A direct message is named after its people.")
    return workspace_topics.rename(channel, "channel", data)


def delete_channel(user_id, channel_id, workspace_id=None):
    """Delete a channel with its messages; returns what it was."""
    channel = owned(Channel, "channel", user_id, channel_id, "delete channels", workspace_id)
    return workspace_topics.delete(channel, "channel")


# members of a private channel


def channel_members(user_id, channel_id):
    """Who may read the channel: a public one's are the workspace's members."""
    channel = channel_for(user_id, channel_id)
    if channel.public:
        return members_in(channel.workspace_id)
    return db.session.scalars(
        sa.select(User)
        .join(ChannelMember, ChannelMember.user_id == User.id)
        .where(ChannelMember.channel_id == channel.id)
        .order_by(User.display_name, User.id)
    ).all()


def _private(channel):
    if channel.kind == "dm":
        raise DomainError("conflict", "Nobody can be added to or removed from a direct message.")
    if channel.public:
        raise DomainError("conflict", "Every member of the workspace is in a public channel.")


def add_channel_member(user_id, channel_id, data):
    """Any member of a private channel adds a member of its workspace; they get `channel.created` on its topic."""
    channel = channel_for(user_id, channel_id)
    _private(channel)
    fields = parse(data, required={"username": username})
    user = db.session.scalar(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == channel.workspace_id, User.username == fields["username"])
    )
    if user is None:
        raise DomainError("invalid_input", f"No member is called {fields['username']!r}.", fields=["username"])
    seq = claim_seq(Workspace, channel.workspace_id)
    if db.session.get(ChannelMember, (channel.id, user.id)):
        db.session.rollback()
        raise DomainError("conflict", f"{user.username} is already in this channel.")
    db.session.add(ChannelMember(channel_id=channel.id, user_id=user.id))
    topic = topics.workspace(channel.workspace_id)
    commit_and_announce(append_private_event(topic, seq, "channel.created", channel.to_dict(), [user.id]))
    return user


def remove_channel_member(user_id, channel_id, member_id):
    """A member leaves; the channel's creator or the workspace's owner removes anyone. At once, everywhere,
    the removed person's sockets lose its topic (`unsubscribed`, reason `removed`)."""
    channel = channel_for(user_id, channel_id)
    _private(channel)
    if member_id != user_id:
        owner_id = db.session.scalar(sa.select(Workspace.owner_id).where(Workspace.id == channel.workspace_id))
        if user_id not in (owner_id, channel.created_by_id):
            raise DomainError("forbidden", "Only the channel's creator or the workspace's owner can remove members.")
    seq = claim_seq(Workspace, channel.workspace_id)
    member = db.session.get(ChannelMember, (channel.id, member_id))
    if member is None:
        db.session.rollback()
        raise not_found("member")
    remove_from_channels(member_id, [channel.id])
    gone = {"id": channel.id, "workspace_id": channel.workspace_id}
    topic = topics.workspace(channel.workspace_id)
    # the removed person's sidebar drops it; the log keeps nothing a replay could show
    event = append_private_event(topic, seq, "channel.deleted", gone, [member_id], stored={"redacted": True})
    commit_and_announce(event)
    announce_withdrawal([channel.topic], "removed", user_id=member_id)


def remove_from_channels(user_id, channel_ids):
    """Take a person out of these channels (their membership, level and read markers), in the caller's transaction."""
    if not channel_ids:
        return
    db.session.execute(
        sa.delete(ChannelMember).where(ChannelMember.user_id == user_id, ChannelMember.channel_id.in_(channel_ids))
    )
    read_markers.forget(user_id, channel_ids)


# direct messages


def direct_message(user_id, workspace_id, data):
    """The direct message of the caller and 1–8 other members: (channel as the caller sees it, created)."""
    workspace_for(user_id, workspace_id)
    names = parse(data, required={"usernames": usernames})["usernames"]
    me = db.session.get(User, user_id)
    if me.username in names:
        raise DomainError("invalid_input", "Name the other people, not yourself.", fields=["usernames"])
    found = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, User.username.in_(names))
    ).all()
    missing = sorted(set(names) - {u.username for u in found})
    if missing:
        raise DomainError("invalid_input", f"No member is called {missing[0]!r}.", fields=["usernames"])
    people = [me, *found]
    name = dm_key(p.id for p in people)
    existing = _dm_named(workspace_id, name)
    if existing is not None:
        return _rejoined(existing, people, user_id), False
    seq = claim_seq(Workspace, workspace_id)
    channel = Channel(workspace_id=workspace_id, name=name, kind="dm", created_by_id=user_id)
    db.session.add(channel)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same people's direct message was made just now: answer with it
        return _rejoined(_dm_named(workspace_id, name), people, user_id), False
    db.session.add_all(ChannelMember(channel_id=channel.id, user_id=p.id) for p in people)
    people.sort(key=lambda p: (p.display_name, p.id))
    data = {**channel.to_dict(), **dm_names(people)}
    topic = topics.workspace(workspace_id)
    commit_and_announce(append_private_event(topic, seq, "channel.created", data, [p.id for p in people]))
    return channel_seen(user_id, channel), True


def _rejoined(channel, people, user_id):
    """The direct message as the caller sees it, with anyone of its people who had left the workspace (and is
    back) in it again, told by its `channel.created`."""
    there = set(db.session.scalars(sa.select(ChannelMember.user_id).where(ChannelMember.channel_id == channel.id)))
    missing = [p for p in people if p.id not in there]
    if missing:
        seq = claim_seq(Workspace, channel.workspace_id)
        db.session.add_all(ChannelMember(channel_id=channel.id, user_id=p.id) for p in missing)
        everyone = sorted(people, key=lambda p: (p.display_name, p.id))
        data = {**channel.to_dict(), **dm_names(everyone)}
        topic = topics.workspace(channel.workspace_id)
        commit_and_announce(append_private_event(topic, seq, "channel.created", data, [p.id for p in missing]))
    return channel_seen(user_id, channel)


def usernames(value):
    if not isinstance(value, list) or not 1 <= len(value) <= DM_MAX_OTHERS:
        return None, f"must be a list of 1–{DM_MAX_OTHERS} usernames"
    checked = []
    for item in value:
        name, problem = username(item)
        if problem:
            return None, problem
        checked.append(name)
    return sorted(set(checked)), None


def dm_key(user_ids):
    """The stored name of the direct message of exactly these people."""
    ids = ",".join(str(i) for i in sorted(set(user_ids)))
    return DM_NAME_PREFIX + hashlib.sha256(ids.encode()).hexdigest()[:64]


def _dm_named(workspace_id, name):
    return db.session.scalar(
        sa.select(Channel).where(Channel.workspace_id == workspace_id, Channel.kind == "dm", Channel.name == name)
    )


# notification levels


def set_notify(user_id, channel_id, data):
    """The user's notification level in a channel: all, mentions or none."""
    channel = channel_for(user_id, channel_id)
    level = parse(data, required={"level": notify_level})["level"]
    row = db.session.get(ChannelMember, (channel.id, user_id))
    if row is None:  # a public channel: the row only holds the level
        row = ChannelMember(channel_id=channel.id, user_id=user_id)
        db.session.add(row)
    row.notify = level
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # set twice at once: the other one's row is there now
        db.session.rollback()
        db.session.get(ChannelMember, (channel.id, user_id)).notify = level
        db.session.commit()


def notify_level(value):
    if value not in NOTIFY_LEVELS:
        return None, "must be all, mentions or none"
    return value, None
