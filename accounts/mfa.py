"""The second factor: TOTP (any authenticator app) with one-time recovery codes.

Sign-in is two steps. The password step (``auth.login``) leaves only a *pending* mark in the
session (user id, session version, time); this blueprint's ``verify`` (or ``enrol`` for an account
without a second factor yet) completes it with a fresh session. Every account must enrol before it
can use the app. Each TOTP code is accepted once (the last accepted time step is stored), wrong
codes are counted in the shared throttle store, and five wrong codes end the pending sign-in.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from core import audit
from core.clock import utcnow
from core.db import db
from core.models import User
from core.web import home_url, safe_next

from . import security
from .forms import ConfirmForm, ReauthForm, TwoFactorForm
from .models import RecoveryCode

bp = Blueprint("mfa", __name__, template_folder="templates")

ISSUER = "Expertteam"
RECOVERY_CODES = 10
PENDING_SECONDS = 5 * 60
PENDING_MAX_FAILURES = 5
#: The session key naming the identity provider a person signed in through (``accounts.oidc``).
SIGNED_IN_WITH = "signed_in_with"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to copy from paper


# --- the factor itself ------------------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def verify_totp(user: User, code: str, now: float | None = None) -> bool:
    """True once per code: the step must be newer than the last accepted one (atomic update)."""
    code = re.sub(r"\s+", "", code or "")
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int((time.time() if now is None else now) // totp.interval)
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            result = db.session.execute(
                sa.update(User)
                .where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                return False  # the same code was just used by a concurrent request
            db.session.expire(user, ["totp_last_step"])
            return True
    return False


def _normalise_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; returns them (shown once)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _j in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if len(_normalise_code(code)) != 16:
        return False
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code), RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def check_second_factor(user: User, code: str) -> str | None:
    """'totp' or 'recovery_code' when the code is right (and now used up), else None."""
    if verify_totp(user, code):
        return "totp"
    if use_recovery_code(user, code):
        audit.record(
            "user.recovery_code_used", object_type="user", object_id=user.id, actor=user,
            details={"remaining": remaining_recovery_codes(user)},
        )
        return "recovery_code"
    return None


def reset_second_factor(user: User) -> None:
    """Forget the factor and the recovery codes; the user enrols again at the next sign-in."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.session_version += 1  # ends every session of the user
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def qr_svg(data: str) -> str:
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR")
    return out.getvalue().decode()


# --- the pending sign-in ----------------------------------------------------------------------

def begin_pending(user: User, next_url: str | None, provider: str | None = None) -> None:
    """After the password step (or a provider's sign-in without a strong second factor,
    ``provider``): a fresh session that knows only who is half-way signed in."""
    session.clear()
    session["mfa_pending"] = {"uid": user.id, "sv": user.session_version, "at": int(time.time()), "next": next_url or "", "fails": 0}
    if provider:
        session["mfa_pending"]["provider"] = provider


def _pending_user() -> User | None:
    pending = session.get("mfa_pending")
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("mfa_pending", None)
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active or user.session_version != pending.get("sv"):
        session.pop("mfa_pending", None)
        return None
    return user


def _pending_or_login():
    user = _pending_user()
    if user is None:
        flash(_("Please sign in with your e-mail address and password first."), "info")
    return user


def complete_login(user: User, method: str, *, provider: str | None = None, next_url: str | None = None) -> str:
    """Sign the user in with a new session; returns where to go next. ``provider``: the identity
    provider the person signed in through (``accounts.oidc``; kept for sign-out and re-authentication)."""


    pending = session.get("mfa_pending") or {}
    target = safe_next(next_url or pending.get("next")) or home_url()
    provider = provider or pending.get("provider")
    session.clear()  # a new session at sign-in (no fixation)
    login_user(user)
    security.start_session()
    details = {"second_factor": method}
    if provider:
        session[SIGNED_IN_WITH] = provider
        details["provider"] = provider
    audit.record("user.login", object_type="user", object_id=user.id, actor=user, details=details)
    db.session.commit()
    return target


def _failed_code(user: User, reason: str) -> bool:
    """Count a wrong code; True when this pending sign-in must start again."""
    audit.record("user.login", object_type="user", object_id=user.id, actor=None, result="failed", details={"reason": reason})
    db.session.commit()  # first: the throttle writes in its own transaction
    security.throttle().add([security.totp_key(user.id)], security.utcnow())
    pending = session.get("mfa_pending")
    if isinstance(pending, dict):
        pending["fails"] = pending.get("fails", 0) + 1
        session["mfa_pending"] = pending
        if pending["fails"] >= PENDING_MAX_FAILURES:
            session.clear()
            flash(_("Too many wrong codes. Please sign in again."), "error")
            return True
    return False


