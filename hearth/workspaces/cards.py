"""The cards of a board: created at the end of a column, edited and moved against their `version`, deleted.

Every change takes the board's seq (and its lock) first, then re-reads the card: a stale version is a
`conflict` carrying the card as it now is. An edit or a deletion rewrites the card's earlier events,
as message edits do.
"""

import json
from datetime import date

import sqlalchemy as sa

from hearth.errors import DomainError
from hearth.event_log import append_event, claim_seq, commit_and_announce, rewrite_earlier_events
from hearth.extensions import db
from hearth.models import Board, BoardColumn, Card, CardActivity, CardComment, Event, Membership, User
from hearth.protocol import dumps
from hearth.validation import identifier, integer, parse, text
from hearth.workspaces import files, formatting, topics
from hearth.workspaces.access import board_for, card_for
from hearth.workspaces.mentions import announce_mentions

CARD_TITLE = text(1, 200)
CARD_DESCRIPTION = text(0, 4000)
COMMENT_BODY = text(1, 4000)
LABEL = text(1, 24)
MAX_LABELS = 10
MAX_ASSIGNEES = 20
# events about a card itself: a board's topic also holds column and comment events, whose ids can be equal
CARD_KINDS = ("card.created", "card.updated", "card.moved", "card.deleted")


def labels(value):
    """0–10 labels of 1–24 characters each, trimmed; a repeated one counts once."""
    if not isinstance(value, list):
        return None, "must be a list of strings"
    found = []
    for item in value:
        label, problem = LABEL(item)
        if problem:
            return None, f"must each be a string of 1–24 characters ({problem})"
        if label not in found:
            found.append(label)
    if len(found) > MAX_LABELS:
        return None, f"must be at most {MAX_LABELS}"
    return found, None


def user_ids(value):
    """A list of user ids (each once); whether they are members is the card's workspace's business."""
    if not isinstance(value, list) or len(value) > MAX_ASSIGNEES:
        return None, f"must be a list of at most {MAX_ASSIGNEES} user ids"
    found = []
    for item in value:
        ident, problem = identifier(item)
        if problem:
            return None, "must be a list of user ids"
        if ident not in found:
            found.append(ident)
    return found, None


def due_date(value):
    """`YYYY-MM-DD`; null (allowed by the caller) clears it."""
    if not isinstance(value, str) or len(value) != 10:
        return None, "must be a date as YYYY-MM-DD, or null"
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return None, "must be a date as YYYY-MM-DD, or null"


def _column_of_board(board_id, column_id, locked=False):
    if locked:  # read afresh, not from the session: it may have been deleted since it was first looked at
        column = db.session.scalar(
            sa.select(BoardColumn).where(BoardColumn.id == column_id).execution_options(populate_existing=True)
        )
    else:
        column = db.session.get(BoardColumn, column_id)
    if column is None or column.board_id != board_id:
        if locked:
            db.session.rollback()
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
        created_by_id=user_id,
    )
    db.session.add(card)
    db.session.flush()
    _record(card, user_id, "created", column=column.name)
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
    """Edit a card (text, assignees, due date, labels) and/or move it (`position`: 0-based index in its column)."""
    return _change(card_for(user_id, card_id, board_id, workspace_id), data, user_id)


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
    return _change(card, {"version": fields["version"], "column_id": column_ids[index]}, user_id)


def move_card_within(user_id, card_id, step, data, board_id=None, workspace_id=None):
    """Move a card one place up (`step` -1) or down (+1) in its column; `data` holds its `version`."""
    card = card_for(user_id, card_id, board_id, workspace_id)
    fields = parse(data, required={"version": integer})
    position = card.position + step
    if position < 0:
        raise DomainError("invalid_input", "The card is already at the top of its column.")
    return _change(card, {"version": fields["version"], "position": position}, user_id)


