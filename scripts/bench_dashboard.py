"""Benchmark: the pilot dashboard for a team with 5,000 cases (prints the figures and times; not a
test).

Builds a team with two years of history by bulk inserts (cases, domains, organisations, audit
events, meetings and agenda items, issued advice with actions and cost lines, closures) in a
temporary SQLite file and, when PostgreSQL answers, in a temporary PostgreSQL database (dropped
afterwards); then times ``reports.figures.compute`` and the whole dashboard page (figures and
template) for one quarter, one year and the two years.

Run: .venv/bin/python scripts/bench_dashboard.py [--cases 5000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import db  # noqa: E402
from expertteam import create_app  # noqa: E402

UTC = timezone.utc


def populate(n_cases: int, seed: int = 8, code: str = "BEN") -> int:
    """Bulk-insert the history of one team (``code`` makes its names unique); returns the team id."""
    from advice.closure.models import CaseClosure
    from advice.models import Action, Advice, CostLine
    from casefiles.models import Case, CaseDomain, CaseOrganisation
    from core.audit import AuditEvent
    from core.models import Commitment, Domain, Membership, Organisation, Team, User
    from meeting.models import AgendaItem, Meeting

    rng = random.Random(seed)
    ins = lambda model, rows: rows and db.session.execute(sa.insert(model), rows)  # noqa: E731
    tag = "" if code == "BEN" else code.lower()
    team = Team(name=f"Bench team {tag}".strip(), municipality=f"Benchstad {tag}".strip(), code=code)
    chair = User(email=f"chair{tag}@bench.test", name="Chair", password_hash="x")
    owner = User(email=f"owner{tag}@bench.test", name="Owner", password_hash="x")
    db.session.add_all([team, chair, owner])
    db.session.flush()
    db.session.add_all([Membership(user_id=chair.id, team_id=team.id, role="chair"),
                        Membership(user_id=owner.id, team_id=team.id, role="case_owner")])
    orgs = [Organisation(name=f"Organisation {i:02d} {tag}".strip()) for i in range(12)]
    db.session.add_all(orgs)
    db.session.flush()
    db.session.add_all([Commitment(team_id=team.id, organisation_id=o.id, committed_on=date(2024, 1, 1)) for o in orgs])
    db.session.flush()

    start = datetime(2024, 12, 1, 8, tzinfo=UTC)
    span = 2 * 365
    # One meeting a week over the period (Tuesday 09:00 local is near enough).
    meeting_ids = []
    for w in range(span // 7 + 12):
        at = start + timedelta(days=7 * w)
        meeting_ids.append((at, len(meeting_ids)))
    ins(Meeting, [dict(team_id=team.id, starts_at=at, ends_at=at + timedelta(hours=3), slot_at=at,
                       cutoff_at=at - timedelta(days=4), status="closed", kind="regular", location="",
                       cancel_reason="", sequence=0, minutes_text="", minutes_version=0, held_at=at)
                  for at, _ in meeting_ids])
    meeting_by_week = dict(enumerate(db.session.scalars(
        sa.select(Meeting.id).where(Meeting.team_id == team.id).order_by(Meeting.starts_at)).all()))

    domains = list(Domain)
    cases, case_domains, case_orgs, audits, items, advices, closures = [], [], [], [], [], [], []
    plans = []
    for i in range(n_cases):
        submitted = start + timedelta(days=rng.uniform(0, span))
        intake = submitted + timedelta(days=rng.uniform(0.5, 10))
        r = rng.random()
        status = "accepted"
        path = {"intake": True}
        if r < 0.08:
            status, path = "declined", {"intake": True, "declined": True}
        elif r < 0.12:
            status, path = "returned", {"returned": True}
        elif r < 0.15:
            status, path = "withdrawn", {"withdrawn": True}
        else:
            week = int((intake - start).days / 7) + 1 + rng.randint(0, 5)
            discussed = start + timedelta(days=7 * week)
            if discussed < datetime(2026, 11, 20, tzinfo=UTC):
                path.update(discussed=discussed, week=week)
                issued = discussed + timedelta(days=rng.uniform(0.1, 6))
                path["issued"] = issued
                status = "in_execution"
                if rng.random() < 0.7:
                    completed = issued + timedelta(days=rng.uniform(10, 90))
                    path["completed"] = completed
                    status = "completed"
                    if rng.random() < 0.8:
                        path["closed"] = completed + timedelta(days=rng.uniform(1, 20))
                        status = "closed"
        cases.append(dict(team_id=team.id, owner_id=owner.id, year=submitted.year, number=i + 1,
                          reference=f"{code}-{submitted.year}-{i + 1:05d}", status=status, household_pseudonym=f"Gezin {i}",
                          household_composition="", tried="", blockage="", household_goal="", question="",
                          proposed_invitees="", urgency="normal", consent_note="", submitted_at=submitted,
                          intake_at=intake if path.get("intake") else None,
                          queued_at=intake if path.get("intake") else None, queue_priority=0, version=1,
                          created_at=submitted, updated_at=submitted))
        plans.append(path)
    ins(Case, cases)
    case_ids = db.session.scalars(sa.select(Case.id).where(Case.team_id == team.id).order_by(Case.number)).all()

    actions, lines = [], []
    for cid, c, path in zip(case_ids, cases, plans):
        for d in rng.sample(domains, rng.randint(1, 3)):
            case_domains.append(dict(case_id=cid, domain=d.value))
        for o in rng.sample(orgs, rng.randint(0, 3)):
            case_orgs.append(dict(case_id=cid, organisation_id=o.id))

        def audit(action, at):
            audits.append(dict(at=at, team_id=team.id, action=action, object_type="case", object_id=cid,
                               result="ok", details={}))
        audit("case.submit", c["submitted_at"])
        if path.get("returned"):
            audit("case.return", c["submitted_at"] + timedelta(days=2))
        if path.get("withdrawn"):
            audit("case.withdraw", c["submitted_at"] + timedelta(days=3))
        if path.get("intake"):
            audit("case.decline" if path.get("declined") else "case.accept", c["intake_at"])
        if "discussed" in path:
            audit("case.schedule", path["discussed"] - timedelta(days=3))
            audit("case.discuss", path["discussed"])
            items.append(dict(meeting_id=meeting_by_week[path["week"]], case_id=cid, position=1,
                              starts_at=path["discussed"], duration_minutes=45, presenter_invited=True,
                              outcome="discussed", outcome_at=path["discussed"], notes="", notes_version=0))
            audit("case.advise", path["issued"])
            advices.append((cid, path))
        if "completed" in path:
            audit("case.complete", path["completed"])
        if "closed" in path:
            audit("case.close", path["closed"])
            closures.append(dict(case_id=cid, team_id=team.id, outcome=rng.choice(["reached", "reached", "partly", "not"]),
                                 note="", closed_at=path["closed"], closed_by_id=owner.id,
                                 evaluation_due_on=(path["closed"] + timedelta(days=91)).date(),
                                 evaluation_result=rng.choice([None, "held", "held", "partly", "not"]),
                                 evaluation_note="", team_note=""))
    ins(CaseDomain, case_domains)
    ins(CaseOrganisation, case_orgs)
    ins(AuditEvent, audits)
    ins(AgendaItem, items)
    ins(CaseClosure, closures)
    ins(Advice, [dict(case_id=cid, version=1, status="issued", situation="", blockage="", advice_text="",
                      legal_free_text="", correction_reason="", lock_version=1, created_at=p["issued"],
                      updated_at=p["issued"], issued_at=p["issued"], meeting_id=meeting_by_week[p["week"]])
                 for cid, p in advices])
    advice_ids = dict(db.session.execute(
        sa.select(Advice.case_id, Advice.id).where(Advice.case_id.in_([cid for cid, _p in advices]))).all())
    for cid, p in advices:
        aid = advice_ids[cid]
        for o in rng.sample(orgs, rng.randint(1, 3)):
            deadline = (p["issued"] + timedelta(days=14)).date()
            confirmed = p["issued"] + timedelta(days=rng.uniform(0.2, 8)) if rng.random() < 0.85 else None
            done_on = deadline + timedelta(days=rng.randint(-10, 10)) if "completed" in p else None
            actions.append(dict(advice_id=aid, organisation_id=o.id, team_id=team.id, description="", deadline=deadline,
                                status="done" if done_on else ("confirmed" if confirmed else "open"),
                                assigned_at=p["issued"], confirmed_at=confirmed, done_on=done_on,
                                done_at=datetime.combine(done_on, datetime.min.time(), UTC) + timedelta(hours=12) if done_on else None,
                                done_note="", refused_reason="", team_decision_note="", version=1))
        lines.append(dict(advice_id=aid, side="current", name="Eviction", unit="", unit_cost_cents=2_000_000,
                          source="", is_example=True, quantity_hundredths=rng.choice([25, 50, 100])))
        lines.append(dict(advice_id=aid, side="breakthrough", name="Debt settlement", unit="", unit_cost_cents=350_000,
                          source="", is_example=True, quantity_hundredths=100))
    ins(Action, actions)
    ins(CostLine, lines)
    db.session.commit()
    print(f"  {n_cases} cases, {len(audits)} audit events, {len(items)} agenda items, {len(advices)} advice, "
          f"{len(actions)} actions, {len(lines)} cost lines, {len(closures)} closures")
    return team.id


def bench(url: str, label: str, n_cases: int, repeat: int = 5, teams: int = 1, total: int = 0) -> None:
    from flask import render_template
    from flask_login import login_user

    from core.models import Team, User
    from core.period import Period
    from reports import dashboard, figures

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SERVER_NAME": "bench.test"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        print(f"== {label}")
        t0 = time.perf_counter()
        team_id = populate(n_cases)
        # The other teams of the country (national scale: --teams 45 --total 100000), so the
        # busy team's figures are read out of a country's history, not a table of its own.
        for k in range(1, teams):
            populate(max(0, total - n_cases) // max(1, teams - 1), seed=8 + k, code=f"T{k:02d}")
        print(f"  populated in {time.perf_counter() - t0:.1f} s")
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        team = db.session.get(Team, team_id)
        chair = db.session.scalar(sa.select(User).where(User.email == "chair@bench.test"))
        now = datetime(2026, 11, 23, 12, tzinfo=UTC)
        for name, period in (("quarter 2026-Q3", Period(date(2026, 7, 1), date(2026, 9, 30))),
                             ("year 2025", Period(date(2025, 1, 1), date(2025, 12, 31))),
                             ("two years", Period(date(2024, 12, 1), date(2026, 11, 30)))):
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                fig = figures.compute(team, period, now)
                times.append(time.perf_counter() - t)
            qs = f"from={period.start}&to={period.end}"
            page_times = []
            for _ in range(repeat):
                with app.test_request_context(f"/dashboard/teams/{team_id}?{qs}"):
                    login_user(chair)
                    t = time.perf_counter()
                    html = render_template("reports/index.html", teams=[team], norm_form=None,
                                           **dashboard._context(team, exact=True))
                    page_times.append(time.perf_counter() - t)
            lt = fig.lead_times
            print(f"  {name:16s} figures {min(times) * 1000:7.1f} ms (median of {repeat}: "
                  f"{sorted(times)[repeat // 2] * 1000:.1f} ms); whole page {min(page_times) * 1000:7.1f} ms, "
                  f"{len(html) // 1024} KiB")
            print(f"      flow {fig.flow.counts} waiting now {fig.flow.waiting_now}")
            print("      lead times (n, median, p90): "
                  + ", ".join(f"{k} ({v.count}, {v.median}, {v.p90})" for k, v in lt.items())
                  + f"; over norm {lt['waiting'].over_norm}")
            t = fig.follow_through_total
            print(f"      actions {t.total}: confirmed {t.confirmed}, on time {t.done_on_time}, late {t.done_late}, "
                  f"open {t.open}, overdue {t.overdue}; closed {fig.outcomes.closed}; "
                  f"{len(fig.domains)} domain combinations; costs {fig.costs.cases} cases, "
                  f"net € {fig.costs.net_cents / 100:,.2f}")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000, help="cases of the team measured")
    parser.add_argument("--teams", type=int, default=1, help="teams in all (the others share --total)")
    parser.add_argument("--total", type=int, default=0, help="cases in the country, all teams together")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server to make a temporary database on ('' to skip)")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite:///" + os.path.join(tmp, "bench.sqlite3"), "SQLite (temporary file)", args.cases,
                  teams=args.teams, total=args.total)
    if not args.pg:
        return
    admin_url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"bench_dashboard_{os.getpid()}"
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: SQLite alone
        print(f"== PostgreSQL not reachable ({type(exc).__name__}); skipped")
        return
    try:
        bench(admin_url.rsplit("/", 1)[0] + "/" + name, f"PostgreSQL (temporary database {name})", args.cases,
              teams=args.teams, total=args.total)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
