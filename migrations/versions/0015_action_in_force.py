"""actions carry whether their advice is in force; the open work's partial indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:20:00

``advice_actions.in_force`` is true when the action's advice is issued (not a draft, not
superseded by a correction); ``advice.action_team`` keeps it at every flush. The open work of the
follow-through pages (overdue, open, confirmed) and its counts then read two small partial indexes
of pending actions in force, in page order, instead of looking up the advice of each of a busy
team's thousands of pending actions; the figures and the timed jobs need no look-up either.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Each dialect's predicate as SQLAlchemy writes ``where(Action.in_force)`` there.
PENDING = "in_force AND status IN ('confirmed', 'open')"
PENDING_SQLITE = "in_force = 1 AND status IN ('confirmed', 'open')"
EFFECTIVE = "coalesce(deadline_extended_to, deadline)"


def upgrade():
    # A plain ADD COLUMN on both databases: SQLite's batch mode would copy the table and lose its
    # expression indexes.
    op.add_column('advice_actions', sa.Column('in_force', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE advice_actions SET in_force = EXISTS (SELECT 1 FROM advice "
               "WHERE advice.id = advice_actions.advice_id AND advice.status = 'issued')")
    for name, columns in (("team", ["team_id"]), ("org", ["team_id", "organisation_id"])):
        op.create_index(f'ix_advice_actions_{name}_pending', 'advice_actions',
                        [*columns, 'status', sa.text(EFFECTIVE), 'id'],
                        postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING_SQLITE))


def downgrade():
    op.drop_index('ix_advice_actions_org_pending', table_name='advice_actions')
    op.drop_index('ix_advice_actions_team_pending', table_name='advice_actions')
    op.drop_column('advice_actions', 'in_force')
