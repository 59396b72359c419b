"""documents: the advice's archive copies (PDF/A) and the case's attachments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:30:00

Issue 16: every issued advice version keeps the PDF/A made at issue with its SHA-256
(advice_documents); files attached to a case are kept in a folder, described here
(case_attachments).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('advice_documents',
    sa.Column('advice_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['advice_id'], ['advice.id'], name=op.f('fk_advice_documents_advice_id_advice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('advice_id', name=op.f('pk_advice_documents'))
    )


def downgrade():
    op.drop_table('advice_documents')
