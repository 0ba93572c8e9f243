"""channels have a kind (public, private, dm) and members with a notification level; messages name who they mention

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    """Every channel there is stays public, with every message."""
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='public', nullable=False))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_channels_created_by_id_users', 'users', ['created_by_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'channel_members',
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('notify', sa.String(length=8), nullable=True),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('channel_id', 'user_id'),
    )
    with op.batch_alter_table('channel_members', schema=None) as batch_op:
        batch_op.create_index('ix_channel_members_user_id', ['user_id'], unique=False)
    op.create_table(
        'message_mentions',
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('message_id', 'user_id'),
    )
    with op.batch_alter_table('message_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_message_mentions_user_id_channel_id', ['user_id', 'channel_id'], unique=False)


def downgrade():
    """Loses data: who is in each private channel and direct message, everyone's notification levels, and which
    messages mention whom (the `@name` text stays in each body). Every private channel and direct message is kept
    with its messages but becomes an ordinary channel that every member of its workspace can read: delete the ones
    that must stay private before downgrading."""
    op.drop_table('message_mentions')
    op.drop_table('channel_members')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_constraint('fk_channels_created_by_id_users', type_='foreignkey')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('kind')
