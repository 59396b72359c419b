"""Log redaction: secrets never reach a log line, whatever logger or handler formats it."""
from __future__ import annotations

import logging
import re

from flask import Flask

#: Patterns of secrets that may slip into a log message: redacted whatever the logger.
_SECRET_PATTERNS = [
    (re.compile(r"(?i)(password|passwd|wachtwoord|secret|token|code|csrf_token|otp|totp|authorization|cookie|session)"
                r"(\s*[=:]\s*|\"\s*:\s*\"|'\s*:\s*')([^\s&,;\"']+)"), r"\1\2[redacted]"),
    (re.compile(r"\b[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}\b"), "[redacted-code]"),
    (re.compile(r"\b\d{6}\b"), "[redacted-digits]"),
    # Long random tokens (with a digit, so long identifiers such as index names stay readable).
    (re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{32,}(?![\w-])"), "[redacted-token]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Applied to every handler of the root logger and the app logger.

    Log calls in this code base name objects by id, reference and action only; this filter is the
    safety net for what still slips through (form data in an exception message, a token in a URL):
    it formats the record, redacts secrets, and drops the arguments. Free text of cases cannot be
    recognised by pattern, so exceptions carry no field values (see ``_log_exception``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not getattr(record, "_expertteam_redacted", False):
            # The traceback names code lines, not values; the exception message may hold data.
            etype, evalue, tb = record.exc_info
            record.exc_text = None
            record.exc_info = (etype, _SanitisedError(etype, evalue), tb)
            record._expertteam_redacted = True
        return True


class _SanitisedError(Exception):
    def __init__(self, etype, evalue):
        super().__init__(f"{getattr(etype, '__name__', 'Error')} (message withheld from the log)")


_FILTER = RedactingFilter()


def _redacting_factory(previous):
    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory._expertteam_redacting = True  # type: ignore[attr-defined]
    return factory


def install_log_redaction(app: Flask | None = None) -> None:
    """Redact every log record of the process at creation, whatever logger or handler (gunicorn's,
    pytest's) later formats it: a record factory, installed once."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "_expertteam_redacting", False):
        logging.setLogRecordFactory(_redacting_factory(current))
