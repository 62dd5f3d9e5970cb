"""call: dialled_at, answered_at, ring_s, sip_reason for calls dialled through the softphone

A call dialled from the call screen (issue 20) is timed by the phone, not by the screen: its row starts at the
answer and lasts the talk time, and keeps what the phone knew besides (when the dial went out, how long it rang,
the SIP reason it ended with), so a lead can tell a shop that never answers from a number that is wrong. All
NULL for calls dialled by hand, as every call before this revision was.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ring_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sip_reason", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_column("sip_reason")
        batch_op.drop_column("ring_s")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("dialled_at")
