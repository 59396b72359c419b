"""The benchmark's key pages in a seeded database: which user asks which URL
(used by scripts/bench_scale.py and the tests)."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import db

from .shape import DOMAIN, email


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
        "list back on the table": (chair, f"/advice/teams/{team}/back-on-table"),
        "inbox": (chair, "/notifications/"),
        "blockage map": (chair, f"/cases/{needs_case}/needs"),
        "admin users": (admin, "/admin/users"),
        "admin organisations": (admin, "/admin/organisations"),
        "admin teams": (admin, "/admin/teams"),
        "dashboard": (email("municipality", 1), f"/dashboard/teams/{team}"),
    }
