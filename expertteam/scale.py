"""A national-scale seed for the benchmark (``flask --app expertteam seed-scale``).

Fills an EMPTY PostgreSQL database with three years of history in minutes: 45 teams, about
10,000 people, 100,000 cases (one busy team with 11,000), about 550,000 actions, 12,000
meetings, 1.2 million notifications and 3 million audit rows whose hash chain verifies. Rows are
made in Python in chunks of cases and written with COPY (``scale_copy``); the audit chain is
hashed with ``core.audit.row_hash``, as the app does. ``--small`` makes the same shape with a
handful of cases, for the benchmark's "small size" column.

Every benchmark user has the password ``SCALE_PASSWORD`` and the TOTP secret ``SCALE_TOTP``.
``bench_targets`` names the user and object of each key page (used by scripts/bench_scale.py
and the tests).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from core.audit_verify import seal_chain
from core.clock import DEFAULT_ZONE
from core.db import db
from core.models import Domain

from .scale_copy import Copier

SCALE_PASSWORD = "scale-bench-password"
SCALE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DOMAIN = "@scale.example"
HISTORY_DAYS = 3 * 365
ORGS_PER_TEAM = 12
DOMAINS = list(Domain)
#: Tables whose plain indexes the national seed builds after the load.
BIG_TABLES = ["audit_events", "notifications", "advice_actions", "cases", "case_domains", "agenda_items", "advice",
              "advice_cost_lines", "advice_legal_grounds", "meeting_attendances", "case_needs", "case_need_links"]


class SeedRefused(RuntimeError):
    """The database is not PostgreSQL, or not empty."""


@dataclass
class Shape:
    teams: int = 45
    cases: int = 100_000
    small: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(second=0, microsecond=0))

    def __post_init__(self) -> None:
        if self.small:
            self.teams, self.cases = min(self.teams, 2), min(self.cases, 10)
        self.teams = max(1, self.teams)
        self.cases = max(self.teams, self.cases)
        staff = 3 + len(DOMAINS) + 2 * ORGS_PER_TEAM
        self.owners = 3 if self.small else max(3, round((10_000 - 1 - self.teams * staff) / self.teams))
        self.block = staff + self.owners  # user ids per team
        if self.cases >= self.teams * 100 and self.teams > 1:
            busy = round(self.cases * 0.11)
            rest = self.cases - busy
            per, extra = divmod(rest, self.teams - 1)
            self.team_cases = [busy] + [per + (1 if i < extra else 0) for i in range(self.teams - 1)]
        else:
            per, extra = divmod(self.cases, self.teams)
            self.team_cases = [per + (1 if i < extra else 0) for i in range(self.teams)]
        # Meetings in proportion to cases (12,000 at 100,000 cases), at most one a week.
        self.spacing = [min(7.0, HISTORY_DAYS / max(1.0, 12_000 * n / 100_000)) for n in self.team_cases]
        self.today = self.now.date()
        self.anchor = datetime.combine(self.today + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=8)

    # --- ids, laid out so every row can be computed without asking the database ---------------
    def user(self, team: int, offset: int) -> int:
        return 2 + (team - 1) * self.block + offset  # id 1 is the administrator

    def chair(self, team: int) -> int:
        return self.user(team, 0)

    def secretary(self, team: int) -> int:
        return self.user(team, 1)

    def municipality(self, team: int) -> int:
        return self.user(team, 2)

    def expert(self, team: int, d: int) -> int:
        return self.user(team, 3 + d)

    def contact(self, team: int, org_index: int, which: int = 0) -> int:
        return self.user(team, 3 + len(DOMAINS) + 2 * org_index + which)

    def owner(self, team: int, n: int) -> int:
        return self.user(team, 3 + len(DOMAINS) + 2 * ORGS_PER_TEAM + n % self.owners)

    def org(self, team: int, index: int) -> int:
        return (team - 1) * ORGS_PER_TEAM + index % ORGS_PER_TEAM + 1

    def code(self, team: int) -> str:
        return f"T{team:02d}"

    # --- meetings: slot j of a team (j < 0 past, j >= 0 the next eight) ------------------------
    def past_meetings(self, team: int) -> int:
        return int(HISTORY_DAYS / self.spacing[team - 1]) + 2

    def meeting_start(self, team: int, j: int) -> datetime:
        step = self.spacing[team - 1] if j < 0 else 7.0
        minutes = round(step * 24 * 60 * j)
        return self.anchor + timedelta(minutes=minutes)

    def meeting_id(self, team: int, j: int) -> int:
        base = sum(self.past_meetings(t) + 8 for t in range(1, team))
        return base + self.past_meetings(team) + j + 1

    @staticmethod
    def cancelled(j: int) -> bool:
        return j < -1 and j % 25 == 0


def email(kind: str, team: int | None = None, *parts) -> str:
    bits = [kind, *(str(p) for p in parts)] + ([f"t{team:02d}"] if team else [])
    return ".".join(bits) + DOMAIN


def check_empty(conn) -> None:
    if conn.dialect.name != "postgresql":
        raise SeedRefused("seed-scale fills PostgreSQL only (set DATABASE_URL to a PostgreSQL database).")
    tables = sa.inspect(conn).get_table_names()
    for name in ("users", "teams", "cases", "audit_events"):
        if name in tables and conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {name})")).scalar():
            raise SeedRefused(f"the database is not empty (table {name} has rows); seed-scale fills an empty database only.")


def ensure_schema() -> None:
    """Create missing tables from the models (the database is empty) and the audit guard."""
    from core.audit import install_pg_guard

    db.create_all()
    install_pg_guard(db.engine)


def seed_people(cp: Copier, shape: Shape) -> None:
    """Teams, organisations, commitments, people and their roles; catalogues and settings."""
    now = shape.now
    pw = generate_password_hash(SCALE_PASSWORD, method="scrypt")
    started = date(shape.today.year - 3, 1, 15)
    user_cols = ("id", "email", "name", "password_hash", "is_admin", "active", "locale", "session_version",
                 "created_at", "totp_secret", "totp_enrolled_at")
    users = [(1, "admin" + DOMAIN, "Administrator", pw, True, True, "en", 1, now, SCALE_TOTP, now)]
    teams, team_domains, orgs, org_domains, commitments, members = [], [], [], [], [], []
    criteria, settings, legal, interventions = [], [], [], []
    for t in range(1, shape.teams + 1):
        teams.append((t, f"Expertteam {t:02d}", f"Gemeente {t:02d}", shape.code(t), True, 1,
                      "09:00", "12:00", DEFAULT_ZONE, f"Stadhuis {t:02d}", 8, 4, "12:00", 5, 2, now))
        team_domains += [(t, d.value) for d in DOMAINS]
        for o in range(ORGS_PER_TEAM):
            oid = shape.org(t, o)
            dom = DOMAINS[o % len(DOMAINS)]
            orgs.append((oid, f"Organisatie {t:02d}-{o + 1:02d} ({dom.value})", True, now))
            org_domains.append((oid, dom.value))
            commitments.append((oid, t, oid, started, "Convenant (scale seed)"))
        people = [(shape.chair(t), email("chair", t), "chair", None, None),
                  (shape.secretary(t), email("secretary", t), "secretary", None, None),
                  (shape.municipality(t), email("municipality", t), "municipality", None, None)]
        people += [(shape.expert(t, d), email("expert", t, dom.value), "expert", dom.value, None)
                   for d, dom in enumerate(DOMAINS)]
        people += [(shape.contact(t, o, w), email("contact", t, o + 1, w + 1), "org_contact", None, shape.org(t, o))
                   for o in range(ORGS_PER_TEAM) for w in range(2)]
        people += [(shape.owner(t, n), email("owner", t, n + 1), "case_owner", None, shape.org(t, ORGS_PER_TEAM - 1))
                   for n in range(shape.owners)]
        for uid, mail, role, dom, org in people:
            users.append((uid, mail, mail.split("@")[0], pw, False, True, "nl", 1, now, SCALE_TOTP, now))
            members.append((uid, uid, t, role, dom, org, True, now))
        criteria += [(4 * (t - 1) + i + 1, t, f"Criterium {i + 1}", i, True) for i in range(4)]
        settings.append((t, 3, 7, 28))
        legal += [(3 * (t - 1) + i + 1, t, law, art, "", "", True)
                  for i, (law, art) in enumerate([("Wmo 2015", "art. 2.3.5"), ("Jeugdwet", "art. 2.3"), ("Participatiewet", "art. 18")])]
        interventions += [(3 * (t - 1) + i + 1, t, name, cents, unit, "CBS (scale seed)", True, True)
                          for i, (name, cents, unit) in enumerate([("Uithuisplaatsing", 9_500_000, "per jaar"),
                                                                   ("Huisuitzetting", 850_000, "eenmalig"),
                                                                   ("Begeleid wonen", 3_200_000, "per jaar")])]
    cp.copy("teams", ("id", "name", "municipality", "code", "active", "meeting_weekday", "meeting_start", "meeting_end",
                      "timezone", "location", "capacity", "cutoff_weekday", "cutoff_time", "quorum", "retention_years",
                      "created_at"), teams)
    cp.copy("team_domains", ("team_id", "domain"), team_domains)
    cp.copy("organisations", ("id", "name", "active", "created_at"), orgs)
    cp.copy("organisation_domains", ("organisation_id", "domain"), org_domains)
    cp.copy("commitments", ("id", "team_id", "organisation_id", "committed_on", "note"), commitments)
    cp.copy("users", user_cols, users)
    cp.copy("memberships", ("id", "user_id", "team_id", "role", "domain", "organisation_id", "active", "created_at"), members)
    cp.copy("inclusion_criteria", ("id", "team_id", "text", "position", "active"), criteria)
    cp.copy("advice_settings", ("team_id", "reminder_days", "grace_days", "waiting_norm_days"), settings)
    # The escalation ladder came to this installation with its history (as migration 0013 records).
    cp.copy("advice_ladder_start", ("id", "started_at"), [(1, now)])
    cp.copy("advice_legal_references", ("id", "team_id", "law", "article", "note", "url", "active"), legal)
    cp.copy("advice_interventions", ("id", "team_id", "name", "unit_cost_cents", "unit", "source", "is_example", "active"),
            interventions)


def seed_meetings(cp: Copier, shape: Shape) -> None:
    """Past meetings (closed minutes; the last one held; some cancelled), the next eight
    (the first published), and attendance of the team's experts at the past ones."""
    rows, attendance = [], []
    aid = 0
    for t in range(1, shape.teams + 1):
        for j in range(-shape.past_meetings(t), 8):
            start = shape.meeting_start(t, j)
            mid = shape.meeting_id(t, j)
            if j >= 0:
                status = "published" if j == 0 else "planned"
            elif shape.cancelled(j):
                status = "cancelled"
            else:
                status = "held" if j == -1 else "closed"
            past = j < 0 and status != "cancelled"
            rows.append((mid, t, "regular", start, start + timedelta(hours=3), start, start - timedelta(days=4),
                         f"Stadhuis {t:02d}", status, "Vervallen (scale seed)" if status == "cancelled" else "", 0,
                         start - timedelta(days=4) if j <= 0 else None,
                         start - timedelta(days=3) if j <= 0 and status != "cancelled" else None,
                         start if past else None,
                         "Verslag van de vergadering (scale seed)." if status == "closed" else "",
                         1 if status == "closed" else 0,
                         start + timedelta(days=2) if status == "closed" else None,
                         start - timedelta(days=30)))
            if past:
                for d in range(len(DOMAINS)):
                    aid += 1
                    attendance.append((aid, mid, shape.expert(t, d), "absent" if (mid + d) % 9 == 0 else "present",
                                       start, shape.secretary(t)))
    cp.copy("meetings", ("id", "team_id", "kind", "starts_at", "ends_at", "slot_at", "cutoff_at", "location", "status",
                         "cancel_reason", "sequence", "agenda_proposed_at", "agenda_published_at", "held_at",
                         "minutes_text", "minutes_version", "minutes_closed_at", "created_at"), rows)
    cp.copy("meeting_attendances", ("id", "meeting_id", "user_id", "status", "recorded_at", "recorded_by_id"), attendance)


