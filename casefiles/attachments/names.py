"""The name a case file is shown and offered under: the uploaded name, cleaned. One rule, used
at upload and again whenever a name is shown or sent, so names stored before the rule was this
strict are served clean too."""
from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from .filetypes import FileType

#: Longest file name kept (the name is shown, never used to store or type the file).
NAME_MAX = 200

#: Characters a name never shows: control characters (Cc), format characters (Cf: the
#: bidirectional overrides that make ``gpj.exe<U+202E>.txt`` show as ``txt.exe…``, zero-width
#: characters), lone surrogates (Cs) and line and paragraph separators (Zl, Zp).
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def visible(text: str) -> str:
    """``text`` without the characters of ``_HIDDEN``, in Unicode normal form NFC."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _HIDDEN)
    return unicodedata.normalize("NFC", kept)


def clean_name(name: str, kind: FileType | None) -> str:
    """The name as shown and offered: no folders, no hidden characters or quotes, at most
    ``NAME_MAX`` characters, and the extension of the type the content has (``kind``; checked on
    the cleaned name, so a hidden character cannot disguise it)."""
    name = visible(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = name.replace('"', "").strip(" .") or _("attachment")
    if kind is None:
        return name[:NAME_MAX]
    stem, dot, ext = name.rpartition(".")
    if not dot or ext.lower() not in kind.extensions:
        stem, ext = name, kind.extension
    return f"{stem[: NAME_MAX - len(ext) - 1]}.{ext}"
