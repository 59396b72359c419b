"""The scale seed's cases and everything that hangs off them: domains and organisations, agenda
items, advice with legal grounds, cost lines and actions, blockage needs, closures and their
evaluation, holds and signal requests, notifications and the audit trail.

Each case's path is decided by its age and a hash of its id: most cases older than half a year
are closed, some were declined, withdrawn or returned, a few old ones are stuck in execution
with overdue and escalated actions; recent ones wait in the queue, on an agenda or for advice.
The newest six cases of every team take a fixed path (in execution twice, advised, scheduled,
in the queue, submitted), so even the small seed shows every kind of page.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from core.privacy import ACCESS, ANONYMISED

from .audit import AuditWriter
from .copier import Copier
from .shape import DOMAINS, HISTORY_DAYS, ORGS_PER_TEAM, Shape

FIXED = [(100, "in_execution"), (60, "in_execution"), (21, "advised"), (12, "scheduled"), (5, "accepted"), (1, "submitted")]
DISCUSSED_ON = {"discussed", "advised", "in_execution", "completed", "closed"}
ADVISED = {"advised", "in_execution", "completed", "closed"}
FINAL = {"closed", "declined", "withdrawn"}
NOTIFY = ["case.submitted", "case.accepted", "meeting.presenting", "advice.issued", "advice.action_assigned",
          "advice.action_assigned", "advice.action_due_soon", "advice.action_overdue", "advice.action_escalated",
          "meeting.reminder", "advice.case_completed", "advice.followup_due"]

TABLES = {
    "cases": ("id", "team_id", "owner_id", "year", "number", "reference", "status", "household_pseudonym",
              "household_composition", "tried", "blockage", "household_goal", "question", "proposed_invitees",
              "urgency", "consent_date", "consent_method", "consent_note", "legal_ground", "created_at",
              "updated_at", "submitted_at", "intake_at", "queued_at", "queue_priority", "closed_at", "version",
              "anonymised_at"),
    "case_domains": ("case_id", "domain"),
    "case_organisations": ("case_id", "organisation_id"),
    "agenda_items": ("id", "meeting_id", "case_id", "position", "starts_at", "duration_minutes", "presenter_invited",
                     "outcome", "outcome_at", "outcome_by_id", "notes", "notes_version", "created_at"),
    "advice": ("id", "case_id", "version", "status", "situation", "blockage", "advice_text", "legal_free_text",
               "meeting_id", "created_at", "created_by_id", "updated_at", "issued_at", "issued_by_id",
               "content_hash", "correction_reason", "lock_version"),
    "advice_legal_grounds": ("id", "advice_id", "legal_reference_id", "law", "article", "note", "url"),
    "advice_cost_lines": ("id", "advice_id", "side", "intervention_id", "name", "unit", "unit_cost_cents", "source",
                          "is_example", "quantity_hundredths"),
    "case_needs": ("id", "case_id", "title", "decided_by_id", "rule", "status", "position", "created_at",
                   "created_by_id", "solved_at"),
    "case_need_links": ("id", "need_id", "waits_for_id", "reason", "created_at", "created_by_id"),
    "advice_needs": ("advice_id", "need_id"),
    "advice_actions": ("id", "advice_id", "organisation_id", "team_id", "description", "deadline", "need_id", "status",
                       "assigned_at", "deadline_extended_to", "confirmed_at", "confirmed_by_id", "done_at", "done_on",
                       "done_by_id", "done_note", "refused_at", "refused_by_id", "refused_reason", "overdue_notified_at",
                       "escalated_at", "escalation_kind", "team_decision", "team_decision_note", "decided_at",
                       "decided_by_id", "version", "in_force", "ladder_level"),
    "advice_case_closures": ("id", "case_id", "team_id", "outcome", "note", "closed_at", "closed_by_id",
                             "followup_due_on", "followup_asked_at", "followup_result", "followup_note",
                             "followup_at", "followup_by_id", "team_note", "team_noted_at", "team_noted_by_id"),
    "case_holds": ("id", "case_id", "reason", "note", "retry_on", "started_at", "started_by_id", "ended_at",
                   "ended_by_id"),
    "case_signal_requests": ("id", "case_id", "organisation_id", "whom_to_call", "last_contact_on", "created_at",
                             "created_by_id", "ended_at"),
    "case_messages": ("id", "case_id", "kind", "text", "author_id", "created_at"),
    "notifications": ("id", "user_id", "kind", "context", "link", "created_at", "read_at", "email_status",
                      "email_attempts", "email_sent_at"),
}
ACTION_DEFAULTS = dict.fromkeys(TABLES["advice_actions"])


def mix(x: int, salt: int = 0) -> int:
    """A stable pseudo-random number 0..999 for an id."""
    return ((x * 2654435761 + salt * 40503 + 12345) % 4294967296) // 7 % 1000


def natural_status(age: float, h: int) -> str:
    if age < 2:
        return "draft" if h < 150 else "submitted"
    if age >= 3 and h < 40:
        return "declined"
    if age >= 3 and h < 60:
        return "withdrawn"
    if h < 70 and age < 60:
        return "returned"
    for limit, status in ((10, "accepted"), (17, "scheduled"), (20, "discussed"), (24, "advised"),
                          (150, "in_execution"), (165, "completed")):
        if age < limit:
            return status
    return "in_execution" if h < 85 else "closed"


@dataclass
class _Life:
    """One case while the writer builds it: who and when, and the audit events of its history."""

    t: int
    k: int
    cid: int
    h: int
    status: str
    created: datetime
    owner: int
    chair: int
    ref: str
    submitted: datetime | None = None
    intake: datetime | None = None
    queued: datetime | None = None
    updated: datetime | None = None
    closed_at: datetime | None = None
    events: list[tuple] = field(default_factory=list)


class CaseWriter:
    def __init__(self, cp: Copier, shape: Shape):
        self.cp, self.s = cp, shape
        self.audit = AuditWriter(cp)
        self.rows: dict[str, list] = defaultdict(list)
        self.ids: dict[str, int] = defaultdict(int)
        self.positions: dict[int, int] = defaultdict(int)
        self.counters: dict[tuple[int, int], int] = {}
        self.now = shape.now

    def next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, row: tuple) -> None:
        self.rows[table].append(row)

    def clamp(self, at: datetime) -> datetime:
        return min(at, self.now - timedelta(minutes=5))

    # --- one chunk of cases -------------------------------------------------------------------
    def write(self, team: int, numbers) -> None:
        n = self.s.team_cases[team - 1]
        for k in numbers:
            self.case(team, k, n)
        for table, columns in TABLES.items():
            if self.rows[table]:
                self.cp.copy(table, columns, self.rows[table])
                self.rows[table].clear()
        self.audit.flush()

    def finish(self) -> None:
        self.cp.copy("case_counters", ("team_id", "year", "last"),
                     [(t, y, last) for (t, y), last in sorted(self.counters.items())])

    def case(self, t: int, k: int, n: int) -> None:
        """Case ``k`` of ``n`` of team ``t``: its path, its rows and its history."""
        s = self.s
        cid = self.next("cases")
        h = mix(cid)
        fixed = min(len(FIXED), n)
        if k > n - fixed:
            age, status = FIXED[len(FIXED) - fixed + (k - (n - fixed) - 1)]
        else:
            rest = n - fixed
            age = 1.5 + (HISTORY_DAYS - 1.5) * (1 - (k - 0.5) / rest)
            status = natural_status(age, h)
        created = self.now - timedelta(days=age)
        c = _Life(t=t, k=k, cid=cid, h=h, status=status, created=created, owner=s.owner(t, cid), chair=s.chair(t),
                  ref=f"{s.code(t)}-{created.year}-{k:05d}")
        self.counters[(t, created.year)] = max(self.counters.get((t, created.year), 0), k)
        orgs = [s.org(t, cid), s.org(t, cid + 5)]
        c.events.append((created, c.owner, "case.create", "case", cid, {}))
        self.intake(c)
        if status == "scheduled":
            j = 0 if k > n - fixed else k % 3
            self.item(t, j, cid, None, c.chair)
            c.events.append((s.meeting_start(t, j) - timedelta(days=5), c.chair, "case.schedule", "case", cid, {}))
        if status in DISCUSSED_ON:
            self.discussed(c)
        if status in ("accepted", "in_execution") and h % 50 == 7:
            self.hold(t, cid, c.owner, h)
        end = c.closed_at or c.updated
        anonymised = status in FINAL and end + timedelta(days=2 * 365 + 1) < self.now
        self.history(c, end, anonymised)
        self.notifications(t, cid, c.ref, created, end, c.owner, orgs, h)
        text = "" if anonymised else "Tekst van de casus (scale seed)."
        urgency = "crisis" if h % 97 == 0 else ("high" if h % 11 == 0 else "normal")
        self.add("cases", (cid, t, c.owner, created.year, k, c.ref, status,
                           ANONYMISED if anonymised else f"Gezin {cid}", text, text, text, text, text, "", urgency,
                           created.date(), "written", "", "consent", created, c.updated, c.submitted, c.intake,
                           c.queued, 0, c.closed_at, 1, end + timedelta(days=2 * 365) if anonymised else None))
        self.add("case_domains", (cid, DOMAINS[cid % len(DOMAINS)].value))
        self.add("case_domains", (cid, DOMAINS[(cid + 3) % len(DOMAINS)].value))
        for org in orgs:
            self.add("case_organisations", (cid, org))

    def intake(self, c: _Life) -> None:
        """Submitted, then returned, declined or accepted (and perhaps withdrawn)."""
        cid, owner, chair, status, created = c.cid, c.owner, c.chair, c.status, c.created
        c.submitted = None if status == "draft" else created + timedelta(hours=1)
        if c.submitted:
            c.events.append((c.submitted, owner, "case.submit", "case", cid, {"from": "draft", "to": "submitted"}))
        c.intake = created + timedelta(days=2) if status not in ("draft", "submitted", "returned") else None
        c.queued = c.intake if c.intake and status != "declined" else None
        c.updated = c.intake or c.submitted or created
        if status == "returned":
            c.updated = created + timedelta(days=2)
            self.message(cid, "return", "Graag de eerdere hulp aanvullen (scale seed).", chair, c.updated)
            c.events.append((c.updated, chair, "case.return", "case", cid, {}))
        if c.intake:
            c.events.append((c.intake, chair, "case.read", ACCESS, cid, {"reference": c.ref, "view": "intake"}))
            c.events.append((c.intake, chair, "case.decline" if status == "declined" else "case.accept", "case", cid, {}))
            if status == "declined":
                self.message(cid, "decline", "Valt buiten de criteria van het team (scale seed).", chair, c.intake)
        if status == "withdrawn":
            c.updated = c.intake + timedelta(days=6)
            c.events.append((c.updated, owner, "case.withdraw", "case", cid, {}))

    def discussed(self, c: _Life) -> None:
        """Discussed at a past meeting; then its advice and actions, completion and closing."""
        t, cid, status, chair, ev = c.t, c.cid, c.status, c.chair, c.events
        j = self.past_slot(t, c.queued + timedelta(days=2))
        discussed = self.item(t, j, cid, "discussed", chair)
        ev.append((discussed - timedelta(days=7), chair, "case.schedule", "case", cid, {}))
        ev.append((discussed, chair, "case.discuss", "case", cid, {}))
        c.updated = discussed
        issued = discussed + timedelta(days=2) if status in ADVISED else None
        needs = self.needs(t, cid, status, discussed) if c.h % 10 < 3 else []
        aid = self.advice(t, cid, status, self.s.meeting_id(t, j), discussed, issued, chair, needs)
        if issued:
            ev.append((issued, chair, "advice.issue", "advice", aid, {"version": 1}))
            c.updated = issued
        ev += self.actions(t, cid, aid, status, discussed, issued, needs)
        if status in ("completed", "closed"):
            done = self.clamp(issued + timedelta(days=130))
            ev.append((done, None, "case.complete", "case", cid, {}))
            c.updated = done
        if status == "closed":
            c.closed_at = self.clamp(issued + timedelta(days=140 + c.h % 20))
            ev.append((c.closed_at, c.owner, "case.close", "case", cid, {}))
            ev += self.closure(t, cid, c.owner, chair, c.closed_at, c.h)
            c.updated = c.closed_at

    def history(self, c: _Life, end: datetime, anonymised: bool) -> None:
        """The audit trail of the case: its events, its anonymisation, and reads of the case
        page that make up the rest of its 30 rows, in time order."""
        s, t, cid, ev = self.s, c.t, c.cid, c.events
        if anonymised:
            ev.append((end + timedelta(days=2 * 365), None, "case.anonymise", "case", cid,
                       {"fields": ["household_pseudonym"], "reason": "retention"}))
        last = min(end + timedelta(days=30), self.now - timedelta(minutes=10))
        span = max(60.0, (last - c.created).total_seconds())
        for r in range(max(0, 30 - len(ev))):
            at = c.created + timedelta(seconds=span * (r + 1) / 31)
            reader = (c.chair, c.owner, s.expert(t, (cid + r) % len(DOMAINS)))[r % 3]
            ev.append((at, reader, "case.read", ACCESS, cid, {"reference": c.ref, "view": "detail"}))
        ev.sort(key=lambda e: e[0])
        for at, actor, action, otype, oid, details in ev:
            self.audit.add(at, actor, t, action, otype, oid, details)

    def past_slot(self, t: int, after: datetime) -> int:
        s = self.s
        days = (after - s.anchor).total_seconds() / 86400
        j = -int(-days // s.spacing[t - 1])  # ceil
        if s.cancelled(j):
            j += 1
        return max(-s.past_meetings(t) + 1, min(j, -1))

    def item(self, t: int, j: int, cid: int, outcome: str | None, chair: int) -> datetime:
        mid = self.s.meeting_id(t, j)
        self.positions[mid] += 1
        pos = self.positions[mid]
        start = self.s.meeting_start(t, j)
        at = start + timedelta(minutes=20 * (pos - 1) % 180)
        self.add("agenda_items", (self.next("agenda_items"), mid, cid, pos, at, 20, True, outcome,
                                  at + timedelta(minutes=20) if outcome else None, chair if outcome else None,
                                  "Besproken; advies volgt (scale seed)." if outcome else "", 1 if outcome else 0,
                                  start - timedelta(days=5)))
        return at + timedelta(minutes=20)

    def advice(self, t, cid, status, meeting_id, discussed, issued, chair, needs) -> int:
        aid = self.next("advice")
        self.add("advice", (aid, cid, 1, "issued" if issued else "draft", "De situatie in het kort.",
                            "De grootste blokkade.", "Het advies van het team (scale seed).", "", meeting_id,
                            discussed, chair, issued or discussed, issued, chair if issued else None,
                            f"{aid:064x}" if issued else None, "", 1))
        base = 3 * (t - 1)
        self.add("advice_legal_grounds", (self.next("lg"), aid, base + 1, "Wmo 2015", "art. 2.3.5", "", ""))
        self.add("advice_cost_lines", (self.next("cl"), aid, "current", base + 1, "Uithuisplaatsing", "per jaar",
                                       9_500_000, "CBS (scale seed)", True, 100))
        self.add("advice_cost_lines", (self.next("cl"), aid, "breakthrough", base + 3, "Begeleid wonen", "per jaar",
                                       3_200_000, "CBS (scale seed)", True, 100))
        if needs and issued:
            self.add("advice_needs", (aid, needs[0]))
        return aid

    def needs(self, t, cid, status, at) -> list[int]:
        solved = status in ("completed", "closed")
        ids = []
        for p, title in enumerate(("Schuldregeling", "Urgentie woning", "Terug naar school")):
            nid = self.next("case_needs")
            st = "solved" if solved else ("open" if p == 0 else "blocked")
            self.add("case_needs", (nid, cid, title, self.s.org(t, cid + p), "Regel of wet (scale seed).", st, p,
                                    at, self.s.chair(t), at + timedelta(days=90) if solved else None))
            if ids:
                self.add("case_need_links", (self.next("case_need_links"), nid, ids[-1], "Wacht op de vorige stap.",
                                             at, self.s.chair(t)))
            ids.append(nid)
        return ids

    def actions(self, t, cid, aid, status, discussed, issued, needs) -> list:
        s, today = self.s, self.s.today
        ev = []
        count = 2 if issued is None else 3 + cid % 7
        for k in range(count):
            act = self.next("advice_actions")
            org_index = (cid + k) % ORGS_PER_TEAM
            contact, chair = s.contact(t, org_index), s.chair(t)
            deadline = (issued or discussed).date() + timedelta(days=14 + 7 * ((3 * k + cid) % 8))
            a = dict(ACTION_DEFAULTS, id=act, advice_id=aid, organisation_id=s.org(t, org_index), team_id=t,
                     description=f"Actie {k + 1} voor de organisatie (scale seed).", deadline=deadline,
                     need_id=needs[0] if needs and k == 0 else None, status="open", assigned_at=issued,
                     done_note="", refused_reason="", team_decision_note="", version=1,
                     in_force=issued is not None, ladder_level=0)
            r = mix(act, 1) % 100
            if issued is not None and status != "advised":
                confirmed = issued + timedelta(days=3)
                a.update(status="confirmed", confirmed_at=confirmed, confirmed_by_id=contact)
                past = deadline < today
                finished = status in ("completed", "closed")
                if finished or (past and r < 55) or (not past and r >= 80):
                    if finished and 92 <= r < 96:
                        kind = "overdue"
                        self._decide(a, "drop", chair, deadline, kind)
                    else:
                        done_on = min(deadline - timedelta(days=r % 10), today)
                        done_on = max(done_on, confirmed.date())
                        a.update(status="done", done_on=done_on, done_by_id=contact,
                                 done_at=self.clamp(datetime.combine(done_on, time(10), UTC)))
                elif not past and r < 35:
                    a.update(status="open", confirmed_at=None, confirmed_by_id=None)
                elif past:
                    late = (today - deadline).days
                    a["overdue_notified_at"] = self.clamp(datetime.combine(deadline + timedelta(days=1), time(7), UTC))
                    if r < 85 and late > 7:  # past the grace period: the nightly job escalated it
                        a.update(escalated_at=self.clamp(datetime.combine(deadline + timedelta(days=8), time(7, 20), UTC)),
                                 escalation_kind="overdue", ladder_level=1)  # at the team
                    elif 85 <= r < 90:
                        refused = self.clamp(confirmed + timedelta(days=2))
                        a.update(status="refused", refused_at=refused, refused_by_id=contact, confirmed_at=None,
                                 confirmed_by_id=None, refused_reason="Past niet binnen ons beleid (scale seed).",
                                 escalated_at=refused, escalation_kind="refused", ladder_level=1)
                    elif 90 <= r < 95:
                        self._decide(a, "extend", chair, deadline, "overdue")
                    elif r >= 95:
                        self._decide(a, "drop", chair, deadline, "overdue")
                if a["confirmed_at"]:
                    ev.append((a["confirmed_at"], contact, "action.confirm", "action", act, {}))
                if a["done_at"]:
                    ev.append((a["done_at"], contact, "action.done", "action", act, {}))
                if a["refused_at"]:
                    ev.append((a["refused_at"], contact, "action.refuse", "action", act, {}))
                if a["escalated_at"]:
                    ev.append((a["escalated_at"], None, "action.escalate", "action", act, {}))
                if a["decided_at"]:
                    ev.append((a["decided_at"], chair, "action.decide", "action", act, {"decision": a["team_decision"]}))
            self.add("advice_actions", tuple(a[c] for c in TABLES["advice_actions"]))
        return ev

    def _decide(self, a: dict, decision: str, chair: int, deadline, kind: str) -> None:
        decided = self.clamp(datetime.combine(deadline + timedelta(days=14), time(11), UTC))
        a.update(team_decision=decision, decided_at=decided, decided_by_id=chair, escalation_kind=kind,
                 team_decision_note="Besloten in de vergadering (scale seed).")
        if decision == "drop":
            a["status"] = "dropped"
        else:
            a.update(status="confirmed", deadline_extended_to=max(deadline, self.s.today) + timedelta(days=21))

    def closure(self, t, cid, owner, chair, closed_at, h) -> list:
        today = self.s.today
        due = closed_at.date() + timedelta(days=91)
        asked = result = fat = noted = None
        ev = []
        if due <= today:
            asked = datetime.combine(due, time(7, 30), UTC)
            if due + timedelta(days=10) < today or h % 3 == 0:
                result = ("held", "held", "partly", "not")[h % 4]
                fat = self.clamp(asked + timedelta(days=5))
                ev.append((fat, owner, "closure.followup", "closure", cid, {"result": result}))
                if due + timedelta(days=21) < today and h % 10 != 0:
                    noted = self.clamp(asked + timedelta(days=14))
                    ev.append((noted, chair, "closure.review", "closure", cid, {}))
        self.add("advice_case_closures", (
            self.next("closures"), cid, t, ("reached", "reached", "partly", "not")[h % 4], "", closed_at, owner, due,
            asked, result, "Het houdt stand (scale seed)." if result else "", fat, owner if fat else None,
            "Besproken (scale seed)." if noted else "", noted, chair if noted else None))
        return ev

    def hold(self, t, cid, owner, h) -> None:
        now, today = self.now, self.s.today
        reason = "no_contact" if h % 2 else "not_cooperating"
        self.add("case_holds", (self.next("holds"), cid, reason, "Geen contact (scale seed).", today + timedelta(days=14),
                                now - timedelta(days=5), owner, None, None))
        if reason == "no_contact":
            self.add("case_signal_requests", (self.next("signals"), cid, self.s.org(t, cid), "De casushouder, 020-1234567",
                                              today - timedelta(days=20), now - timedelta(days=5), owner, None))

    def message(self, cid, kind, text, author, at) -> None:
        self.add("case_messages", (self.next("case_messages"), cid, kind, text, author, at))

    def notifications(self, t, cid, ref, created, end, owner, orgs, h) -> None:
        s, now = self.s, self.now
        last = min(max(end, created + timedelta(days=30)), now - timedelta(minutes=30))
        span = max(60.0, (last - created).total_seconds())
        day = created.date().isoformat()
        context = json.dumps({"reference": ref, "team": f"Expertteam {t:02d}", "organisation": f"Organisatie {t:02d}",
                              "date": day, "old_date": day, "deadline": day, "time": "09:00", "count": 1,
                              "version": 1, "minutes": 20, "reason": ""}, separators=(",", ":"))
        contacts = [s.contact(t, (o - 1) % ORGS_PER_TEAM, w) for o, w in zip(orgs, (0, 1))]
        to = [s.chair(t), owner, owner, owner, contacts[0], contacts[1], contacts[0], contacts[1], s.chair(t),
              s.secretary(t), owner, owner]
        link = f"/cases/{cid}"
        for i, kind in enumerate(NOTIFY):
            at = created + timedelta(seconds=span * (i + 1) / 13)
            recent = now - at < timedelta(days=14)
            read = None if recent and (h + i) % 2 else at + timedelta(hours=20 if not recent else 1)
            self.add("notifications", (self.next("notifications"), to[i], kind, context, link, at,
                                       self.clamp(read) if read else None, "sent", 1, at + timedelta(minutes=1)))