def totp_blocked(user: User) -> bool:
    limit = current_app.config["TOTP_MAX_FAILURES"]
    return security.throttle().count(security.totp_key(user.id), security.utcnow()) >= limit


# --- views: sign-in -----------------------------------------------------------------------------

@bp.route("/login/verify", methods=["GET", "POST"])
def verify():
    user = _pending_or_login()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_enrolled_at is None:
        return redirect(url_for("mfa.enrol"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if totp_blocked(user):
            flash(_("Too many wrong codes for this account. Wait an hour, or ask an administrator to reset your second factor."), "error")
        else:
            method = check_second_factor(user, form.code.data)
            if method:
                return redirect(complete_login(user, method))
            if _failed_code(user, "second_factor"):
                return redirect(url_for("auth.login"))
            form.code.errors.append(_("This code is not correct, or it has already been used."))
    return render_template("accounts/mfa_verify.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    user = _pending_or_login()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_enrolled_at is not None:
        return redirect(url_for("mfa.verify"))
    if not user.totp_secret:
        user.totp_secret = new_secret()  # not active until confirmed with a code
        db.session.commit()
    form = TwoFactorForm()
    if form.validate_on_submit():
        if totp_blocked(user):
            flash(_("Too many wrong codes for this account. Wait an hour and try again."), "error")
        elif verify_totp(user, form.code.data):
            user.totp_enrolled_at = utcnow()
            codes = new_recovery_codes(user)
            audit.record("user.mfa_enrol", object_type="user", object_id=user.id, actor=user)
            db.session.commit()
            # Sign in now; the codes are shown on this one response (never stored in plain).
            session["after_codes"] = complete_login(user, "totp")
            return render_template("accounts/mfa_codes.html", codes=codes, form=ConfirmForm())
        else:
            if _failed_code(user, "second_factor_enrol"):
                return redirect(url_for("auth.login"))
            form.code.errors.append(_("This code is not correct. Check the time on your phone and try the next code."))
    secret = user.totp_secret
    return render_template(
        "accounts/mfa_enrol.html", form=form,
        secret_groups=[secret[i:i + 4] for i in range(0, len(secret), 4)],
    )


@bp.get("/login/enrol/qr.svg")
def qr():
    user = _pending_user()
    if user is None or user.totp_enrolled_at is not None or not user.totp_secret:
        abort(404)
    return Response(qr_svg(provisioning_uri(user)), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/login/continue")
@login_required
def after_codes():


    return redirect(safe_next(session.pop("after_codes", None)) or home_url())


# --- views: re-authentication and the user's own factor ---------------------------------------

@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
def reauth():


    if session.get(SIGNED_IN_WITH):  # signed in through a provider: confirm it there
        return redirect(url_for("oidc.reauth", next=request.args.get("next", "")))
    user = current_user._get_current_object()
    form = ReauthForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if totp_blocked(user):
            flash(_("Too many wrong codes for this account. Wait an hour and try again."), "error")
        elif user.check_password(form.password.data) and check_second_factor(user, form.code.data):
            security.mark_reauthenticated()
            audit.record("user.reauthenticate", object_type="user", object_id=user.id, actor=user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or home_url())
        else:
            audit.record("user.reauthenticate", object_type="user", object_id=user.id, actor=user, result="failed")
            db.session.commit()
            security.throttle().add([security.totp_key(user.id)], security.utcnow())
            form.code.errors.append(_("The password or the code is not correct."))
    return render_template("accounts/mfa_reauth.html", form=form)


@bp.get("/account/two-factor")
@login_required
def manage():
    user = current_user._get_current_object()
    return render_template(
        "accounts/mfa_manage.html", remaining=remaining_recovery_codes(user), form=ConfirmForm()
    )


@bp.post("/account/two-factor/recovery-codes", endpoint="new_recovery_codes")
@login_required
def new_recovery_codes_view():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    codes = new_recovery_codes(user)
    audit.record("user.recovery_codes_new", object_type="user", object_id=user.id, actor=user)
    db.session.commit()
    return render_template("accounts/mfa_codes.html", codes=codes, form=form)


@bp.post("/account/two-factor/reset")
@login_required
def reset_own():
    """Move to a new phone: forget the factor, sign out everywhere, enrol at the next sign-in."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    reset_second_factor(user)
    audit.record("user.mfa_reset", object_type="user", object_id=user.id, actor=user, details={"own": True})
    db.session.commit()
    session.clear()
    flash(_("Your second factor has been removed. Sign in again to set up your authenticator app."), "info")
    return redirect(url_for("auth.login"))
