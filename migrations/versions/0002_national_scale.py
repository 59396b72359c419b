"""national scale: audit checkpoints, retention marker, indexes of the bounded pages and jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 13:00:00

Issue 13 (year three at national scale). Every index here serves a key query found with
EXPLAIN at national size (tests/test_query_plans.py keeps them in use):
- audit_checkpoints: the verified head of the audit chain (core.audit_verify);
- cases.anonymised_at and the partial index of cases not yet anonymised by when they ended
  (retention: "what is due" and "nothing is due" are one index range);
- every action's team (denormalised from its case): the team's figures and lists by index;
- actions per timed job (pending, not yet claimed, by effective deadline), the escalated actions
  (partial), the team's and an organisation's settled history (done or dropped, newest first), closures to ask and to note;
- notifications by user and time (and the unread ones);
- a person's cases by last change (the home's history); people by name (administration).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

PENDING_MARKERS = (("to_remind", "reminded_at"), ("to_mark_overdue", "overdue_notified_at"),
                   ("to_escalate", "escalated_at"))


def _partial(where: str) -> dict:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade():
    # --- the audit chain's verified checkpoints
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index("ix_audit_checkpoints_last_id", "audit_checkpoints", ["last_id"])
    # The chain lock row exists from now on (core.audit takes it with one UPDATE per transaction).
    op.execute("INSERT INTO audit_chain (id, rows) SELECT 1, (SELECT count(*) FROM audit_events) "
               "WHERE NOT EXISTS (SELECT 1 FROM audit_chain WHERE id = 1)")

    # --- retention: the marker, and what is due as one partial index range
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    # Cases anonymised by the former per-case job carry the marker pseudonym: mark them with the
    # time of their (last) audited anonymisation, so the job does not process them again.
    op.execute(
        "UPDATE cases SET anonymised_at = coalesce("
        "(SELECT max(e.at) FROM audit_events e WHERE e.object_type = 'case' AND e.object_id = cases.id"
        " AND e.action = 'case.anonymise'), closed_at, updated_at) "
        "WHERE household_pseudonym = '[geanonimiseerd]'"
    )
    op.create_index("ix_cases_retention_due", "cases", [sa.text("coalesce(closed_at, updated_at)")],
                    **_partial("anonymised_at IS NULL"))
    op.create_index("ix_cases_owner_updated", "cases", ["owner_id", "updated_at", "id"])
    op.create_index("ix_cases_unsubmitted", "cases", ["id"], **_partial("submitted_at IS NULL"))

    # --- every action carries its case's team (advice.action_team fills it for new actions).
    # First, before the expression indexes below: on SQLite the batch rebuilds the table, and a
    # rebuild cannot carry expression indexes over.
    with op.batch_alter_table("advice_actions") as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
    op.execute("UPDATE advice_actions SET team_id = (SELECT c.team_id FROM advice a JOIN cases c ON c.id = a.case_id "
               "WHERE a.id = advice_actions.advice_id)")
    with op.batch_alter_table("advice_actions") as batch_op:
        batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_advice_actions_team_id_teams", "teams", ["team_id"], ["id"])
    op.create_index("ix_advice_actions_team_assigned", "advice_actions", ["team_id", "assigned_at"])
    op.create_index("ix_advice_actions_team_status", "advice_actions", ["team_id", "status"])

    # --- the timed jobs: per job the pending actions it has not claimed yet, by effective deadline
    for name, marker in PENDING_MARKERS:
        op.create_index(f"ix_advice_actions_{name}", "advice_actions",
                        [sa.text("coalesce(deadline_extended_to, deadline)")],
                        **_partial(f"status IN ('confirmed', 'open') AND {marker} IS NULL"))
    op.create_index("ix_advice_case_closures_followup_to_ask", "advice_case_closures", ["followup_due_on"],
                    **_partial("followup_asked_at IS NULL AND followup_at IS NULL"))

    # --- the follow-through pages: the follow-up list and the settled history
    # An action reported done is no longer waiting for the team (advice.follow_through now clears
    # its escalation when it is done, as a decision always did): it leaves the follow-up list.
    op.execute("UPDATE advice_actions SET escalated_at = NULL "
               "WHERE escalated_at IS NOT NULL AND status IN ('done', 'dropped')")
    op.create_index("ix_advice_actions_escalated", "advice_actions", ["escalated_at", "id"],
                    **_partial("escalated_at IS NOT NULL"))
    op.create_index("ix_advice_actions_team_settled", "advice_actions",
                    ["team_id", sa.text("coalesce(done_at, decided_at)"), "id"], **_partial("status IN ('done', 'dropped')"))
    op.create_index("ix_advice_actions_org_settled", "advice_actions",
                    ["organisation_id", sa.text("coalesce(done_at, decided_at)"), "id"],
                    **_partial("status IN ('done', 'dropped')"))
    op.create_index("ix_advice_case_closures_to_note", "advice_case_closures", ["team_id", "followup_due_on", "id"],
                    **_partial("team_noted_at IS NULL"))

    # --- the administration's people list, by name
    op.create_index("ix_users_name", "users", ["name", "id"])

    # --- the pilot dashboard: a team's case events of a period
    op.create_index("ix_audit_events_team_action_at", "audit_events", ["team_id", "action", "at"])

    # --- the inbox
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"])
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "created_at", "id"],
                    **_partial("read_at IS NULL"))


def downgrade():
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index("ix_users_name", table_name="users")
    op.drop_index("ix_audit_events_team_action_at", table_name="audit_events")
    op.drop_index("ix_advice_case_closures_to_note", table_name="advice_case_closures")
    op.drop_index("ix_advice_actions_org_settled", table_name="advice_actions")
    op.drop_index("ix_advice_actions_team_settled", table_name="advice_actions")
    op.drop_index("ix_advice_actions_escalated", table_name="advice_actions")
    op.drop_index("ix_advice_case_closures_followup_to_ask", table_name="advice_case_closures")
    for name, _marker in reversed(PENDING_MARKERS):
        op.drop_index(f"ix_advice_actions_{name}", table_name="advice_actions")
    op.drop_index("ix_advice_actions_team_status", table_name="advice_actions")
    op.drop_index("ix_advice_actions_team_assigned", table_name="advice_actions")
    with op.batch_alter_table("advice_actions") as batch_op:
        batch_op.drop_constraint("fk_advice_actions_team_id_teams", type_="foreignkey")
        batch_op.drop_column("team_id")
    op.drop_index("ix_cases_unsubmitted", table_name="cases")
    op.drop_index("ix_cases_owner_updated", table_name="cases")
    op.drop_index("ix_cases_retention_due", table_name="cases")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("anonymised_at")
    op.drop_index("ix_audit_checkpoints_last_id", table_name="audit_checkpoints")
    op.drop_table("audit_checkpoints")
