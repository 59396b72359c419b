"""The pilot dashboard: a team's figures for a chosen period (chair, secretary, municipality),
every figure as CSV, and the printable period report for the council.

Who sees what: the chair and secretary see exact figures on the dashboard. Anything that leaves
the team shows counts of 1 to 4 as "< 5", leaves out medians and sums over fewer than five cases,
and leaves out ("—") any count from which a shown total would give one of them back
(``reports.figure_sums``): the CSV files, the period report, and the whole dashboard as the
municipality sees it (the municipality is outside the team). The municipality role sees these
pages only: no case content, queue, meetings or advice. A team the user has no part in answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from advice.closure.models import ClosureOutcome, EvaluationResult
from advice.settings import DEFAULT_WAITING_NORM_DAYS, AdviceSettings
from core import audit, spreadsheet
from core.clock import team_today, utcnow
from core.db import db
from core.documents import render_pdf, send_document
from core.forms import Form
from core.models import Team
from core.period import Period, preset
from core.text import xml_safe

from . import figure_sums, figures
from .figures import EVALUATION_KEYS, Figures, enough, suppress
from .permissions import FIGURE_ROLES, can_view_figures, sees_exact_figures
from .suppression import LEFT_OUT, among, mark

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")


FLOW_LABELS = {
    "submitted": _l("Submitted"), "accepted": _l("Accepted"), "returned": _l("Returned for more information"),
    "declined": _l("Declined"), "withdrawn": _l("Withdrawn"), "advised": _l("Advised"),
    "completed": _l("Completed"), "closed": _l("Closed"),
}
LEAD_LABELS = {
    "intake": _l("Submission → intake"), "meeting": _l("Intake → meeting"),
    "advice": _l("Meeting → advice issued"), "completed": _l("Advice → completed"),
    "waiting": _l("Submission → meeting (total waiting)"),
}
EVALUATION_COLUMN_LABELS = {
    EvaluationResult.HELD.value: _l("It holds"), EvaluationResult.PARTLY.value: _l("Partly holds"),
    EvaluationResult.NOT.value: _l("Does not hold"), "unknown": _l("Not yet known"),
}
PRESETS = {
    "this_quarter": _l("This quarter"), "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"), "last_year": _l("Last year"),
}
#: The follow-through counts in the order of the table download.
FT_COLUMNS = ("total", "confirmed", "done_on_time", "done_late", "refused", "open", "overdue", "dropped")
CSV_FIGURES = ("flow", "leadtimes", "followthrough", "outcomes", "domains", "organisations", "costs", "trend")
#: Longest period the pages accept (the queries are fine with more; the charts are not).
MAX_DAYS = 5 * 366


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


# --- loading with need-to-know ----------------------------------------------------------------

def figures_team(team_id: int) -> Team:
    """A team whose figures the user may see, or 404. Its waiting norm comes in the same
    statement (``g.waiting_norm_days``), so the figures need not ask for it again."""
    if team_id not in current_user.team_ids() or not can_view_figures(current_user, team_id):
        abort(404)
    row = db.session.execute(
        sa.select(Team, AdviceSettings.waiting_norm_days)
        .outerjoin(AdviceSettings, AdviceSettings.team_id == Team.id)
        .where(Team.id == team_id)
    ).first()
    if row is None:
        abort(404)
    team, norm = row
    g.waiting_norm_days = norm if norm is not None else DEFAULT_WAITING_NORM_DAYS
    return team


# --- period -----------------------------------------------------------------------------------

def period_from_request(team: Team) -> tuple[Period, str | None, str]:
    """The period asked for (a preset, or from/to dates), else this quarter; and an error
    message when the dates given were not usable; and the preset chosen ('' for own dates)."""
    today = team_today(team)
    name = request.args.get("preset", "")
    chosen = preset(name, today) if name else None
    error = None
    if chosen is None and (request.args.get("from") or request.args.get("to")):
        name = ""
        try:
            start = date.fromisoformat(request.args.get("from", ""))
            end = date.fromisoformat(request.args.get("to", ""))
        except ValueError:
            error = _("Enter both dates as year-month-day.")
        else:
            if end < start:
                error = _("The end date is before the start date.")
            elif (end - start).days > MAX_DAYS:
                error = _("Choose a period of at most five years.")
            else:
                chosen = (start, end)
    if chosen is None:
        name = name if name in PRESETS else "this_quarter"
        chosen = preset(name, today)
    return Period(chosen[0], chosen[1], team.timezone), error, name


def _period_args(period: Period) -> dict:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


# --- presentation helpers ---------------------------------------------------------------------

@dataclass
class Shown:
    """How figures are shown: exact (the team) or with small numbers suppressed; ``hidden``: the
    keys of the cells left out beyond that (``reports.figure_sums``)."""

    exact: bool
    hidden: frozenset = frozenset()

    def n(self, value: int | None, key=None) -> str:
        if value is None:
            return ""
        if not self.exact and key in self.hidden:
            return mark(value)
        return format_decimal(value) if self.exact or not 0 < value < figures.SUPPRESS_BELOW else suppress(value)

    def among(self, value: int, cases: int) -> str:
        """A count of things among ``cases`` (the lessons of a cause): left out below five cases."""
        return self.n(value) if self.exact or enough(cases) else among(value, cases)

    def stat(self, value: float | None, n: int) -> str:
        """A median or percentile over ``n`` cases: left out below five when not exact."""
        if value is None:
            return "–"
        if not self.exact and not enough(n):
            return _("(fewer than 5)")
        return format_decimal(value, format="#,##0.0")

    def money_ok(self, n: int) -> bool:
        return self.exact or enough(n)

    def bar_value(self, value: int, key=None) -> float:
        """Bar length: a suppressed or left-out count is drawn at a fixed half-length, never its value."""
        if self.exact or not (0 < value < figures.SUPPRESS_BELOW or (key in self.hidden and value)):
            return value
        return figures.SUPPRESS_BELOW / 2


def hbar_chart(rows: list[tuple[str, float, str]], *, width: int = 680, bar: int = 22, gap: int = 8,
               label_width: int = 300) -> dict:
    """Geometry of a horizontal bar chart drawn by the server as SVG: rows of (label, value,
    text shown at the bar's end). Bars scale to the largest value."""
    top = max((value for _label, value, _text in rows), default=0) or 1
    room = width - label_width - 60
    bars = []
    for i, (label, value, text) in enumerate(rows):
        y = i * (bar + gap)
        w = round(room * value / top, 1) if value and value > 0 else 0  # never a negative width
        bars.append({"label": xml_safe(label), "y": y, "w": w, "text": text, "text_x": label_width + w + 6,
                     "text_y": round(y + bar * 0.7, 1), "suppressed": text in ("< 5", LEFT_OUT)})
    return {"bars": bars, "width": width, "height": max(len(rows) * (bar + gap), bar), "bar": bar,
            "label_width": label_width}


def column_chart(months: list[dict], keys: tuple[str, str], shown: Shown, *, height: int = 180) -> dict:
    """Geometry of a grouped column chart per month (two series side by side)."""
    top = max((shown.bar_value(m[k]) for m in months for k in keys), default=0) or 1
    col, gap, group_gap = 18, 2, 22
    groups = []
    for i, m in enumerate(months):
        x = 40 + i * (2 * col + gap + group_gap)
        cols = []
        for j, k in enumerate(keys):
            h = round((height - 40) * shown.bar_value(m[k]) / top, 1)
            cols.append({"key": k, "x": x + j * (col + gap), "y": height - 20 - h, "h": h, "text": shown.n(m[k])})
        groups.append({"month": m["month"], "x": x, "cols": cols})
    width = 40 + len(months) * (2 * col + gap + group_gap) + 20
    return {"groups": groups, "width": max(width, 200), "height": height, "col": col, "base": height - 20}


def _charts(fig: Figures, shown: Shown) -> dict:
    def bar(label, value, key=None):
        return label, shown.bar_value(value, key), shown.n(value, key)

    flow = [bar(str(FLOW_LABELS[k]), fig.flow.counts[k], ("flow", k)) for k in figures.FLOW_KINDS]
    leads = []
    for k in figures.LEAD_KINDS:
        lt = fig.lead_times[k]
        ok = lt.median is not None and (shown.exact or enough(lt.count))
        leads.append((str(LEAD_LABELS[k]), lt.median if ok else 0, shown.stat(lt.median, lt.count)))
    outcomes = [bar(o.label, fig.outcomes.total(o.value), ("outcome", o.value)) for o in ClosureOutcome]
    domains = [bar(domain_label(combo), n, ("domain", combo)) for combo, n in fig.domains[:10]]
    orgs = [bar(o.organisation, o.cases) for o in fig.organisations]
    return {
        "flow": hbar_chart(flow), "leads": hbar_chart(leads), "outcomes": hbar_chart(outcomes),
        "domains": hbar_chart(domains), "organisations": hbar_chart(orgs),
        "trend": column_chart(fig.trend, ("confirmed", "done"), shown),
    }


def domain_label(combo) -> str:
    return " + ".join(d.label for d in combo)


# --- pages ------------------------------------------------------------------------------------

class NormForm(Form):
    waiting_norm_days = IntegerField(_l("Waiting norm: days from submission to the meeting"),
                                     validators=[InputRequired(), NumberRange(min=1, max=365)])
    save_norm = SubmitField(_l("Save the norm"))


def _context(team: Team, *, exact: bool):
    period, error, preset_name = period_from_request(team)
    fig = figures.compute(team, period, utcnow(), norm_days=g.get("waiting_norm_days"))
    shown = Shown(exact=exact, hidden=frozenset() if exact else figure_sums.hidden(fig))
    return dict(team=team, fig=fig, period=period, error=error, preset_name=preset_name, presets=PRESETS,
                shown=shown, charts=_charts(fig, shown), flow_labels=FLOW_LABELS, lead_labels=LEAD_LABELS,
                evaluation_labels=EVALUATION_COLUMN_LABELS, evaluation_keys=EVALUATION_KEYS, closure_outcomes=list(ClosureOutcome),
                domain_label=domain_label, period_args=_period_args(period), csv_figures=CSV_FIGURES,
                flow_kinds=figures.FLOW_KINDS, lead_kinds=figures.LEAD_KINDS,
                blocking=_blocking(team.id, period) if not error else [])


def _blocking(team_id: int, period: Period):
    """The rules and organisations that block most often (``reports.blocking``)."""
    from .blocking import blocking

    return blocking(team_id, period)


@bp.get("/teams/<int:team_id>")
def index(team_id: int):
    team = figures_team(team_id)
    exact = sees_exact_figures(current_user, team.id)
    ctx = _context(team, exact=exact)
    if ctx["error"]:
        flash(ctx["error"], "error")
    # The teams to switch between; the one shown needs no second look-up when it is the only one.
    figure_teams = current_user.team_ids(*FIGURE_ROLES)
    teams = [team] if figure_teams <= {team.id} else db.session.scalars(
        db.select(Team).where(Team.id.in_(figure_teams)).order_by(Team.name)
    ).all()
    norm_form = None
    if exact:
        norm_form = NormForm(waiting_norm_days=ctx["fig"].norm_days)
    return render_template("reports/index.html", teams=teams, norm_form=norm_form, **ctx)


@bp.get("/teams/<int:team_id>/report")
def report(team_id: int):
    """The printable period report for the council: figures only, small numbers suppressed."""
    team = figures_team(team_id)
    ctx = _context(team, exact=False)
    if ctx["error"]:
        abort(400, ctx["error"])
    return render_template("reports/report.html", generated=utcnow(), **ctx)


@bp.get("/teams/<int:team_id>/report.pdf")
def report_pdf(team_id: int):
    """The period report as PDF/A, for the council's records."""
    team = figures_team(team_id)
    ctx = _context(team, exact=False)
    if ctx["error"]:
        abort(400, ctx["error"])
    period = ctx["period"]
    def title():
        return f"{team.name} — {_('Period report')} {period.start:%d-%m-%Y} – {period.end:%d-%m-%Y}"

    body = render_pdf("reports/documents/report.html", title=title, generated=utcnow(), **ctx)
    return send_document(body, f"{team.code}-periode-{period.start.isoformat()}-{period.end.isoformat()}.pdf")


@bp.post("/teams/<int:team_id>/norm")
def norm(team_id: int):
    team = figures_team(team_id)
    if not sees_exact_figures(current_user, team.id):
        abort(403)
    form = NormForm()
    if form.validate_on_submit():
        settings = db.session.get(AdviceSettings, team.id)
        if settings is None:
            settings = AdviceSettings(team_id=team.id)
            db.session.add(settings)
        previous = settings.waiting_norm_days
        settings.waiting_norm_days = form.waiting_norm_days.data
        audit.record("team.waiting_norm", object_type="team", object_id=team.id, actor=current_user,
                     team_id=team.id, details={"from": previous, "to": form.waiting_norm_days.data})
        db.session.commit()
        flash(_("The waiting norm is now %(days)d days.", days=form.waiting_norm_days.data), "success")
    else:
        flash(_("The waiting norm must be a number of days from 1 to 365."), "error")
    period_args = {k: v for k in ("from", "to", "preset") if (v := request.args.get(k, ""))}
    return redirect(url_for("dashboard.index", team_id=team.id, **period_args))


# --- CSV and ODS ------------------------------------------------------------------------------

def _plain_stat(value: float | None, n: int) -> Decimal | None:
    if value is None or not enough(n):
        return None
    return Decimal(f"{value:.1f}")


def _money(cents: int, n: int) -> Decimal | None:
    return (Decimal(cents) / 100).quantize(Decimal("0.01")) if enough(n) else None


def _month(key: str) -> str:
    """A month key 'jjjj-mm' as Dutch readers write it: 'mm-jjjj'."""
    year, _sep, month = key.partition("-")
    return f"{month}-{year}" if month else key


def _count(n: int | None) -> int | str:
    """A count that leaves the team: a number, or "< 5" for 1 to 4."""
    shown = suppress(n)
    return int(shown) if shown.isdigit() else shown


def csv_rows(fig: Figures, figure: str) -> list[list]:
    """One figure as rows for a table download (a header first); counts below five suppressed, and
    the counts a total would give them back by left out ("—")."""
    hidden = figure_sums.hidden(fig)

    def s(n: int | None, key=None) -> int | str:
        return mark(n) if key in hidden else _count(n)

    if figure == "flow":
        rows = [[_("Figure"), _("Cases")]]
        rows += [[str(FLOW_LABELS[k]), s(fig.flow.counts[k], ("flow", k))] for k in figures.FLOW_KINDS]
        rows += [[_("Waiting in the queue now"), s(fig.flow.waiting_now)],
                 [_("Waiting longer than the norm now"), s(fig.flow.waiting_over_norm_now)]]
        return rows
    if figure == "leadtimes":
        rows = [[_("Lead time"), _("Cases"), _("Median (days)"), _("90th percentile (days)"),
                 _("More than the norm of %(days)d days", days=fig.norm_days)]]
        for k in figures.LEAD_KINDS:
            lt = fig.lead_times[k]
            rows.append([str(LEAD_LABELS[k]), s(lt.count, ("lead", k)), _plain_stat(lt.median, lt.count),
                         _plain_stat(lt.p90, lt.count), s(lt.over_norm) if k == "waiting" else ""])
        return rows
    if figure == "followthrough":
        rows = [[_("Organisation"), _("Actions"), _("Confirmed"), _("Done on time"), _("Done late"), _("Refused"),
                 _("Open"), _("Overdue"), _("Dropped"), _("Median days to confirm"), _("Median days to complete")]]
        for o in fig.follow_through + [fig.follow_through_total]:
            name = o.organisation or _("All organisations")
            rows.append([name, *(s(getattr(o, f), ("ft", o.organisation_id, f)) for f in FT_COLUMNS),
                         _plain_stat(o.median_days_to_confirm, o.confirmed),
                         _plain_stat(o.median_days_to_complete, o.done_on_time + o.done_late)])
        return rows
    if figure == "outcomes":
        rows = [[_("Outcome at closing"), _("Cases")] + [str(EVALUATION_COLUMN_LABELS[k]) for k in EVALUATION_KEYS]]
        for o in ClosureOutcome:
            rows.append([o.label, s(fig.outcomes.total(o.value), ("outcome", o.value))]
                        + [s(fig.outcomes.table[o.value][k], ("outcome", o.value, k)) for k in EVALUATION_KEYS])
        return rows
    if figure == "domains":
        return [[_("Domains"), _("Cases")]] + [[domain_label(c), s(n, ("domain", c))] for c, n in fig.domains]
    if figure == "organisations":
        return [[_("Organisation"), _("Cases involved"), _("Cases with actions")]] + [
            [o.organisation, s(o.cases), s(o.with_actions)] for o in fig.organisations]
    if figure == "costs":
        c = fig.costs
        return [[_("Figure"), _("Value")],
                [_("Advised cases"), s(c.cases)],
                [_("Carrying on (current path), euro"), _money(c.current_cents, c.cases)],
                [_("Breaking through (proposed steps), euro"), _money(c.breakthrough_cents, c.cases)],
                [_("Net (carrying on minus breaking through), euro"), _money(c.net_cents, c.cases)]]
    if figure == "trend":
        return [[_("Month"), _("Actions confirmed"), _("Actions done")]] + [
            [_month(m["month"]), s(m["confirmed"]), s(m["done"])] for m in fig.trend]
    raise KeyError(figure)


def _table_export(team_id: int, fmt: str):
    team = figures_team(team_id)
    figure = request.args.get("figure", "")
    if figure not in CSV_FIGURES:
        abort(404)
    period, error, _preset = period_from_request(team)
    if error:
        abort(400, error)
    fig = figures.compute(team, period, utcnow(), norm_days=g.get("waiting_norm_days"))
    name = f"{team.code}-{figure}-{period.start.isoformat()}-{period.end.isoformat()}"
    return spreadsheet.download(csv_rows(fig, figure), name, fmt, sheet=figure)


@bp.get("/teams/<int:team_id>/figures.csv", endpoint="csv")
def csv_export(team_id: int):
    return _table_export(team_id, "csv")


@bp.get("/teams/<int:team_id>/figures.ods", endpoint="ods")
def ods_export(team_id: int):
    return _table_export(team_id, "ods")
