"""The rules of workspaces, chat and boards, callable without HTTP.

Membership first (an id of a workspace the user is not in is `not_found`, never
`forbidden`, so nothing confirms it exists), then the body, then versions. Every
change and its event commit together; the event is announced after the commit.

An edit or a deletion also rewrites the earlier events of what it changed (same
seq, same kind): they carry the current text, or for something deleted only its
ids and `"redacted": true`, so no replay hands out words their author took back.

Channels, boards and members coming and going are events of the workspace's own
topic (`workspace:<id>`), whose head is the workspace row's `seq`. Removing a
member or deleting a channel or board also withdraws topics from the sockets
that follow them, announced after the commit like the events.
"""

import functools

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from hearth.accounts.throttles import throttle
from hearth.errors import DomainError
from hearth.event_log import (
    announce_read,
    announce_withdrawal,
    append_event,
    claim_seq,
    commit_and_announce,
    forget_topic,
    rewrite_earlier_events,
)
from hearth.extensions import db
from hearth.models import (
    Board,
    BoardColumn,
    Card,
    Channel,
    Membership,
    Message,
    ReadMarker,
    User,
    Workspace,
    utcnow,
)
from hearth.protocol import HISTORY_DEFAULT, HISTORY_MAX
from hearth.validation import identifier, integer, name, parse, text, username

DEFAULT_COLUMNS = ("To do", "Doing", "Done")
MESSAGE_BODY = text(1, 4000)
CLIENT_ID = text(1, 64)
CARD_TITLE = text(1, 200)
CARD_DESCRIPTION = text(0, 4000)


def not_found(what):
    return DomainError("not_found", f"No such {what}.")


def is_member(user_id, workspace_id_column):
    return sa.exists().where(Membership.workspace_id == workspace_id_column, Membership.user_id == user_id)


def _visible(query, what, params=None):
    row = db.session.scalar(query, params)
    if row is None:
        raise not_found(what)
    return row


# Workspaces and members


def workspaces_of(user_id):
    return db.session.scalars(
        sa.select(Workspace).where(is_member(user_id, Workspace.id)).order_by(Workspace.name, Workspace.id)
    ).all()


def workspace_for(user_id, workspace_id):
    return _visible(
        sa.select(Workspace).where(Workspace.id == workspace_id, is_member(user_id, Workspace.id)), "workspace"
    )


def _owned(user_id, workspace_id, doing):
    """The workspace, when the user owns it: another member is told no (403), a stranger sees nothing (404)."""
    workspace = workspace_for(user_id, workspace_id)
    if workspace.owner_id != user_id:
        raise DomainError("forbidden", f"Only the workspace's owner can {doing}.")
    return workspace


def _workspace_event(workspace_id, seq, kind, data):
    return append_event(f"workspace:{workspace_id}", seq, kind, data)


def create_workspace(user_id, data):
    fields = parse(data, required={"name": name})
    workspace = Workspace(name=fields["name"], owner_id=user_id)
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace_id=workspace.id, user_id=user_id))
    db.session.commit()
    return workspace


def members_of(user_id, workspace_id):
    workspace_for(user_id, workspace_id)
    return db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.display_name, User.id)
    ).all()


def add_member(user_id, workspace_id, data):
    """Only the owner adds members; a member who is not the owner is told so, a stranger sees nothing."""
    _owned(user_id, workspace_id, "add members")
    # each attempt tells whether a username exists, and puts this workspace in a stranger's list: limited
    throttle().check_member_addition(user_id)
    fields = parse(data, required={"username": username})
    user = db.session.scalar(sa.select(User).where(User.username == fields["username"]))
    if user is None:
        raise DomainError("invalid_input", f"No user is called {fields['username']!r}.", fields=["username"])
    seq = claim_seq(Workspace, workspace_id)
    if db.session.get(Membership, (workspace_id, user.id)):
        db.session.rollback()
        raise DomainError("conflict", f"{user.username} is already a member.")
    db.session.add(Membership(workspace_id=workspace_id, user_id=user.id))
    commit_and_announce(_workspace_event(workspace_id, seq, "member.added", {"user": user.to_dict()}))
    return user


