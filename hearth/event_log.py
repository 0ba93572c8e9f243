"""The per-topic event log: appended in the same transaction as the change it records.

A topic's head `seq` lives on its channel or board row. Bumping it is the first
write of every change, so it also takes that row's lock: writers to one topic
queue up, and seq order is commit order — replay never skips a late commit.
"""

import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from hearth.extensions import db, delete_in_batches
from hearth.models import Event
from hearth.protocol import dumps
from hearth.realtime import announce


@dataclass(frozen=True)
class CommittedEvent:
    topic: str
    seq: int
    kind: str
    data: str  # JSON text, serialized once
    # An event only some may see (about a private channel or a direct message on the workspace's topic):
    # those users get `data`, every other subscriber `{"redacted": true}` at the same seq.
    audience: tuple | None = None


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
    """Store an event about `data` (a message or a card, found again later by its `id`)."""
    event = CommittedEvent(topic, seq, kind, dumps(data))
    db.session.add(Event(topic=topic, seq=seq, kind=kind, subject_id=data.get("id"), data=event.data))
    return event


def append_private_event(topic, seq, kind, data, audience, stored=None):
    """An event whose live frame only `audience` (user ids) sees; the log keeps `stored` (default `data`).

    A replay shows the stored event to whoever may read its channel then (replay.py) and `{"redacted": true}`
    to the others; `stored` lets an event meant for one person only (their removal) keep nothing in the log.
    """
    kept = data if stored is None else stored
    db.session.add(Event(topic=topic, seq=seq, kind=kind, subject_id=data.get("id"), data=dumps(kept)))
    return CommittedEvent(topic, seq, kind, dumps(data), tuple(audience))


def rewrite_earlier_events(topic, subject_id, rewrite, kinds=None):
    """Replace what earlier events of one message, card, channel or board say, keeping their seq and kind.

    `rewrite(data)` gets each event's data as a dict and returns what the event carries from now on,
    so that no replay hands out text its author has since changed or deleted. `kinds` limits it to
    events of those kinds: a workspace's topic holds events of channels and boards whose ids can be equal.
    """
    query = sa.select(Event).where(Event.topic == topic, Event.subject_id == subject_id)
    if kinds is not None:
        query = query.where(Event.kind.in_(kinds))
    for event in db.session.scalars(query):
        event.data = dumps(rewrite(json.loads(event.data)))


def commit_and_announce(*events):
    """Commit, then announce: an event is never announced that was not stored."""
    db.session.commit()
    if events:
        announce.of(current_app).events(events)


def announce_withdrawal(topics, reason, user_id=None):
    """After the commit: sockets following these topics (all, or only this user's) stop, told why."""
    announce.of(current_app).withdrawal(topics, reason, user_id)


def announce_read(user_id, topic, seq):
    """After the commit that moved a user's read marker: their sockets hear where it is now."""
    announce.of(current_app).read(user_id, topic, seq)


def forget_topic(topic):
    """Drop a deleted channel's or board's log: a later row that reuses the id (SQLite may) starts afresh."""
    db.session.execute(sa.delete(Event).where(Event.topic == topic))


# Built once, as every resume of every socket asks it: no new statement and cache key each time.
EVENTS_SINCE = (
    sa.select(Event).where(Event.topic == sa.bindparam("topic"), Event.seq > sa.bindparam("seq")).order_by(Event.seq)
)


def events_since(topic, seq):
    """The topic's events after `seq`, in seq order: what a resuming or catching-up socket is sent."""
    return db.session.scalars(EVENTS_SINCE, {"topic": topic, "seq": seq}).all()


def prune_events(keep, batch=5000):
    """Delete all but the newest `keep` events of every topic; returns how many went.

    Safe beside a live server: only events at least `keep` behind their topic's head
    are deleted, in short transactions of `batch` rows, and new events only ever get
    higher seqs. A resume from before what is kept gets resync_required (frames.py).
    """
    heads = db.session.execute(
        sa.select(Event.topic, sa.func.max(Event.seq)).group_by(Event.topic).having(sa.func.count() > keep)
    ).all()
    db.session.commit()
    return sum(
        delete_in_batches(Event, Event.topic == topic, Event.seq <= head - keep, batch=batch) for topic, head in heads
    )
