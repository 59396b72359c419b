"""Text the app can store and write: one rule for every input path (forms, cursors, the API)
and every output that must stay well-formed (SVG, iCalendar, XML)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: Characters no text may hold: what XML 1.0 cannot carry (NUL and the other C0 controls but tab,
#: line feed and carriage return; U+FFFE/U+FFFF; lone surrogates). PostgreSQL cannot store NUL,
#: and any of them would break the SVG, iCalendar and XML we write.
UNSTORABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
UNSTORABLE_MESSAGE = _l("This text contains a character that cannot be stored (such as a null byte); "
                        "remove it and try again.")


def unstorable(value) -> bool:
    """True when ``value`` (a string, or lists and dicts of them, as rows of a form come) holds
    a character no text may hold."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, (list, tuple)):
        return any(unstorable(v) for v in value)
    if isinstance(value, dict):
        return any(unstorable(v) for v in value.values())
    return False


def xml_safe(text: str) -> str:
    """``text`` with every character XML cannot carry replaced by U+FFFD, for output built from
    what was stored before input was checked (or by another path)."""
    return UNSTORABLE.sub("\ufffd", text)
