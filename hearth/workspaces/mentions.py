"""Being called: who a message mentions, and the `mention` frame each of them gets wherever they are.

`@username` of someone who may read the channel mentions them; `@channel` mentions everyone who may, when
the workspace's owner or the channel's creator writes it. The ids are stored with the message
(`message_mentions`): each counts as the person's unread mention until their read marker passes it.

`announce_mentions` is the one way a mention reaches a person: after the commit, a
`{"type": "mention", "topic", <subject>}` frame to every socket of theirs on every worker, subscribed
to the topic or not (a message's, or a card's when a board assigns someone).
"""

import functools
import re

import sqlalchemy as sa
from flask import current_app

from hearth.extensions import db
from hearth.models import Channel, ChannelMember, Membership, Message, MessageMention, User, Workspace
from hearth.protocol import dumps
from hearth.realtime import announce
from hearth.workspaces import formatting
from hearth.workspaces.access import readable_channel, workspace_for

EVERYONE = "channel"
EVERYONE_AT = re.compile(r"(?<![\w@.\-])@channel\b(?![\w\-])")
RENDERED = re.compile(r'<span class="mention" data-user-id="(\d+)">')


def mentionable(channel, names):
    """{username: id} of those named who may read the channel and so may be mentioned there."""
    names = set(names) - {EVERYONE}
    if not names:
        return {}
    return dict(db.session.execute(_mentionable_query(), {"names": sorted(names), "channel_id": channel.id}).all())


@functools.cache
def _mentionable_query():
    """Built once: every message that names someone asks it, and building the access rule anew costs more."""
    return sa.select(User.username, User.id).where(
        User.username.in_(sa.bindparam("names", expanding=True)),
        readable_channel(User.id, sa.bindparam("channel_id")),
    )


def mentioned(channel, author_id, body, html):
    """The ids a message mentions, its author left out: those its rendered HTML names, and for `@channel` by the
    workspace's owner or the channel's creator everyone who may read the channel."""
    ids = {int(found) for found in RENDERED.findall(html)}
    if EVERYONE_AT.search(body) and may_mention_everyone(channel, author_id):
        ids |= set(readers(channel))
    ids.discard(author_id)
    return sorted(ids)


def may_mention_everyone(channel, user_id):
    if channel.created_by_id == user_id:
        return True
    return db.session.scalar(sa.select(Workspace.owner_id).where(Workspace.id == channel.workspace_id)) == user_id


def readers(channel):
    """Everyone who may read the channel now."""
    if channel.public:
        query = sa.select(Membership.user_id).where(Membership.workspace_id == channel.workspace_id)
    else:
        query = sa.select(ChannelMember.user_id).where(ChannelMember.channel_id == channel.id)
    return db.session.scalars(query).all()


def set_mentions(message, channel, body):
    """Store who the message mentions (its `html` is rendered); returns the ids mentioned now and not before."""
    before = {m.user_id for m in message.mentions}
    now = mentioned(channel, message.author_id, body, message.html)
    message.mentions = [m for m in message.mentions if m.user_id in now] + [
        MessageMention(user_id=user_id, channel_id=channel.id) for user_id in now if user_id not in before
    ]
    return [user_id for user_id in now if user_id not in before]


def render_body(channel, body):
    """A body's HTML, its `@username` mentions resolved among the people who may read the channel."""
    return formatting.render(body, mentionable(channel, formatting.mentioned_names(body)))


def announce_mentions(user_ids, topic, **subject):
    """After the commit: each of these users' sockets get `{"type": "mention", "topic", **subject}`, wherever
    they are (subject is `message=<message dict>`, or `card=<card dict>`)."""
    if not user_ids:
        return
    frame = dumps({"type": "mention", "topic": topic, **subject})
    announce.of(current_app).to_users(user_ids, frame)


def recent_mentions(user_id, workspace_id, limit=50):
    """The newest messages of the workspace that mention the user, in channels they may still read."""
    workspace_for(user_id, workspace_id)
    return db.session.scalars(
        sa.select(Message)
        .join(MessageMention, MessageMention.message_id == Message.id)
        .join(Channel, Channel.id == Message.channel_id)
        .where(
            MessageMention.user_id == user_id,
            Channel.workspace_id == workspace_id,
            Message.deleted_at.is_(None),
            readable_channel(user_id, Message.channel_id),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    ).all()
