"""drafts in the database, and the database's identity

The order being taken on a call was kept only on the terminal's disk: an operator who moved to another PC lost
it, and a draft left by a terminal later pointed at another database reopened there forever. A draft now lives
in `call_draft` per operator, shop and order week, and a random `database_id` in `app_meta` names this database
so that a terminal's local mirror of a draft is only ever opened against the database it was written for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATABASE_ID_KEY = "database_id"


def upgrade() -> None:
    op.create_table(
        "call_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator", "customer_id", "week", name="uq_call_draft_operator_customer_week"),
    )
    with op.batch_alter_table("call_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_draft_operator"), ["operator"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_draft_customer_id"), ["customer_id"], unique=False)
    meta = sa.table("app_meta", sa.column("key", sa.String()), sa.column("value", sa.Text()))
    bind = op.get_bind()
    if bind.execute(sa.select(meta.c.key).where(meta.c.key == DATABASE_ID_KEY)).first() is None:
        op.bulk_insert(meta, [{"key": DATABASE_ID_KEY, "value": uuid.uuid4().hex}])


def downgrade() -> None:
    # the identity stays: a database downgraded and upgraded again is still the same database
    with op.batch_alter_table("call_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_draft_customer_id"))
        batch_op.drop_index(batch_op.f("ix_call_draft_operator"))
    op.drop_table("call_draft")