def _change(card, data, user_id):
    if callable(data):
        data = data()
    fields = parse(
        data,
        required={"version": integer},
        optional={
            "title": CARD_TITLE,
            "description": CARD_DESCRIPTION,
            "column_id": identifier,
            "position": integer,
            "assignees": user_ids,
            "labels": labels,
            "due_on": due_date,
        },
    )
    if isinstance(data, dict) and "due_on" in data and data["due_on"] is None:
        fields["due_on"] = None  # null clears the date
    if fields.keys() == {"version"}:
        raise DomainError(
            "invalid_input",
            "Nothing to change: give title, description, column_id, position, assignees, due_on or labels.",
        )
    if fields.get("position", 0) < 0:
        raise DomainError("invalid_input", "position must be 0 or more.", fields=["position"])
    if "column_id" in fields:
        _column_of_board(card.board_id, fields["column_id"])
    if "assignees" in fields:
        _members_of_board(card.board_id, fields["assignees"])
    seq = _locked_current(card, fields["version"])
    if "column_id" in fields:
        # again under the lock: a column deleted while this move was on its way is no column of this board
        target_column = _column_of_board(card.board_id, fields["column_id"], locked=True)

    moved = "column_id" in fields or "position" in fields
    if moved:
        source = card.column_id
        target = fields.get("column_id", card.column_id)
        _shift(card.column_id, card.position + 1, -1, excluding=card.id)
        room = _cards_in(target, excluding=card.id)
        default = card.position if target == card.column_id else room
        position = min(fields.get("position", default), room)  # past the end means at the end
        _shift(target, position, +1, excluding=card.id)
        card.column_id, card.position = target, position
        if target != source:
            names = dict(
                db.session.execute(
                    sa.select(BoardColumn.id, BoardColumn.name).where(BoardColumn.id.in_([source, target_column.id]))
                ).all()
            )
            _record(card, user_id, "moved", **{"from": names.get(source), "to": names.get(target)})
    if "title" in fields and fields["title"] != card.title:
        _record(card, user_id, "renamed", **{"from": card.title, "to": fields["title"]})
    for field in ("title", "description"):
        if field in fields:
            setattr(card, field, fields[field])
    newly_assigned = _assign(card, fields["assignees"], user_id) if "assignees" in fields else []
    if "due_on" in fields and fields["due_on"] != card.due_on:
        card.due_on = fields["due_on"]
        _record(card, user_id, "dated", due_on=card.due_on.isoformat() if card.due_on else None)
    if "labels" in fields and fields["labels"] != card.labels:
        card.labels = fields["labels"]
        _record(card, user_id, "labelled", labels=fields["labels"])
    card.version += 1
    db.session.flush()
    topic, kind = topics.board(card.board_id), "card.moved" if moved else "card.updated"
    if fields.keys() & {"title", "description"}:
        text = {"title": card.title, "description": card.description}
        rewrite_earlier_events(
            topic, card.id, lambda earlier: {**earlier, **text} if "title" in earlier else earlier, kinds=CARD_KINDS
        )
    shown = card.to_dict()
    commit_and_announce(append_event(topic, seq, kind, shown))
    if newly_assigned:
        announce_mentions(newly_assigned, topic, card=shown)
    return card, seq


def _members_of_board(board_id, ids):
    """Refuse ids of people who are not members of the board's workspace (as not one of them could be assigned)."""
    if not ids:
        return
    workspace_id = sa.select(Board.workspace_id).where(Board.id == board_id).scalar_subquery()
    members = set(
        db.session.scalars(
            sa.select(Membership.user_id).where(Membership.workspace_id == workspace_id, Membership.user_id.in_(ids))
        )
    )
    if set(ids) - members:
        raise DomainError("invalid_input", "assignees must be members of this workspace.", fields=["assignees"])


def _assign(card, ids, actor_id):
    """Put exactly these people on the card; returns the ids of those newly put on it, other than the actor."""
    before = [user.id for user in card.assignees]
    if set(before) == set(ids):
        return []
    people = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    card.assignees = [people[i] for i in ids]
    added = [i for i in ids if i not in before]
    removed = [i for i in before if i not in ids]
    if added or removed:
        named = lambda ids: [people[i].display_name if i in people else None for i in ids]  # noqa: E731
        gone = {user.id: user.display_name for user in db.session.scalars(sa.select(User).where(User.id.in_(removed)))}
        _record(card, actor_id, "assigned", added=named(added), removed=[gone.get(i) for i in removed])
    return [i for i in added if i != actor_id]


