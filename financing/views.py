"""The financing pages (blueprint ``financing``): a team's agreements, one agreement with its
ledger (derived now, what is booked, the corrections), and the financier's statement of a period
as a page, a CSV file and a printable page.

Need-to-know: the team's chair, its municipality and administrators see these pages; for anyone
else the team and its agreements do not exist (404). Changing an agreement, marking cases and
booking are for the chair and administrators (403 for the municipality). Every page runs a fixed
number of statements, whatever the number of cases.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import spreadsheet
from core.clock import team_today, utcnow
from core.db import db
from core.documents import render_pdf, send_document
from core.errors import ServiceError
from core.forms import PostForm
from core.models import Team
from core.web import posted_version, require, show_refusal
from reports.dashboard import PRESETS, period_from_request
from reports.suppression import LEFT_OUT

from . import services, statement
from .forms import AgreementForm, MarkForm
from .models import FinancingAgreement, LedgerState, Scope
from .permissions import VIEW_ROLES, can_manage_agreements, can_view_financing

bp = Blueprint("financing", __name__, url_prefix="/financing")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


# --- loading with need-to-know ----------------------------------------------------------------

def financing_team(team_id: int) -> Team:
    if not can_view_financing(current_user, team_id):
        abort(404)
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return team


def get_agreement(agreement_id: int) -> FinancingAgreement:
    agreement = db.session.scalar(sa.select(FinancingAgreement).where(FinancingAgreement.id == agreement_id)
                                  .options(sa.orm.joinedload(FinancingAgreement.team)))
    if agreement is None or not can_view_financing(current_user, agreement.team_id):
        abort(404)
    return agreement


# --- the team's agreements --------------------------------------------------------------------

@bp.get("/")
def index():
    """The teams whose agreements the user sees (an administrator: every team)."""
    query = sa.select(Team).order_by(Team.name)
    if not current_user.is_admin:
        query = query.where(Team.id.in_(current_user.team_ids(*VIEW_ROLES)))
    teams = db.session.scalars(query).all()
    if len(teams) == 1:
        return redirect(url_for("financing.team", team_id=teams[0].id))
    if not teams:
        abort(404)
    return render_template("financing/index.html", teams=teams)


@bp.get("/teams/<int:team_id>")
def team(team_id: int):
    team = financing_team(team_id)
    agreements = db.session.scalars(sa.select(FinancingAgreement).where(FinancingAgreement.team_id == team.id)
                                    .order_by(FinancingAgreement.starts_on.desc(), FinancingAgreement.id.desc())).all()
    return render_template("financing/team.html", team=team, agreements=agreements,
                           can_manage=can_manage_agreements(current_user, team.id))


def _terms(form: AgreementForm) -> services.Terms:
    return services.Terms(
        financier=form.financier.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        scope=form.scope.data, price_kind=form.price_kind.data, price_cents=form.price.cents,
        cap_cents=form.cap.cents, partial_share_percent=form.partial_share_percent.data,
        grace_days=form.grace_days.data, missing_rule=form.missing_rule.data)


@bp.route("/teams/<int:team_id>/new", methods=["GET", "POST"])
def new(team_id: int):
    team = financing_team(team_id)
    require(can_manage_agreements(current_user, team.id))
    form = AgreementForm()
    if form.validate_on_submit():
        try:
            agreement = services.create_agreement(team, current_user, _terms(form))
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("The agreement is saved."), "success")
            return redirect(url_for("financing.agreement", agreement_id=agreement.id))
    return render_template("financing/edit.html", team=team, form=form, agreement=None)


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
def edit(agreement_id: int):
    agreement = get_agreement(agreement_id)
    require(can_manage_agreements(current_user, agreement.team_id))
    form = AgreementForm(obj=agreement) if request.method == "GET" else AgreementForm()
    if request.method == "GET":
        form.price.data = _plain_euros(agreement.price_cents) if agreement.price_cents else ""
        form.cap.data = _plain_euros(agreement.cap_cents) if agreement.cap_cents is not None else ""
        form.scope.data, form.price_kind.data = agreement.scope.value, agreement.price_kind.value
        form.missing_rule.data, form.version.data = agreement.missing_rule.value, agreement.version
    elif form.validate_on_submit():
        try:
            services.update_agreement(agreement, current_user, _terms(form), version=posted_version(form.version.data))
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("The agreement is saved. The next booking corrects the amounts that change."), "success")
            return redirect(url_for("financing.agreement", agreement_id=agreement.id))
    return render_template("financing/edit.html", team=agreement.team, form=form, agreement=agreement)


def _plain_euros(cents: int) -> str:
    return format_decimal(Decimal(cents) / 100, format="#,##0.00")


# --- one agreement: the ledger -----------------------------------------------------------------

@bp.get("/agreements/<int:agreement_id>")
def agreement(agreement_id: int):
    agreement = get_agreement(agreement_id)
    today = team_today(agreement.team)
    can_manage = can_manage_agreements(current_user, agreement.team_id)
    return render_template(
        "financing/agreement.html", agreement=agreement, team=agreement.team, today=today,
        summary=statement.summary(agreement, today),
        cases=statement.ledger_page(agreement, today, request.args.get("cases")),
        corrections=statement.corrections_page(agreement, request.args.get("corr")),
        states=statement.STATES, can_manage=can_manage,
        mark_form=MarkForm() if can_manage and agreement.scope == Scope.MARKED else None,
        post_form=PostForm(), State=LedgerState)


@bp.post("/agreements/<int:agreement_id>/mark")
def mark(agreement_id: int):
    agreement = get_agreement(agreement_id)
    require(can_manage_agreements(current_user, agreement.team_id))
    form = MarkForm()
    if not form.validate_on_submit():
        flash(_("Enter the case reference."), "error")
    else:
        try:
            case = services.mark_case(agreement, current_user, form.reference.data)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("Case %(reference)s falls under the agreement.", reference=case.reference), "success")
    return redirect(url_for("financing.agreement", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/unmark/<int:case_id>")
def unmark(agreement_id: int, case_id: int):
    agreement = get_agreement(agreement_id)
    require(can_manage_agreements(current_user, agreement.team_id))
    if PostForm().validate_on_submit():
        try:
            services.unmark_case(agreement, current_user, case_id)
        except ServiceError as exc:
            show_refusal(exc)
        else:
            db.session.commit()
            flash(_("The case no longer falls under the agreement."), "success")
    return redirect(url_for("financing.agreement", agreement_id=agreement.id))


@bp.post("/agreements/<int:agreement_id>/book")
def book(agreement_id: int):
    agreement = get_agreement(agreement_id)
    require(can_manage_agreements(current_user, agreement.team_id))
    if PostForm().validate_on_submit():
        entries, corrections = services.book_now(agreement, current_user)
        db.session.commit()
        flash(_("Booked: %(entries)d entries, %(corrections)d corrections.", entries=entries,
                corrections=corrections), "success")
    return redirect(url_for("financing.agreement", agreement_id=agreement.id))


# --- the financier's statement ------------------------------------------------------------------

#: How the statement leaves figures out: on the page, the printable page, the PDF and the
#: downloads alike. Lazy, so the archived PDF, rendered in Dutch whatever the reader's language,
#: says it in Dutch too.
FOOTNOTE = _l("No case details. Numbers from 1 to 4 are shown as “< 5”. A dash (—) marks a figure left "
             "out: the amount of fewer than 5 cases, or a number or amount left out so that it cannot be "
             "worked out from a total. The amounts due for the period and in all are always given.")


def footnote() -> str:
    """The footnote in the reader's language (the downloads' last row)."""
    return str(FOOTNOTE)


def _statement_context(agreement: FinancingAgreement):
    period, error, preset_name = period_from_request(agreement.team)
    st = statement.statement(agreement, period.start, period.end)
    return dict(agreement=agreement, team=agreement.team, period=period, error=error, preset_name=preset_name,
                presets=PRESETS, st=st, states=statement.LISTED, shown=statement.disclosed(st),
                footnote=FOOTNOTE,
                period_args={"from": period.start.isoformat(), "to": period.end.isoformat()})


@bp.get("/agreements/<int:agreement_id>/statement")
def statement_page(agreement_id: int):
    ctx = _statement_context(get_agreement(agreement_id))
    if ctx["error"]:
        flash(ctx["error"], "error")
    return render_template("financing/statement.html", **ctx)


@bp.get("/agreements/<int:agreement_id>/statement/print")
def statement_print(agreement_id: int):
    ctx = _statement_context(get_agreement(agreement_id))
    if ctx["error"]:
        abort(400, ctx["error"])
    return render_template("financing/statement_print.html", generated=utcnow(), **ctx)


@bp.get("/agreements/<int:agreement_id>/statement.pdf")
def statement_pdf(agreement_id: int):
    """The statement as PDF/A, for the financier's and the municipality's records."""
    agreement = get_agreement(agreement_id)
    ctx = _statement_context(agreement)
    if ctx["error"]:
        abort(400, ctx["error"])
    period = ctx["period"]

    def title():
        return f"{agreement.team.name} — {_('Pay for success: statement')} {period.start:%d-%m-%Y} – {period.end:%d-%m-%Y}"

    body = render_pdf("documents/financing_statement.html", title=title, generated=utcnow(), **ctx)
    name = f"{agreement.team.code}-financing-{agreement.id}-{period.start.isoformat()}-{period.end.isoformat()}.pdf"
    return send_document(body, name)


def _euros(cents: int | None) -> Decimal | str:
    return LEFT_OUT if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01"))


def statement_rows(st: statement.Statement) -> list[list]:
    """The statement as table rows (a header first, the footnote last), as the page shows it
    (``statement.disclosed``): counts 1 to 4 as "< 5", what is left out as "—"."""
    shown = statement.disclosed(st)
    booked, position = _("Booked in the period"), _("Position at the end of the period")
    rows = [[_("Part"), _("State"), _("Cases"), _("Amount (euro)")]]
    for state in statement.LISTED:
        row = ("booked", state.value)
        rows.append([booked, state.label, shown.count(row), _euros(shown.amount(row))])
    rows.append([_("Corrections in the period"), "", shown.count(("corrections",)),
                 _euros(shown.amount(("corrections",)))])
    rows.append([_("Due for the period"), "", None, _euros(st.due_cents)])
    for state in statement.LISTED:
        row = ("position", state.value)
        rows.append([position, state.label, shown.count(row), _euros(shown.amount(row))])
    rows.append([position, _("Total due"), shown.count(("position", "total")), _euros(st.position.total_cents)])
    rows.append([_("How this statement is made"), footnote(), None, None])
    return rows


def statement_export(agreement_id: int, fmt: str):
    agreement = get_agreement(agreement_id)
    ctx = _statement_context(agreement)
    if ctx["error"]:
        abort(400, ctx["error"])
    period = ctx["period"]
    name = f"{agreement.team.code}-financing-{agreement.id}-{period.start.isoformat()}-{period.end.isoformat()}"
    return spreadsheet.download(statement_rows(ctx["st"]), name, fmt, sheet="statement")


bp.add_url_rule("/agreements/<int:agreement_id>/statement.csv", endpoint="statement_csv",
                view_func=statement_export, defaults={"fmt": "csv"})
bp.add_url_rule("/agreements/<int:agreement_id>/statement.ods", endpoint="statement_ods",
                view_func=statement_export, defaults={"fmt": "ods"})
