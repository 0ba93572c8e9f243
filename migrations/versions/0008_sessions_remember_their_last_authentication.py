"""sessions remember when their password was last given, for changes that ask for it again

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authenticated_at', sa.DateTime(), nullable=True))


def downgrade():
    """Loses data: when each session last gave its password (every row stays; sessions ask for it again)."""
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('authenticated_at')
