"""The processing overview of a team (blueprint ``processing``): what data the team processes,
on whose behalf (the referring partners, the controllers), which organisations receive case data
and through which channel (involved in the case, an action of the advice, a signal request,
attendance at the meeting that discussed it), on which legal grounds, and how long it is kept.
A privacy officer attaches it to the DPIA. Every count is one grouped query; no case details."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from advice.follow_through.recipients import CHANNELS as RECIPIENT_CHANNELS
from advice.follow_through.recipients import recipient_rows
from casefiles.lawful_models import CaseRecipientGround, LegalBasis
from casefiles.models import Case
from core.clock import utcnow
from core.db import db
from core.models import Organisation, Team

from .permissions import can_view_figures, sees_exact_figures

bp = Blueprint("processing", __name__, url_prefix="/processing", template_folder="templates")

CHANNELS = RECIPIENT_CHANNELS

#: What the team records about a case (the categories, not the data).
DATA_CATEGORIES = (
    (_l("Case file"), _l("A pseudonym of the household (never a name or citizen service number), its composition "
                         "(ages and roles), what was tried, where it is stuck, the household's goal, the question, "
                         "consent (date and way)."), _l("The case owner")),
    (_l("Life domains"), _l("Which domains are involved; some reveal special categories of personal data (mental "
                            "health, addiction, justice)."), _l("The case owner")),
    (_l("Blockage map"), _l("The household's needs and how they block each other."), _l("The case owner, the team")),
    (_l("Minutes"), _l("The meeting's notes and outcome on the case."), _l("The team")),
    (_l("Advice"), _l("The binding advice: grounds, the plan, actions per organisation, costs, the coordinator's "
                      "progress notes and the three-month evaluation."), _l("The team, the organisations")),
    (_l("Files"), _l("Documents the case owner attaches; the chair may share some with an action."), _l("The case owner")),
    (_l("Audit trail"), _l("Who read or changed what and when (ids only, no content)."), _l("The application")),
)


@dataclass
class Recipient:
    organisation_id: int
    name: str
    channels: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    without_ground: int = 0
    grounds: list[tuple[str, str, int]] = field(default_factory=list)


def _recipient_rows(team_id: int):
    """(case_id, organisation_id, channel) of every organisation that receives a live case's data
    (one definition with the case's own page: ``advice.follow_through.recipients``)."""
    return recipient_rows(sa.and_(Case.team_id == team_id, Case.anonymised_at.is_(None)), team_id)


def compute(team: Team) -> dict:
    """The overview's figures: four grouped statements whatever the number of cases."""
    r = _recipient_rows(team.id)
    in_force = sa.select(CaseRecipientGround.case_id).join(LegalBasis, LegalBasis.id == CaseRecipientGround.legal_basis_id) \
        .where(CaseRecipientGround.case_id == r.c.case_id, CaseRecipientGround.organisation_id == r.c.organisation_id,
               LegalBasis.status == "in_force").exists()
    not_referrer = sa.or_(Case.referring_organisation_id.is_(None), Case.referring_organisation_id != r.c.organisation_id)
    base = sa.select(r.c.organisation_id, Organisation.name).join(Organisation, Organisation.id == r.c.organisation_id) \
        .join(Case, Case.id == r.c.case_id).where(not_referrer)
    recipients: dict[int, Recipient] = {}
    per_org = base.add_columns(sa.func.count(sa.distinct(r.c.case_id)),
                               sa.func.count(sa.distinct(sa.case((~in_force, r.c.case_id))))) \
        .group_by(r.c.organisation_id, Organisation.name).order_by(Organisation.name)
    for org_id, name, cases, without in db.session.execute(per_org):
        recipients[org_id] = Recipient(org_id, name, cases=cases, without_ground=without)
    per_channel = sa.select(r.c.organisation_id, r.c.channel, sa.func.count(sa.distinct(r.c.case_id))) \
        .join(Case, Case.id == r.c.case_id).where(not_referrer).group_by(r.c.organisation_id, r.c.channel)
    for org_id, channel, n in db.session.execute(per_channel):
        recipients[org_id].channels[channel] = n
    grounds_q = sa.select(CaseRecipientGround.organisation_id, LegalBasis.statute, LegalBasis.article, LegalBasis.status,
                          sa.func.count()) \
        .join(LegalBasis, LegalBasis.id == CaseRecipientGround.legal_basis_id) \
        .join(Case, Case.id == CaseRecipientGround.case_id) \
        .where(Case.team_id == team.id, Case.anonymised_at.is_(None)) \
        .group_by(CaseRecipientGround.organisation_id, LegalBasis.statute, LegalBasis.article, LegalBasis.status)
    by_basis: dict[tuple[str, str, str], int] = {}
    for org_id, statute, article, status, n in db.session.execute(grounds_q):
        title = f"{statute} {article}".strip()
        if org_id in recipients:
            recipients[org_id].grounds.append((title, status, n))
        by_basis[(title, status)] = by_basis.get((title, status), 0) + n
    controllers = db.session.execute(
        sa.select(Organisation.name, sa.func.count(Case.id))
        .select_from(Case).outerjoin(Organisation, Organisation.id == Case.referring_organisation_id)
        .where(Case.team_id == team.id, Case.anonymised_at.is_(None))
        .group_by(Organisation.name).order_by(Organisation.name)).all()
    bases = db.session.scalars(sa.select(LegalBasis).where(LegalBasis.team_id == team.id, LegalBasis.active.is_(True))
                               .order_by(LegalBasis.statute, LegalBasis.article)).all()
    return {"recipients": list(recipients.values()), "controllers": controllers, "bases": bases,
            "basis_use": by_basis, "retention_years": team.retention_years}


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


@bp.get("/teams/<int:team_id>")
def overview(team_id: int):
    if team_id not in current_user.team_ids() or not can_view_figures(current_user, team_id):
        abort(404)
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return render_template("reports/processing.html", team=team, generated=utcnow(), channels=CHANNELS,
                           categories=DATA_CATEGORIES, exact=sees_exact_figures(current_user, team_id),
                           printable=bool(request.args.get("print")), **compute(team))
