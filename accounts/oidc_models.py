"""The model of OpenID Connect sign-in: the link between a person's account here and their
account at an identity provider (``accounts.oidc``)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import db
from core.models import User


class IdentityLink(db.Model):
    """A person's account at an identity provider, linked to their account here.

    Made at the first sign-in through the provider (the provider's verified e-mail address
    matched the account's), used alone afterwards: ``issuer`` + ``subject`` is what the provider
    guarantees never to give to anyone else, the e-mail address may change. An administrator can
    remove a link; the next sign-in then links again by e-mail address.
    """

    __tablename__ = "identity_links"
    __table_args__ = (
        sa.UniqueConstraint("issuer", "subject"),
        sa.UniqueConstraint("user_id", "issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(64))
    """The configured provider's name (``OIDC_PROVIDERS``) through which the link was made."""
    issuer: Mapped[str] = mapped_column(sa.String(300))
    """The provider's ``iss``: the issuer URL from its discovery document."""
    subject: Mapped[str] = mapped_column(sa.String(255))
    """The provider's ``sub``: the person's stable identifier at that issuer."""
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()
