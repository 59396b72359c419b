"""How much the escalation ladder's night job does per run, and which rows: a backlog (after an
upgrade, or a scheduler that was down) climbs over the next runs, never all in one night. Used by
the job's moves and closings (``advice.escalation.jobs``) and the directors' e-mails
(``advice.escalation.director``)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from core.db import db

from .models import Escalation

#: The most a run of the ladder job does per kind of work (moves per level, closings, e-mails),
#: the oldest first; the rest waits for the next run. Steady state is below it (tens to a hundred
#: or so a night nationally), so it bounds a backlog: a night's work stays under a second or so
#: and no director gets a pile of e-mails at once. The setting ``LADDER_BATCH_SIZE`` overrides it.
LADDER_BATCH = 300


def batch_size() -> int:
    """The batch of this installation: ``LADDER_BATCH`` unless configured."""
    return int(current_app.config.get("LADDER_BATCH_SIZE", LADDER_BATCH))


def first_batch(conditions: tuple, order_by: tuple, limit: int) -> tuple:
    """The WHERE terms of an UPDATE of at most ``limit`` escalations matching ``conditions``, the
    first in ``order_by``: their ids, evaluated once (on PostgreSQL a materialised CTE, so the limit
    holds when the UPDATE re-checks a row another run changed meanwhile), and the conditions
    again, so a row another run took no longer matches."""
    ids = sa.select(Escalation.id).where(*conditions).order_by(*order_by).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = sa.select(ids.cte().prefix_with("MATERIALIZED").c[0])
    return (Escalation.id.in_(ids), *conditions)
