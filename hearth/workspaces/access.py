"""Who may read and change what: every lookup here checks membership, and ownership where it is needed.

An id of a workspace the user is not in is `not_found`, never `forbidden`, so nothing confirms it
exists; a member who may see a thing but not change it is told `forbidden`. Each lookup may be
pinned to the workspace (or board, or channel) a URL or a socket topic names: a row of another is
`not_found` too.
"""

import functools

import sqlalchemy as sa
import sqlalchemy.orm

from hearth.errors import DomainError
from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card, Channel, ChannelMember, Membership, Message, Workspace


def not_found(what):
    return DomainError("not_found", f"No such {what}.")


def is_member(user_id, workspace_id_column):
    # everything but memberships comes from the enclosing queries, however deep (a column of users may be two up)
    return (
        sa.exists()
        .where(Membership.workspace_id == workspace_id_column, Membership.user_id == user_id)
        .correlate_except(Membership)
    )


def may_read(user_id, channel):
    """The rule on a channel row in the query (`Channel` or an alias of it): true when the user may read it now."""
    member = sa.orm.aliased(ChannelMember)  # its own name: a query may join channel_members itself
    return sa.and_(
        is_member(user_id, channel.workspace_id),
        sa.or_(
            channel.kind == "public",
            sa.exists().where(member.channel_id == channel.id, member.user_id == user_id).correlate_except(member),
        ),
    )


def readable_channel(user_id, channel_id_column):
    """A boolean clause: true when the user may read the channel whose id is `channel_id_column` now.

    `user_id` may be a value, a column or a bind parameter; a channel that does not exist is not readable.
    """
    channel = sa.orm.aliased(Channel)
    return sa.exists().where(channel.id == channel_id_column, may_read(user_id, channel)).correlate_except(channel)


def readable_board(user_id, board_id_column):
    """A SQL condition: the user may read the board `board_id_column` names (a member of its workspace)."""
    board = sa.orm.aliased(Board)
    return (
        sa.exists()
        .where(board.id == board_id_column)
        .where(Membership.workspace_id == board.workspace_id, Membership.user_id == user_id)
    )


def visible(query, what, params=None):
    """The one row the query finds, or `not_found`."""
    row = db.session.scalar(query, params)
    if row is None:
        raise not_found(what)
    return row


def workspace_for(user_id, workspace_id):
    return visible(
        sa.select(Workspace).where(Workspace.id == workspace_id, is_member(user_id, Workspace.id)), "workspace"
    )


def owned_workspace(user_id, workspace_id, doing):
    """The workspace, when the user owns it: another member is told no (403), a stranger sees nothing (404)."""
    workspace = workspace_for(user_id, workspace_id)
    if workspace.owner_id != user_id:
        raise DomainError("forbidden", f"Only the workspace's owner can {doing}.")
    return workspace


def channel_for(user_id, channel_id, workspace_id=None):
    """A channel the user may read (`readable_channel`), else `not_found`."""
    return _one_visible(Channel, "channel", user_id, channel_id, workspace_id)


def board_for(user_id, board_id, workspace_id=None):
    return _one_visible(Board, "board", user_id, board_id, workspace_id)


def _one_visible(model, what, user_id, row_id, workspace_id=None):
    """A channel (or board) of a workspace the user is a member of; `workspace_id` pins it to one."""
    params = {"row_id": row_id, "user_id": user_id}
    if workspace_id is not None:
        params["workspace_id"] = workspace_id
    return visible(_one_visible_query(model, workspace_id is not None), what, params)


@functools.cache
def _one_visible_query(model, pinned):
    """Built once per shape: every subscribe asks it, and a statement built anew needs a new cache key."""
    query = sa.select(model).where(model.id == sa.bindparam("row_id"), _readable(model, sa.bindparam("user_id")))
    if pinned:
        query = query.where(model.workspace_id == sa.bindparam("workspace_id"))
    return query