def remove_member(user_id, workspace_id, member_id):
    """The owner removes any other member; any member removes themself (leaves). The owner cannot leave.

    At once, everywhere: the removed person's sockets lose every topic of the workspace, and
    they leave its presence without the reconnect grace.
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
    db.session.execute(
        sa.delete(ReadMarker).where(ReadMarker.user_id == member_id, ReadMarker.channel_id.in_(channel_ids))
    )
    db.session.delete(membership)
    commit_and_announce(_workspace_event(workspace_id, seq, "member.removed", {"user": user.to_dict()}))
    topics = [
        f"workspace:{workspace_id}",
        f"presence:{workspace_id}",
        *(f"chat:{i}" for i in channel_ids),
        *(f"board:{i}" for i in board_ids),
    ]
    announce_withdrawal(topics, "removed", user_id=member_id)


# Chat


def _listed_in(model, user_id, workspace_id):
    """The channels (or boards) of a workspace the user is a member of, by name."""
    workspace_for(user_id, workspace_id)
    return db.session.scalars(
        sa.select(model).where(model.workspace_id == workspace_id).order_by(model.name, model.id)
    ).all()


def _one_visible(model, what, user_id, row_id, workspace_id=None):
    """A channel (or board) of a workspace the user is a member of; `workspace_id` pins it to one."""
    params = {"row_id": row_id, "user_id": user_id}
    if workspace_id is not None:
        params["workspace_id"] = workspace_id
    return _visible(_one_visible_query(model, workspace_id is not None), what, params)


@functools.cache
def _one_visible_query(model, pinned):
    """Built once per shape: every subscribe asks it, and a statement built anew needs a new cache key."""
    query = sa.select(model).where(
        model.id == sa.bindparam("row_id"), is_member(sa.bindparam("user_id"), model.workspace_id)
    )
    if pinned:
        query = query.where(model.workspace_id == sa.bindparam("workspace_id"))
    return query


def channels_of(user_id, workspace_id):
    return _listed_in(Channel, user_id, workspace_id)


def channel_list(user_id, workspace_id):
    """The channels as the sidebar shows them: each with its head `seq`, the user's `read_seq` and `unread`.

    Unread counts the messages by others after the marker that are not deleted, in one query for all channels.
    """
    workspace_for(user_id, workspace_id)
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


def mark_read(user_id, channel_id, data):
    """Move the user's read marker forward (never back, never past the head); their own sockets hear of it."""
    channel = channel_for(user_id, channel_id)
    fields = parse(data, required={"seq": integer})
    if fields["seq"] < 0:
        raise DomainError("invalid_input", "seq must be 0 or more.", fields=["seq"])
    target = min(fields["seq"], channel.seq)
    if target == 0:
        return
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = (
        insert(ReadMarker)
        .values(user_id=user_id, channel_id=channel.id, seq=target)
        .on_conflict_do_update(
            index_elements=[ReadMarker.user_id, ReadMarker.channel_id],
            set_={"seq": target},
            where=ReadMarker.seq < target,
        )
        .returning(ReadMarker.seq)  # a row only when the marker moved (rowcount is not reliable on every driver)
    )
    moved = db.session.execute(upsert).first() is not None
    db.session.commit()
    if moved:
        announce_read(user_id, channel.topic, target)


def channel_for(user_id, channel_id, workspace_id=None):
    return _one_visible(Channel, "channel", user_id, channel_id, workspace_id)


def create_channel(user_id, workspace_id, data):
    workspace_for(user_id, workspace_id)
    fields = parse(data, required={"name": name})
    return _insert_named(Channel(workspace_id=workspace_id, name=fields["name"]), "channel")


def _insert_named(row, what):
    """Store a new channel or board and its `<what>.created` event on the workspace's topic."""
    seq = claim_seq(Workspace, row.workspace_id)
    db.session.add(row)
    _flush_named(what)
    commit_and_announce(_workspace_event(row.workspace_id, seq, f"{what}.created", row.to_dict()))
    return row


