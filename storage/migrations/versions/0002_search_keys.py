"""search keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_keys", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("search_keys_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_customers_updated_at", ["updated_at"], unique=False)

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_keys", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("search_keys_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index("ix_products_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index("ix_products_updated_at")
        batch_op.drop_column("search_keys_version")
        batch_op.drop_column("search_keys")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_updated_at")
        batch_op.drop_column("search_keys_version")
        batch_op.drop_column("search_keys")
