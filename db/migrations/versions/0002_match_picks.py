"""match picks: the brand matcher remembers which product was chosen for a phrase

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_pick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_key", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("count > 0", name="ck_match_pick_count_positive"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match_pick", schema=None) as batch_op:
        batch_op.create_index(
            "uq_match_pick_customer",
            ["query_key", "customer_id", "product_id"],
            unique=True,
            sqlite_where=sa.text("customer_id IS NOT NULL"),
            postgresql_where=sa.text("customer_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_match_pick_global",
            ["query_key", "product_id"],
            unique=True,
            sqlite_where=sa.text("customer_id IS NULL"),
            postgresql_where=sa.text("customer_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("match_pick", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_match_pick_global",
            sqlite_where=sa.text("customer_id IS NULL"),
            postgresql_where=sa.text("customer_id IS NULL"),
        )
        batch_op.drop_index(
            "uq_match_pick_customer",
            sqlite_where=sa.text("customer_id IS NOT NULL"),
            postgresql_where=sa.text("customer_id IS NOT NULL"),
        )
    op.drop_table("match_pick")
