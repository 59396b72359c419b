"""The in-app inbox, the user's e-mail preference, and the administrator's jobs page."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from core import audit
from core import jobs as job_registry
from core.clock import utcnow
from core.db import db
from core.filters import local_datetime
from core.jobs import JobRun
from core.models import NotificationPreference, User
from core.paging import keyset
from core.permissions import is_admin
from core.web import require, safe_next, user_figure

from . import services
from .forms import PreferencesForm
from .kinds import registered as registered_kinds
from .mail import fill, render_text
from .models import EmailStatus, Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")


@bp.before_request
@login_required
def _require_login():
    """Every page of this blueprint needs a signed-in user."""


def _require_admin() -> None:
    require(is_admin(current_user))


#: Unread messages are open work, shown in full up to this many; more (someone back from a long
#: leave) are paged like the history, with the number of unread in the heading.
UNREAD_PAGE = 100
READ_PAGE = 25
FAILED_PAGE = 50
RUNS_PAGE = 20


def _unread_count() -> int:
    """The number on the bell, once per request (the inbox counts it with the read ones)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_count" not in g:
        read = user_figure("unread_count")  # read with the user: no statement of its own
        g.unread_count = services.unread_count(current_user) if read is None else read
    return g.unread_count


def template_globals() -> dict:
    """The bell's number on every page (read with the user), and a notification's text."""
    return {"unread_count": _unread_count, "notification_text": render_text}


# --- inbox -------------------------------------------------------------------------------------

@bp.get("/")
def inbox():
    """Unread messages in full (newest first), then the read history a page at a time.

    Three statements whatever the number of messages: both counts in one (an index-only scan of
    ``(user_id, read_at)``), the unread page (partial index of the unread) and the read page
    (``(user_id, created_at, id)``)."""
    mine = Notification.user_id == current_user.id
    total, read = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(Notification.read_at)).where(mine)
    ).one()
    g.unread_count = int(total) - int(read)
    unread = keyset(
        sa.select(Notification).where(mine, Notification.read_at.is_(None)),
        Notification.created_at, Notification.id,
        cursor=request.args.get("new"), size=UNREAD_PAGE, total=g.unread_count,
    )
    history = keyset(
        sa.select(Notification).where(mine, Notification.read_at.is_not(None)),
        Notification.created_at, Notification.id,
        cursor=request.args.get("read"), size=READ_PAGE, total=int(read),
    )
    return render_template("notifications/inbox.html", new_page=unread, read_page=history,
                           texts=_texts([*unread, *history]))


def _texts(notifications: list[Notification]) -> dict[int, tuple[str, str]]:
    """Each message's subject and body (``mail.render_text``), with each kind's wording
    translated once per page rather than twice per message."""
    wording: dict[str, tuple[str, str] | None] = {}
    texts = {}
    for n in notifications:
        if n.kind not in wording:
            kind = registered_kinds().get(n.kind)
            wording[n.kind] = None if kind is None else (str(kind.subject), str(kind.body))
        texts[n.id] = tuple(fill(part, n) for part in wording[n.kind]) if wording[n.kind] else (n.kind, n.kind)
    return texts


def _own(notification_id: int) -> Notification:
    """The signed-in user's notification; someone else's is 'not found', not 'forbidden'."""
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        abort(404)
    return n


@bp.post("/<int:notification_id>/open")
def open(notification_id: int):  # noqa: A001 - the endpoint's verb
    n = _own(notification_id)
    services.mark_read(n)
    db.session.commit()
    return redirect(safe_next(n.link) or url_for("notifications.inbox"))


@bp.post("/read-all")
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.inbox"))


@bp.route("/preferences", methods=["GET", "POST"])
def preferences():
    form = PreferencesForm(data={"preference": current_user.notification_preference.value})
    if form.validate_on_submit():
        new = NotificationPreference(form.preference.data)
        old = current_user.notification_preference
        if new != old:
            current_user.notification_preference = new
            services.apply_preference(current_user)
            audit.record("user.notification_preference", object_type="user", object_id=current_user.id,
                         actor=current_user, details={"from": old.value, "to": new.value})
            db.session.commit()
        flash(_("Your choice has been saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form)


# --- administrator: jobs and failed e-mails ----------------------------------------------------

@bp.get("/admin/jobs")
def jobs():
    _require_admin()
    registered = job_registry.registered()
    tz = job_registry.timezone(current_app)
    now = utcnow()
    last_runs = _last_runs(list(registered))
    rows = []
    for job in registered.values():
        last = last_runs.get(job.id)
        rows.append(dict(
            job=job,
            trigger=job_registry.describe_trigger(job),
            description=job_registry.describe(job),
            schedule=job_registry.describe_schedule(job),
            last=last,
            next_run=job_registry.next_run(job, last.started_at if last else None, now, tz),
        ))
    recent = keyset(sa.select(JobRun), JobRun.id, JobRun.id, cursor=request.args.get("runs"), size=RUNS_PAGE)
    counts = dict(db.session.execute(
        sa.select(Notification.email_status, sa.func.count(Notification.id))
        .where(Notification.email_status.in_([EmailStatus.PENDING, EmailStatus.DIGEST,
                                              EmailStatus.SENDING, EmailStatus.FAILED]))
        .group_by(Notification.email_status)
    ).all())
    failed = keyset(
        sa.select(Notification.id, Notification.kind, Notification.email_attempts,
                  Notification.email_last_error, Notification.created_at, User.email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.email_status == EmailStatus.FAILED),
        Notification.id, Notification.id, cursor=request.args.get("failed"), size=FAILED_PAGE,
        scalars=False, total=counts.get(EmailStatus.FAILED, 0), key_of=lambda row: (row.id, row.id),
    )
    return render_template("notifications/jobs.html", jobs=rows, recent=recent, failed=failed,
                           counts=counts, EmailStatus=EmailStatus)


def _last_runs(job_ids: list[str]) -> dict[str, JobRun]:
    """The latest run of each job: one statement, one short range of ``(job_id, started_at)``
    per job (a fixed number of jobs), never a scan of all runs ever."""
    if not job_ids:
        return {}
    latest = [
        sa.select(JobRun.id).where(JobRun.job_id == job_id)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1).subquery().select()
        for job_id in job_ids
    ]
    runs = db.session.scalars(sa.select(JobRun).where(JobRun.id.in_(sa.union_all(*latest)))).all()
    return {r.job_id: r for r in runs}


@bp.post("/admin/failed/<int:notification_id>/retry")
def retry(notification_id: int):
    _require_admin()
    count = services.retry_failed([notification_id])
    if count:
        audit.record("notification.retry", object_type="notification", object_id=notification_id,
                     actor=current_user)
        db.session.commit()
        flash(_("The e-mail is queued again."), "success")
    else:
        flash(_("That e-mail is not marked as failed (any more)."), "error")
    return redirect(url_for("notifications.jobs"))


@bp.post("/admin/failed/retry-all")
def retry_all():
    _require_admin()
    count = services.retry_failed()
    audit.record("notification.retry_all", object_type="notification", object_id=None,
                 actor=current_user, details={"count": count})
    db.session.commit()
    flash(ngettext("%(num)d e-mail is queued again.", "%(num)d e-mails are queued again.", count), "success")
    return redirect(url_for("notifications.jobs"))


@bp.app_template_filter("job_time")
def _job_time(value: datetime | None) -> str:
    return local_datetime(value) if value else "—"
