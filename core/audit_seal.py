"""The audit chain's checkpoints made tamper-evident, with a key and a copy outside the database.

A checkpoint (``core.audit.AuditCheckpoint``) is what the verification trusts instead of reading
the whole chain again; someone who may write the database could otherwise rewrite the chain
consistently and its checkpoints with it, or remove the checkpoints. So:

- **The seal**: every checkpoint carries an HMAC-SHA256 over all its fields (``seal``), keyed with
  ``AUDIT_HMAC_KEY`` (config or environment), which is not in the database; without that setting
  the key is derived from ``SECRET_KEY``. A changed field, a checkpoint written without the key
  or sealed with another key, and one without a seal are reported.
- **The sequence**: checkpoints are numbered (``seq``: 1, 2, …; two checks at once may write the
  same number), so a removed checkpoint leaves a gap.
- **The head outside the database**: after writing a checkpoint the check writes its number, seal
  and head to a small JSON file (``AUDIT_HEAD_FILE``, default ``audit-head.json`` in the instance
  folder), and every check looks that checkpoint up: removing the newest checkpoints, or all of
  them, or restoring an older copy of the database, shows. The log line of every checkpoint
  (``core.audit_verify``) is the same head for a person to compare.

The app reads this file rather than its log, because where a log ends up (journald, a log
shipper) differs per installation and a process cannot read it back reliably.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import current_app

from .audit import at_text

log = logging.getLogger("expertteam.audit")

#: The fields a seal covers, in this order.
SEALED = ("seq", "verified_at", "last_id", "last_hash", "row_count", "full", "swept_id", "swept_hash",
          "swept_count", "sweep_run")
#: What the head file keeps of the newest checkpoint.
HEAD_FIELDS = ("seq", "seal", "last_id", "last_hash", "row_count")
_DOMAIN = b"expertteam.audit.checkpoint.v1\n"


def checkpoint_key(config: Mapping[str, Any] | None = None) -> bytes:
    """The HMAC key: ``AUDIT_HMAC_KEY``, else one derived from ``SECRET_KEY`` (README: set your own
    in production, so that reading the web workers' ``SECRET_KEY`` does not suffice to forge)."""
    config = current_app.config if config is None else config
    own = config.get("AUDIT_HMAC_KEY")
    if own:
        return own.encode("utf-8")
    return hashlib.sha256(b"expertteam.audit.checkpoints:" + str(config["SECRET_KEY"]).encode("utf-8")).digest()


def seal(values: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 (hex) over a checkpoint's fields (``SEALED``), canonically encoded."""
    fields = [at_text(values["verified_at"]) if name == "verified_at" else values[name] for name in SEALED]
    fields[SEALED.index("full")] = bool(values["full"])
    message = _DOMAIN + json.dumps(fields, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def describe(values: Mapping[str, Any]) -> str:
    """A checkpoint in a report: its number, when it was written and the row it vouches for."""
    number = f"checkpoint {values['seq']}" if values.get("seq") is not None else f"checkpoint (id {values['id']})"
    return f"{number} of {values['verified_at']:%Y-%m-%d %H:%M} UTC (at row {values['last_id']})"


def checkpoint_problem(rows: Sequence[Mapping[str, Any]], key: bytes) -> str | None:
    """The first checkpoint whose seal does not hold, or a gap in their numbers; None when sound."""
    for row in rows:
        if row["seal"] is None:
            return (f"{describe(row)} has no seal: it was written before checkpoints were sealed or added "
                    "behind the app's back (after the upgrade, run `flask --app expertteam audit seal` once)")
        if not hmac.compare_digest(row["seal"], seal(row, key)):
            return (f"the seal of {describe(row)} does not match (the checkpoint was changed, or written with "
                    "another key than AUDIT_HMAC_KEY)")
    numbers = sorted({row["seq"] for row in rows})
    for expected, number in enumerate(numbers, 1):
        if number != expected:
            return f"checkpoint {expected} is missing (the numbers jump to {number}): checkpoints were removed"
    return None


class HeadUnreadable(ValueError):
    """The head file exists but holds no head (the message says where)."""


def head_path() -> Path:
    """Where the chain head is kept outside the database."""
    configured = current_app.config.get("AUDIT_HEAD_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit-head.json"


def read_head(path: Path) -> dict | None:
    """The head written last on this machine; None when there is no file yet."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HeadUnreadable(f"the chain head outside the database ({path}) cannot be read: {exc.strerror}") from exc
    try:
        head = json.loads(text)
        if not isinstance(head, dict) or any(name not in head for name in HEAD_FIELDS):
            raise ValueError
    except ValueError:
        raise HeadUnreadable(f"the chain head outside the database ({path}) is not a head this app wrote") from None
    return head


def head_problem(rows: Sequence[Mapping[str, Any]], head: Mapping[str, Any], path: Path) -> str | None:
    """Is the checkpoint named in the head file still in the database, unchanged?"""
    for row in rows:
        if row["seal"] == head["seal"] and all(row[name] == head[name] for name in HEAD_FIELDS):
            return None
    return (f"checkpoint {head['seq']} at row {head['last_id']}, whose head is kept outside the database ({path}), "
            "is not in the database: checkpoints were removed, or the database is an older copy "
            "(after restoring a backup, run `flask --app expertteam audit seal`)")


def write_head(path: Path, values: Mapping[str, Any]) -> None:
    """Replace the head file at once (a reader never sees half a file); a failure is logged, not
    raised: the checkpoint in the database stands, and the next check writes the file again."""
    head = {name: values[name] for name in HEAD_FIELDS}
    head["verified_at"] = at_text(values["verified_at"])
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".audit-head-", suffix=".tmp",
                                         encoding="utf-8", delete=False) as out:
            temporary = out.name
            json.dump(head, out, indent=1)
        os.chmod(temporary, 0o644)  # not secret; the scheduler and the CLI may run as other users
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("the chain head could not be kept outside the database (%s): %s", path, exc.strerror)
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
