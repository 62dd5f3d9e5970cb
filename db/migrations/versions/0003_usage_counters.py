"""quota and supply usage counters, product launch date, order change time

Placement consumes quotas and supply through these counters in one conditional UPDATE each, so concurrent
terminals can never overshoot; `launched_on` marks new products (新品) for suggestions and scripts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_usage",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("used_qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("used_qty >= 0", name="ck_quota_usage_non_negative"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.PrimaryKeyConstraint("week", "customer_id", "product_id"),
    )
    op.create_table(
        "supply_usage",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("used_qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("used_qty >= 0", name="ck_supply_usage_non_negative"),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.PrimaryKeyConstraint("week", "product_id"),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("launched_on", sa.Date(), nullable=True))
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("launched_on")
    op.drop_table("supply_usage")
    op.drop_table("quota_usage")
