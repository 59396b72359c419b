"""Loading a case in a view: the one place a view turns an id into a case the user may see."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from core.db import db

from . import permissions
from .models import Case, CaseOrganisation, CaseRecipientGround


def get_case(case_id: int) -> Case:
    """A case the current user may see, or 404 (a foreign case does not exist for them)."""
    case = db.session.execute(
        sa.select(Case).where(Case.id == case_id).options(
            # What every case page shows, in the one statement (a handful of rows).
            sa.orm.joinedload(Case.owner), sa.orm.joinedload(Case.domains),
            sa.orm.joinedload(Case.organisations).joinedload(CaseOrganisation.organisation),
            # The lawful basis (casefiles.lawful_basis): the referring partner and the grounds per recipient.
            sa.orm.joinedload(Case.referring_organisation),
            sa.orm.joinedload(Case.recipient_grounds).joinedload(CaseRecipientGround.basis),
            sa.orm.joinedload(Case.recipient_grounds).joinedload(CaseRecipientGround.organisation),
        )
    ).unique().scalar_one_or_none()
    if case is None or not permissions.can_view(current_user, case):
        abort(404)
    return case