def _record(card, actor_id, kind, **detail):
    db.session.add(CardActivity(card_id=card.id, actor_id=actor_id, kind=kind, detail=json.dumps(detail)))


def activity_of(user_id, card_id):
    """The card's history, oldest first: created, moved, assigned, renamed, dated, labelled."""
    card = card_for(user_id, card_id)
    rows = db.session.scalars(
        sa.select(CardActivity).where(CardActivity.card_id == card.id).order_by(CardActivity.id)
    ).all()
    return [row.to_dict() for row in rows]


def comments_of(user_id, card_id, board_id=None, workspace_id=None):
    """The card's comments, oldest first."""
    card = card_for(user_id, card_id, board_id, workspace_id)
    return db.session.scalars(
        sa.select(CardComment).where(CardComment.card_id == card.id).order_by(CardComment.id)
    ).all()


def add_comment(user_id, card_id, data, board_id=None, workspace_id=None):
    """A comment on a card (Markdown, rendered as messages are); an event `card.comment` on the board's topic."""
    card = card_for(user_id, card_id, board_id, workspace_id)
    body = parse(data, required={"body": COMMENT_BODY})["body"]
    seq = claim_seq(Board, card.board_id)
    if db.session.scalar(sa.select(Card.id).where(Card.id == card.id)) is None:
        db.session.rollback()
        raise DomainError("not_found", "No such card.")
    workspace_id = db.session.scalar(sa.select(Board.workspace_id).where(Board.id == card.board_id))
    comment = CardComment(card_id=card.id, author_id=user_id, body=body, html=_render(workspace_id, body))
    db.session.add(comment)
    db.session.execute(
        sa.update(Card)
        .where(Card.id == card.id)
        .values(comment_count=Card.comment_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    shown = comment.to_dict()
    commit_and_announce(append_event(topics.board(card.board_id), seq, "card.comment", shown))
    return comment, seq


def _render(workspace_id, body):
    """A comment's HTML, its `@username` mentions resolved among the workspace's members."""
    names = formatting.mentioned_names(body)
    mentionable = {}
    if names:
        mentionable = dict(
            db.session.execute(
                sa.select(User.username, User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.workspace_id == workspace_id, User.username.in_(sorted(names)))
            ).all()
        )
    return formatting.render(body, mentionable)


def delete_card(user_id, card_id, data, board_id=None, workspace_id=None):
    card = card_for(user_id, card_id, board_id, workspace_id)
    fields = parse(data, required={"version": integer})
    seq = _locked_current(card, fields["version"])
    gone = {"id": card.id, "board_id": card.board_id, "column_id": card.column_id}
    stored = files.detach_all(card.files)
    _redact_comments(card)
    db.session.delete(card)
    db.session.flush()
    _shift(card.column_id, card.position + 1, -1)
    topic = topics.board(card.board_id)
    rewrite_earlier_events(
        topic,
        card.id,
        lambda earlier: {**gone, "column_id": earlier["column_id"], "redacted": True},
        kinds=CARD_KINDS,
    )
    commit_and_announce(append_event(topic, seq, "card.deleted", gone))
    files.unlink(stored)
    return seq


def _redact_comments(card):
    """A deleted card's comments leave the replay too: their events say only which card they were on."""
    ids = db.session.scalars(sa.select(CardComment.id).where(CardComment.card_id == card.id)).all()
    if not ids:
        return
    query = sa.select(Event).where(
        Event.topic == topics.board(card.board_id), Event.kind == "card.comment", Event.subject_id.in_(ids)
    )
    for event in db.session.scalars(query):
        event.data = dumps({"id": event.subject_id, "card_id": card.id, "redacted": True})
