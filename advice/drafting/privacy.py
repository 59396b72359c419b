"""What the advice package adds to a case's GDPR export, and what retention clears.

Registered with ``core.privacy`` by ``advice.drafting.init_app``.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from advice.closure.models import CaseClosure
from advice.guard import RETENTION_FIELDS
from advice.models import Action, Advice
from core import privacy
from core.db import db

from .documents import anonymise_documents, archive_hashes, export_archive_copies

#: The closure's free text: its name in the export and the retention audit (stored, kept as
#: clients and the trail know it) and the attribute that holds it.
CLOSURE_TEXT = {"note": "note", "followup_note": "evaluation_note", "team_note": "team_note"}


def _advice_of(case) -> list[Advice]:
    return list(db.session.scalars(
        sa.select(Advice).where(Advice.case_id == case.id).order_by(Advice.version)
        .options(sa.orm.selectinload(Advice.actions), sa.orm.selectinload(Advice.legal_grounds),
                 sa.orm.selectinload(Advice.cost_lines))
    ))


def export_advice(case) -> dict:
    versions = []
    advices = _advice_of(case)
    pdf_hashes = archive_hashes([a.id for a in advices])
    for advice in advices:
        versions.append({
            "version": advice.version,
            "status": advice.status.value,
            "issued_at": advice.issued_at,
            "content_hash": advice.content_hash,
            "pdf_sha256": pdf_hashes.get(advice.id),
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
            "followup_result": closure.evaluation_result.value if closure.evaluation_result else None,
            **{key: getattr(closure, name) for key, name in CLOSURE_TEXT.items()},
        },
    }


def _clear_all(model, fields, where, **extra) -> sa.Update:
    """One UPDATE that empties ``fields`` of the rows ``where`` selects that still hold text."""
    columns = [getattr(model, name) for name in sorted(fields)]
    return (sa.update(model).where(where, sa.or_(*[c != "" for c in columns]))
            .values({**{c.key: "" for c in columns}, **extra}))


def anonymise_advice(case_ids: Sequence[int]) -> list[str]:
    """Retention of a batch of cases: clear the free text of every advice version, their actions
    and the closures, three statements for the batch. The only change an issued advice ever
    takes (``advice.guard.RETENTION_FIELDS``, the guard's one exception; these bulk statements
    name only those columns); its content hash stays as proof."""
    advice_ids = sa.select(Advice.id).where(Advice.case_id.in_(case_ids))
    cleared = privacy.clear({
        "advice": _clear_all(Advice, RETENTION_FIELDS["Advice"], Advice.case_id.in_(case_ids)),
        "action": _clear_all(Action, RETENTION_FIELDS["Action"], Action.advice_id.in_(advice_ids),
                             version=Action.version + 1),  # a contact's open form is refused
        "closure": _clear_all(CaseClosure, CLOSURE_TEXT.values(), CaseClosure.case_id.in_(case_ids)),
    })
    fields = {"advice": RETENTION_FIELDS["Advice"], "action": RETENTION_FIELDS["Action"], "closure": CLOSURE_TEXT}
    return sorted(f"{part}.{name}" for part in cleared for name in fields[part])


def register_parts(app) -> None:
    privacy.register_export(app, "advice", export_advice)
    privacy.register_anonymiser(app, "advice", anonymise_advice)
    privacy.register_anonymiser(app, "advice_documents", anonymise_documents)
    privacy.register_export_files(app, "advice", export_archive_copies)
