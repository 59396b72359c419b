"""The webhooks package's notification kind (registered by ``webhooks.init_app``)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from notifications.kinds import Kind

WEBHOOK_KINDS: dict[str, Kind] = {
    "webhooks.endpoint_disabled": Kind(
        _l("Webhook of %(organisation)s disabled"),
        _l("Deliveries to %(url)s of %(organisation)s failed %(failures)s times in a row, so the endpoint was "
           "disabled. Waiting events are kept. Check the delivery log and enable the endpoint again once the "
           "receiver works."),
        always_email=True,
    ),
}