def _flush_named(what):
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("conflict", f"A {what} with that name already exists here.", fields=["name"]) from None


def _rename(row, what, user_id, data):
    _owned(user_id, row.workspace_id, f"rename {what}s")
    fields = parse(data, required={"name": name})
    seq = claim_seq(Workspace, row.workspace_id)
    row.name = fields["name"]
    _flush_named(what)
    commit_and_announce(_workspace_event(row.workspace_id, seq, f"{what}.updated", row.to_dict()))
    return row


def _delete(row, what, user_id):
    """Delete a channel or board with everything in it; whoever follows its topic is told it is gone."""
    _owned(user_id, row.workspace_id, f"delete {what}s")
    workspace_id, topic = row.workspace_id, row.topic
    seq = claim_seq(Workspace, workspace_id)
    gone = {"id": row.id, "workspace_id": workspace_id}
    forget_topic(topic)
    db.session.delete(row)
    db.session.flush()
    commit_and_announce(_workspace_event(workspace_id, seq, f"{what}.deleted", gone))
    announce_withdrawal([topic], "deleted")


def rename_channel(user_id, channel_id, data):
    return _rename(channel_for(user_id, channel_id), "channel", user_id, data)


def delete_channel(user_id, channel_id):
    _delete(channel_for(user_id, channel_id), "channel", user_id)


def history(user_id, channel_id, paging=None):
    """A page of messages, oldest first: the newest ones, those before an id, or those after it.

    `paging` holds `before`, `after` and `limit` (None: not given), or is a function that reads
    them, so that membership (404) is checked before the query string (400).
    Ids rise in commit order within a channel (the seq lock is taken before the
    insert), so an `after` cursor never skips a message that commits later.
    """
    channel_for(user_id, channel_id)
    paging = paging() if callable(paging) else paging or {}
    before, after, limit = paging.get("before"), paging.get("after"), paging.get("limit")
    limit = HISTORY_DEFAULT if limit is None else limit
    if before is not None and after is not None:
        raise DomainError("invalid_input", "Give before or after, not both.", fields=["after", "before"])
    if not 1 <= limit <= HISTORY_MAX:
        raise DomainError("invalid_input", f"limit must be 1–{HISTORY_MAX}.", fields=["limit"])
    query = (
        sa.select(Message)
        .where(Message.channel_id == channel_id, Message.deleted_at.is_(None))
        .options(joinedload(Message.author))
    )
    if after is not None:
        return db.session.scalars(query.where(Message.id > after).order_by(Message.id).limit(limit)).all()
    if before is not None:
        query = query.where(Message.id < before)
    newest_first = db.session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()
    return newest_first[::-1]


def post_message(user_id, channel_id, data):
    """Store a message and its event; returns (message, created). A repeated client_id finds the first."""
    channel = channel_for(user_id, channel_id)
    fields = parse(data, required={"body": MESSAGE_BODY}, optional={"client_id": CLIENT_ID})
    client_id = fields.get("client_id")
    if client_id and (earlier := _sent_before(channel.id, user_id, client_id)):
        if earlier.deleted:  # the retry of a send its author has since deleted: nothing to show
            raise not_found("message")
        return earlier, False
    seq = claim_seq(Channel, channel.id)
    message = Message(channel_id=channel.id, author_id=user_id, seq=seq, body=fields["body"], client_id=client_id)
    db.session.add(message)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same client_id won a race: answer with that one
        return _sent_before(channel.id, user_id, client_id), False
    event = append_event(channel.topic, seq, "message.created", message.to_dict())
    commit_and_announce(event)
    return message, True


