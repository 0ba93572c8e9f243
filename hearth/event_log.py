"""The per-topic event log: appended in the same transaction as the change it records.

A topic's head `seq` lives on its channel or board row. Bumping it is the first
write of every change, so it also takes that row's lock: writers to one topic
queue up, and seq order is commit order — replay never skips a late commit.
"""

import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask.signals import Namespace

from hearth.extensions import db
from hearth.models import Event

# Sent after the commit that stored events, with `events` (a list of CommittedEvent).
events_committed = Namespace().signal("events-committed")


@dataclass(frozen=True)
class CommittedEvent:
    topic: str
    seq: int
    kind: str
    data: str  # JSON text, serialized once


def claim_seq(model, row_id):
    """Lock the topic's row and take its next seq."""
    return db.session.execute(
        sa.update(model)
        .where(model.id == row_id)
        .values(seq=model.seq + 1)
        .returning(model.seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def append_event(topic, seq, kind, data):
    event = CommittedEvent(topic, seq, kind, json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    db.session.add(Event(topic=topic, seq=seq, kind=kind, data=event.data))
    return event


def commit_and_announce(*events):
    """Commit, then tell the fan-out: an event is never announced that was not stored."""
    db.session.commit()
    if events:
        events_committed.send(current_app._get_current_object(), events=list(events))


def events_since(topic, seq, limit=None):
    query = sa.select(Event).where(Event.topic == topic, Event.seq > seq).order_by(Event.seq)
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()
