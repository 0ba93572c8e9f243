"""cards gain their creator, a due date, labels, assignees, comments and an activity list

Columns were already rows of their board (board_columns, made with every board), so every existing board
keeps its three columns as they are, and every card its column and position: nothing is moved here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("labels", sa.Text(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            "fk_cards_created_by_id_users", "users", ["created_by_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "card_assignees",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("card_id", "user_id"),
    )
    with op.batch_alter_table("card_assignees", schema=None) as batch_op:
        batch_op.create_index("ix_card_assignees_user_id", ["user_id"], unique=False)
    op.create_table(
        "card_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("card_comments", schema=None) as batch_op:
        batch_op.create_index("ix_card_comments_card_id", ["card_id"], unique=False)
    op.create_table(
        "card_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("card_activity", schema=None) as batch_op:
        batch_op.create_index("ix_card_activity_card_id", ["card_id"], unique=False)


def downgrade():
    """Loses data: every card's assignees, due date, labels, comments and activity, and who created each card
    (the cards themselves stay, with their titles, descriptions, columns and positions)."""
    op.drop_table("card_activity")
    op.drop_table("card_comments")
    op.drop_table("card_assignees")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cards_created_by_id_users", type_="foreignkey")
        batch_op.drop_column("comment_count")
        batch_op.drop_column("labels")
        batch_op.drop_column("due_on")
        batch_op.drop_column("created_by_id")
