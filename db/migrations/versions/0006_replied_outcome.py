"""call outcome `replied`: a shift lead's call-back on a complaint

The lead's call-back ended as "refused" or "ordered" used to change the shop's order-day status; it gets its
own outcome, which the call queue leaves out of the shop's day.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("ordered", "no_answer", "busy", "closed", "refused", "wrong_number", "callback_requested")
_AFTER = (*_BEFORE, "replied")


def _check(values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"outcome IS NULL OR outcome IN ({listed})"


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint("ck_call_outcome", type_="check")
        batch_op.create_check_constraint("ck_call_outcome", _check(_AFTER))


def downgrade() -> None:
    op.execute("UPDATE call SET outcome = 'refused' WHERE outcome = 'replied'")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint("ck_call_outcome", type_="check")
        batch_op.create_check_constraint("ck_call_outcome", _check(_BEFORE))
