"""team chats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["users.id"],
            name=op.f("fk_team_chats_linked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_chats_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_chats")),
        sa.UniqueConstraint("platform", "chat_id", name=op.f("uq_team_chats_platform")),
    )
    with op.batch_alter_table("team_chats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_chats_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_chats_team_id"))

    op.drop_table("team_chats")