def seed_scale(shape: Shape, echo=print) -> dict:
    """Fill the empty database; returns counts and seconds per step."""
    from .scale_audit import finish_chain
    from .scale_cases import CaseWriter

    timings: dict[str, float] = {}
    with db.engine.connect() as conn:
        check_empty(conn)
    ensure_schema()
    started = time.monotonic()
    raw = db.engine.raw_connection()
    try:
        cp = Copier(raw.driver_connection, db.metadata, shape.now)
        if not shape.small:
            cp.bulk_begin(BIG_TABLES)
        mark = time.monotonic()
        seed_people(cp, shape)
        seed_meetings(cp, shape)
        timings["people, teams, meetings"] = time.monotonic() - mark
        mark = time.monotonic()
        writer = CaseWriter(cp, shape)
        chunk = max(1, math.ceil(5_000 / max(1, shape.teams)))
        for t in range(1, shape.teams + 1):
            n = shape.team_cases[t - 1]
            for first in range(1, n + 1, chunk * 10):
                writer.write(t, range(first, min(n, first + chunk * 10 - 1) + 1))
            echo(f"  team {t:02d}: {n} cases ({time.monotonic() - started:.0f} s)")
        writer.finish()
        timings["cases and history"] = time.monotonic() - mark
        mark = time.monotonic()
        finish_chain(cp)
        cp.reset_sequences()
        cp.bulk_end()
        raw.commit()
        timings["indexes and sequences"] = time.monotonic() - mark
    finally:
        raw.close()
    mark = time.monotonic()
    # Three years of history: its first checkpoint, as the nightly check would have written it
    # (a trail that old without one reads as checkpoints removed). Walks the chain once.
    seal_chain(now=shape.now)
    timings["audit chain checked and sealed"] = time.monotonic() - mark
    mark = time.monotonic()
    # What autovacuum does to a database in use: statistics for the planner and the visibility
    # map, without which no index-only scan is one (a bulk-loaded table has none yet).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    timings["vacuum and analyze"] = time.monotonic() - mark
    timings["total"] = time.monotonic() - started
    return {"counts": dict(cp.counts), "seconds": timings}


