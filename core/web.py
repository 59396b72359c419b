"""Web helpers every package's views use: reporting a refused step, a safe ``next``, loading a
team the user belongs to; and the web layer of the app: security headers with a per-response
CSP nonce, error pages with a reference that matches one log line."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from . import privacy
from .db import db
from .errors import PermissionDenied, ServiceError
from .models import Team
from .registry import add, add_template_global, registry
from .routing import MAX_ID
from .text import UNSTORABLE_MESSAGE, unstorable

# --- views ------------------------------------------------------------------------------------


def show_refusal(exc: ServiceError, form=None) -> None:
    """Roll back the refused step, then: a ``PermissionDenied`` answers 403; an error that names
    a field of ``form`` (``exc.field``) is shown on that field; anything else is flashed."""
    db.session.rollback()
    if isinstance(exc, PermissionDenied):
        abort(403)
    field = getattr(exc, "field", None)
    if form is not None and field and field in form:
        form[field].errors = list(form[field].errors) + [exc.message]
    else:
        flash(exc.message, "error")


def home_url() -> str:
    """Where a signed-in person starts (``HOME_ENDPOINT``, set by the app's configuration)."""
    return url_for(current_app.config["HOME_ENDPOINT"])


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def require(allowed: bool) -> None:
    """Refuse the request (403) unless ``allowed``: the user may see the object, not do this."""
    if not allowed:
        abort(403)


def posted_version(value: str | None) -> int:
    """The version a form was loaded at (optimistic locking), or the id of a row a button names;
    a tampered value, also one no integer column holds, is a 400."""
    try:
        number = int(value or "")
    except ValueError:
        abort(400)
    if not 0 <= number <= MAX_ID:
        abort(400)
    return number


def audit_read(case, what: str) -> None:
    """Audit that the signed-in user read case content on this page (BIO 8.15.01), and commit
    the audit row without expiring what the page has loaded."""
    privacy.record_read(case, current_user, what)
    privacy.commit_read()


# --- numbers about the signed-in user, read with the user ---------------------------------------

_USER_FIGURES = "core.user_figures"


def register_user_figure(app: Flask, name: str, column) -> None:
    """A number every page shows about the signed-in user (e.g. the unread messages on the bell),
    read in the same statement as the user and their memberships (``accounts.auth.load_user``),
    so it costs no statement of its own. ``column(user_id)`` returns a scalar subquery on the
    user's id column."""
    add(_USER_FIGURES, app, name, column, "user figure")


def user_figure_columns(user_id) -> list:
    """The registered figures as labelled columns for the user's statement."""
    return [column(user_id).label(name) for name, column in registry(_USER_FIGURES).items()]


def keep_user_figures(values: dict) -> None:
    g.user_figures = values


def user_figure(name: str):
    """The figure read with the signed-in user in this request, or None when it was not read
    (e.g. the user was loaded otherwise); the caller then counts it itself."""
    return g.get("user_figures", {}).get(name) if has_request_context() else None


def get_team(team_id: int) -> Team:
    """A team the signed-in user has a role in, or 404 (another team does not exist for them)."""
    team = db.session.get(Team, team_id)
    if team is None or team_id not in current_user.team_ids():
        abort(404)
    return team


# --- response headers -------------------------------------------------------------------------

#: Endpoints (by prefix) never stored by a browser or proxy even before sign-in: the sign-in steps.
NO_STORE_PREFIXES = ("mfa.", "auth.")


def csp_nonce() -> str:
    """A per-response nonce for the rare inline script or style that cannot be a file."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response):
    """The site's headers on every response. A response that brings its own, stricter
    Content-Security-Policy (a download: ``default-src 'none'; sandbox``) keeps it."""
    nonce = g.get("csp_nonce")
    source = f" 'nonce-{nonce}'" if nonce else ""
    response.headers.setdefault("Content-Security-Policy", (
        "default-src 'self'; "
        f"script-src 'self'{source}; "
        f"style-src 'self'{source}; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    ))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config.get("PRODUCTION"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    # Pages of signed-in users (case content and the rest) and the sign-in steps are never
    # stored by the browser or a proxy; static files and the public calendar feed may be.
    if request.endpoint != "static" and (
        current_user.is_authenticated or (request.endpoint or "").startswith(NO_STORE_PREFIXES)
    ):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


# --- errors -----------------------------------------------------------------------------------

def error_reference() -> str:
    """A short reference for a 500 page that also appears in the log line of that error."""
    return secrets.token_hex(4).upper()


def _log_exception(app: Flask, reference: str, error: BaseException | None) -> None:
    """The one log line of a 500: reference, endpoint, exception type and the code location."""
    where = ""
    tb = getattr(error, "__traceback__", None)
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
    app.logger.error(
        "error reference %s: %s in %s %s%s",
        reference,
        type(error).__name__ if error else "error",
        request.method if has_request_context() else "-",
        request.endpoint if has_request_context() else "-",
        where,
    )


class UnstorableInput(BadRequest):
    """A path or query string holding a character no text may hold (``core.text``)."""


def _refuse_unstorable():
    """Before every request: a path or query string with a character the database cannot store
    (a NUL byte, say) is answered with 400 and a clear message before any view reads it. Posted
    form fields are checked by the forms themselves (``core.forms.Form``), with the message on
    the field."""
    if unstorable(request.path) or any(unstorable(k) or unstorable(v) for k, v in request.args.items(multi=True)):
        raise UnstorableInput()


def _error_page(code: int):
    def handler(error):
        message = str(UNSTORABLE_MESSAGE) if isinstance(error, UnstorableInput) else None
        return render_template("errors/error.html", code=code, message=message), code

    return handler


def register_errors(app: Flask) -> None:
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, _error_page(code))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        reference = error_reference()
        _log_exception(app, reference, getattr(error, "original_exception", None) or error)
        return render_template("errors/error.html", code=500, reference=reference), 500


def _favicon():
    """Browsers ask for /favicon.ico whatever a page links (printing, a PDF viewer, bookmarks)."""
    return current_app.send_static_file("favicon.ico")


#: A stand-in id no real row has, marking where the id goes in an ``id_link`` URL.
_ID_MARK = 987654321987


def id_link(endpoint: str, key: str, **values):
    """The links of a list to ``endpoint`` for many ids, built once: ``url_for`` with a stand-in
    id, split around it (a page of a hundred rows builds one URL, not a hundred). In a template:
    ``{% set link = id_link('casefiles.detail', 'case_id') %}`` … ``{{ link(case.id) }}``."""
    before, after = url_for(endpoint, **values, **{key: _ID_MARK}).split(str(_ID_MARK), 1)
    return lambda value: f"{before}{value}{after}"


def init_app(app: Flask) -> None:
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    app.before_request(_refuse_unstorable)
    app.after_request(_security_headers)
    add_template_global(app, "csp_nonce", csp_nonce)
    add_template_global(app, "id_link", id_link)
    register_errors(app)