def _readable(model, user_id):
    """A channel by `readable_channel`'s rule, a board for every member of its workspace."""
    return may_read(user_id, model) if model is Channel else is_member(user_id, model.workspace_id)


def channel_in(user_id, workspace_id, channel_id):
    """A channel of a workspace whose membership the caller has just checked, when the user may read it."""
    return channel_for(user_id, channel_id, workspace_id)


def board_in(workspace_id, board_id):
    """A board of a workspace whose membership the caller has just checked."""
    return visible(sa.select(Board).where(Board.id == board_id, Board.workspace_id == workspace_id), "board")


def card_for(user_id, card_id, board_id=None, workspace_id=None):
    """A card of a board the user can see; `board_id` (and `workspace_id`) pin it to one board."""
    query = (
        sa.select(Card)
        .join(Board, Board.id == Card.board_id)
        .where(Card.id == card_id, is_member(user_id, Board.workspace_id))
    )
    if board_id is not None:
        query = query.where(Card.board_id == board_id)
    if workspace_id is not None:
        query = query.where(Board.workspace_id == workspace_id)
    return visible(query, "card" if board_id is None else "card on this board")


def column_for(user_id, column_id):
    """A column of a board the user can see: any member may add, rename, order and delete columns."""
    query = (
        sa.select(BoardColumn)
        .join(Board, Board.id == BoardColumn.board_id)
        .where(BoardColumn.id == column_id, is_member(user_id, Board.workspace_id))
    )
    return visible(query, "column")


def card_with_its_board(user_id, workspace_id, board_id, card_id):
    """(workspace, board, card) for a card's own page, whose URL names all three: one query, one check."""
    row = db.session.execute(
        sa.select(Workspace, Board, Card)
        .join(Board, Board.workspace_id == Workspace.id)
        .join(Card, Card.board_id == Board.id)
        .where(
            Card.id == card_id,
            Board.id == board_id,
            Workspace.id == workspace_id,
            is_member(user_id, Workspace.id),
        )
    ).first()
    if row is None:
        raise not_found("card on this board")
    return tuple(row)


def readable_message(user_id, message_id, channel_id=None):
    """A message the user may read (and react to): in one of their channels and not deleted, else 404."""
    query = (
        sa.select(Message)
        .join(Channel, Channel.id == Message.channel_id)
        .where(Message.id == message_id, Message.deleted_at.is_(None), may_read(user_id, Channel))
    )
    if channel_id is not None:
        query = query.where(Message.channel_id == channel_id)
    return visible(query, "message" if channel_id is None else "message in this channel")


def own_message(user_id, message_id, channel_id=None):
    """A message the user may change: 404 unless it is in one of their channels and not deleted, 403 unless theirs.

    `channel_id` pins it to one channel (the socket's topic names one): a message of another is 404 too.
    """
    message = readable_message(user_id, message_id, channel_id)
    if message.author_id != user_id:
        raise DomainError("forbidden", "Only its author can change a message.")
    return message


def owned(model, what, user_id, row_id, doing, workspace_id=None):
    """A channel or board only the workspace's owner may change: 404 for a stranger, 403 for another member."""
    query = (
        sa.select(model, Workspace.owner_id)
        .join(Workspace, Workspace.id == model.workspace_id)
        .where(model.id == row_id, _readable(model, user_id))
    )
    if workspace_id is not None:
        query = query.where(model.workspace_id == workspace_id)
    found = db.session.execute(query).first()
    if found is None:
        raise not_found(what)
    row, owner_id = found
    if owner_id != user_id:
        raise DomainError("forbidden", f"Only the workspace's owner can {doing}.")
    return row


def hidden_channels(user_id, workspace_id):
    """The ids of the workspace's private channels and direct messages the user may not read (now)."""
    channel = sa.orm.aliased(Channel)
    return set(
        db.session.scalars(
            sa.select(channel.id).where(
                channel.workspace_id == workspace_id, channel.kind != "public", sa.not_(may_read(user_id, channel))
            )
        )
    )
