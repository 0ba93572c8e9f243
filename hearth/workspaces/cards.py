"""The cards of a board: created at the end of a column, edited and moved against their `version`, deleted.

Every change takes the board's seq (and its lock) first, then re-reads the card: a stale version is a
`conflict` carrying the card as it now is. An edit or a deletion rewrites the card's earlier events,
as message edits do.
"""

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce, rewrite_earlier_events
from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card
from hearth.validation import identifier, integer, parse, text
from hearth.workspaces import files, topics
from hearth.workspaces.access import board_for, card_for

CARD_TITLE = text(1, 200)
CARD_DESCRIPTION = text(0, 4000)


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


def create_card(user_id, board_id, data, workspace_id=None):
    """Add a card at the end of its column; returns (card, seq of its event)."""
    board = board_for(user_id, board_id, workspace_id)
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


def update_card(user_id, card_id, data, board_id=None, workspace_id=None):
    """Edit a card's text and/or move it (`position` is the 0-based index in the target column)."""
    return _change(card_for(user_id, card_id, board_id, workspace_id), data)


def move_card_beside(user_id, card_id, step, data, board_id=None, workspace_id=None):
    """Move a card one column to the left (`step` -1) or the right (+1); `data` holds its `version`."""
    card = card_for(user_id, card_id, board_id, workspace_id)
    column_ids = db.session.scalars(
        sa.select(BoardColumn.id).where(BoardColumn.board_id == card.board_id).order_by(BoardColumn.position)
    ).all()
    index = column_ids.index(card.column_id) + (step or 0)
    if step not in (-1, 1) or not 0 <= index < len(column_ids):
        raise DomainError("invalid_input", "The card cannot move that way.")
    fields = parse(data, required={"version": integer})
    return _change(card, {"version": fields["version"], "column_id": column_ids[index]})


def _change(card, data):
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
    topic, kind = topics.board(card.board_id), "card.moved" if moved else "card.updated"
    if fields.keys() & {"title", "description"}:
        text = {"title": card.title, "description": card.description}
        rewrite_earlier_events(topic, card.id, lambda earlier: {**earlier, **text} if "title" in earlier else earlier)
    commit_and_announce(append_event(topic, seq, kind, card.to_dict()))
    return card, seq


def delete_card(user_id, card_id, data, board_id=None, workspace_id=None):
    card = card_for(user_id, card_id, board_id, workspace_id)
    fields = parse(data, required={"version": integer})
    seq = _locked_current(card, fields["version"])
    gone = {"id": card.id, "board_id": card.board_id, "column_id": card.column_id}
    stored = files.detach_all(card.files)
    db.session.delete(card)
    db.session.flush()
    _shift(card.column_id, card.position + 1, -1)
    topic = topics.board(card.board_id)
    rewrite_earlier_events(
        topic, card.id, lambda earlier: {**gone, "column_id": earlier["column_id"], "redacted": True}
    )
    commit_and_announce(append_event(topic, seq, "card.deleted", gone))
    files.unlink(stored)
    return seq
