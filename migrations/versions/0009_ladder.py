"""the escalation ladder; prices with a source, retention per result, repeat referrals

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:30:00

Issue 17, parts 1 and 5: an action's climb past the team (advice_escalations, with its steps),
the ladder's days per level in the team's settings, the director-level escalation contact on
each commitment.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _where(text):
    return {"postgresql_where": sa.text(text), "sqlite_where": sa.text(text)}


def _retention_index():
    """The expression index a batch on SQLite cannot carry over (dropped before, made after)."""
    op.create_index('ix_cases_retention_due', 'cases', [sa.text("coalesce(closed_at, updated_at)")],
                    **_where('anonymised_at IS NULL'))


def upgrade():
    op.drop_index('ix_cases_retention_due', table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('repeat_of_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('repeat_within_year', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_foreign_key(batch.f('fk_cases_repeat_of_id_cases'), 'cases', ['repeat_of_id'], ['id'], ondelete='SET NULL')
    _retention_index()
    op.create_table('case_retention_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.Enum('declined', 'withdrawn', 'closed', name='caseresult', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('archive_category', sa.String(length=200), nullable=False),
    sa.Column('confirmed_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('years BETWEEN 1 AND 30', name=op.f('ck_case_retention_terms_years_range')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_case_retention_terms_team_id_teams')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_case_retention_terms_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_retention_terms')),
    sa.UniqueConstraint('team_id', 'result', name='uq_case_retention_terms_team_result')
    )
    with op.batch_alter_table('advice_interventions') as batch:
        batch.add_column(sa.Column('price_year', sa.Integer(), nullable=True))
    with op.batch_alter_table('advice_cost_lines') as batch:
        batch.add_column(sa.Column('price_year', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('catalogue_cost_cents', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('deviation_reason', sa.String(length=300), server_default='', nullable=False))
    with op.batch_alter_table('advice_settings') as batch:
        batch.add_column(sa.Column('ladder_team_days', sa.Integer(), server_default='14', nullable=False))
        batch.add_column(sa.Column('ladder_director_days', sa.Integer(), server_default='10', nullable=False))
        batch.add_column(sa.Column('ladder_steering_days', sa.Integer(), server_default='28', nullable=False))
    with op.batch_alter_table('commitments') as batch:
        batch.add_column(sa.Column('escalation_name', sa.String(length=160), server_default='', nullable=False))
        batch.add_column(sa.Column('escalation_email', sa.String(length=254), server_default='', nullable=False))
    op.create_table('advice_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('level_since', sa.DateTime(), nullable=False),
    sa.Column('level_due_on', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('director_name', sa.String(length=160), nullable=False),
    sa.Column('director_email', sa.String(length=254), nullable=False),
    sa.Column('director_mail_claimed_at', sa.DateTime(), nullable=True),
    sa.Column('director_mailed_at', sa.DateTime(), nullable=True),
    sa.Column('director_mail_error', sa.String(length=500), nullable=False),
    sa.Column('director_answer', sa.Enum('carry_out', 'explain', name='directoranswer', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('director_explanation', sa.Text(), nullable=False),
    sa.Column('director_answered_at', sa.DateTime(), nullable=True),
    sa.Column('steering_referred_on', sa.Date(), nullable=True),
    sa.Column('steering_outcome', sa.Text(), nullable=False),
    sa.Column('steering_outcome_at', sa.DateTime(), nullable=True),
    sa.Column('national_sent_on', sa.Date(), nullable=True),
    sa.CheckConstraint('level BETWEEN 2 AND 4', name=op.f('ck_advice_escalations_level_range')),
    sa.ForeignKeyConstraint(['action_id'], ['advice_actions.id'], name=op.f('fk_advice_escalations_action_id_advice_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_advice_escalations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_advice_escalations_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_escalations')),
    sa.UniqueConstraint('action_id', name=op.f('uq_advice_escalations_action_id'))
    )
    op.create_index(op.f('ix_advice_escalations_organisation_id'), 'advice_escalations', ['organisation_id'], unique=False)
    op.create_index('ix_advice_escalations_open', 'advice_escalations', ['level_due_on', 'id'], unique=False,
                    **_where('closed_at IS NULL'))
    op.create_index('ix_advice_escalations_team_started', 'advice_escalations', ['team_id', 'started_at'], unique=False)
    op.create_index('ix_advice_escalations_director_mail', 'advice_escalations', ['id'], unique=False,
                    **_where("director_mailed_at IS NULL AND director_email <> ''"))
    op.create_table('advice_escalation_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('from_level', sa.Integer(), nullable=False),
    sa.Column('to_level', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_advice_escalation_steps_by_id_users')),
    sa.ForeignKeyConstraint(['escalation_id'], ['advice_escalations.id'], name=op.f('fk_advice_escalation_steps_escalation_id_advice_escalations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_escalation_steps'))
    )
    op.create_index(op.f('ix_advice_escalation_steps_escalation_id'), 'advice_escalation_steps', ['escalation_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_advice_escalation_steps_escalation_id'), table_name='advice_escalation_steps')
    op.drop_table('advice_escalation_steps')
    op.drop_index('ix_advice_escalations_director_mail', table_name='advice_escalations')
    op.drop_index('ix_advice_escalations_team_started', table_name='advice_escalations')
    op.drop_index('ix_advice_escalations_open', table_name='advice_escalations')
    op.drop_index(op.f('ix_advice_escalations_organisation_id'), table_name='advice_escalations')
    op.drop_table('advice_escalations')
    with op.batch_alter_table('commitments') as batch:
        batch.drop_column('escalation_email')
        batch.drop_column('escalation_name')
    with op.batch_alter_table('advice_settings') as batch:
        batch.drop_column('ladder_steering_days')
        batch.drop_column('ladder_director_days')
        batch.drop_column('ladder_team_days')
    with op.batch_alter_table('advice_cost_lines') as batch:
        batch.drop_column('deviation_reason')
        batch.drop_column('catalogue_cost_cents')
        batch.drop_column('price_year')
    with op.batch_alter_table('advice_interventions') as batch:
        batch.drop_column('price_year')
    op.drop_table('case_retention_terms')
    op.drop_index('ix_cases_retention_due', table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_constraint(batch.f('fk_cases_repeat_of_id_cases'), type_='foreignkey')
        batch.drop_column('repeat_within_year')
        batch.drop_column('repeat_of_id')
    _retention_index()
