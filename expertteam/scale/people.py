"""The scale seed's people and meetings: teams, organisations and commitments, every user and
role, the teams' catalogues and settings, and three years of meetings with attendance, written
with COPY (``copier``)."""
from __future__ import annotations

from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from core.clock import DEFAULT_ZONE

from .copier import Copier
from .shape import (
    DOMAIN,
    DOMAINS,
    ORGS_PER_TEAM,
    SCALE_PASSWORD,
    SCALE_TOTP,
    Shape,
    email,
)


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
