"""How far each member has read each channel: a marker that only moves forward, never past the head."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hearth.errors import DomainError
from hearth.event_log import announce_read
from hearth.extensions import db
from hearth.models import ReadMarker
from hearth.validation import integer, parse
from hearth.workspaces.access import channel_for


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


def forget(user_id, channel_ids):
    """Drop a member's markers of these channels (they are leaving the workspace), in the caller's transaction."""
    db.session.execute(
        sa.delete(ReadMarker).where(ReadMarker.user_id == user_id, ReadMarker.channel_id.in_(channel_ids))
    )
