"""Keeping agreements: create and change one, mark and unmark cases, book the ledger now.

Each function checks who may do it, changes the rows, writes the audit record (ids, amounts and
enumerated values only: the financier's name stays in the agreement's row) and flushes; the
caller commits.

Terms that decide *which* cases fall under an agreement (period and scope) are fixed once the
first entry is booked, and a booked case cannot be unmarked: the book never loses a case. The
price and the success rule may change; the next booking writes a correction row for every case
whose amount changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from casefiles.models import Case, CaseStatus
from core import audit
from core.clock import utcnow
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Team, User

from . import ledger
from .models import FinancedCase, FinancingAgreement, MissingRule, PriceKind, Scope
from .permissions import can_manage_agreements

MAX_GRACE_DAYS = 365


@dataclass
class Terms:
    """What the chair or administrator fills in (validated by ``_check``)."""

    financier: str
    starts_on: date
    ends_on: date
    scope: Scope | str
    price_kind: PriceKind | str
    price_cents: int | None
    cap_cents: int | None
    partial_share_percent: int
    grace_days: int
    missing_rule: MissingRule | str


def _error(message: str, field: str | None = None) -> ServiceError:
    exc = ServiceError(message)
    exc.field = field
    return exc


def _check(terms: Terms) -> dict:
    financier = (terms.financier or "").strip()
    if not financier or len(financier) > 160:
        raise _error(_("Name the financier (at most 160 characters)."), "financier")
    if terms.starts_on is None or terms.ends_on is None:
        raise _error(_("Enter the start and end of the agreement."), "ends_on")
    if terms.ends_on < terms.starts_on:
        raise _error(_("The end date is before the start date."), "ends_on")
    try:
        scope, price_kind, missing = Scope(terms.scope), PriceKind(terms.price_kind), MissingRule(terms.missing_rule)
    except ValueError:
        raise _error(_("Choose from the options given.")) from None
    price = terms.price_cents or 0
    cap = terms.cap_cents
    if price_kind == PriceKind.FIXED and price <= 0:
        raise _error(_("Enter the amount per successful household."), "price")
    if price < 0 or (cap is not None and cap < 0):
        raise _error(_("Amounts cannot be negative."), "cap")
    if not 0 <= (terms.partial_share_percent or 0) <= 100:
        raise _error(_("The share is a percentage from 0 to 100."), "partial_share_percent")
    if not 0 <= (terms.grace_days or 0) <= MAX_GRACE_DAYS:
        raise _error(_("The grace period is from 0 to 365 days."), "grace_days")
    return dict(financier=financier, starts_on=terms.starts_on, ends_on=terms.ends_on, scope=scope,
                price_kind=price_kind, price_cents=price if price_kind == PriceKind.FIXED else 0,
                cap_cents=cap if price_kind == PriceKind.COSTS else None,
                partial_share_percent=terms.partial_share_percent or 0, grace_days=terms.grace_days or 0,
                missing_rule=missing)


def _audit_details(a: FinancingAgreement) -> dict:
    return {"starts_on": a.starts_on.isoformat(), "ends_on": a.ends_on.isoformat(), "scope": a.scope.value,
            "price_kind": a.price_kind.value, "price_cents": a.price_cents, "cap_cents": a.cap_cents,
            "partial_share_percent": a.partial_share_percent, "grace_days": a.grace_days,
            "missing_rule": a.missing_rule.value}


def create_agreement(team: Team, actor: User, terms: Terms) -> FinancingAgreement:
    if not can_manage_agreements(actor, team.id):
        raise PermissionDenied(_("Only the chair or an administrator keeps financing agreements."))
    agreement = FinancingAgreement(team=team, **_check(terms))
    db.session.add(agreement)
    db.session.flush()
    audit.record("financing.agreement_create", object_type="financing_agreement", object_id=agreement.id,
                 actor=actor, team_id=team.id, details=_audit_details(agreement))
    return agreement


def update_agreement(agreement: FinancingAgreement, actor: User, terms: Terms, *, version: int,
                     now: datetime | None = None) -> FinancingAgreement:
    if not can_manage_agreements(actor, agreement.team_id):
        raise PermissionDenied(_("Only the chair or an administrator keeps financing agreements."))
    if version != agreement.version:
        raise _error(_("Someone changed this agreement in the meantime. Reload the page and try again."))
    values = _check(terms)
    if (values["starts_on"], values["ends_on"], values["scope"]) != (agreement.starts_on, agreement.ends_on,
                                                                     agreement.scope) \
            and ledger.has_entries(agreement.id):
        raise _error(_("The period and the cases covered are fixed once the ledger has entries."), "scope")
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.updated_at = now or utcnow()
    db.session.flush()
    audit.record("financing.agreement_update", object_type="financing_agreement", object_id=agreement.id,
                 actor=actor, team_id=agreement.team_id, details=_audit_details(agreement))
    return agreement


def mark_case(agreement: FinancingAgreement, actor: User, reference: str) -> Case:
    """Mark a case of the team (by reference) as falling under the agreement."""
    if not can_manage_agreements(actor, agreement.team_id):
        raise PermissionDenied(_("Only the chair or an administrator keeps financing agreements."))
    if agreement.scope != Scope.MARKED:
        raise _error(_("This agreement covers every case accepted in its period; there is nothing to mark."))
    reference = (reference or "").strip().upper()
    case = db.session.scalar(sa.select(Case).where(Case.reference == reference, Case.team_id == agreement.team_id))
    if case is None:
        raise _error(_("The team has no case with this reference."), "reference")
    if case.intake_at is None or case.status in (CaseStatus.DECLINED, CaseStatus.DRAFT, CaseStatus.SUBMITTED,
                                                 CaseStatus.RETURNED):
        raise _error(_("Only a case accepted at intake can fall under an agreement."), "reference")
    if db.session.get(FinancedCase, (agreement.id, case.id)) is not None:
        raise _error(_("This case is already marked."), "reference")
    db.session.add(FinancedCase(agreement_id=agreement.id, case_id=case.id, marked_by_id=actor.id))
    db.session.flush()
    audit.record("financing.mark", object_type="case", object_id=case.id, actor=actor, team_id=agreement.team_id,
                 details={"agreement": agreement.id})
    return case


def unmark_case(agreement: FinancingAgreement, actor: User, case_id: int) -> None:
    if not can_manage_agreements(actor, agreement.team_id):
        raise PermissionDenied(_("Only the chair or an administrator keeps financing agreements."))
    marked = db.session.get(FinancedCase, (agreement.id, case_id))
    if marked is None:
        raise _error(_("This case is not marked."))
    if ledger.has_entries(agreement.id, case_id):
        raise _error(_("This case is in the ledger already; it stays under the agreement."))
    db.session.delete(marked)
    db.session.flush()
    audit.record("financing.unmark", object_type="case", object_id=case_id, actor=actor,
                 team_id=agreement.team_id, details={"agreement": agreement.id})


def book_now(agreement: FinancingAgreement, actor: User, now: datetime | None = None) -> tuple[int, int]:
    """Book the ledger at once (instead of waiting for the night)."""
    if not can_manage_agreements(actor, agreement.team_id):
        raise PermissionDenied(_("Only the chair or an administrator keeps financing agreements."))
    return ledger.book(agreement, now, actor)
