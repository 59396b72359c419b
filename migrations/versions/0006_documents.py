"""documents: the advice's archive copies (PDF/A) and the case's attachments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:30:00

Issue 16: every issued advice version keeps the PDF/A made at issue with its SHA-256
(advice_documents); files attached to a case are kept in a folder, described here
(case_attachments); the chair shares some of them with an action (advice_action_attachments).
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
    op.create_table('case_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_case_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_case_attachments_storage_key'))
    )
    op.create_index('ix_case_attachments_case_uploaded', 'case_attachments', ['case_id', 'uploaded_at'], unique=False)
    op.create_table('advice_action_attachments',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=False),
    sa.Column('shared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['advice_actions.id'], name=op.f('fk_advice_action_attachments_action_id_advice_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['attachment_id'], ['case_attachments.id'], name=op.f('fk_advice_action_attachments_attachment_id_case_attachments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_by_id'], ['users.id'], name=op.f('fk_advice_action_attachments_shared_by_id_users')),
    sa.PrimaryKeyConstraint('action_id', 'attachment_id', name=op.f('pk_advice_action_attachments'))
    )
    op.create_index(op.f('ix_advice_action_attachments_attachment_id'), 'advice_action_attachments', ['attachment_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_advice_action_attachments_attachment_id'), table_name='advice_action_attachments')
    op.drop_table('advice_action_attachments')
    op.drop_index('ix_case_attachments_case_uploaded', table_name='case_attachments')
    op.drop_table('case_attachments')
    op.drop_table('advice_documents')
