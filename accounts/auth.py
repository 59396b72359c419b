"""Sign-in, sign-out, own password and language."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import (
    LoginManager,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.db import db
from core.models import User
from core.web import home_url, keep_user_figures, safe_next, user_figure_columns

from . import mfa, oidc, security
from .forms import ChangePasswordForm, LanguageForm, LoginForm

bp = Blueprint("auth", __name__, template_folder="templates")

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None


@functools.cache
def _dummy_hash() -> str:
    """A hash to check against for unknown e-mail addresses, so both cost the same time."""
    return generate_password_hash("not-a-real-password", method="scrypt")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login loader: ``id:session_version``; an old version means the session ended."""
    try:
        uid, version = (int(p) for p in user_id.split(":", 1))
    except ValueError:
        return None
    # One statement per request: the user, their memberships (every permission rule reads them)
    # and the numbers every page shows about them (``core.web.register_user_figure``).
    figures = user_figure_columns(User.id)
    row = db.session.execute(
        sa.select(User, *figures).options(sa.orm.joinedload(User.memberships)).where(User.id == uid)
    ).unique().first()
    user = row[0] if row is not None else None
    if user is not None:
        keep_user_figures({column.name: value for column, value in zip(figures, row[1:])})
    if user is None or not user.active or user.session_version != version:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The password step. Success leads to the second factor (``mfa.verify`` or ``mfa.enrol``);
    failures are counted per account name and per address in the shared throttle store."""
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if security.sign_in_blocked(email, request.remote_addr):
            # The same answer for every account name, existing or not (no enumeration).
            audit.record("user.login", object_type="user", object_id=None, actor=None, result="refused",
                         details={"reason": "throttled"})
            db.session.commit()
            flash(_("Too many failed sign-in attempts for this account or from this address. Wait an hour and try again, or ask an administrator."), "error")
            return render_template("accounts/login.html", form=form), 429
        provider = oidc.password_off_provider(email)
        if provider is not None:  # this domain signs in through its own provider only
            audit.record("user.login", object_type="user", object_id=None, actor=None, result="refused",
                         details={"reason": "password_sign_in_off", "provider": provider.name})
            db.session.commit()
            flash(_("People of this organisation sign in with %(provider)s, not with a password here.", provider=provider.display_name), "error")
            return render_template("accounts/login.html", form=form, password_off=provider), 403
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            check_password_hash(_dummy_hash(), form.password.data)
            ok = False
        else:
            ok = user.check_password(form.password.data)
        if user is not None and ok and user.active:
            mfa.begin_pending(user, safe_next(form.next.data))
            return redirect(url_for("mfa.verify" if user.totp_enrolled_at else "mfa.enrol"))
        audit.record(
            "user.login", object_type="user", object_id=user.id if user else None, actor=None,
            result="failed", details={"reason": "inactive" if (user is not None and ok) else "credentials"},
        )
        db.session.commit()
        security.record_sign_in_failure(email, request.remote_addr)  # its own transaction
        flash(_("E-mail address or password is not correct, or the account is not active."), "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # CSRFProtect has checked the token of this POST before the view runs.
    user = current_user._get_current_object()
    provider = session.get(mfa.SIGNED_IN_WITH)
    user.session_version += 1  # ends every session of this user, also a copied cookie
    audit.record("user.logout", object_type="user", object_id=user.id, actor=user,
                 details={"provider": provider} if provider else None)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been signed out."), "info")
    if provider and oidc.get_provider(provider):
        # Signed in through a provider: sign out there too (RP-initiated logout), from a page of
        # its own (a form's redirect to another site is refused by our CSP's form-action).
        session[oidc.SIGN_OUT_AT] = provider
        return redirect(url_for("oidc.sign_out"))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            user.set_password(form.new.data)
            user.session_version += 1  # ends every other session of this user
            audit.record("user.password_change", object_type="user", object_id=user.id, actor=user)
            db.session.commit()
            login_user(user)  # keep this session, under the new version
            flash(_("Your password has been changed."), "success")
            return redirect(home_url())
    return render_template("accounts/password.html", form=form)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        lang = form.lang.data
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    else:
        abort(400)
    return redirect(safe_next(form.next.data) or (home_url() if current_user.is_authenticated else url_for("auth.login")))
