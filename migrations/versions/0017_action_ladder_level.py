"""an action's ladder level in one column; the ladder's history from the entry into level 1; the
refusal reason once

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:00:00

``advice_actions.ladder_level`` (0 to 4) is the action's level on the escalation ladder, kept by
``advice.escalation.ladder``; it is filled by the rule the pages used to apply: the open ladder's
level, else 1 while escalated to the team and not carried out, else 0. ``advice_escalation_steps``
now belong to an action (``action_id``), so the history holds the entry into level 1 too (no
ladder past the team yet: ``escalation_id`` NULL); it is filled for the actions escalated so far,
at the moment they were escalated (or their ladder started, when that was earlier). The refusal
reason lives on the action alone: the case messages that copied it are emptied where the action
still holds the same text.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

UNSETTLED = "('confirmed', 'open', 'refused')"


def upgrade():
    # A plain ADD COLUMN on both databases (a batch copy would lose advice_actions' expression indexes).
    op.execute("ALTER TABLE advice_actions ADD COLUMN ladder_level SMALLINT DEFAULT 0 NOT NULL "
               "CONSTRAINT ck_advice_actions_ladder_level_range CHECK (ladder_level BETWEEN 0 AND 4)")
    op.execute(
        "UPDATE advice_actions SET ladder_level = COALESCE("
        " (SELECT e.level FROM advice_escalations e WHERE e.action_id = advice_actions.id AND e.closed_at IS NULL),"
        " CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END)"
        f" WHERE status IN {UNSETTLED} AND (escalated_at IS NOT NULL OR id IN"
        " (SELECT action_id FROM advice_escalations WHERE closed_at IS NULL))")

    op.add_column('advice_escalation_steps', sa.Column('action_id', sa.Integer(), nullable=True))
    op.execute("UPDATE advice_escalation_steps SET action_id = (SELECT e.action_id FROM advice_escalations e "
               "WHERE e.id = advice_escalation_steps.escalation_id)")
    with op.batch_alter_table('advice_escalation_steps') as batch:
        batch.alter_column('action_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('escalation_id', existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(op.f('fk_advice_escalation_steps_action_id_advice_actions'), 'advice_actions',
                                 ['action_id'], ['id'], ondelete='CASCADE')
    op.create_index(op.f('ix_advice_escalation_steps_action_id'), 'advice_escalation_steps', ['action_id'],
                    unique=False)
    # The entry into level 1 of every action escalated so far (one INSERT … SELECT).
    op.execute(
        "INSERT INTO advice_escalation_steps (action_id, escalation_id, from_level, to_level, at, by_id)"
        " SELECT a.id, NULL, 0, 1,"
        "  CASE WHEN e.id IS NOT NULL AND (a.escalated_at IS NULL OR e.started_at < a.escalated_at)"
        "   THEN e.started_at ELSE a.escalated_at END,"
        "  CASE WHEN a.escalation_kind = 'refused' THEN a.refused_by_id END"
        " FROM advice_actions a LEFT JOIN advice_escalations e ON e.action_id = a.id"
        " WHERE a.escalated_at IS NOT NULL OR e.id IS NOT NULL")

    op.execute(
        "UPDATE case_messages SET text = '' WHERE kind = 'action_refused' AND text <> '' AND EXISTS ("
        " SELECT 1 FROM advice_actions a JOIN advice v ON v.id = a.advice_id"
        " WHERE v.case_id = case_messages.case_id AND a.refused_reason = case_messages.text)")


def downgrade():
    # The emptied copies of refusal reasons stay empty: the actions hold the text.
    op.execute("DELETE FROM advice_escalation_steps WHERE escalation_id IS NULL")
    op.drop_index(op.f('ix_advice_escalation_steps_action_id'), table_name='advice_escalation_steps')
    with op.batch_alter_table('advice_escalation_steps') as batch:
        batch.drop_constraint(op.f('fk_advice_escalation_steps_action_id_advice_actions'), type_='foreignkey')
        batch.alter_column('escalation_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('action_id')
    op.execute("ALTER TABLE advice_actions DROP COLUMN ladder_level")  # its CHECK goes with it
