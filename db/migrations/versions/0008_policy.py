"""policy: the rules every terminal shares

The cut-off, working days and hours, holidays, reply hours, lockout and the other rules came from each
terminal's own config.toml or environment, so two terminals of one centre could disagree (one refused at 16:45
what another accepted until 17:00) and anyone could loosen the lockout. They now live in `policy`, one row per
key that differs from its default. No row is written here: a database made by `db upgrade` has every default,
which on PostgreSQL includes `clock_override` off (TELESALES_NOW not honoured).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("policy")
