"""Case pages: intake and the queue, the case page, who read a case and its export (GDPR art. 15).
Thin: forms validate, services change state, we commit."""
from __future__ import annotations

import io
import json
import zipfile

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import audit, privacy
from core.clock import utcnow
from core.db import db
from core.documents import render_pdf, send_document
from core.errors import ServiceError
from core.filters import waited
from core.i18n import labels
from core.models import Domain, Role, Team
from core.people import organisations_committed_first
from core.routing import parse_id
from core.web import audit_read, get_team, show_refusal

from core.slots import fill_slots

from . import lawful_basis, lists, notices, permissions, repeats, services
from .forms import (
    CaseForm,
    CriterionForm,
    CriterionToggleForm,
    IntakeForm,
    QueueFilterForm,
    ReasonForm,
    SubmitForm,
)
from .models import Case, CaseStatus, InclusionCriterion, Urgency
from .web import get_case

bp = Blueprint("casefiles", __name__, template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _stale(form_version: str | None, case: Case) -> bool:
    return str(case.version) != (form_version or "")


def _saved(case: Case, form: CaseForm, saved_message: str):
    """Finish a save: submit too when asked. A refused submit keeps the draft (nothing is lost)
    and sends the owner back to the form with each missing field marked."""
    if form.save_submit.data:
        try:
            services.submit_case(case, current_user)
        except ServiceError as exc:
            db.session.commit()
            flash(_("Draft saved.") + " " + exc.message, "error")
            return redirect(url_for("casefiles.edit", case_id=case.id, check=1))
        saved_message = _("Case %(reference)s has been submitted to the expert team.", reference=case.reference)
    db.session.commit()
    flash(saved_message, "success")
    return redirect(url_for("casefiles.detail", case_id=case.id))


@bp.get("/")
def index():
    """Home: what this person works on. Open cases in full; closed, declined and withdrawn
    ones a page at a time (``?done=``), counted in SQL."""
    user = current_user
    if user.is_admin and not user.team_ids():
        return redirect(url_for("admin.index"))
    owner_teams = user.team_ids(Role.CASE_OWNER)
    by_status: dict[CaseStatus, list[Case]] = {}
    done = None
    if owner_teams:
        for case in lists.my_open_cases(user, owner_teams):
            by_status.setdefault(case.status, []).append(case)
        done = lists.my_final_cases(user, owner_teams, cursor=request.args.get("done"))
    lead_teams = sorted(user.team_ids(Role.CHAIR, Role.SECRETARY))
    intake = lists.intake_cases(lead_teams) if lead_teams else []
    teams = db.session.scalars(sa.select(Team).where(Team.id.in_(user.team_ids() or {-1})).order_by(Team.name)).all()
    return render_template(
        "casefiles/index.html",
        by_status=by_status,
        statuses=list(CaseStatus),
        done=done,
        intake=intake,
        teams=teams,
        owner_teams=owner_teams,
        queue_teams=user.team_ids(Role.EXPERT, Role.CHAIR, Role.SECRETARY),
        notices=notices.home_notices(user),
    )


@bp.route("/teams/<int:team_id>/cases/new", methods=["GET", "POST"])
def new(team_id: int):
    team = get_team(team_id)
    if not permissions.can_create_case(current_user, team.id):
        abort(403)
    form = CaseForm()
    form.set_choices(team.domain_values, organisations_committed_first(team), _bases(team.id))
    if request.method == "GET":
        referring = lawful_basis.owner_organisation_id(current_user, team.id)
        form.referring_organisation.data = str(referring) if referring else ""
    if form.validate_on_submit():
        case = services.create_case(
            team,
            current_user,
            domains=[Domain(d) for d in form.domains.data],
            organisation_ids=form.organisations.data,
            recipient_grounds=form.grounds,
            **form.case_fields(),
        )
        return _saved(case, form, _("Draft %(reference)s saved.", reference=case.reference))
    return render_template("casefiles/form.html", form=form, team=team, case=None, grounds=_posted_grounds(form))


def _bases(team_id: int):
    """The team's legal grounds for the form; a team without a list gets the starting list."""
    if lawful_basis.ensure_list(team_id):
        db.session.commit()
    return lawful_basis.bases(team_id)


def _posted_grounds(form: CaseForm) -> dict[int, int]:
    return {org_id: ground for org_id, _name in form.organisations.choices
            if (ground := parse_id(request.form.get(f"ground-{org_id}"))) is not None}


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    case = get_case(case_id)
    if not permissions.can_edit(current_user, case):
        abort(403)
    form = CaseForm(obj=None if request.method == "POST" else case)
    if request.method == "GET":
        form.domains.data = [d.value for d in case.domain_values]
        form.organisations.data = case.organisation_ids
        form.urgency.data = case.urgency.value
        form.consent_method.data = case.consent_method.value if case.consent_method else ""
        form.referring_organisation.data = str(case.referring_organisation_id or "")
        form.version.data = str(case.version)
        if request.args.get("check"):
            # Coming back from a refused submit: mark each missing field where it is.
            for name in services.missing_fields_for_submit(case):
                getattr(form, name).errors = [_("Fill this in before submitting.")]
    form.set_choices(case.team.domain_values, organisations_committed_first(case.team), _bases(case.team_id))
    if form.validate_on_submit():
        if _stale(form.version.data, case):
            flash(_("This case was changed by someone else while you were editing. Your changes were not saved; here is the current version."), "error")
            return redirect(url_for("casefiles.edit", case_id=case.id))
        services.update_case(
            case,
            current_user,
            domains=[Domain(d) for d in form.domains.data],
            organisation_ids=form.organisations.data,
            recipient_grounds=form.grounds,
            **form.case_fields(),
        )
        return _saved(case, form, _("Changes saved."))
    grounds = ({g.organisation_id: g.legal_basis_id for g in case.recipient_grounds} if request.method == "GET"
               else _posted_grounds(form))
    ground_problems = lawful_basis.missing_grounds(case) if request.args.get("check") else []
    return render_template("casefiles/form.html", form=form, team=case.team, case=case, grounds=grounds,
                           ground_problems=ground_problems)


@bp.get("/cases/<int:case_id>")
def detail(case_id: int):
    case = get_case(case_id)
    audit_read(case, "detail")  # BIO 8.15.01: reads of case content are audited
    return render_template(
        "casefiles/detail.html",
        case=case,
        events=lists.timeline_page(case, cursor=request.args.get("events")),
        missing=services.missing_for_submit(case) if permissions.can_submit(current_user, case) else [],
        submit_form=SubmitForm(version=str(case.version)),
        perms=permissions,
        notices=notices.case_notices(current_user, case),
        earlier=repeats.earlier_case(case),
        slots=fill_slots("casefiles.detail", case=case),
    )


@bp.post("/cases/<int:case_id>/submit")
def submit(case_id: int):
    case = get_case(case_id)
    form = SubmitForm()
    if not permissions.can_submit(current_user, case):
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    if _stale(form.version.data, case):
        flash(_("This case was changed in the meantime. Check it and submit again."), "error")
        return redirect(url_for("casefiles.detail", case_id=case.id))
    try:
        services.submit_case(case, current_user)
    except ServiceError as exc:
        show_refusal(exc)
        return redirect(url_for("casefiles.detail", case_id=case.id))
    db.session.commit()
    flash(_("Case %(reference)s has been submitted to the expert team.", reference=case.reference), "success")
    return redirect(url_for("casefiles.detail", case_id=case.id))


def _criteria(team_id: int) -> list[InclusionCriterion]:
    return list(
        db.session.scalars(
            sa.select(InclusionCriterion)
            .where(InclusionCriterion.team_id == team_id, InclusionCriterion.active.is_(True))
            .order_by(InclusionCriterion.position, InclusionCriterion.id)
        )
    )


@bp.route("/cases/<int:case_id>/intake", methods=["GET", "POST"])
def intake(case_id: int):
    case = get_case(case_id)
    if not permissions.can_intake(current_user, case):
        abort(403)
    form = IntakeForm()
    criteria = _criteria(case.team_id)
    form.criteria.choices = [(c.id, c.text) for c in criteria]
    if form.validate_on_submit():
        message = (form.message.data or "").strip()
        try:
            if form.accept.data:
                services.accept_case(case, current_user, criteria_met=form.criteria.data, note=message)
                done = _("Case %(reference)s accepted into the queue.", reference=case.reference)
            elif form.return_.data:
                services.return_case(case, current_user, message=message)
                done = _("Case %(reference)s returned to the case owner.", reference=case.reference)
            elif form.decline.data:
                services.decline_case(case, current_user, reason=message)
                done = _("Case %(reference)s declined.", reference=case.reference)
            else:
                abort(400)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("casefiles.detail", case_id=case.id))
    return render_template("casefiles/intake.html", case=case, form=form, earlier=repeats.earlier_case(case))


