"""A board's own columns: any member adds one (at the end), renames it, moves it, and deletes it once empty.

Every change takes the board's seq (and so its lock) first, as card changes do: a column cannot be
deleted between a card move's check and its write, and each change is an event of the board's topic.
"""

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce
from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card
from hearth.validation import integer, name, parse
from hearth.workspaces import topics
from hearth.workspaces.access import board_for, column_for

MAX_COLUMNS = 30


def _column_ids(board_id):
    return db.session.scalars(
        sa.select(BoardColumn.id).where(BoardColumn.board_id == board_id).order_by(BoardColumn.position, BoardColumn.id)
    ).all()


def _renumber(ids):
    """Give the columns these positions, 0 to n-1, in this order."""
    for position, column_id in enumerate(ids):
        db.session.execute(
            sa.update(BoardColumn)
            .where(BoardColumn.id == column_id)
            .values(position=position)
            .execution_options(synchronize_session=False)
        )


def create_column(user_id, board_id, data, workspace_id=None):
    """Add a column at the end of the board; returns (column, seq of its event)."""
    board = board_for(user_id, board_id, workspace_id)
    fields = parse(data, required={"name": name})
    seq = claim_seq(Board, board.id)
    ids = _column_ids(board.id)
    if len(ids) >= MAX_COLUMNS:
        db.session.rollback()
        raise DomainError("invalid_input", f"A board has at most {MAX_COLUMNS} columns.", fields=["name"])
    column = BoardColumn(board_id=board.id, name=fields["name"], position=len(ids))
    db.session.add(column)
    db.session.flush()
    commit_and_announce(append_event(topics.board(board.id), seq, "column.created", column.to_dict()))
    return column, seq


def update_column(user_id, column_id, data):
    """Rename a column and/or move it to a 0-based `position` among the board's columns (past the end: last)."""
    column = column_for(user_id, column_id)
    fields = parse(data, optional={"name": name, "position": integer})
    if not fields:
        raise DomainError("invalid_input", "Nothing to change: give name or position.")
    if fields.get("position", 0) < 0:
        raise DomainError("invalid_input", "position must be 0 or more.", fields=["position"])
    seq = claim_seq(Board, column.board_id)
    _still_there(column)
    if "position" in fields:
        others = [i for i in _column_ids(column.board_id) if i != column.id]
        others.insert(min(fields["position"], len(others)), column.id)
        _renumber(others)
        db.session.refresh(column)
    if "name" in fields:
        column.name = fields["name"]
    db.session.flush()
    commit_and_announce(append_event(topics.board(column.board_id), seq, "column.updated", column.to_dict()))
    return column, seq


def delete_column(user_id, column_id):
    """Delete an empty column; one that holds a card is a `conflict` (move or delete its cards first)."""
    column = column_for(user_id, column_id)
    seq = claim_seq(Board, column.board_id)
    _still_there(column)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Card).where(Card.column_id == column.id)):
        db.session.rollback()
        raise DomainError("conflict", "Only an empty column can be deleted: move or delete its cards first.")
    gone = {"id": column.id, "board_id": column.board_id}
    db.session.delete(column)
    db.session.flush()
    _renumber(_column_ids(gone["board_id"]))
    commit_and_announce(append_event(topics.board(gone["board_id"]), seq, "column.deleted", gone))
    return seq


def _still_there(column):
    """Under the board's lock: a column someone else deleted meanwhile is not found."""
    if db.session.scalar(sa.select(BoardColumn.id).where(BoardColumn.id == column.id)) is None:
        db.session.rollback()
        raise DomainError("not_found", "No such column.")
