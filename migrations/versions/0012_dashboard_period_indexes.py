"""indexes of the pilot dashboard's period

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:30:00

The national-scale benchmark of the pilot dashboard (reports.figures, advice.org_figures): each
figure reads the rows of its period, not the team's history: the cases submitted and taken in
during the period, the closures recorded in it, the actions confirmed in it and the agenda items
marked discussed in it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_cases_team_submitted', 'cases', ['team_id', 'submitted_at'])
    op.create_index('ix_cases_team_intake', 'cases', ['team_id', 'intake_at'])
    op.create_index('ix_advice_case_closures_team_closed', 'advice_case_closures',
                    ['team_id', 'closed_at', 'outcome', 'followup_result'])
    op.create_index('ix_advice_actions_team_confirmed', 'advice_actions', ['team_id', 'confirmed_at'])
    op.create_index('ix_agenda_items_discussed', 'agenda_items', ['outcome_at', 'meeting_id', 'case_id'],
                    postgresql_where=sa.text("outcome = 'discussed'"), sqlite_where=sa.text("outcome = 'discussed'"))


def downgrade():
    op.drop_index('ix_agenda_items_discussed', table_name='agenda_items')
    op.drop_index('ix_advice_actions_team_confirmed', table_name='advice_actions')
    op.drop_index('ix_advice_case_closures_team_closed', table_name='advice_case_closures')
    op.drop_index('ix_cases_team_intake', table_name='cases')
    op.drop_index('ix_cases_team_submitted', table_name='cases')
