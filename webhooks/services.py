"""An administrator manages the organisations' webhook endpoints (one function per change,
audited; the caller commits). The secret is returned once, at creation and at renewal."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Organisation, User
from core.permissions import is_admin

from . import addresses, signing
from .events import registered
from .models import WebhookEndpoint

REFUSALS = {
    addresses.Refused.INVALID: _l("This is not a valid web address."),
    addresses.Refused.SCHEME: _l("The address must start with https://."),
    addresses.Refused.NOT_FOUND: _l("The host name of this address cannot be found."),
    addresses.Refused.INTERNAL: _l("This address is in an internal network: webhooks only go to public addresses."),
}


def check_url(url: str) -> str:
    """A public HTTPS address without credentials (``webhooks.addresses``: its host neither is
    nor resolves to an internal address); plain HTTP only to loopback, and only when
    WEBHOOKS_ALLOW_HTTP_LOOPBACK is set (tests and a local trial)."""
    url = (url or "").strip()
    try:
        addresses.check(url, allow_loopback=bool(current_app.config.get("WEBHOOKS_ALLOW_HTTP_LOOPBACK")))
    except addresses.Refused as refusal:
        raise ServiceError(str(REFUSALS[refusal.why])) from None
    return url


def _check_types(event_types) -> list[str]:
    types = sorted(set(event_types or []))
    if not types:
        raise ServiceError(_("Choose at least one event."))
    unknown = set(types) - set(registered())
    if unknown:
        raise ServiceError(_("Unknown event: %(name)s.", name=", ".join(sorted(unknown))))
    return types


def _require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator manages webhooks."))


def _audit(action: str, endpoint: WebhookEndpoint, actor: User | None, **details) -> None:
    audit.record(action, object_type="webhook_endpoint", object_id=endpoint.id, actor=actor,
                 details={"organisation": endpoint.organisation_id, **details})


def create_endpoint(actor: User, organisation: Organisation, *, url: str, event_types, description: str = ""
                    ) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown once)."""
    _require_admin(actor)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(organisation_id=organisation.id, organisation=organisation, url=check_url(url),
                               event_types=_check_types(event_types), description=(description or "").strip()[:200],
                               secret_sealed=signing.seal(secret), created_by_id=actor.id)
    db.session.add(endpoint)
    db.session.flush()
    _audit("webhook_endpoint.create", endpoint, actor, events=endpoint.event_types)
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, actor: User, *, url: str, event_types, description: str = "") -> None:
    _require_admin(actor)
    endpoint.url = check_url(url)
    endpoint.event_types = _check_types(event_types)
    endpoint.description = (description or "").strip()[:200]
    db.session.flush()
    _audit("webhook_endpoint.update", endpoint, actor, events=endpoint.event_types)


def renew_secret(endpoint: WebhookEndpoint, actor: User) -> str:
    """A new secret (shown once); the old one stops signing at once."""
    _require_admin(actor)
    secret = signing.new_secret()
    endpoint.secret_sealed = signing.seal(secret)
    db.session.flush()
    _audit("webhook_endpoint.renew_secret", endpoint, actor)
    return secret


def set_active(endpoint: WebhookEndpoint, actor: User, active: bool) -> None:
    """Disable, or enable again (the count of failures starts over; waiting deliveries go out)."""
    _require_admin(actor)
    endpoint.active = active
    endpoint.consecutive_failures = 0
    endpoint.disabled_at = None if active else endpoint.disabled_at
    db.session.flush()
    _audit("webhook_endpoint.enable" if active else "webhook_endpoint.disable", endpoint, actor)


def delete_endpoint(endpoint: WebhookEndpoint, actor: User) -> None:
    """Remove the endpoint with its delivery log."""
    _require_admin(actor)
    _audit("webhook_endpoint.delete", endpoint, actor)
    db.session.delete(endpoint)
    db.session.flush()
