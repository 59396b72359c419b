"""The one-form draft page: the form with the team's choices filled in, read from the draft on
the first visit, and the ties of the existing actions as posted."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _

from advice.models import Advice
from advice.plan import services as plan
from casefiles.blockage import services as blockage
from core.db import db
from core.filters import euros
from core.people import committed_organisations
from core.routing import parse_id

from . import ties
from .draft_form import DraftForm
from .models import Intervention, LegalReference
from .services import TEXT_FIELDS


class DraftPage:
    """What the draft page of ``advice`` offers: the team's legal references, catalogue and
    committed organisations, the case's needs; four statements, whatever the draft holds."""

    def __init__(self, advice: Advice):
        self.advice = advice
        team = advice.case.team
        cited = {g.legal_reference_id for g in advice.legal_grounds}
        self.references = db.session.scalars(sa.select(LegalReference).where(
            LegalReference.team_id == team.id,
            sa.or_(LegalReference.active.is_(True), LegalReference.id.in_(cited or {-1})))
            .order_by(LegalReference.law, LegalReference.article)).all()
        self.interventions = db.session.scalars(sa.select(Intervention).where(
            Intervention.team_id == team.id, Intervention.active.is_(True)).order_by(Intervention.name)).all()
        self.organisations = committed_organisations(team)
        self.needs = blockage.needs_of(advice.case)
        self.coordinators = plan.coordinator_choices(advice.case)

    @property
    def has_map(self) -> bool:
        return bool(self.needs)

    def form(self, formdata=None) -> DraftForm:
        """The form: posted (``formdata``) or, on the first visit, the draft as it is."""
        advice = self.advice
        form = DraftForm(formdata=formdata)
        form.grounds.choices = [(r.id, r.title) for r in self.references]
        form.remove_costs.choices = [(c.id, c.name) for c in advice.cost_lines]
        form.remove_actions.choices = [(a.id, a.organisation.name) for a in advice.actions]
        form.breaks.choices = [(n.id, n.title) for n in self.needs]
        form.coordinator.choices = [(u.id, u.name + (_(" (case owner)") if u.id == advice.case.owner_id else ""))
                                    for u in self.coordinators]
        none = [(0, _("— choose —"))]
        for entry in form.costs:
            entry.form.intervention.choices = [(0, _("— entered by hand —"))] + [
                (i.id, f"{i.name} ({euros(i.unit_cost_cents)} {i.unit})") for i in self.interventions]
        for entry in form.actions:
            entry.form.organisation.choices = none + [(o.id, o.name) for o in self.organisations]
            entry.form.need.choices = [(0, _("— none —"))] + [(n.id, n.title) for n in self.needs]
        if formdata is None:
            for name in TEXT_FIELDS:
                getattr(form, name).data = getattr(advice, name)
            form.lock_version.data = str(advice.lock_version)
            form.grounds.data = [g.legal_reference_id for g in advice.legal_grounds]
            form.breaks.data = [n.id for n in ties.broken_needs(advice)] if self.needs else []
            current = plan.plan_of(advice)
            form.coordinator.data = current.coordinator_id if current and current.coordinator_id else advice.case.owner_id
            form.year_goals.data = current.year_goals if current else advice.case.household_goal
            form.progress_check.data = current.progress_check if current else ""
        return form

    def posted_action_needs(self, formdata) -> dict[int, int | None] | None:
        """The need chosen for each existing action (``tie-action-<id>``); None without a map. A
        value that is not one of the case's needs is a tampered form: 400."""
        if not self.needs:
            return None
        valid = {n.id for n in self.needs}
        chosen: dict[int, int | None] = {}
        for action in self.advice.actions:
            raw = formdata.get(f"tie-action-{action.id}", "")
            if raw == "":
                chosen[action.id] = None
            elif (need_id := parse_id(raw)) in valid:
                chosen[action.id] = need_id
            else:
                abort(400)
        return chosen