@bp.route("/cases/<int:case_id>/withdraw", methods=["GET", "POST"])
def withdraw(case_id: int):
    case = get_case(case_id)
    if not permissions.can_withdraw(current_user, case):
        abort(403)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.withdraw_case(case, current_user, reason=form.reason.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Case %(reference)s withdrawn.", reference=case.reference), "success")
            return redirect(url_for("casefiles.detail", case_id=case.id))
    return render_template("casefiles/withdraw.html", case=case, form=form)


def _waited_labels(cases: list[Case]) -> list[str]:
    """How long each case waited (``core.filters.waited``), worked out once per number of days
    rather than once per row."""
    now, by_days, out = utcnow(), {}, []
    for case in cases:
        days = (now - case.queued_at).days if case.queued_at else None
        if days not in by_days:
            by_days[days] = waited(case.queued_at, now)
        out.append(by_days[days])
    return out


@bp.get("/teams/<int:team_id>/queue")
def queue(team_id: int):
    team = get_team(team_id)
    if not permissions.can_view_queue(current_user, team.id):
        abort(403)
    form = QueueFilterForm(request.args)
    form.domain.choices = [("", _("All"))] + [(d.value, d.label) for d in team.domain_values]
    domain = urgency = None
    if form.validate():
        domain = Domain(form.domain.data) if form.domain.data else None
        urgency = Urgency(form.urgency.data) if form.urgency.data else None
    query = services.queue_query(team.id, domain=domain, urgency=urgency, eager=False)
    cases = lists.queue_cases(query)  # open work: the whole queue
    return render_template("casefiles/queue.html", team=team, cases=cases, domains=lists.domains_of(query),
                           waited=_waited_labels(cases), domain_labels=labels(Domain), form=form)


@bp.route("/teams/<int:team_id>/criteria", methods=["GET", "POST"])
def criteria(team_id: int):
    team = get_team(team_id)
    if not permissions.is_lead(current_user, team.id):
        abort(403)
    form = CriterionForm()
    remove_form = CriterionToggleForm()
    if request.method == "POST":
        try:
            if "criterion_id" in request.form:
                if remove_form.validate_on_submit():
                    services.remove_criterion(team, remove_form.criterion_id.data, current_user)
                    db.session.commit()
                    flash(_("Criterion removed."), "success")
                    return redirect(url_for("casefiles.criteria", team_id=team.id))
            elif form.validate_on_submit():
                services.add_criterion(team, form.text.data.strip(), current_user)
                db.session.commit()
                flash(_("Criterion added."), "success")
                return redirect(url_for("casefiles.criteria", team_id=team.id))
        except ServiceError as exc:
            show_refusal(exc)
    return render_template(
        "casefiles/criteria.html", team=team, form=form, remove_form=remove_form, criteria=_criteria(team.id)
    )


EVENT_LABELS = {
    "case.create": _l("Draft created"),
    "case.update": _l("Changed"),
    "case.submit": _l("Submitted"),
    "case.return": _l("Returned for more information"),
    "case.accept": _l("Accepted into the queue"),
    "case.decline": _l("Declined"),
    "case.withdraw": _l("Withdrawn"),
    "case.schedule": _l("Put on the agenda"),
    "case.postpone": _l("Postponed"),
    "case.discuss": _l("Discussed"),
    "case.advise": _l("Advice issued"),
    "case.start_execution": _l("Execution started"),
    "case.complete": _l("Completed"),
    "case.close": _l("Closed"),
}


def event_label(action: str) -> str:
    """The timeline's words for an audited step of a case."""
    return str(EVENT_LABELS.get(action, action))


# --- privacy: who read the case, and its export ---------------------------------------------

@bp.get("/cases/<int:case_id>/reads")
def reads(case_id: int):
    case = get_case(case_id)
    if not permissions.can_see_reads(current_user, case):
        abort(403)
    events = lists.reads_page(case, cursor=request.args.get("reads"))
    audit.record("case.read_log", object_type=privacy.ACCESS, object_id=case.id, actor=current_user, team_id=case.team_id,
                 details={"reference": case.reference, "view": "access_log"})
    privacy.commit_read()  # keeps the page's rows loaded (a plain commit would reload each one)
    return render_template("casefiles/reads.html", case=case, events=events)


@bp.get("/cases/<int:case_id>/export")
def export(case_id: int):
    """JSON (``?format=json``, a download) or a readable HTML page; re-authentication first
    (``accounts.security.require_recent_auth``, set by ``casefiles.init_app``); audited once the
    answer is built (an export that fails to build is no read)."""
    case = get_case(case_id)
    if not permissions.can_export(current_user, case):
        abort(403)
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "json", "pdf", "zip"):
        abort(400)
    response = _export_response(case, privacy.build_export(case), fmt)
    audit.record("case.export", object_type=privacy.ACCESS, object_id=case.id, actor=current_user, team_id=case.team_id,
                 details={"reference": case.reference, "view": f"export_{fmt}"})
    db.session.commit()
    return response


def _export_response(case: Case, data: dict, fmt: str):
    if fmt == "json":
        return send_document(json.dumps(data, ensure_ascii=False, indent=2).encode(), f"{case.reference}-export.json",
                             "application/json")
    if fmt == "html":
        return make_response(render_template("casefiles/export.html", case=case, data=data))

    def title():
        return _("Export of %(reference)s", reference=case.reference)

    pdf = render_pdf("casefiles/documents/export.html", title=title, case=case, data=data)
    if fmt == "pdf":
        return send_document(pdf, f"{case.reference}-export.pdf")
    # Everything in one file: the data (JSON and PDF/A) and the files attached to the case.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{case.reference}-export.json", json.dumps(data, ensure_ascii=False, indent=2))
        z.writestr(f"{case.reference}-export.pdf", pdf)
        for name, body in privacy.export_files(case):
            z.writestr(name, body)
    return send_document(out.getvalue(), f"{case.reference}-export.zip", "application/zip")
