"""Ids in requests, and addresses that moved. The app's URL map: the ``int`` converter of every route is bounded by the
range of the id columns, so an id no row can have is simply not found (404) instead of reaching
the database, which refuses it (SQLite past 64 bits, PostgreSQL past its 32-bit ``integer``).
An id in a form field or query string goes through ``parse_id``, the same rule. A page whose
address changed keeps its old one as a redirect (``moved``), so bookmarks, e-mailed links and
links stored in notifications keep working."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, redirect, request, url_for
from werkzeug.routing import IntegerConverter

#: The largest id a path may name: the range of the id columns (``sa.Integer``, a 32-bit
#: ``integer`` on PostgreSQL; SQLite's 64-bit range holds it too).
MAX_ID = 2_147_483_647


class IdConverter(IntegerConverter):
    """Werkzeug's ``int`` with a default maximum of ``MAX_ID``: a larger value fails the
    converter (``ValidationError``), so the rule does not match and the router answers 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(value: str | None) -> int | None:
    """The id a form field or query string names, or None when it names none: ASCII digits only
    (``str.isdigit`` also takes '²', which ``int`` refuses), from 1 to ``MAX_ID``."""
    if not value or len(value) > len(str(MAX_ID)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def moved(bp: Blueprint, old_rule: str, endpoint: str, *, post: bool = False) -> None:
    """Keep ``old_rule`` of ``bp`` as a permanent redirect to the blueprint's ``endpoint`` with the
    same path values and query string: 301 for a page that is only read, 308 (the method and
    body kept) for one that is posted to (``post``). The old rule's endpoint is
    ``<endpoint>_moved``; the blueprint's own rules (sign-in, need-to-know) apply at the new one."""
    code = 308 if post else 301

    def redirect_to_new(**values):
        target = url_for(f"{bp.name}.{endpoint}", **values)
        query = urlencode(list(request.args.items(multi=True)))
        return redirect(f"{target}?{query}" if query else target, code=code)

    redirect_to_new.__doc__ = f"The old address of {bp.name}.{endpoint}: a permanent redirect."
    bp.add_url_rule(old_rule, f"{endpoint}_moved", redirect_to_new, methods=["GET", "POST"] if post else ["GET"])


def init_app(app: Flask) -> None:
    """Replace the URL map's ``int`` converter; before any rule is added, since a rule takes its
    converter when it is added."""
    app.url_map.converters["int"] = IdConverter
