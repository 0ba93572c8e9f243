"""A workspace's boards: created with their default columns, renamed, deleted, and read whole."""

import sqlalchemy as sa

from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card, CardAssignee
from hearth.workspaces import workspace_topics
from hearth.workspaces.access import board_for, owned, workspace_for

DEFAULT_COLUMNS = ("To do", "Doing", "Done")
LABEL_COLOURS = 8  # static/css/hearth.css: .label[data-colour="0"…"7"], each dark text on a light ground


def label_colour(label):
    """The palette index of a label, derived from its text (static/js/board_filters.js: labelColour does the same)."""
    value = 0
    for char in label:
        value = (value * 31 + ord(char)) % 2**32
    return value % LABEL_COLOURS


def boards_of(user_id, workspace_id):
    workspace_for(user_id, workspace_id)
    return workspace_topics.rows_in(Board, workspace_id)


def create_board(user_id, workspace_id, data):
    workspace_for(user_id, workspace_id)
    board = Board(workspace_id=workspace_id, name=workspace_topics.named(data))
    board.columns = [BoardColumn(name=title, position=i) for i, title in enumerate(DEFAULT_COLUMNS)]
    return workspace_topics.add(board, "board")


def rename_board(user_id, board_id, data, workspace_id=None):
    board = owned(Board, "board", user_id, board_id, "rename boards", workspace_id)
    return workspace_topics.rename(board, "board", data)


def delete_board(user_id, board_id, workspace_id=None):
    """Delete a board with its columns and cards; returns what it was."""
    board = owned(Board, "board", user_id, board_id, "delete boards", workspace_id)
    return workspace_topics.delete(board, "board")


def board_state(user_id, board_id, workspace_id=None):
    return state_of(board_for(user_id, board_id, workspace_id))


def state_of(board):
    """The board with its columns and cards in position order, in three queries whatever its size.

    The caller has checked that the user may see the board.
    """
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


def cards_of_person(user_id, workspace_id):
    """The cards the user is assigned to on every board of the workspace: the soonest due first, undated last.

    Returns [{"board", "column", "card"}] with the board as its `to_dict`, the column's name and the card.
    """
    workspace_for(user_id, workspace_id)
    rows = db.session.execute(
        sa.select(Card, Board, BoardColumn.name)
        .join(CardAssignee, CardAssignee.card_id == Card.id)
        .join(Board, Board.id == Card.board_id)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(CardAssignee.user_id == user_id, Board.workspace_id == workspace_id)
        .order_by(Card.due_on.is_(None), Card.due_on, Board.name, BoardColumn.position, Card.position)
    ).all()
    return [{"board": board.to_dict(), "column": column, "card": card.to_dict()} for card, board, column in rows]
