"""List queries of the case pages: open work in full, history keyset-paged newest first with
counts in SQL, and a fixed number of statements whatever the history (``core.paging``)."""
from __future__ import annotations

import sqlalchemy as sa

from core.audit import AuditEvent
from core.db import db
from core.models import Domain, User
from core.paging import Page, keyset
from core.privacy import ACCESS, ACCESS_LIST

from .models import FINAL_STATUSES, Case, CaseDomain, CaseMessage, CaseStatus
from .services import urgency_order

#: Page sizes of the case's history lists.
TIMELINE_PAGE = 25
READS_PAGE = 50
HISTORY_PAGE = 25


def domains_of(cases: sa.Select) -> dict[int, list[Domain]]:
    """The domains of the cases ``cases`` selects (any query of cases), in one statement."""
    ids = cases.with_only_columns(Case.id).order_by(None).limit(None)
    rows = db.session.execute(
        sa.select(CaseDomain.case_id, CaseDomain.domain).where(CaseDomain.case_id.in_(ids.scalar_subquery()))
        .order_by(CaseDomain.case_id, CaseDomain.domain)
    ).all()
    result: dict[int, list[Domain]] = {}
    for case_id, domain in rows:
        result.setdefault(case_id, []).append(domain)
    return result


#: What the queue page shows of a case: no texts of the case file.
QUEUE_COLUMNS = (Case.id, Case.reference, Case.household_pseudonym, Case.urgency, Case.queued_at)


def queue_cases(query: sa.Select) -> list[Case]:
    """The whole queue (open work), as ``casefiles.services.queue_query`` orders it, with only
    the columns the queue page shows (``QUEUE_COLUMNS``)."""
    return list(db.session.scalars(query.options(sa.orm.load_only(*QUEUE_COLUMNS))))


def my_open_cases(user: User, team_ids) -> list[Case]:
    """The owner's cases that are not final: open work, in full."""
    return list(db.session.scalars(
        sa.select(Case)
        .where(Case.owner_id == user.id, Case.team_id.in_(team_ids or {-1}), Case.status.not_in(list(FINAL_STATUSES)))
        .order_by(Case.updated_at.desc(), Case.id.desc())
    ))


def my_final_cases(user: User, team_ids, cursor: str | None = None, size: int = HISTORY_PAGE) -> Page:
    """The owner's closed, declined and withdrawn cases: history, newest first and paged."""
    where = (Case.owner_id == user.id, Case.team_id.in_(team_ids or {-1}), Case.status.in_(list(FINAL_STATUSES)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(*where))
    return keyset(sa.select(Case).where(*where), Case.updated_at, Case.id, cursor=cursor, size=size, total=total)


def intake_cases(team_ids) -> list[Case]:
    """Submitted cases of the lead's teams: open work, in full."""
    return list(db.session.scalars(
        sa.select(Case)
        .where(Case.team_id.in_(team_ids or {-1}), Case.status == CaseStatus.SUBMITTED)
        .order_by(urgency_order(), Case.updated_at, Case.id)
    ))


def timeline_page(case: Case, cursor: str | None = None, size: int = TIMELINE_PAGE) -> Page:
    """One page of the case's events, newest first, each as ``(event, text)`` (the text kept at
    that step, '' if none); ``total`` counted in SQL. One statement: the text is joined and the
    count is a scalar subquery of the same SELECT."""
    where = (AuditEvent.object_type == "case", AuditEvent.object_id == case.id)
    total = sa.select(sa.func.count()).select_from(AuditEvent).where(*where).scalar_subquery()
    text = sa.orm.aliased(CaseMessage)
    query = (
        sa.select(AuditEvent, text.text, total.label("total"))
        .outerjoin(text, sa.and_(text.case_id == case.id, text.id == AuditEvent.details["message_id"].as_integer()))
        .where(*where).options(sa.orm.joinedload(AuditEvent.actor))
    )
    return _with_total(keyset(query, AuditEvent.at, AuditEvent.id, cursor=cursor, size=size, scalars=False,
                              key_of=lambda row: (row[0].at, row[0].id)), lambda row: (row[0], row[1] or ""))


def _with_total(page: Page, item) -> Page:
    """Rows ``(…, total)`` of a keyset page as items, and the total from the first row."""
    page.total = page.items[0][-1] if page.items else (0 if page.is_first else None)
    page.items = [item(row) for row in page.items]
    return page


def _listed_case(case: Case) -> sa.ColumnElement[bool]:
    """SQL: a list page view's audit row (``details["cases"]``) names this case."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return sa.cast(AuditEvent.details, JSONB)["cases"].contains([case.id])
    listed = sa.func.json_each(AuditEvent.details, "$.cases").table_valued("value")
    return sa.exists(sa.select(1).select_from(listed).where(listed.c.value == case.id))


def reads_page(case: Case, cursor: str | None = None, size: int = READS_PAGE) -> Page:
    """Who read the case, newest first and paged: its own read rows and the list page views
    (agendas, minutes) of its team that named it; the count a scalar subquery: one statement."""
    where = sa.or_(
        sa.and_(AuditEvent.object_type == ACCESS, AuditEvent.object_id == case.id),
        sa.and_(AuditEvent.object_type == ACCESS_LIST, AuditEvent.team_id == case.team_id, _listed_case(case)),
    )
    total = sa.select(sa.func.count()).select_from(AuditEvent).where(where).scalar_subquery()
    query = sa.select(AuditEvent, total.label("total")).where(where).options(sa.orm.joinedload(AuditEvent.actor))
    return _with_total(keyset(query, AuditEvent.at, AuditEvent.id, cursor=cursor, size=size, scalars=False,
                              key_of=lambda row: (row[0].at, row[0].id)), lambda row: row[0])
