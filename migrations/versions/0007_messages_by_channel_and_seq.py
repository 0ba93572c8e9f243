"""messages are indexed by channel and seq, for unread counts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 00:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_channel_id_seq', ['channel_id', 'seq'], unique=False)


def downgrade():
    """Loses only an index: every row stays."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_channel_id_seq')