def own_message(user_id, message_id, channel_id=None):
    """A message the user may change: 404 unless it is in one of their channels and not deleted, 403 unless theirs.

    `channel_id` pins it to one channel (the socket's topic names one): a message of another is 404 too.
    """
    query = (
        sa.select(Message)
        .join(Channel, Channel.id == Message.channel_id)
        .where(Message.id == message_id, Message.deleted_at.is_(None), is_member(user_id, Channel.workspace_id))
    )
    if channel_id is not None:
        query = query.where(Message.channel_id == channel_id)
    message = _visible(query, "message" if channel_id is None else "message in this channel")
    if message.author_id != user_id:
        raise DomainError("forbidden", "Only its author can change a message.")
    return message


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
    seq = _locked_message(message)
    message.body, message.edited_at = fields["body"], utcnow()
    db.session.flush()
    topic, current = f"chat:{message.channel_id}", message.to_dict()
    rewrite_earlier_events(topic, message.id, lambda earlier: current)
    commit_and_announce(append_event(topic, seq, "message.updated", current))
    return message, seq


def delete_message(user_id, message_id, channel_id=None):
    """Delete a message: its text goes from the row and from every earlier event. Returns its event's seq."""
    message = own_message(user_id, message_id, channel_id)
    seq = _locked_message(message)
    message.body, message.deleted_at = "", utcnow()
    topic, gone = f"chat:{message.channel_id}", {"id": message.id, "channel_id": message.channel_id}
    rewrite_earlier_events(topic, message.id, lambda earlier: {**gone, "redacted": True})
    commit_and_announce(append_event(topic, seq, "message.deleted", gone))
    return seq


def _sent_before(channel_id, author_id, client_id):
    return db.session.scalar(
        sa.select(Message).where(
            Message.channel_id == channel_id, Message.author_id == author_id, Message.client_id == client_id
        )
    )


# Boards


def boards_of(user_id, workspace_id):
    return _listed_in(Board, user_id, workspace_id)


def board_for(user_id, board_id, workspace_id=None):
    return _one_visible(Board, "board", user_id, board_id, workspace_id)


def create_board(user_id, workspace_id, data):
    workspace_for(user_id, workspace_id)
    fields = parse(data, required={"name": name})
    board = Board(workspace_id=workspace_id, name=fields["name"])
    board.columns = [BoardColumn(name=title, position=i) for i, title in enumerate(DEFAULT_COLUMNS)]
    return _insert_named(board, "board")


def rename_board(user_id, board_id, data):
    return _rename(board_for(user_id, board_id), "board", user_id, data)


def delete_board(user_id, board_id):
    _delete(board_for(user_id, board_id), "board", user_id)


def board_state(user_id, board_id, workspace_id=None):
    """The board with its columns and cards in position order, in three queries whatever its size."""
    board = board_for(user_id, board_id, workspace_id)
    columns = db.session.scalars(
        sa.select(BoardColumn).where(BoardColumn.board_id == board.id).order_by(BoardColumn.position)
    ).all()
    cards = db.session.scalars(
        sa.select(Card).where(Card.board_id == board.id).order_by(Card.column_id, Card.position)
    ).all()
    by_column = {column.id: [] for column in columns}
    for card in cards:
        by_column[card.column_id].append(card.to_dict())
    return {
        "id": board.id,
        "workspace_id": board.workspace_id,
        "name": board.name,
        "seq": board.seq,
        "columns": [{"id": c.id, "name": c.name, "position": c.position, "cards": by_column[c.id]} for c in columns],
    }


def card_for(user_id, card_id, board_id=None):
    """A card of a board the user can see; `board_id` pins it to one board (a card of another is 404 too)."""
    query = (
        sa.select(Card)
        .join(Board, Board.id == Card.board_id)
        .where(Card.id == card_id, is_member(user_id, Board.workspace_id))
    )
    if board_id is not None:
        query = query.where(Card.board_id == board_id)
    return _visible(query, "card" if board_id is None else "card on this board")


def _column_of_board(board_id, column_id):
    column = db.session.get(BoardColumn, column_id)
    if column is None or column.board_id != board_id:
        raise DomainError("invalid_input", "column_id is not a column of this board.", fields=["column_id"])
    return column


