"""Template filters and globals: markdown, dates, labels."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import markdown as md
import nh3
from flask import Flask, g, has_request_context
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
)
from flask_babel import gettext as _
from markupsafe import Markup

from .clock import utcnow
from .i18n import request_locale
from .registry import add_template_global

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "a", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Render markdown, then sanitise the HTML: user HTML is never trusted.

    A single line break is kept as a line break (professionals do not write Markdown); the safe
    subset of Markdown (emphasis, lists, tables, links) still works. Raw HTML in the source is escaped by nh3's allow-list; links keep only http(s) and mailto
    schemes and get rel="noopener noreferrer nofollow".
    """
    if not text:
        return Markup("")
    # nl2br: professionals write on separate lines, not Markdown; a line break stays a line break.
    html = md.markdown(text, extensions=["sane_lists", "tables", "nl2br"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above; the only Markup() on user data


# One format per kind of moment, everywhere (pages, e-mails, documents): a calendar day (a deadline,
# a consent date, a period's bounds) as "5 mrt 2026"; a moment something happened (an event, a
# save, an issue) as "5 mrt 2026, 14:07", in the reader's language and the team's time zone.
# Meetings have their own "dinsdag 3 maart, 9:00–12:00" (``meeting/_macros.html``).

def local_datetime(value: datetime | None, pattern: str | None = None) -> str:
    """A moment: "5 mrt 2026, 14:07" (Dutch) or "Mar 5, 2026, 2:07 PM" (English). ``pattern``
    only for the meeting's own kinds (its day and clock times, in ``meeting/_macros.html``)."""
    if value is None:
        return ""
    if pattern:
        return format_datetime(value, pattern)
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def local_date(value: date | datetime | None) -> str:
    """A calendar day: "5 mrt 2026" (Dutch) or "Mar 5, 2026" (English). A list repeats the same
    days, so each day is formatted once per request and language."""
    if value is None:
        return ""
    return once_per_request("formatted_dates", value, lambda: format_date(value, "medium"))


def once_per_request(name: str, value, make: Callable[[], str]) -> str:
    """``make()``, the text of ``value``, made once per request and language (a page repeats the
    same days and times) and kept in ``g.<name>``; outside a request made every time."""
    if not has_request_context():
        return make()
    return _remembered(g.setdefault(name, {}), (value, request_locale().language), make)


def _remembered(memo: dict, key, make: Callable[[], str]) -> str:
    text = memo.get(key)
    if text is None:
        text = memo[key] = make()
    return text


def date_formatter():
    """``local_date`` for the rows of a list: the locale is looked up once, and each day is
    formatted once per request (the same memo as ``local_date``). In a template:
    ``{% set day = date_formatter() %}`` … ``{{ day(row.deadline) }}``."""
    if not has_request_context():
        return local_date
    memo = g.setdefault("formatted_dates", {})
    language = request_locale().language
    return lambda value: "" if value is None else _remembered(memo, (value, language), lambda: format_date(value, "medium"))


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long a case has waited, in days (weeks past two weeks)."""
    if since is None:
        return ""
    days = ((now or utcnow()) - since).days
    if days < 14:
        return _("%(num)d days", num=days) if days != 1 else _("1 day")
    return _("%(num)d weeks", num=days // 7)


def number(value, decimals: int | None = None) -> str:
    """A number in the reader's language ("1.234,5" in Dutch), with ``decimals`` fixed digits
    after the separator when given; "—" for none."""
    if value is None:
        return "—"
    if decimals is None:
        return format_decimal(value)
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""))


def percent(value, decimals: int = 1) -> str:
    """A percentage (of 0–100) in the reader's language: "50,0 %" in Dutch; "—" for none."""
    if value is None:
        return "—"
    return number(value, decimals) + "\u00a0%"


def euros(cents: int | None) -> str:
    """An amount kept in cents, in the reader's language ("€ 1.234,50" in Dutch); "" for none."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["euros"] = euros
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["datetime"] = local_datetime
    app.jinja_env.filters["date"] = local_date
    app.jinja_env.filters["waited"] = waited
    add_template_global(app, "date_formatter", date_formatter)
    add_template_global(app, "current_locale", lambda: str(get_locale()))
