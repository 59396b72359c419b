"""What the advice package adds to a case's GDPR export, and what retention clears.

Registered with ``core.privacy`` by ``advice.init_app``.
"""
from __future__ import annotations

import sqlalchemy as sa

from core import privacy
from core.db import db

from .guard import RETENTION_FIELDS, retention_session
from .models import Advice, CaseClosure

CLOSURE_TEXT = ("note", "followup_note", "team_note")


def _advice_of(case) -> list[Advice]:
    return list(db.session.scalars(
        sa.select(Advice).where(Advice.case_id == case.id).order_by(Advice.version)
        .options(sa.orm.selectinload(Advice.actions), sa.orm.selectinload(Advice.legal_grounds),
                 sa.orm.selectinload(Advice.cost_lines))
    ))


def export_advice(case) -> dict:
    versions = []
    for advice in _advice_of(case):
        versions.append({
            "version": advice.version,
            "status": advice.status.value,
            "issued_at": advice.issued_at,
            "content_hash": advice.content_hash,
            "situation": advice.situation,
            "blockage": advice.blockage,
            "advice": advice.advice_text,
            "legal_grounds": [{"law": g.law, "article": g.article, "note": g.note} for g in advice.legal_grounds],
            "legal_free_text": advice.legal_free_text,
            "correction_reason": advice.correction_reason,
            "actions": [{
                "organisation": a.organisation.name,
                "what": a.description,
                "deadline": a.deadline,
                "status": a.status.value,
                "done_note": a.done_note,
                "refused_reason": a.refused_reason,
                "team_decision_note": a.team_decision_note,
            } for a in advice.actions],
        })
    closure = db.session.scalar(sa.select(CaseClosure).where(CaseClosure.case_id == case.id))
    return {
        "versions": versions,
        "closure": None if closure is None else {
            "outcome": closure.outcome.value, "closed_at": closure.closed_at,
            "followup_result": closure.followup_result.value if closure.followup_result else None,
            **{name: getattr(closure, name) for name in CLOSURE_TEXT},
        },
    }


def anonymise_advice(case) -> list[str]:
    """Clear the free text of every advice version, its actions and the closure. The only
    change an issued advice ever takes (see ``advice.guard``); its hash stays as proof."""
    cleared: set[str] = set()
    with retention_session(db.session):
        for advice in _advice_of(case):
            for obj, fields in [(advice, RETENTION_FIELDS["Advice"])] + [
                (action, RETENTION_FIELDS["Action"]) for action in advice.actions
            ]:
                for name in sorted(fields):
                    if getattr(obj, name):
                        setattr(obj, name, "")
                        cleared.add(f"{type(obj).__name__.lower()}.{name}")
        closure = db.session.scalar(sa.select(CaseClosure).where(CaseClosure.case_id == case.id))
        for name in CLOSURE_TEXT if closure is not None else ():
            if getattr(closure, name):
                setattr(closure, name, "")
                cleared.add(f"closure.{name}")
    return sorted(cleared)


def register_parts(app) -> None:
    privacy.register_export(app, "advice", export_advice)
    privacy.register_anonymiser(app, "advice", anonymise_advice)
