"""Reactions: one emoji from a fixed set, by one person, on one message anyone in the channel may read.

Adding what is there already, or taking away what is not, changes nothing and stores no event; a change
is the message's `message.updated` on its channel's topic. A message holds at most MAX_DISTINCT emoji.
"""

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce
from hearth.extensions import db
from hearth.models import Channel, Reaction
from hearth.workspaces import topics
from hearth.workspaces.access import not_found, readable_message

MAX_DISTINCT = 20

# The emoji people can react with: a fixed, common set keeps every reaction one well-formed emoji that
# every platform draws, with no grapheme-splitting of arbitrary text.
EMOJI = (
    "👍", "👎", "❤️", "😂", "😮", "😢", "😡", "🎉", "🙏", "👀",
    "🔥", "✅", "❌", "💯", "🚀", "👏", "🙌", "🤔", "😄", "😍",
    "😅", "😬", "🥳", "😎", "🤯", "😴", "🙈", "💡", "⭐", "⚠️",
    "🐛", "🍕", "☕", "🎯", "📌", "➕", "👋", "💪", "🤝", "🆗",
)  # fmt: skip
ALLOWED = frozenset(EMOJI)


def checked_emoji(emoji):
    if emoji not in ALLOWED:
        raise DomainError("invalid_input", "That is not one of the emoji reactions.", fields=["emoji"])
    return emoji


def add_reaction(user_id, message_id, emoji, channel_id=None):
    """React with an emoji; returns the seq of its message.updated, or None when it was there already."""
    message = readable_message(user_id, message_id, channel_id)
    emoji = checked_emoji(emoji)
    if _has(message.id, user_id, emoji):
        return None
    seq = claim_seq(Channel, message.channel_id)  # from here on the channel's writers wait: check again
    db.session.refresh(message)
    if message.deleted:
        db.session.rollback()
        raise not_found("message")
    if _has(message.id, user_id, emoji):
        db.session.rollback()  # the seq goes back with it: no gap in the log
        return None
    distinct = {reaction.emoji for reaction in message.reactions}
    if emoji not in distinct and len(distinct) >= MAX_DISTINCT:
        db.session.rollback()
        raise DomainError("conflict", f"A message holds at most {MAX_DISTINCT} different reactions.")
    message.reactions.append(Reaction(user_id=user_id, emoji=emoji))
    return _announce(message, seq)


def remove_reaction(user_id, message_id, emoji, channel_id=None):
    """Take one's reaction back; returns the seq of its message.updated, or None when there was none."""
    message = readable_message(user_id, message_id, channel_id)
    emoji = checked_emoji(emoji)
    if not _has(message.id, user_id, emoji):
        return None
    seq = claim_seq(Channel, message.channel_id)
    db.session.refresh(message)
    mine = [r for r in message.reactions if r.user_id == user_id and r.emoji == emoji]
    if message.deleted or not mine:
        db.session.rollback()
        return None
    message.reactions.remove(mine[0])
    return _announce(message, seq)


def _announce(message, seq):
    db.session.flush()
    db.session.expire(message, ["reactions"])
    commit_and_announce(append_event(topics.chat(message.channel_id), seq, "message.updated", message.to_dict()))
    return seq


def _has(message_id, user_id, emoji):
    return db.session.scalar(
        sa.select(
            sa.exists().where(Reaction.message_id == message_id, Reaction.user_id == user_id, Reaction.emoji == emoji)
        )
    )
