"""The score's two axes on the lead: fit grade (A-D) and engagement, backfilled

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:00:00

Existing rows are backfilled from `score_breakdown` under the scoring model of the code
that runs this migration (`scenarios/scoring.py`): fit points are the attribute rules'
points, graded by the model's `FitGrades`; engagement is every other point. The lead's
next score write replaces them with what its workflow's scoring outcome says.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch_op:
        batch_op.add_column(
            sa.Column("fit_grade", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True)
        )
        batch_op.add_column(sa.Column("engagement", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_lead_fit_grade"), ["fit_grade"], unique=False)
    _backfill()


def _backfill() -> None:
    from nurture.rules.score_state import ScoreState
    from scenarios.scoring import MODEL

    lead = sa.table(
        "lead",
        sa.column("id", sa.Uuid()),
        sa.column("score_breakdown", sa.JSON()),
        sa.column("fit_grade", sa.String()),
        sa.column("engagement", sa.Integer()),
    )
    bind = op.get_bind()
    update = (
        sa.update(lead)
        .where(lead.c.id == sa.bindparam("lead_id"))
        .values(fit_grade=sa.bindparam("grade"), engagement=sa.bindparam("points"))
    )
    rows = bind.execute(sa.select(lead.c.id, lead.c.score_breakdown)).fetchall()
    for start in range(0, len(rows), BATCH):
        values = []
        for lead_id, breakdown in rows[start : start + BATCH]:
            state = ScoreState(breakdown=breakdown or {})
            values.append(
                {
                    "lead_id": lead_id,
                    "grade": MODEL.fit_grade(state),
                    "points": MODEL.engagement(state),
                }
            )
        bind.execute(update, values)


def downgrade() -> None:
    with op.batch_alter_table("lead") as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_fit_grade"))
        batch_op.drop_column("engagement")
        batch_op.drop_column("fit_grade")
