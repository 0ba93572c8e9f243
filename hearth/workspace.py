"""The rules of workspaces, chat and boards, callable without HTTP.

Membership first (an id of a workspace the user is not in is `not_found`, never
`forbidden`, so nothing confirms it exists), then the body, then versions. Every
change and its event commit together; the event is announced after the commit.

An edit or a deletion also rewrites the earlier events of what it changed (same
seq, same kind): they carry the current text, or for something deleted only its
ids and `"redacted": true`, so no replay hands out words their author took back.
"""

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from hearth.accounts.throttles import throttle
from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce, rewrite_earlier_events
from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card, Channel, Membership, Message, User, Workspace, utcnow
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


def _visible(query, what):
    row = db.session.scalar(query)
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
    workspace = workspace_for(user_id, workspace_id)
    if workspace.owner_id != user_id:
        raise DomainError("forbidden", "Only the workspace's owner can add members.")
    # each attempt tells whether a username exists, and puts this workspace in a stranger's list: limited
    throttle().check_member_addition(user_id)
    fields = parse(data, required={"username": username})
    user = db.session.scalar(sa.select(User).where(User.username == fields["username"]))
    if user is None:
        raise DomainError("invalid_input", f"No user is called {fields['username']!r}.", fields=["username"])
    if db.session.get(Membership, (workspace_id, user.id)):
        raise DomainError("conflict", f"{user.username} is already a member.")
    db.session.add(Membership(workspace_id=workspace_id, user_id=user.id))
    db.session.commit()
    return user


# Chat


def _listed_in(model, user_id, workspace_id):
    """The channels (or boards) of a workspace the user is a member of, by name."""
    workspace_for(user_id, workspace_id)
    return db.session.scalars(
        sa.select(model).where(model.workspace_id == workspace_id).order_by(model.name, model.id)
    ).all()


def _one_visible(model, what, user_id, row_id, workspace_id=None):
    """A channel (or board) of a workspace the user is a member of; `workspace_id` pins it to one."""
    query = sa.select(model).where(model.id == row_id, is_member(user_id, model.workspace_id))
    if workspace_id is not None:
        query = query.where(model.workspace_id == workspace_id)
    return _visible(query, what)


def channels_of(user_id, workspace_id):
    return _listed_in(Channel, user_id, workspace_id)


def channel_for(user_id, channel_id, workspace_id=None):
    return _one_visible(Channel, "channel", user_id, channel_id, workspace_id)


def create_channel(user_id, workspace_id, data):
    workspace_for(user_id, workspace_id)
    fields = parse(data, required={"name": name})
    return _insert_named(Channel(workspace_id=workspace_id, name=fields["name"]), "channel")


def _insert_named(row, what):
    db.session.add(row)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DomainError("conflict", f"A {what} with that name already exists here.", fields=["name"]) from None
    return row


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


def own_message(user_id, message_id):
    """A message the user may change: 404 unless it is in one of their channels and not deleted, 403 unless theirs."""
    message = _visible(
        sa.select(Message)
        .join(Channel, Channel.id == Message.channel_id)
        .where(Message.id == message_id, Message.deleted_at.is_(None), is_member(user_id, Channel.workspace_id)),
        "message",
    )
    if message.author_id != user_id:
        raise DomainError("forbidden", "Only its author can change a message.")
    return message


def message_channel(message_id):
    """The channel a message is in, or None: the socket checks a message belongs to the topic it names."""
    return db.session.scalar(sa.select(Message.channel_id).where(Message.id == message_id))


def _locked_message(message):
    """Take the channel's seq (and its lock), then re-read the message: a deletion may have won the race."""
    seq = claim_seq(Channel, message.channel_id)
    db.session.refresh(message)
    if message.deleted:
        db.session.rollback()
        raise not_found("message")
    return seq


def edit_message(user_id, message_id, data):
    """Change a message's body; returns (message, seq of its message.updated event)."""
    message = own_message(user_id, message_id)
    fields = parse(data, required={"body": MESSAGE_BODY})
    seq = _locked_message(message)
    message.body, message.edited_at = fields["body"], utcnow()
    db.session.flush()
    topic, current = f"chat:{message.channel_id}", message.to_dict()
    rewrite_earlier_events(topic, message.id, lambda earlier: current)
    commit_and_announce(append_event(topic, seq, "message.updated", current))
    return message, seq


def delete_message(user_id, message_id):
    """Delete a message: its text goes from the row and from every earlier event. Returns its event's seq."""
    message = own_message(user_id, message_id)
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


def card_for(user_id, card_id):
    return _visible(
        sa.select(Card)
        .join(Board, Board.id == Card.board_id)
        .where(Card.id == card_id, is_member(user_id, Board.workspace_id)),
        "card",
    )


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


def update_card(user_id, card_id, data):
    """Edit a card's text and/or move it (`position` is the 0-based index in the target column)."""
    card = card_for(user_id, card_id)
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


def delete_card(user_id, card_id, data):
    card = card_for(user_id, card_id)
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
