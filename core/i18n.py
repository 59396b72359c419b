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


def _babel_request():
    """Flask-Babel's namespace of this request or app context (it keeps the locale there), or
    None outside one."""
    from flask import g

    return getattr(g, "_flask_babel", None) if g else None


def request_locale():
    """The locale of this moment (``force_locale`` included) without Flask-Babel's lookups when it
    is known already."""
    from flask_babel import get_locale

    return getattr(_babel_request(), "babel_locale", None) or get_locale()


def current_translations():
    """The translations of the current locale, looked up once per locale per request.

    Flask-Babel finds them anew for every string (several context lookups each); a page with a
    hundred rows translates hundreds of strings. They are kept on Flask-Babel's own per-request
    namespace, tied to the locale object they belong to, so ``force_locale`` (which swaps that
    object and restores it) always gets the right ones.
    """
    from flask_babel import get_translations

    ns = _babel_request()
    if ns is not None:
        kept, locale = getattr(ns, "kept_translations", None), getattr(ns, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
    translations = get_translations()
    ns = _babel_request()
    if ns is not None and getattr(ns, "babel_locale", None) is not None:
        ns.kept_translations = (ns.babel_locale, translations)
    return translations


def install_template_gettext(app) -> None:
    """The templates' ``_``/``gettext``/``ngettext`` through ``current_translations`` (the same
    catalogue and result as Flask-Babel's, without its lookups per string)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )


def labels(members) -> dict:
    """``{member: member.label}`` for an enumeration's members, each translated once: a list page
    looks its rows' labels up in this instead of translating the same few words on every row."""
    return {member: member.label for member in members}
