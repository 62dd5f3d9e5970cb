"""login_failure: wrong attempts at login names that do not exist

A known login locked after `login_max_attempts` wrong PINs and then answered "locked", while an unknown name
never did, so a few tries told anyone which operator IDs exist (issue 17). Unknown names are now counted and
locked by the same rule, in this table; it starts empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("login", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures >= 0", name="ck_login_failure_failures"),
        sa.PrimaryKeyConstraint("login"),
    )
    op.create_index(op.f("ix_login_failure_last_failed_at"), "login_failure", ["last_failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failure_last_failed_at"), table_name="login_failure")
    op.drop_table("login_failure")
