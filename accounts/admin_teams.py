"""Administration of teams (domains, meeting defaults), organisations and each organisation's
commitment to a team (blueprint ``admin_teams``). Thin views, as ``accounts.admin``:
``accounts.teams`` changes state and audits, the view commits and redirects."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.db import db
from core.errors import ServiceError
from core.i18n import labels
from core.models import Commitment, Domain, Membership, Organisation, Team, User
from core.paging import keyset
from core.web import show_refusal

from .admin import all_teams, get_or_404, require_admin_page
from .forms import (
    WEEKDAY_LABELS,
    CommitmentForm,
    ConfirmForm,
    OrganisationForm,
    TeamForm,
)
from .teams import (
    create_organisation,
    create_team,
    end_commitment,
    set_commitment,
    update_organisation,
    update_team,
)

bp = Blueprint("admin_teams", __name__, url_prefix="/admin", template_folder="templates")
bp.before_request(require_admin_page)


MEETING_DEFAULTS = ("meeting_weekday", "meeting_start", "meeting_end", "capacity", "quorum")
ORGANISATIONS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100


def _domains(values: list[str]) -> list[Domain]:
    return [Domain(v) for v in values or []]


def _team_fields(form: TeamForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "municipality": form.municipality.data,
        "code": form.code.data,
        "meeting_weekday": form.meeting_weekday.data,
        "meeting_start": form.meeting_start.data,
        "meeting_end": form.meeting_end.data,
        "location": form.location.data or "",
        "capacity": form.capacity.data,
        "quorum": form.quorum.data,
    }


@bp.get("/teams")
def teams():
    # Every team (one per municipality: bounded by the country, not by history), with its number
    # of active members from one grouped subquery.
    members = (
        sa.select(Membership.team_id, sa.func.count(sa.distinct(Membership.user_id)).label("n"))
        .join(User, User.id == Membership.user_id)
        .where(Membership.active.is_(True), User.active.is_(True))
        .group_by(Membership.team_id)
        .subquery("members")
    )
    rows = db.session.execute(
        sa.select(Team, sa.func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.team_id == Team.id)
        .order_by(Team.name).options(selectinload(Team.domains))
    ).all()
    # Labels translated once for the page, not once per team.
    return render_template("accounts/admin/teams.html", rows=rows, weekdays={k: str(v) for k, v in WEEKDAY_LABELS.items()},
                           domain_labels=labels(Domain))


@bp.route("/teams/new", methods=["GET", "POST"])
def team_new():
    # The model's meeting defaults (Tuesday 09:00-12:00, 4 cases, quorum 5) prefill a new team.
    columns = Team.__table__.c
    form = TeamForm(data={key: columns[key].default.arg for key in MEETING_DEFAULTS})
    if form.validate_on_submit():
        try:
            team = create_team(current_user, domains=_domains(form.domains.data), **_team_fields(form))
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("Team %(name)s has been created.", name=team.name), "success")
            return redirect(url_for("admin_teams.team_edit", team_id=team.id))
    return render_template("accounts/admin/team_form.html", form=form, team=None, memberships=[], commitments=[])


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team_edit(team_id: int):
    team = get_or_404(Team, team_id)
    form = TeamForm(obj=None if request.method == "POST" else team)
    if request.method == "GET":
        form.domains.data = [d.value for d in team.domain_values]
    if form.validate_on_submit():
        try:
            update_team(team, current_user, domains=_domains(form.domains.data), **_team_fields(form))
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("Team %(name)s has been saved.", name=team.name), "success")
            return redirect(url_for("admin_teams.team_edit", team_id=team.id))
    # The members by name, a page at a time (a big city's team over the years), counted in SQL.
    in_team = Membership.team_id == team.id
    memberships = keyset(
        sa.select(Membership).join(User, User.id == Membership.user_id).where(in_team)
        .options(selectinload(Membership.user), selectinload(Membership.organisation)),
        User.name, Membership.id, cursor=request.args.get("members"), size=MEMBERS_PER_PAGE,
        newest_first=False, key_of=lambda m: (m.user.name, m.id),
        count=sa.select(sa.func.count(Membership.id)).where(in_team),
    )
    commitments = db.session.scalars(
        sa.select(Commitment)
        .join(Organisation, Organisation.id == Commitment.organisation_id)
        .where(Commitment.team_id == team.id)
        .order_by(Organisation.name)
        .options(selectinload(Commitment.organisation))
    ).all()
    return render_template(
        "accounts/admin/team_form.html", form=form, team=team, memberships=memberships, commitments=commitments
    )


@bp.get("/organisations")
def organisations():
    """Organisations by name, a page at a time (keyset over (name, id)), counted in SQL."""
    page = keyset(
        sa.select(Organisation).options(
            selectinload(Organisation.domains),
            selectinload(Organisation.commitments).selectinload(Commitment.team),
        ),
        Organisation.name, Organisation.id, cursor=request.args.get("after"), size=ORGANISATIONS_PER_PAGE,
        newest_first=False, count=sa.select(sa.func.count(Organisation.id)),
    )
    return render_template("accounts/admin/organisations.html", organisations=page, domain_labels=labels(Domain))


@bp.route("/organisations/new", methods=["GET", "POST"])
def organisation_new():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = create_organisation(
                current_user, name=form.name.data, domains=_domains(form.domains.data)
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s has been created. Now record its commitments.", name=organisation.name), "success")
            return redirect(url_for("admin_teams.organisation_edit", organisation_id=organisation.id))
    return render_template("accounts/admin/organisation_form.html", form=form, organisation=None)


def _render_organisation(
    organisation: Organisation,
    form: OrganisationForm | None = None,
    commitment_form: CommitmentForm | None = None,
    status: int = 200,
):
    if form is None:
        form = OrganisationForm(obj=organisation, formdata=None)
        form.domains.data = [d.value for d in organisation.domain_values]
    if commitment_form is None:
        commitment_form = CommitmentForm(formdata=None)
        commitment_form.set_choices(all_teams(active_only=True))
    commitments = db.session.scalars(
        sa.select(Commitment)
        .join(Team, Team.id == Commitment.team_id)
        .where(Commitment.organisation_id == organisation.id)
        .order_by(Team.name)
        .options(selectinload(Commitment.team))
    ).all()
    return (
        render_template(
            "accounts/admin/organisation_form.html",
            form=form,
            organisation=organisation,
            commitments=commitments,
            commitment_form=commitment_form,
        ),
        status,
    )


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
def organisation_edit(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    if request.method == "GET":
        return _render_organisation(organisation)
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            update_organisation(
                organisation, current_user,
                name=form.name.data, domains=_domains(form.domains.data), active=form.active.data,
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s has been saved.", name=organisation.name), "success")
            return redirect(url_for("admin_teams.organisation_edit", organisation_id=organisation.id))
    return _render_organisation(organisation, form=form)


@bp.post("/organisations/<int:organisation_id>/commitments")
def commitment_set(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    form = CommitmentForm()
    form.set_choices(all_teams(active_only=True))
    if form.validate_on_submit():
        team = db.session.get(Team, form.team_id.data)
        try:
            set_commitment(
                organisation, team, current_user,
                committed_on=form.committed_on.data, ended_on=form.ended_on.data, note=form.note.data or "",
                escalation_name=form.escalation_name.data or "", escalation_email=form.escalation_email.data or "",
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(
                _("The commitment of %(name)s to %(team)s has been saved.", name=organisation.name, team=team.name),
                "success",
            )
            return redirect(url_for("admin_teams.organisation_edit", organisation_id=organisation.id))
    return _render_organisation(organisation, commitment_form=form)


@bp.post("/commitments/<int:commitment_id>/end")
def commitment_end(commitment_id: int):
    commitment = get_or_404(Commitment, commitment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        end_commitment(commitment, current_user)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(
            _(
                "The commitment of %(name)s to %(team)s has ended.",
                name=commitment.organisation.name, team=commitment.team.name,
            ),
            "success",
        )
    return redirect(url_for("admin_teams.organisation_edit", organisation_id=commitment.organisation_id))
