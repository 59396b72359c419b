"""The escalation ladder's level 2, the organisation's director, who is not a user: the signed
link that is the key (valid once and only for its escalation's action: the answer is recorded by
a conditional UPDATE), the answer, and the short e-mail, sent once per escalation by a claim like
the notification sender's (two schedulers send it once; a failure releases the claim)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from advice.lifecycle import NOTE_MAX
from casefiles import services as case_services
from core import audit
from core.clock import replaying, utcnow
from core.db import db
from core.errors import ServiceError
from core.models import Role
from core.people import team_members
from notifications.services import notify_many

from . import ladder
from .batching import batch_size
from .models import DirectorAnswer, Escalation


def ladder_link(action_id: int) -> str:
    """The chair's page of an action's ladder."""
    return f"/escalation/actions/{action_id}"


# --- the director's signed link ----------------------------------------------------------------

SALT = "advice.escalation-director"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def director_token(escalation: Escalation) -> str:
    """The key the director answers with: names this escalation and its action, nothing else."""
    return _serializer().dumps({"escalation": escalation.id, "action": escalation.action_id})


def director_path(escalation: Escalation) -> str:
    return f"/escalation/director/{director_token(escalation)}"


def read_director_token(token: str) -> Escalation | None:
    """The escalation the token was made for, or None (forged, for another salt, or no longer
    pointing at the same action). Whether it may still answer is ``answer_as_director``'s."""
    try:
        data = _serializer().loads(token, max_age=current_app.config.get("LADDER_LINK_MAX_AGE", 90 * 24 * 3600))
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("escalation"), int) or not isinstance(data.get("action"), int):
        return None
    escalation = db.session.get(Escalation, data["escalation"])
    if escalation is None or escalation.action_id != data["action"]:
        return None
    return escalation


def answer_as_director(escalation: Escalation, *, answer: DirectorAnswer | str, explanation: str,
                       now: datetime | None = None) -> None:
    """The director's one answer. A second answer (or one after the ladder closed) is refused,
    checked in the UPDATE itself so two clicks at once record one."""
    now = now or utcnow()
    try:
        answer = DirectorAnswer(answer)
    except ValueError:
        raise ServiceError(_("Choose an answer.")) from None
    explanation = (explanation or "").strip()
    if answer is DirectorAnswer.EXPLAIN and not explanation:
        raise ServiceError(_("Explain in writing why the action is not carried out."))
    if len(explanation) > NOTE_MAX:
        raise ServiceError(_("The explanation is too long (at most %(max)d characters).", max=NOTE_MAX))
    action = escalation.action
    if not ladder.record_director_answer(escalation, answer, explanation, now):
        raise ServiceError(_("This link has already been used, or the escalation is over."))
    case = action.advice.case
    details: dict[str, Any] = {"answer": answer.value, "by": "director"}
    if explanation:
        details.update(case_services.keep_text(case, "director_answer", explanation, None))
    audit.record("escalation.director_answer", object_type="action", object_id=action.id, actor=None,
                 team_id=case.team_id, details=details)
    notify_many([(team_members(case.team_id, Role.CHAIR), "advice.escalation_answered",
                  {"reference": case.reference, "organisation": action.organisation.name}, ladder_link(action.id))])


# --- the director's e-mail (the director is not a user: no notification row) ---------------------

#: A claim older than this is taken to be from a run that died.
MAIL_LEASE = timedelta(minutes=30)

def send_director_mails(now: datetime, limit: int | None = None) -> int:
    """Send the director's message for each escalation that reached level 2 and has an address,
    once: rows are claimed by one conditional UPDATE (two schedulers send each mail once), at most
    ``limit`` (the batch size, ``advice.escalation.batching``) a run, sent, and marked; a failure releases the claim for the next run."""
    limit = batch_size() if limit is None else limit
    if limit <= 0:
        return 0
    claimed = ladder.claim_director_mails(now, limit, MAIL_LEASE)
    db.session.commit()
    if not claimed:
        return 0
    if replaying():  # the demo tells history: the e-mail went out then (as notifications are kept read)
        ladder.mark_mailed(claimed, now)
        db.session.commit()
        return len(claimed)
    from notifications.mail import Mailer, describe_error

    sent = 0
    escalations = db.session.scalars(sa.select(Escalation).where(Escalation.id.in_(claimed)).order_by(Escalation.id)).all()
    with Mailer(current_app.config) as mailer:
        for escalation in escalations:
            try:
                mailer.send(director_message(escalation))
            except Exception as error:  # noqa: BLE001 - recorded, retried next run
                ladder.mail_result(escalation, now, describe_error(error))
            else:
                ladder.mail_result(escalation, now, None)
                audit.record("escalation.director_mailed", object_type="action", object_id=escalation.action_id,
                             actor=None, team_id=escalation.team_id)
                sent += 1
            db.session.commit()
    return sent


def director_message(escalation: Escalation):
    """The short e-mail to the director, in Dutch: case reference, the action, the reason given
    and the signed link; nothing of the household."""
    from email.message import EmailMessage
    from email.utils import formataddr, make_msgid

    from notifications.mail import absolute_url

    action = escalation.action
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "nl")):
        context = {
            "name": escalation.director_name, "reference": action.advice.case.reference,
            "organisation": action.organisation.name, "action": action.description,
            "deadline": action.effective_deadline, "reason": action.refused_reason,
            "escalated": action.escalation_kind, "link": absolute_url(director_path(escalation)),
            "due": escalation.level_due_on,
        }
        subject = _("Binding advice in case %(reference)s: your answer is needed", reference=context["reference"])
        text = render_template("advice/escalation/director_mail.txt", **context)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = formataddr((" ".join(escalation.director_name.split()), escalation.director_email))
    msg["Message-ID"] = make_msgid(domain="expertteam.invalid")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    return msg
