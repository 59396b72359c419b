"""the moment the escalation ladder started

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:40:00

The ladder (0009) came to installations with years of history: on its first night every action
escalated to the team long ago and still unsettled climbed to the director at once. One row
records when the ladder started; the job counts the team's days from it for actions escalated
before. Recorded here, at the upgrade, only when actions were escalated already (else nothing
needs it: a new installation has the ladder from the start). Where the ladder ran before this
revision, its first run (or its first escalation) is the start, so nothing waits twice.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

#: The start: the ladder's first run or first escalation if it ran before, else now; only where
#: actions were escalated already (tested in tests/advice/test_escalation_start.py).
RECORD_START = sa.text(
    "INSERT INTO advice_ladder_start (id, started_at) "
    "SELECT 1, coalesce((SELECT min(t) FROM ("
    "  SELECT started_at AS t FROM job_runs WHERE job_id = 'advice.escalation_ladder'"
    "  UNION ALL SELECT started_at FROM advice_escalations) AS ran), :now) "
    "WHERE EXISTS (SELECT 1 FROM advice_actions WHERE escalated_at IS NOT NULL)"
).bindparams(sa.bindparam("now", type_=sa.DateTime()))


def upgrade():
    op.create_table(
        'advice_ladder_start',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_advice_ladder_start_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_ladder_start')),
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC (core.db.UTCDateTime)
    op.get_bind().execute(RECORD_START, {"now": now})


def downgrade():
    op.drop_table('advice_ladder_start')
