"""Building and sending notification e-mails over SMTP.

Settings (Flask config, read from the environment by ``expertteam.config``): MAIL_SERVER,
MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL (implicit TLS), MAIL_USERNAME, MAIL_PASSWORD,
MAIL_DEFAULT_SENDER, MAIL_TIMEOUT (seconds) and APP_BASE_URL for the links.

Every e-mail is rendered in the recipient's language (``force_locale(user.locale)``) as plain
text with an HTML alternative, and carries only the case reference and what to do.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, ngettext

from core.clock import utcnow
from core.i18n import LANGUAGES
from core.models import User

from .kinds import registered as registered_kinds
from .models import Notification


def absolute_url(path: str) -> str:
    """APP_BASE_URL plus a path inside the app."""
    base = current_app.config["APP_BASE_URL"].rstrip("/")
    return base + (path if path.startswith("/") else "/" + path)


def app_path(endpoint: str, **values) -> str:
    """The path of an endpoint, without needing a request (jobs run outside one)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def render_text(n: Notification, part: str = "subject") -> str:
    """A kind's subject or body, filled with the notification's context, in the current locale."""
    kind = registered_kinds().get(n.kind)
    if kind is None:
        return n.kind
    return fill(str(kind.subject if part == "subject" else kind.body), n)


def fill(wording: str, n: Notification) -> str:
    """A kind's translated wording filled with the notification's context, or as it is when the
    context does not fit it."""
    try:
        return wording % (n.context or {})
    except (KeyError, TypeError, ValueError):
        return wording


def user_language(user: User) -> str:
    return user.locale if user.locale in LANGUAGES else current_app.config.get("BABEL_DEFAULT_LOCALE", "nl")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _new_message(user: User, subject: str, lang: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = _one_line(subject)
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = formataddr((_one_line(user.name), user.email))
    msg["Date"] = rfc2822_date(utcnow())
    msg["Message-ID"] = message_id
    # Tells auto-responders (out-of-office) not to answer a machine.
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _set_body(msg: EmailMessage, text: str, html: str, lang: str) -> None:
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = lang  # after set_content, which drops Content-* headers


def _domain() -> str:
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return sender.rpartition("@")[2] or "expertteam.local"


def build_message(n: Notification) -> EmailMessage:
    """The e-mail for one notification, in its recipient's language."""
    user = n.user
    lang = user_language(user)
    with force_locale(lang):
        subject = render_text(n, "subject")
        values = dict(
            lang=lang,
            user=user,
            subject=subject,
            body=render_text(n, "body"),
            link=absolute_url(n.link or app_path("notifications.inbox")),
            preferences_url=absolute_url(app_path("notifications.preferences")),
        )
        text = render_template("notifications/email/notification.txt", **values)
        html = render_template("notifications/email/notification.html", **values)
    # A stable Message-ID per notification: should a message ever go out twice, mail clients
    # show it once.
    msg = _new_message(user, subject, lang, f"<notification-{n.id}@{_domain()}>")
    _set_body(msg, text, html, lang)
    return msg


def build_digest(user: User, notifications: Sequence[Notification], day) -> EmailMessage:
    """One e-mail listing several notifications of one user (the daily digest)."""
    lang = user_language(user)
    with force_locale(lang):
        subject = ngettext("Expertteam: %(num)d new message", "Expertteam: %(num)d new messages", len(notifications))
        items = [
            dict(subject=render_text(n, "subject"), body=render_text(n, "body"),
                 link=absolute_url(n.link or app_path("notifications.inbox")))
            for n in notifications
        ]
        values = dict(
            lang=lang,
            user=user,
            subject=subject,
            items=items,
            inbox_url=absolute_url(app_path("notifications.inbox")),
            preferences_url=absolute_url(app_path("notifications.preferences")),
        )
        text = render_template("notifications/email/digest.txt", **values)
        html = render_template("notifications/email/digest.html", **values)
    msg = _new_message(user, subject, lang, f"<digest-{user.id}-{day.isoformat()}@{_domain()}>")
    _set_body(msg, text, html, lang)
    return msg


class Mailer:
    """One SMTP connection, opened on first use and reused for a sender run.

    Any error closes the connection; the next ``send`` opens a new one.
    """

    def __init__(self, config) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        host, port, timeout = c["MAIL_SERVER"], int(c["MAIL_PORT"]), float(c.get("MAIL_TIMEOUT", 10))
        if c.get("MAIL_USE_SSL"):
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if c.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
        if c.get("MAIL_USERNAME"):
            smtp.login(c["MAIL_USERNAME"], c.get("MAIL_PASSWORD") or "")
        return smtp

    def send(self, msg: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:  # noqa: BLE001 - closing a broken connection
                try:
                    self._smtp.close()
                except Exception:  # noqa: BLE001
                    pass
            self._smtp = None


def describe_error(error: BaseException) -> str:
    """A short, secret-free account of a delivery failure for the record (max 500 chars)."""
    text = f"{type(error).__name__}: {error}"
    password = current_app.config.get("MAIL_PASSWORD")
    if password:
        text = text.replace(password, "***")
    return _one_line(text)[:500]
