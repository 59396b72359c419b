"""The API's nightly job: forget expired tokens and ended rate-limit windows."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.db import db

from . import ratelimit
from .models import ApiToken


def cleanup(now: datetime) -> str:
    tokens = db.session.execute(
        sa.delete(ApiToken).where(ApiToken.expires_at < now - timedelta(days=1))
        .execution_options(synchronize_session=False)).rowcount
    windows = ratelimit.cleanup(now - timedelta(hours=1))
    db.session.commit()
    return f"{tokens} expired tokens and {windows} rate-limit windows removed"