def bench_targets() -> dict:
    """The user (e-mail) and the URL of each key page in the seeded database (team 1, the busy
    one). Reads a few ids; raises LookupError when the database is not seeded."""
    q = lambda sql: db.session.execute(sa.text(sql)).scalar()
    team = q("SELECT id FROM teams WHERE code = 'T01'")
    if team is None:
        raise LookupError("the database holds no scale seed (no team T01): run `flask --app expertteam seed-scale` first")
    case = q(f"SELECT c.id FROM cases c JOIN advice a ON a.case_id = c.id AND a.status = 'issued' "
             f"WHERE c.team_id = {team} AND c.status = 'in_execution' ORDER BY c.id DESC LIMIT 1")
    advice = q(f"SELECT id FROM advice WHERE case_id = {case} AND status = 'issued'")
    needs_case = q(f"SELECT c.id FROM cases c WHERE c.team_id = {team} AND EXISTS "
                   f"(SELECT 1 FROM case_needs n WHERE n.case_id = c.id) ORDER BY c.id DESC LIMIT 1") or case
    upcoming = q(f"SELECT id FROM meetings WHERE team_id = {team} AND status = 'published' ORDER BY starts_at LIMIT 1")
    held = q(f"SELECT id FROM meetings WHERE team_id = {team} AND status = 'held' ORDER BY starts_at DESC LIMIT 1")
    chair, contact, admin = email("chair", 1), email("contact", 1, 1, 1), "admin" + DOMAIN
    return {
        "queue": (chair, f"/teams/{team}/queue"),
        "case": (chair, f"/cases/{case}"),
        "meeting": (chair, f"/meetings/{held}"),
        "agenda": (chair, f"/meetings/{upcoming}/agenda"),
        "live": (chair, f"/meetings/{upcoming}/live"),
        "advice": (chair, f"/advice/{advice}"),
        "contact home": (contact, "/advice/actions"),
        "follow-through overview": (chair, f"/advice/teams/{team}/overview"),
        "follow-up list": (chair, f"/advice/teams/{team}/follow-up"),
        "inbox": (chair, "/notifications/"),
        "blockage map": (chair, f"/cases/{needs_case}/needs"),
        "admin users": (admin, "/admin/users"),
        "admin organisations": (admin, "/admin/organisations"),
        "admin teams": (admin, "/admin/teams"),
        "dashboard": (email("municipality", 1), f"/dashboard/teams/{team}"),
    }
