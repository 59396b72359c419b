"""Every statement of the key pages and of the timed jobs can be served by an index (PostgreSQL).

The scale seed's small size has the shape of the national one; each key page of the benchmark
(``expertteam.scale.bench_targets``) is requested as its role and every job runs once, while the
statements are recorded. Each recorded SELECT or UPDATE is then explained with sequential scans
disabled: the planner still chooses one only when no index can serve the query, so a
``Seq Scan`` on a table that grows with the years fails the test, naming the page and the
statement. Each is explained twice: with its parameters (the plan of a first run) and as the
generic plan PostgreSQL may keep for it once the driver prepared it (the app keeps prepared
statements from request to request, ``core.db.configure_postgresql``). The API's actions list is requested the same way by an API client of the busiest
organisation (``expertteam.scale.api``), with its bearer token. (On a small database the planner would rightly scan; ``enable_seqscan = off`` asks
whether it *could* do otherwise, which is what holds at national size.)
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from psycopg import sql as psql

from core.db import db
from core.jobs import registered
from core.models import User
from expertteam.scale import (
    SCALE_PASSWORD,
    Shape,
    bench_api_client,
    bench_api_targets,
    bench_targets,
    seed_scale,
)
from tests.conftest import TEST_DB, login, truncate_tables

pytestmark = pytest.mark.skipif(TEST_DB == "sqlite", reason="query plans are checked on PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_tables(app):
    """The planner's choices depend on the tables' size: start from truncated tables, not from
    the dead rows the tests before left (they empty tables by DELETE, see tests/conftest.py)."""
    truncate_tables()

#: Tables that grow with the households, the meetings and the years.
LARGE = {
    "cases", "case_domains", "case_organisations", "case_messages", "case_needs", "case_need_links",
    "case_holds", "advice", "advice_actions", "advice_cost_lines", "advice_legal_grounds",
    "advice_case_closures", "meetings", "agenda_items", "meeting_attendances", "minutes",
    "notifications", "audit_events", "users", "memberships", "job_runs",
}
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


class Recorder:
    def __init__(self):
        self.where = "?"
        self.seen: dict[str, tuple[str, object, str]] = {}

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        head = statement.lstrip().split(None, 1)[0].upper()
        if executemany or head not in ("SELECT", "UPDATE", "WITH", "DELETE"):
            return
        self.seen.setdefault(statement, (statement, parameters, self.where))


def _scans(conn, statement: str, parameters) -> set[str]:
    plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
    return {table for table in SEQ_SCAN.findall(plan) if table in LARGE}


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _generic_scans(conn, statement: str, parameters) -> set[str]:
    """The large tables scanned by the generic plan of ``statement``: the plan PostgreSQL may keep
    for a statement the driver prepared, whatever its parameters, once it ran a few times on a
    connection (``core.db.configure_postgresql``). The statement is prepared as the app's driver
    prepares it (its own parameter types) and run once, inside the test's transaction."""
    raw = conn.connection.dbapi_connection
    raw.execute("DEALLOCATE ALL")  # psycopg forgets its own prepared statements with it
    raw.execute(statement, parameters, prepare=True)
    name = raw.execute("SELECT name FROM pg_prepared_statements", prepare=False).fetchone()[0]
    # The driver numbers the parameters in order of their first appearance.
    values = [psql.Literal(parameters[key]) for key in dict.fromkeys(PLACEHOLDER.findall(statement))]
    execute = psql.SQL("EXPLAIN EXECUTE {}").format(psql.Identifier(name))
    if values:
        execute = psql.SQL("{}({})").format(execute, psql.SQL(", ").join(values))
    plan = "\n".join(row[0] for row in raw.execute(execute, prepare=False))
    return {table for table in SEQ_SCAN.findall(plan) if table in LARGE}


def test_the_generic_plan_check_sees_a_scan_no_index_can_serve(app):
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        statement = "SELECT id FROM cases WHERE reference || '' = %(reference)s"  # no index serves it
        assert _generic_scans(conn, statement, {"reference": "x"}) == {"cases"}
        assert _generic_scans(conn, "SELECT id FROM cases WHERE id = %(id)s", {"id": 1}) == set()
        conn.rollback()


