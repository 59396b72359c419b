"""Sign-in with the organisation's own account (blueprint ``oidc``): start at the provider,
come back on the redirect URI, and the second step where the provider asserted no strong
multi-factor sign-in.

It plugs into the password sign-in's steps (``accounts.mfa``): a provider that asserted a strong
sign-in (its ``acr``/``amr``) completes the sign-in at once (``mfa.complete_login``); otherwise
the person is half-way signed in (``mfa.begin_pending``) and the TOTP step (or enrolment)
follows as after a password. Re-authentication for sensitive steps sends the person back to the
provider (``prompt=login``, ``max_age=0``); without a strong assertion it asks for a code too.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import audit
from core.db import db
from core.web import home_url, safe_next

from . import mfa, oidc, security
from .forms import TwoFactorForm

bp = Blueprint("oidc", __name__, template_folder="templates")

#: The session key that says through which provider the person signed in (sign-out, reauth).
SIGNED_IN_WITH = mfa.SIGNED_IN_WITH
_REAUTH_CODE = "oidc_reauth_code"

_STATUS = {
    "provider_unreachable": 502, "wrong_issuer": 502, "bad_signature": 502, "invalid_token": 502,
    "no_link": 403, "email_not_verified": 403, "domain_not_served": 403, "inactive": 403,
    "already_linked": 403, "wrong_person": 403, "throttled": 429,
}


def _provider_or_404(name: str) -> oidc.Provider:
    p = oidc.get_provider(name)
    if p is None:
        abort(404)
    return p


def _refused(p: oidc.Provider | None, error: oidc.OIDCError, purpose: str = "login"):
    """The page for a refused sign-in: logged, audited, and counted per address."""
    oidc.refuse(p, error, purpose=purpose)
    if error.reason not in ("throttled", "provider_unreachable"):
        security.throttle().add([security.address_key(request.remote_addr)], security.utcnow())
    return render_template("accounts/oidc_error.html", provider=p, reason=error.reason), _STATUS.get(error.reason, 400)


@bp.get("/login/oidc/<name>")
def start(name: str):
    """Send the browser to the provider's sign-in page (GET: a link on the sign-in page)."""
    p = _provider_or_404(name)
    if current_user.is_authenticated:
        return redirect(home_url())
    if security.sign_in_blocked("", request.remote_addr):
        return _refused(p, oidc.OIDCError("throttled"))
    try:
        return redirect(oidc.start(p, purpose="login", next_url=safe_next(request.args.get("next")) or ""))
    except oidc.OIDCError as error:
        return _refused(p, error)


@bp.get("/login/oidc/<name>/callback")
def callback(name: str):
    """The redirect URI: check the answer, find the person, then sign in or ask for the code."""
    p = _provider_or_404(name)
    if security.sign_in_blocked("", request.remote_addr):
        return _refused(p, oidc.OIDCError("throttled"))
    purpose = "login"
    try:
        answer = oidc.finish(p)
        purpose = answer.purpose
        user = oidc.resolve_user(p, answer.claims)
        if purpose == "reauth" and (not current_user.is_authenticated or current_user.id != user.id):
            raise oidc.OIDCError("wrong_person", "re-authenticated as another account", user=user)
    except oidc.OIDCError as error:
        return _refused(p, error, error.purpose if error.purpose != "login" else purpose)
    strong = p.strong(answer.claims)
    if purpose == "reauth":
        if strong:
            security.mark_reauthenticated()
            audit.record("user.reauthenticate", object_type="user", object_id=user.id, actor=user,
                         details={"provider": p.name, "second_factor": "provider"})
            db.session.commit()
            return redirect(safe_next(answer.next_url) or home_url())
        db.session.commit()
        session[_REAUTH_CODE] = {"provider": p.name, "next": answer.next_url, "at": answer.started}
        return redirect(url_for("oidc.reauth_code"))
    if strong:
        target = mfa.complete_login(user, "provider", provider=p.name, next_url=answer.next_url)
        return redirect(target)
    db.session.commit()  # the link and its last use
    mfa.begin_pending(user, safe_next(answer.next_url), provider=p.name)
    return redirect(url_for("mfa.verify" if user.totp_enrolled_at else "mfa.enrol"))


@bp.get("/login/oidc/signed-out")
def sign_out():
    """After signing out here: on to the provider's end-session endpoint (RP-initiated logout),
    which sends the browser back to our sign-in page. A page of its own, continued by a
    refresh and a link: the sign-out form's redirect may not leave the site (CSP form-action)."""
    url = oidc.end_session_url(session.pop(oidc.SIGN_OUT_AT, None))
    if url is None:
        return redirect(url_for("auth.login"))
    response = make_response(render_template("accounts/oidc_signed_out.html", url=url))
    response.headers["Refresh"] = f"0; url={url}"
    return response


@bp.get("/account/confirm/provider")
@login_required
def reauth():
    """Re-authentication of a person who signed in through a provider: back to the provider."""
    p = _provider_or_404(session.get(SIGNED_IN_WITH) or "")
    try:
        return redirect(oidc.start(p, purpose="reauth", next_url=safe_next(request.args.get("next")) or ""))
    except oidc.OIDCError as error:
        return _refused(p, error, "reauth")


@bp.route("/account/confirm/code", methods=["GET", "POST"])
@login_required
def reauth_code():
    """After the provider confirmed who it is without a strong second factor: our own code."""
    pending = session.get(_REAUTH_CODE)
    if not isinstance(pending, dict):
        return redirect(url_for("mfa.reauth"))
    user = current_user._get_current_object()
    form = TwoFactorForm()
    if form.validate_on_submit():
        if mfa.totp_blocked(user):
            flash(_("Too many wrong codes for this account. Wait an hour and try again."), "error")
        elif mfa.check_second_factor(user, form.code.data):
            session.pop(_REAUTH_CODE, None)
            security.mark_reauthenticated()
            audit.record("user.reauthenticate", object_type="user", object_id=user.id, actor=user,
                         details={"provider": pending.get("provider"), "second_factor": "totp"})
            db.session.commit()
            return redirect(safe_next(pending.get("next")) or home_url())
        else:
            audit.record("user.reauthenticate", object_type="user", object_id=user.id, actor=user, result="failed",
                         details={"provider": pending.get("provider"), "reason": "second_factor"})
            db.session.commit()
            security.throttle().add([security.totp_key(user.id)], security.utcnow())
            form.code.errors.append(_("This code is not correct, or it has already been used."))
    return render_template("accounts/mfa_verify.html", form=form, reauth=True)
