"""indexes of the API's actions list

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:00:00

Issue 14, the national-scale benchmark: an organisation's actions in a team by id (each page of
GET /api/v1/actions reads one page, whatever the history), and the advice issued or corrected
since a moment (its ``updatedSince`` filter asks the advice once, by these two indexes).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_advice_actions_contact', 'advice_actions', ['team_id', 'organisation_id', 'id'])
    op.create_index('ix_advice_issued_at', 'advice', ['issued_at'])
    op.create_index('ix_advice_superseded_at', 'advice', ['superseded_at'])


def downgrade():
    op.drop_index('ix_advice_superseded_at', table_name='advice')
    op.drop_index('ix_advice_issued_at', table_name='advice')
    op.drop_index('ix_advice_actions_contact', table_name='advice_actions')
