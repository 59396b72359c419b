"""audit checkpoints sealed and numbered; where the rotating slice of the nightly check stands

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 09:00:00

``audit_checkpoints`` gains ``seq`` (a gap shows a removed checkpoint), ``seal`` (an HMAC over
every field with a key outside the database, ``core.audit_seal``) and the position of the rotating
slice the nightly check re-verifies (``swept_id``, ``swept_hash``, ``swept_count``, ``sweep_run``).
Existing checkpoints stay unsealed: this migration has no key and seals nothing. Until
``flask --app expertteam audit seal`` walks the chain and seals them (once, after the upgrade),
every check reports them as not intact.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases (no batch copy of the table).
    op.add_column('audit_checkpoints', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('audit_checkpoints', sa.Column('swept_id', sa.BigInteger(), nullable=True))
    op.add_column('audit_checkpoints', sa.Column('swept_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_checkpoints', sa.Column('swept_count', sa.BigInteger(), nullable=True))
    op.add_column('audit_checkpoints', sa.Column('sweep_run', sa.Integer(), server_default=sa.text('0'),
                                                 nullable=False))
    op.add_column('audit_checkpoints', sa.Column('seal', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_checkpoints') as batch_op:
        for name in ('seal', 'sweep_run', 'swept_count', 'swept_hash', 'swept_id', 'seq'):
            batch_op.drop_column(name)
