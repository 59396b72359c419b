"""A fixed-window rate limit per API client, shared by every web worker: in the database (one
upsert per call, its own short transaction), or in Redis when REDIS_URL is set.

API_RATE_LIMIT calls (default 300) per API_RATE_PERIOD seconds (default 60); past it the call
is answered 429 with ``Retry-After`` (the seconds until the window ends)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from core.db import db

from .models import ApiRateWindow


def _limits() -> tuple[int, int]:
    return int(current_app.config.get("API_RATE_LIMIT", 300)), int(current_app.config.get("API_RATE_PERIOD", 60))


def _db_hit(client_id: int, window: int) -> int:
    table = ApiRateWindow.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (insert(table).values(client_id=client_id, window=window, hits=1)
                 .on_conflict_do_update(index_elements=["client_id", "window"], set_={"hits": table.c.hits + 1})
                 .returning(table.c.hits))
    hits = db.session.execute(statement).scalar_one()
    db.session.commit()
    return hits


def _redis_hit(url: str, client_id: int, window: int, period: int) -> int:
    import redis

    store = current_app.extensions.get("api.redis")
    if store is None:
        store = current_app.extensions["api.redis"] = redis.Redis.from_url(url)
    key = f"expertteam:api:rate:{client_id}:{window}"
    pipe = store.pipeline()
    pipe.incr(key)
    pipe.expire(key, period * 2)
    return int(pipe.execute()[0])


def hit(client_id: int, now: datetime) -> int | None:
    """Count a call; None when allowed, else the seconds to wait."""
    limit, period = _limits()
    seconds = int(now.timestamp())
    window = seconds // period
    url = current_app.config.get("REDIS_URL")
    hits = _redis_hit(url, client_id, window, period) if url else _db_hit(client_id, window)
    if hits <= limit:
        return None
    return period - seconds % period


def cleanup(before: datetime) -> int:
    """Forget windows that ended before ``before``."""
    _limit, period = _limits()
    return db.session.execute(
        sa.delete(ApiRateWindow).where(ApiRateWindow.window < int(before.timestamp()) // period)
        .execution_options(synchronize_session=False)).rowcount
