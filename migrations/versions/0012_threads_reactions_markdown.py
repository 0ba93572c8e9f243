"""messages keep their Markdown rendered as HTML, name their thread's parent and carry its counts; reactions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from hearth.workspaces.formatting import mentioned_names, render


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reply_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_reply_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_messages_parent_id', ['parent_id'], unique=False)
        batch_op.create_foreign_key('fk_messages_parent_id_messages', 'messages', ['parent_id'], ['id'], ondelete='CASCADE')
    op.create_table(
        'message_reactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('emoji', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id', 'user_id', 'emoji'),
    )
    with op.batch_alter_table('message_reactions', schema=None) as batch_op:
        batch_op.create_index('ix_message_reactions_message_id', ['message_id'], unique=False)
    render_existing_messages()


def render_existing_messages():
    """Every stored body rendered as new ones are, a batch at a time, mentions of the workspace's members included."""
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.text(
                'SELECT m.id, m.body, c.workspace_id FROM messages m JOIN channels c ON c.id = m.channel_id'
                ' WHERE m.id > :after AND m.deleted_at IS NULL ORDER BY m.id LIMIT :batch'
            ),
            {'after': after, 'batch': BATCH},
        ).all()
        if not rows:
            return
        updates = [{'id': row.id, 'html': render(row.body, mentionable(connection, row.workspace_id, row.body))} for row in rows]
        connection.execute(sa.text('UPDATE messages SET html = :html WHERE id = :id'), updates)
        after = rows[-1].id


def mentionable(connection, workspace_id, body):
    names = mentioned_names(body)
    if not names:
        return {}
    found = connection.execute(
        sa.text(
            'SELECT u.username, u.id FROM users u JOIN memberships ms ON ms.user_id = u.id'
            ' WHERE ms.workspace_id = :workspace_id AND u.username IN :names'
        ).bindparams(sa.bindparam('names', expanding=True)),
        {'workspace_id': workspace_id, 'names': sorted(names)},
    ).all()
    return dict(found)


def downgrade():
    """Loses data: every reaction, the rendered HTML of each message (its Markdown body stays), and which thread a
    reply belongs to with the threads' counts (a reply stays, as an ordinary message of its channel)."""
    op.drop_table('message_reactions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_messages_parent_id_messages', type_='foreignkey')
        batch_op.drop_index('ix_messages_parent_id')
        batch_op.drop_column('last_reply_at')
        batch_op.drop_column('reply_count')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('html')
