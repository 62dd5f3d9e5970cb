"""planned calls (retention, ticket call-backs) and ticket time indexes for the lead's dashboard

A shift lead schedules a personal call for a drifting customer, or a call-back on a ticket; it enters that
day's call queue. The dashboard counts tickets opened and closed in a day among 100,000 tickets, which wants
indexes on those two times.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planned_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("reason IN ('retention', 'ticket_callback')", name="ck_planned_call_reason"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["call_id"], ["call.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("planned_call", schema=None) as batch_op:
        batch_op.create_index("ix_planned_call_due", ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_call_customer_id"), ["customer_id"], unique=False)
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_opened_at", ["opened_at"], unique=False)
        batch_op.create_index("ix_ticket_closed_at", ["closed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_closed_at")
        batch_op.drop_index("ix_ticket_opened_at")
    with op.batch_alter_table("planned_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_call_customer_id"))
        batch_op.drop_index("ix_planned_call_due")
    op.drop_table("planned_call")
