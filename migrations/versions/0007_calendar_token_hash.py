"""calendar feeds keep only a hash of their token

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:20:00

Issue 18: someone who reads the database must not be able to subscribe as someone else. Each
existing token is replaced by its SHA-256 (hex), so existing calendar subscriptions keep working.
"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

feeds = sa.table('calendar_feeds', sa.column('id', sa.Integer()), sa.column('token', sa.String(64)),
                 sa.column('token_hash', sa.String(64)))


def upgrade():
    with op.batch_alter_table('calendar_feeds') as batch:
        batch.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for feed_id, token in conn.execute(sa.select(feeds.c.id, feeds.c.token)).all():
        conn.execute(feeds.update().where(feeds.c.id == feed_id)
                     .values(token_hash=hashlib.sha256(token.encode()).hexdigest()))
    with op.batch_alter_table('calendar_feeds') as batch:
        batch.drop_constraint('uq_calendar_feeds_token', type_='unique')
        batch.drop_column('token')
        batch.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(batch.f('uq_calendar_feeds_token_hash'), ['token_hash'])


def downgrade():
    # A hash cannot be turned back into its token: every feed address stops working, and the
    # people renew theirs. The hashes are kept as placeholder tokens so the column stays unique.
    with op.batch_alter_table('calendar_feeds') as batch:
        batch.drop_constraint('uq_calendar_feeds_token_hash', type_='unique')
        batch.alter_column('token_hash', new_column_name='token', existing_type=sa.String(length=64),
                           existing_nullable=False)
        batch.create_unique_constraint(batch.f('uq_calendar_feeds_token'), ['token'])
