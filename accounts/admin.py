"""Administration of people and their roles (blueprint ``admin``); teams, organisations and
commitments are ``accounts.admin_teams``.

Thin views: forms validate (choices filled per request), ``accounts.services`` changes state
and audits, the view commits and redirects (POST-redirect-GET). Administrators see no case
content here: only accounts, roles, teams, organisations and commitments.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from sqlalchemy.orm import selectinload

from core.clock import local_today
from core.db import db
from core.errors import ServiceError
from core.i18n import labels
from core.models import Commitment, Domain, Membership, Organisation, Role, Team, User
from core.paging import keyset
from core.permissions import is_admin
from core.web import require, show_refusal

from .forms import ConfirmForm, MembershipForm, UserFilterForm, UserForm
from .services import (
    add_membership,
    create_user,
    deactivate_user,
    end_membership,
    reactivate_user,
    reset_second_factor,
    update_user,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

USERS_PER_PAGE = 50
#: The people list's status filter (a GET argument): everyone, only active, only deactivated.
USER_STATUSES = ("", "active", "inactive")


@bp.before_request
@login_required
def require_admin_page():
    require(is_admin(current_user))


# --- helpers ----------------------------------------------------------------------------------

def get_or_404(model: type, object_id: int) -> Any:
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def all_teams(active_only: bool = False) -> list[Team]:
    query = sa.select(Team).order_by(Team.name)
    if active_only:
        query = query.where(Team.active.is_(True))
    return list(db.session.scalars(query))


def all_organisations(active_only: bool = False) -> list[Organisation]:
    query = sa.select(Organisation).order_by(Organisation.name)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return list(db.session.scalars(query))


# --- index ------------------------------------------------------------------------------------

@bp.get("/")
def index():
    today = local_today()
    counts = {
        "teams": db.session.scalar(sa.select(sa.func.count(Team.id))),
        "users": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(True))),
        "inactive_users": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(False))),
        "organisations": db.session.scalar(
            sa.select(sa.func.count(Organisation.id)).where(Organisation.active.is_(True))
        ),
        "commitments": db.session.scalar(
            sa.select(sa.func.count(Commitment.id)).where(
                Commitment.committed_on <= today,
                sa.or_(Commitment.ended_on.is_(None), Commitment.ended_on > today),
            )
        ),
    }
    return render_template("accounts/admin/index.html", counts=counts)


# --- teams ------------------------------------------------------------------------------------


# --- people -----------------------------------------------------------------------------------

@bp.get("/users")
def users():
    """Everyone, by name, a page at a time (keyset over (name, id): the thousandth page costs what
    the first does), filtered by team, status and a search; the number found counted in SQL."""
    filters = UserFilterForm(request.args)
    filters.set_choices(all_teams())
    if not filters.validate():
        # A tampered filter value shows the error and filters on nothing else.
        filters.team.data = None
    conditions = []
    if filters.team.data:
        conditions.append(
            sa.exists().where(
                Membership.user_id == User.id,
                Membership.team_id == filters.team.data,
                Membership.active.is_(True),
            )
        )
    status = request.args.get("status", "")
    status = status if status in USER_STATUSES else ""
    if status:
        conditions.append(User.active.is_(status == "active"))
    q = (filters.q.data or "").strip()
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    total = db.session.scalar(sa.select(sa.func.count(User.id)).where(*conditions))
    # The page's roles with their team and organisation in one statement (joined), so the count
    # of statements does not depend on whether the page happens to list an organisation contact.
    query = sa.select(User).where(*conditions).options(
        selectinload(User.memberships).joinedload(Membership.team),
        selectinload(User.memberships).joinedload(Membership.organisation),
    )
    page = keyset(query, User.name, User.id, cursor=request.args.get("after"), size=USERS_PER_PAGE,
                  newest_first=False, total=total)
    return render_template("accounts/admin/users.html", page=page, filters=filters, q=q, status=status,
                           role_labels=labels(Role), domain_labels=labels(Domain))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm().for_new_user()
    if form.validate_on_submit():
        try:
            user = create_user(
                current_user,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                is_admin=form.is_admin.data,
                locale=form.locale.data,
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(_("The account of %(name)s has been created. Now add their roles.", name=user.name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("accounts/admin/user_form.html", form=form, user=None)


def _render_user(user: User, form: UserForm | None = None, membership_form: MembershipForm | None = None, status: int = 200):
    if form is None:
        form = UserForm(obj=user, formdata=None)
    if membership_form is None:
        membership_form = MembershipForm(formdata=None)
        membership_form.set_choices(all_teams(active_only=True), all_organisations(active_only=True))
    memberships = db.session.scalars(
        sa.select(Membership)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.active.desc(), Team.name, Membership.role)
        .options(selectinload(Membership.team), selectinload(Membership.organisation))
    ).all()
    return (
        render_template(
            "accounts/admin/user_form.html",
            form=form,
            user=user,
            memberships=memberships,
            membership_form=membership_form,
        ),
        status,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = get_or_404(User, user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    if form.validate_on_submit():
        own = user.id == current_user.id
        try:
            update_user(
                user,
                current_user,
                email=form.email.data,
                name=form.name.data,
                is_admin=form.is_admin.data,
                locale=form.locale.data,
                password=form.password.data or None,
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            if own and form.password.data:
                login_user(user)  # keep this session, under the new session version
            flash(_("The account of %(name)s has been saved.", name=user.name), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, form=form)


@bp.post("/users/<int:user_id>/memberships")
def membership_add(user_id: int):
    user = get_or_404(User, user_id)
    form = MembershipForm()
    form.set_choices(all_teams(active_only=True), all_organisations(active_only=True))
    if form.validate_on_submit():
        try:
            membership = add_membership(
                user,
                current_user,
                team=db.session.get(Team, form.team_id.data),
                role=Role(form.role.data),
                domain=Domain(form.domain.data) if form.domain.data else None,
                organisation=db.session.get(Organisation, form.organisation_id.data)
                if form.organisation_id.data
                else None,
            )
        except ServiceError as exc:
            show_refusal(exc, form)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is now %(role)s in %(team)s.",
                    name=user.name, role=membership.role.label, team=membership.team.name,
                ),
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return _render_user(user, membership_form=form)


@bp.post("/memberships/<int:membership_id>/end")
def membership_end(membership_id: int):
    membership = get_or_404(Membership, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        end_membership(membership, current_user)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(
            _(
                "The role %(role)s of %(name)s in %(team)s has ended.",
                role=membership.role.label, name=membership.user.name, team=membership.team.name,
            ),
            "success",
        )
    return redirect(url_for("admin.user_edit", user_id=membership.user_id))


@bp.post("/users/<int:user_id>/deactivate")
def user_deactivate(user_id: int):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        deactivate_user(user, current_user)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("%(name)s has been deactivated and signed out everywhere. Their history is kept.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/reactivate")
def user_reactivate(user_id: int):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        reactivate_user(user, current_user)
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# --- organisations and commitments ------------------------------------------------------------


@bp.post("/users/<int:user_id>/two-factor/reset")
def two_factor_reset(user_id: int):
    """An administrator resets someone's second factor (a lost phone); audited."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        reset_second_factor(user, current_user._get_current_object())
    except ServiceError as exc:
        show_refusal(exc)
    else:
        db.session.commit()
        flash(_("The second factor of %(name)s has been reset. They set up a new one at their next sign-in.", name=user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))
