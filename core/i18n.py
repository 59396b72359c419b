"""Interface languages and the choice of language per request."""
from __future__ import annotations

from flask import has_request_context, session
from flask_login import current_user

#: The interface languages, each named in its own language; the first is the default.
LANGUAGES = {"nl": "Nederlands", "en": "English"}


def N_(message: str) -> str:
    """Mark a string for translation without translating it here (a job's description, kept in
    English for the log and the CLI, translated where a page shows it)."""
    return message


def select_locale() -> str:
    """The signed-in user's language, else the visitor's choice, else Dutch.

    Outside a request (jobs, CLI) it is Dutch unless the caller uses ``force_locale``.
    """
    default = next(iter(LANGUAGES))
    if not has_request_context():
        return default
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in LANGUAGES:
            return current_user.locale
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return default
