"""Loading an advice for a page, with need-to-know (as ``casefiles.web.get_case`` loads a case):
advice the user may not see is a 404, whatever its id. Every page of an advice loads it here."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from core.db import db

from . import permissions
from .models import Action, Advice


def advice_options(*action_options) -> list:
    """What every page of an advice shows, loaded with it: one statement for the advice, its
    case, meeting, legal grounds and cost lines (a few each), one for its actions with their
    organisations (and ``action_options``, e.g. a narrower load of them): the
    page's statements do not grow with them."""
    return [sa.orm.joinedload(Advice.case), sa.orm.joinedload(Advice.meeting),
            sa.orm.joinedload(Advice.legal_grounds), sa.orm.joinedload(Advice.cost_lines),
            sa.orm.selectinload(Advice.actions).options(sa.orm.joinedload(Action.organisation), *action_options)]


def visible(advice: Advice | None) -> Advice:
    """The advice, or a 404 when there is none or the user may not see it."""
    if advice is None or not permissions.can_view_advice(current_user, advice):
        abort(404)
    return advice


def get_advice(advice_id: int, *action_options) -> Advice:
    return visible(db.session.get(Advice, advice_id, options=advice_options(*action_options)))
