"""one plan, one coordinator; lessons for the system

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 17:00:00

Issue 17 parts 2 and 3: the plan of an advice (coordinator, the household's goals for the coming
year, how progress is checked), the coordinator's progress notes, the three-month evaluation per
goal; the team's list of what blocks cases and the signals recorded per blockage of an issued
advice. New tables only: existing advice keeps its content and hash (no plan row, no plan in the
canonical content).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'advice_plans',
        sa.Column('advice_id', sa.Integer(), nullable=False),
        sa.Column('coordinator_id', sa.Integer(), nullable=True),
        sa.Column('year_goals', sa.Text(), nullable=False),
        sa.Column('progress_check', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['advice_id'], ['advice.id'], name=op.f('fk_advice_plans_advice_id_advice'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['coordinator_id'], ['users.id'], name=op.f('fk_advice_plans_coordinator_id_users')),
        sa.PrimaryKeyConstraint('advice_id', name=op.f('pk_advice_plans')),
    )
    op.create_table(
        'advice_plan_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_advice_plan_notes_author_id_users')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_advice_plan_notes_case_id_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_plan_notes')),
    )
    op.create_index('ix_advice_plan_notes_case_created', 'advice_plan_notes', ['case_id', 'created_at', 'id'])
    op.create_table(
        'advice_plan_goal_reviews',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('goal', sa.Text(), nullable=False),
        sa.Column('reached', sa.Boolean(), nullable=False),
        sa.Column('holds', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_advice_plan_goal_reviews_case_id_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'position', name=op.f('pk_advice_plan_goal_reviews')),
    )
    op.create_table(
        'advice_signal_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('rule', 'law', 'procedure', 'organisation', name='sourcekind', native_enum=False,
                                  create_constraint=True, length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_advice_signal_sources_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_signal_sources')),
        sa.UniqueConstraint('team_id', 'kind', 'name', name='uq_advice_signal_sources_team_kind_name'),
    )
    op.create_index(op.f('ix_advice_signal_sources_team_id'), 'advice_signal_sources', ['team_id'])
    op.create_table(
        'advice_blockage_signals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('advice_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('free_text', sa.String(length=500), nullable=False),
        sa.Column('deviates', sa.Boolean(), nullable=False),
        sa.Column('deviation_ground', sa.String(length=1000), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['advice_id'], ['advice.id'], name=op.f('fk_advice_blockage_signals_advice_id_advice'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['need_id'], ['case_needs.id'], name=op.f('fk_advice_blockage_signals_need_id_case_needs'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_advice_blockage_signals_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['source_id'], ['advice_signal_sources.id'], name=op.f('fk_advice_blockage_signals_source_id_advice_signal_sources')),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_advice_blockage_signals_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_blockage_signals')),
    )
    op.create_index(op.f('ix_advice_blockage_signals_advice_id'), 'advice_blockage_signals', ['advice_id'])
    op.create_index(op.f('ix_advice_blockage_signals_source_id'), 'advice_blockage_signals', ['source_id'])
    op.create_index('ix_advice_blockage_signals_team_recorded', 'advice_blockage_signals', ['team_id', 'recorded_at'])


def downgrade():
    op.drop_index('ix_advice_blockage_signals_team_recorded', table_name='advice_blockage_signals')
    op.drop_index(op.f('ix_advice_blockage_signals_source_id'), table_name='advice_blockage_signals')
    op.drop_index(op.f('ix_advice_blockage_signals_advice_id'), table_name='advice_blockage_signals')
    op.drop_table('advice_blockage_signals')
    op.drop_index(op.f('ix_advice_signal_sources_team_id'), table_name='advice_signal_sources')
    op.drop_table('advice_signal_sources')
    op.drop_table('advice_plan_goal_reviews')
    op.drop_index('ix_advice_plan_notes_case_created', table_name='advice_plan_notes')
    op.drop_table('advice_plan_notes')
    op.drop_table('advice_plans')
