"""events name the message or card they are about; deleted and edited cards' old text leaves the log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:30:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PAGE = 1000  # events read and rewritten at a time

events = sa.table(
    'events',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('subject_id', sa.Integer),
    sa.column('data', sa.Text),
)
cards = sa.table('cards', sa.column('id', sa.Integer), sa.column('title', sa.String), sa.column('description', sa.Text))


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_events_topic_subject_id', ['topic', 'subject_id'], unique=False)

    # Fill in the subject of every message and card event, and take out the text of cards that were
    # deleted or edited before events could be rewritten (the rule every later change follows).
    # A page of events at a time, each page's updates sent together: a long log never sits in memory whole.
    connection = op.get_bind()
    current = {row.id: row for row in connection.execute(sa.select(cards))}
    rewrite = (
        events.update()
        .where(events.c.id == sa.bindparam('event_id'))
        .values(subject_id=sa.bindparam('subject'), data=sa.bindparam('new_data'))
    )
    after = 0
    while rows := connection.execute(
        sa.select(events.c.id, events.c.kind, events.c.data)
        .where(events.c.id > after, sa.or_(events.c.kind.like('message.%'), events.c.kind.like('card.%')))
        .order_by(events.c.id)
        .limit(PAGE)
    ).all():
        connection.execute(rewrite, [named_subject(row, current) for row in rows])
        after = rows[-1].id


def named_subject(row, current):
    """The new values of one event: its subject's id, and its data without text taken back."""
    data = json.loads(row.data)
    subject_id = data.get('id')
    if row.kind.startswith('card.') and 'title' in data:
        card = current.get(subject_id)
        if card is None:
            data = {'id': subject_id, 'board_id': data['board_id'], 'column_id': data['column_id'], 'redacted': True}
        else:
            data = {**data, 'title': card.title, 'description': card.description}
    return {
        'event_id': row.id,
        'subject': subject_id,
        'new_data': json.dumps(data, separators=(',', ':'), ensure_ascii=False),
    }


def downgrade():
    """Loses which message or card each event is about; the old text the upgrade took out of the log stays out."""
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_topic_subject_id')
        batch_op.drop_column('subject_id')
