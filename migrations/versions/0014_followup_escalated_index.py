"""the follow-up list's escalated actions of a team, oldest first

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 19:05:00

The follow-up list (advice.follow_through.follow_up_items, on the meeting page and its own page)
shows a team's escalated actions still waiting for its decision, oldest first, a page at a time.
With this partial index the page is read in its order and stops after one page, instead of
joining and sorting every waiting action of the team (2,481 in the national seed's busy team).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

WAITING = "escalated_at IS NOT NULL AND status IN ('confirmed', 'open', 'refused')"


def upgrade():
    op.create_index('ix_advice_actions_team_escalated', 'advice_actions', ['team_id', 'escalated_at', 'id'],
                    postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))


def downgrade():
    op.drop_index('ix_advice_actions_team_escalated', table_name='advice_actions')
