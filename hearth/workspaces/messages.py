"""Chat messages: read a page at a time, posted (a retried send finds the first), edited and deleted by their author.

An edit or a deletion also rewrites the earlier events of the message (same seq, same kind): they
carry the current text and HTML, or for a deleted message only its ids and `"redacted": true`, so no
replay hands out words their author took back.

A reply names a top-level message of its channel as `parent_id`. It is a `message.created` of the
channel's topic like any message; its parent's new `reply_count` and `last_reply_at` follow as the
parent's `message.updated`, in the same transaction. History lists top-level messages only.
"""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce, rewrite_earlier_events
from hearth.extensions import db
from hearth.models import Channel, Message, utcnow
from hearth.protocol import HISTORY_DEFAULT, HISTORY_MAX
from hearth.validation import identifier, parse, text
from hearth.workspaces import files, mentions, topics
from hearth.workspaces.access import channel_for, not_found, own_message, readable_message

MESSAGE_BODY = text(1, 4000)
BODY_WITH_FILES = text(0, 4000)  # a message that carries files may say nothing
CLIENT_ID = text(1, 64)


def history(user_id, channel_id, paging=None):
    """A page of messages, oldest first: the newest ones, those before an id, or those after it.

    `paging` holds `before`, `after` and `limit` (None: not given), or is a function that reads
    them, so that membership (404) is checked before the query string (400).
    """
    channel_for(user_id, channel_id)
    return page_of(channel_id, paging)


def page_of(channel_id, paging=None):
    """`history` of a channel the caller has checked the user may read.

    Ids rise in commit order within a channel (the seq lock is taken before the
    insert), so an `after` cursor never skips a message that commits later.
    """
    paging = paging() if callable(paging) else paging or {}
    before, after, limit = paging.get("before"), paging.get("after"), paging.get("limit")
    around = paging.get("around")
    limit = HISTORY_DEFAULT if limit is None else limit
    if sum(cursor is not None for cursor in (before, after, around)) > 1:
        given = [name for name in ("after", "around", "before") if paging.get(name) is not None]
        raise DomainError("invalid_input", "Give one of before, after and around.", fields=given)
    if not 1 <= limit <= HISTORY_MAX:
        raise DomainError("invalid_input", f"limit must be 1–{HISTORY_MAX}.", fields=["limit"])
    query = (
        sa.select(Message)
        .where(Message.channel_id == channel_id, Message.deleted_at.is_(None), Message.parent_id.is_(None))
        .options(joinedload(Message.author))
    )
    if around is not None:
        return _around(query, channel_id, around, limit)
    return _page(query, before, after, limit)


def _around(query, channel_id, around, limit):
    """The message `around` (a reply: its thread's first message) with up to `limit` messages on each side."""
    parent_id = db.session.scalar(
        sa.select(Message.parent_id).where(Message.id == around, Message.channel_id == channel_id)
    )
    around = parent_id or around
    older = db.session.scalars(query.where(Message.id < around).order_by(Message.id.desc()).limit(limit)).all()
    newer = db.session.scalars(query.where(Message.id >= around).order_by(Message.id).limit(limit + 1)).all()
    return older[::-1] + newer


def latest_in(channel_ids):
    """{channel id: its newest top-level message} for the channels that have one (the workspace home's activity)."""
    if not channel_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Message.id))
        .where(Message.channel_id.in_(channel_ids), Message.deleted_at.is_(None), Message.parent_id.is_(None))
        .group_by(Message.channel_id)
    )
    rows = db.session.scalars(sa.select(Message).where(Message.id.in_(newest)).options(joinedload(Message.author)))
    return {message.channel_id: message for message in rows}


def first_unread(channel_id, user_id, read_seq):
    """The oldest top-level message of the channel after `read_seq` that someone else wrote, or None."""
    return db.session.scalar(
        sa.select(Message)
        .where(
            Message.channel_id == channel_id,
            Message.seq > read_seq,
            Message.author_id != user_id,
            Message.deleted_at.is_(None),
            Message.parent_id.is_(None),
        )
        .order_by(Message.seq)
        .limit(1)
    )


def replies(user_id, message_id, paging=None):
    """A thread's replies, oldest first: the first `limit` of them, or those after an id."""
    parent = readable_message(user_id, message_id)
    paging = paging() if callable(paging) else paging or {}
    after, limit = paging.get("after"), paging.get("limit")
    limit = HISTORY_DEFAULT if limit is None else limit
    if not 1 <= limit <= HISTORY_MAX:
        raise DomainError("invalid_input", f"limit must be 1–{HISTORY_MAX}.", fields=["limit"])
    query = (
        sa.select(Message)
        .where(Message.parent_id == parent.id, Message.deleted_at.is_(None))
        .options(joinedload(Message.author))
    )
    if after is not None:
        query = query.where(Message.id > after)
    return db.session.scalars(query.order_by(Message.id).limit(limit)).all()


def _page(query, before, after, limit):
    if after is not None:
        return db.session.scalars(query.where(Message.id > after).order_by(Message.id).limit(limit)).all()
    if before is not None:
        query = query.where(Message.id < before)
    newest_first = db.session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()
    return newest_first[::-1]