def _cards_in(column_id, excluding=None):
    query = sa.select(sa.func.count()).select_from(Card).where(Card.column_id == column_id)
    if excluding is not None:
        query = query.where(Card.id != excluding)
    return db.session.scalar(query)


def _shift(column_id, from_position, by, excluding=None):
    """Move every card at or after a position in a column by one place, keeping positions dense."""
    query = sa.update(Card).where(Card.column_id == column_id, Card.position >= from_position)
    if excluding is not None:
        query = query.where(Card.id != excluding)
    db.session.execute(query.values(position=Card.position + by).execution_options(synchronize_session=False))


def create_card(user_id, board_id, data):
    """Add a card at the end of its column; returns (card, seq of its event)."""
    board = board_for(user_id, board_id)
    fields = parse(
        data, required={"column_id": identifier, "title": CARD_TITLE}, optional={"description": CARD_DESCRIPTION}
    )
    column = _column_of_board(board.id, fields["column_id"])
    seq = claim_seq(Board, board.id)
    card = Card(
        board_id=board.id,
        column_id=column.id,
        title=fields["title"],
        description=fields.get("description", ""),
        position=_cards_in(column.id),
        version=1,
    )
    db.session.add(card)
    db.session.flush()
    commit_and_announce(append_event(board.topic, seq, "card.created", card.to_dict()))
    return card, seq


def _locked_current(card, version):
    """Take the board's lock, re-read the card under it, and refuse a stale version."""
    seq = claim_seq(Board, card.board_id)
    db.session.refresh(card)
    if card.version != version:
        current = card.to_dict()
        db.session.rollback()
        raise DomainError("conflict", "The card changed since you loaded it.", current=current)
    return seq


def update_card(user_id, card_id, data, board_id=None):
    """Edit a card's text and/or move it (`position` is the 0-based index in the target column)."""
    card = card_for(user_id, card_id, board_id)
    fields = parse(
        data,
        required={"version": integer},
        optional={"title": CARD_TITLE, "description": CARD_DESCRIPTION, "column_id": identifier, "position": integer},
    )
    if fields.keys() == {"version"}:
        raise DomainError("invalid_input", "Nothing to change: give title, description, column_id or position.")
    if fields.get("position", 0) < 0:
        raise DomainError("invalid_input", "position must be 0 or more.", fields=["position"])
    if "column_id" in fields:
        _column_of_board(card.board_id, fields["column_id"])
    seq = _locked_current(card, fields["version"])

    moved = "column_id" in fields or "position" in fields
    if moved:
        target = fields.get("column_id", card.column_id)
        _shift(card.column_id, card.position + 1, -1, excluding=card.id)
        room = _cards_in(target, excluding=card.id)
        default = card.position if target == card.column_id else room
        position = min(fields.get("position", default), room)  # past the end means at the end
        _shift(target, position, +1, excluding=card.id)
        card.column_id, card.position = target, position
    for field in ("title", "description"):
        if field in fields:
            setattr(card, field, fields[field])
    card.version += 1
    db.session.flush()
    topic, kind = f"board:{card.board_id}", "card.moved" if moved else "card.updated"
    if fields.keys() & {"title", "description"}:
        text = {"title": card.title, "description": card.description}
        rewrite_earlier_events(topic, card.id, lambda earlier: {**earlier, **text} if "title" in earlier else earlier)
    commit_and_announce(append_event(topic, seq, kind, card.to_dict()))
    return card, seq


def delete_card(user_id, card_id, data, board_id=None):
    card = card_for(user_id, card_id, board_id)
    fields = parse(data, required={"version": integer})
    seq = _locked_current(card, fields["version"])
    gone = {"id": card.id, "board_id": card.board_id, "column_id": card.column_id}
    db.session.delete(card)
    db.session.flush()
    _shift(card.column_id, card.position + 1, -1)
    topic = f"board:{card.board_id}"
    rewrite_earlier_events(
        topic, card.id, lambda earlier: {**gone, "column_id": earlier["column_id"], "redacted": True}
    )
    commit_and_announce(append_event(topic, seq, "card.deleted", gone))
    return seq
