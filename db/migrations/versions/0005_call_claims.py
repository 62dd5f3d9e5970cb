"""call claims: which order taker holds a shop for a call

Fifty order takers on one database must never phone the same shop at once; a claim row per shop, taken by one
conditional upsert, decides who holds it, and expires when its terminal stops renewing it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00
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
        "call_claim",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("call_claim")