def post_message(user_id, channel_id, data, workspace_id=None, via=None):
    """Store a message and its event; returns (message, created). A repeated client_id finds the first.

    `via` names the personal access token a program sent it with (None when a person typed it).
    """
    channel = channel_for(user_id, channel_id, workspace_id)
    data = data() if callable(data) else data
    body = BODY_WITH_FILES if isinstance(data, dict) and data.get("file_ids") else MESSAGE_BODY
    fields = parse(
        data,
        required={"body": body},
        optional={"client_id": CLIENT_ID, "parent_id": identifier, "file_ids": files.file_ids},
    )
    client_id = fields.get("client_id")
    if client_id and (earlier := _sent_before(channel.id, user_id, client_id)):
        if earlier.deleted:  # the retry of a send its author has since deleted: nothing to show
            raise not_found("message")
        return earlier, False
    parent = _thread_parent(channel.id, fields.get("parent_id"))
    html = render_body(channel, fields["body"])
    seq = claim_seq(Channel, channel.id)
    message = Message(
        channel_id=channel.id,
        author_id=user_id,
        seq=seq,
        body=fields["body"],
        html=html,
        client_id=client_id,
        parent_id=parent.id if parent else None,
        via=via,
    )
    called = mentions.set_mentions(message, channel, fields["body"])
    db.session.add(message)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same client_id won a race: answer with that one
        return _sent_before(channel.id, user_id, client_id), False
    files.attach(user_id, channel.id, message, fields.get("file_ids"))
    data = message.to_dict()
    events = [append_event(channel.topic, seq, "message.created", data)]
    if parent is not None:
        events.append(_recount_thread(parent))
    commit_and_announce(*events)
    mentions.announce_mentions(called, channel.topic, message=data)
    return message, True


def render_body(channel, body):
    """A body's HTML, its `@username` mentions resolved among the people who may read the channel."""
    return mentions.render_body(channel, body)


def _thread_parent(channel_id, parent_id):
    """The top-level message a reply answers: of this channel and not deleted (else 404), not a reply (400)."""
    if parent_id is None:
        return None
    parent = db.session.scalar(
        sa.select(Message).where(
            Message.id == parent_id, Message.channel_id == channel_id, Message.deleted_at.is_(None)
        )
    )
    if parent is None:
        raise not_found("message to reply to in this channel")
    if parent.parent_id is not None:
        raise DomainError("invalid_input", "Reply to the thread's first message.", fields=["parent_id"])
    return parent


def _recount_thread(parent):
    """The parent's counts from its live replies, as its message.updated event (the channel's seq is locked)."""
    db.session.flush()
    live = sa.and_(Message.parent_id == parent.id, Message.deleted_at.is_(None))
    parent.reply_count = db.session.scalar(sa.select(sa.func.count()).where(live))
    parent.last_reply_at = db.session.scalar(sa.select(sa.func.max(Message.created_at)).where(live))
    db.session.flush()
    seq = claim_seq(Channel, parent.channel_id)
    return append_event(topics.chat(parent.channel_id), seq, "message.updated", parent.to_dict())


def _locked_message(message):
    """Take the channel's seq (and its lock), then re-read the message: a deletion may have won the race."""
    seq = claim_seq(Channel, message.channel_id)
    db.session.refresh(message)
    if message.deleted:
        db.session.rollback()
        raise not_found("message")
    return seq


def edit_message(user_id, message_id, data, channel_id=None):
    """Change a message's body; returns (message, seq of its message.updated event)."""
    message = own_message(user_id, message_id, channel_id)
    fields = parse(data, required={"body": MESSAGE_BODY})
    channel = db.session.get(Channel, message.channel_id)
    html = render_body(channel, fields["body"])
    seq = _locked_message(message)
    message.body, message.html, message.edited_at = fields["body"], html, utcnow()
    called = mentions.set_mentions(message, channel, fields["body"])
    db.session.flush()
    topic, current = topics.chat(message.channel_id), message.to_dict()
    rewrite_earlier_events(topic, message.id, lambda earlier: current)
    commit_and_announce(append_event(topic, seq, "message.updated", current))
    mentions.announce_mentions(called, topic, message=current)
    return message, seq


def delete_message(user_id, message_id, channel_id=None):
    """Delete a message: its text goes from the row and from every earlier event. Returns its event's seq."""
    message = own_message(user_id, message_id, channel_id)
    seq = _locked_message(message)
    message.body, message.html, message.deleted_at = "", "", utcnow()
    message.reactions.clear()
    message.mentions.clear()
    stored = files.detach_all(message.files)
    topic, gone = topics.chat(message.channel_id), {"id": message.id, "channel_id": message.channel_id}
    rewrite_earlier_events(topic, message.id, lambda earlier: {**gone, "redacted": True})
    events = [append_event(topic, seq, "message.deleted", gone)]
    if message.parent_id is not None:
        events.append(_recount_thread(db.session.get(Message, message.parent_id)))
    commit_and_announce(*events)
    files.unlink(stored)
    return seq


def _sent_before(channel_id, author_id, client_id):
    return db.session.scalar(
        sa.select(Message).where(
            Message.channel_id == channel_id, Message.author_id == author_id, Message.client_id == client_id
        )
    )
