"""financing: pay-for-success agreements, the cases a team marks for one, the ledger book

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:00:00

Issue 19: a team's financing agreements (financier, period, scope, price, success rule), the
marking table for agreements that cover the cases the team marks, and the append-only ledger
book (entries and corrections, derived from the recorded outcomes by financing.ledger.book).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('financing_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('financier', sa.String(length=160), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('scope', sa.Enum('accepted', 'marked', name='scope', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('price_kind', sa.Enum('fixed', 'costs', name='pricekind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('cap_cents', sa.Integer(), nullable=True),
    sa.Column('partial_share_percent', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('missing_rule', sa.Enum('nothing', 'partial', 'full', name='missingrule', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('cap_cents IS NULL OR cap_cents >= 0', name=op.f('ck_financing_agreements_cap_not_negative')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_financing_agreements_period_in_order')),
    sa.CheckConstraint('grace_days >= 0', name=op.f('ck_financing_agreements_grace_not_negative')),
    sa.CheckConstraint('partial_share_percent BETWEEN 0 AND 100', name=op.f('ck_financing_agreements_share_is_percent')),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_financing_agreements_price_not_negative')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_financing_agreements_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_agreements'))
    )
    with op.batch_alter_table('financing_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_agreements_team_id'), ['team_id'], unique=False)

    op.create_table('financing_cases',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['financing_agreements.id'], name=op.f('fk_financing_cases_agreement_id_financing_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_financing_cases_case_id_cases')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_financing_cases_marked_by_id_users')),
    sa.PrimaryKeyConstraint('agreement_id', 'case_id', name=op.f('pk_financing_cases'))
    )
    with op.batch_alter_table('financing_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financing_cases_case_id'), ['case_id'], unique=False)

    op.create_table('financing_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('entry', 'correction', name='entrykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('running', 'success', 'partial', 'no_success', 'followup_missing', name='ledgerstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('delta_cents', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['financing_agreements.id'], name=op.f('fk_financing_ledger_agreement_id_financing_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_financing_ledger_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing_ledger'))
    )
    with op.batch_alter_table('financing_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_financing_ledger_agreement_booked', ['agreement_id', 'booked_on'], unique=False)
        batch_op.create_index('ix_financing_ledger_agreement_case', ['agreement_id', 'case_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_financing_ledger_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('financing_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_ledger_case_id'))
        batch_op.drop_index('ix_financing_ledger_agreement_case')
        batch_op.drop_index('ix_financing_ledger_agreement_booked')

    op.drop_table('financing_ledger')
    with op.batch_alter_table('financing_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_cases_case_id'))

    op.drop_table('financing_cases')
    with op.batch_alter_table('financing_agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_financing_agreements_team_id'))

    op.drop_table('financing_agreements')
