"""full-text search over messages and cards; uploaded files on messages and cards

SQLite keeps an FTS5 index of each (external content, kept current by triggers in the writing
transaction); PostgreSQL a stored generated column `search_vector` (`to_tsvector('simple', …)` of the
same text, kept by PostgreSQL with the row) and a GIN index over it. The column exists on PostgreSQL
only: the models do not name it (`hearth.workspaces.search.in_models` leaves it out of comparisons). A later
migration that rebuilds `messages` or `cards` on SQLite (a batch `recreate`) drops their triggers
and must create them again (`create_sqlite_search` below).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE search_messages USING fts5(body, content='messages', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_messages_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO search_messages (rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_messages_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO search_messages (search_messages, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER search_messages_update AFTER UPDATE OF body ON messages BEGIN"
    " INSERT INTO search_messages (search_messages, rowid, body) VALUES ('delete', old.id, old.body);"
    " INSERT INTO search_messages (rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO search_messages (search_messages) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE search_cards USING fts5(title, description, content='cards', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_cards_insert AFTER INSERT ON cards BEGIN"
    " INSERT INTO search_cards (rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "CREATE TRIGGER search_cards_delete AFTER DELETE ON cards BEGIN"
    " INSERT INTO search_cards (search_cards, rowid, title, description)"
    " VALUES ('delete', old.id, old.title, old.description); END",
    "CREATE TRIGGER search_cards_update AFTER UPDATE OF title, description ON cards BEGIN"
    " INSERT INTO search_cards (search_cards, rowid, title, description)"
    " VALUES ('delete', old.id, old.title, old.description);"
    " INSERT INTO search_cards (rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "INSERT INTO search_cards (search_cards) VALUES ('rebuild')",
]
POSTGRESQL_SEARCH = [
    "ALTER TABLE messages ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX ix_messages_search ON messages USING gin (search_vector)",
    "ALTER TABLE cards ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED",
    "CREATE INDEX ix_cards_search ON cards USING gin (search_vector)",
]


def create_sqlite_search():
    for statement in SQLITE_SEARCH:
        op.execute(statement)


def upgrade():
    op.create_table(
        'files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uploader_id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=True),
        sa.Column('card_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('has_thumbnail', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['card_id'], ['cards.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('storage_key'),
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.create_index('ix_files_channel_id', ['channel_id'], unique=False)
        batch_op.create_index('ix_files_card_id', ['card_id'], unique=False)
        batch_op.create_index('ix_files_message_id', ['message_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        create_sqlite_search()
    else:
        for statement in POSTGRESQL_SEARCH:
            op.execute(statement)


def downgrade():
    """Loses data: the list of uploaded files (the files themselves stay in HEARTH_FILE_DIR) and the search
    indexes (rebuilt from the messages and cards on the next upgrade)."""
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('messages_insert', 'messages_delete', 'messages_update', 'cards_insert', 'cards_delete',
                     'cards_update'):
            op.execute(f'DROP TRIGGER IF EXISTS search_{name}')
        op.execute('DROP TABLE IF EXISTS search_messages')
        op.execute('DROP TABLE IF EXISTS search_cards')
    else:
        op.execute('DROP INDEX IF EXISTS ix_messages_search')
        op.execute('DROP INDEX IF EXISTS ix_cards_search')
        op.execute('ALTER TABLE messages DROP COLUMN IF EXISTS search_vector')
        op.execute('ALTER TABLE cards DROP COLUMN IF EXISTS search_vector')
    op.drop_table('files')