def test_key_pages_and_jobs_need_no_sequential_scan_of_a_large_table(app, client):
    seed_scale(Shape(small=True), echo=lambda *_: None)
    targets = bench_targets()
    recorder = Recorder()
    signed_in = None
    sa.event.listen(db.engine, "before_cursor_execute", recorder)
    try:
        for name, (email, url) in sorted(targets.items(), key=lambda item: item[1][0]):
            if email != signed_in:
                recorder.where = "sign-in"
                login(client, db.session.scalar(sa.select(User).where(User.email == email)), SCALE_PASSWORD)
                signed_in = email
            recorder.where = f"page {name} ({url})"
            assert client.get(url).status_code == 200, name
        recorder.where = "sign-in"  # the API client and its token, as the benchmark takes them
        client_id, secret, organisation = bench_api_client()
        api_targets = bench_api_targets(organisation)
        answer = client.post("/api/v1/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(client_id, secret))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        bearer = {"Authorization": f"Bearer {answer.get_json()['access_token']}"}
        for name, url in api_targets.items():
            recorder.where = f"{name} ({url})"
            answer = client.get(url, headers=bearer)
            assert answer.status_code == 200, (name, answer.get_data(as_text=True))
            assert answer.get_json()["items"] or "?" in url, f"{name}: the client sees its organisation's actions"
        now = datetime.now(UTC)
        for job_id, job in sorted(registered(app).items()):
            if job_id.startswith("notifications."):
                continue  # sending mail needs a server; its queries are the outbox's (indexed)
            recorder.where = f"job {job_id}"
            with app.app_context():
                job.func(now)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", recorder)

    assert len(recorder.seen) > 50, "the pages and jobs were recorded"
    failures = []

    def explain(conn, scans, label: str) -> None:
        for statement, parameters, where in recorder.seen.values():
            if where == "sign-in":
                continue
            scanned = scans(conn, statement, parameters)
            if scanned:
                failures.append(f"{where}{label}: Seq Scan on {', '.join(sorted(scanned))}\n"
                                f"    {' '.join(statement.split())[:400]}")

    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        explain(conn, _scans, "")
        # The plans a connection may keep for a statement the driver prepared (each statement runs
        # once more for it, inside this transaction, which is rolled back).
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        explain(conn, _generic_scans, ", generic plan")
        conn.rollback()
    assert not failures, f"{len(failures)} statements need a sequential scan of a large table:\n" + "\n".join(failures)


#: The period's range of an index behind the pilot dashboard's heaviest figures (reports.figures,
#: reports.moments, advice.follow_through.org_figures): none reads the team's history. (The actions assigned and
#: the closures of a period have their ranges too, ``ix_advice_actions_team_assigned`` and
#: ``ix_advice_case_closures_team_closed``; on the small seed the planner may rightly read the
#: team's few rows by another of the team's indexes instead.)
DASHBOARD_PERIOD_INDEXES = {
    "ix_cases_team_submitted",  # flow, domains, organisations, repeat referrals: submitted in the period
    "ix_cases_team_intake",  # lead time submission → intake
    "ix_agenda_items_discussed",  # lead times: first discussed in the period
    "ix_advice_issued_at",  # lead times and costs: first advised in the period
    "ix_audit_events_team_action_at",  # flow and lead times: the period's audit events
    "ix_advice_actions_team_confirmed",  # trend: confirmed in the period
    "ix_advice_actions_team_settled",  # trend: done in the period
}


def test_the_dashboard_figures_read_their_period_by_index(app):
    """Each statement of ``reports.figures.compute`` for the busy team's current quarter on the
    scale seed's small size reaches the period's rows by an index range (explained with
    sequential scans disabled, as above): together they use every index of
    ``DASHBOARD_PERIOD_INDEXES`` and scan no large table."""
    from core.clock import team_today
    from core.models import Team
    from core.period import Period, preset
    from reports import figures

    seed_scale(Shape(small=True), echo=lambda *_: None)
    _email, url = bench_targets()["dashboard"]
    team = db.session.get(Team, int(re.search(r"/teams/(\d+)", url).group(1)))
    start, end = preset("this_quarter", team_today(team))
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        figures.compute(team, Period(start, end, team.timezone), datetime.now(UTC))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    used, scanned = set(), set()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
            used |= set(re.findall(r"using (\w+)", plan))
            scanned |= {table for table in SEQ_SCAN.findall(plan) if table in LARGE}
        conn.rollback()
    assert not scanned, scanned
    assert DASHBOARD_PERIOD_INDEXES <= used, (DASHBOARD_PERIOD_INDEXES - used, used)
