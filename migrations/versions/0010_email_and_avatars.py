"""email addresses (verified by a mailed link), password resets by mail, and avatars

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('email_verified', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('avatar_digest', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_users_email', ['email'])

    op.create_table('avatars',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('mailed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('mailed_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailed_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    """Loses data: every user's email address and whether it was verified, every avatar, and the mailed links
    not yet used (verification and password-reset links stop working); users and every other row stay."""
    with op.batch_alter_table('mailed_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailed_tokens_user_id'))
    op.drop_table('mailed_tokens')
    op.drop_table('avatars')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_email', type_='unique')
        batch_op.drop_column('avatar_digest')
        batch_op.drop_column('email_verified')
        batch_op.drop_column('email')
