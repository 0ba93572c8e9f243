"""messages remember the name of the personal access token they were sent with

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=80), nullable=True))


def downgrade():
    """Loses data: which personal access token each message was sent with (the messages themselves stay)."""
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('via')
