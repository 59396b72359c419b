"""Dutch by default, English on request, per user; dates in Europe/Amsterdam."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from core.audit import AuditEvent
from core.db import db
from tests.conftest import csrf_token, login


def _dutch(msgid: str) -> str:
    with force_locale("nl"):
        return gettext(msgid)


def test_catalogue_translates_the_chrome(app):
    for msgid in ("Sign in", "Sign out", "Queue", "Messages", "Home", "Save draft", "Withdraw"):
        assert _dutch(msgid) != msgid, f"no Dutch translation for {msgid!r}"


def test_dutch_is_the_default_and_english_is_switchable_per_user(client, world):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="nl">' in html and _dutch("Sign in") in html

    login(client, world.expert)
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="nl">' in html and _dutch("Sign out") in html

    token = csrf_token(client, "/")
    response = client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign out" in html
    db.session.refresh(world.expert)
    assert world.expert.locale == "en"

    # The choice belongs to the user: a new session (another device) is English too.
    login(client, world.expert)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused(client, world):
    login(client, world.owner)
    token = csrf_token(client, "/")
    assert client.post("/language", data={"csrf_token": token, "lang": "xx"}).status_code == 400
    db.session.refresh(world.owner)
    assert world.owner.locale == "nl"


def test_times_are_shown_in_amsterdam_time_with_dutch_format(client, world, create_case):
    case = create_case("draft")
    # Audit rows are append-only: add an event at a known time instead of changing one.
    db.session.add(AuditEvent(action="case.update", object_type="case", object_id=case.id, team_id=case.team_id,
                              details={"fields": []}, at=datetime(2026, 7, 1, 7, 5, tzinfo=timezone.utc)))  # 09:05 in Amsterdam
    db.session.commit()
    login(client, world.owner)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "1 jul 2026, 09:05" in html  # a moment: one format everywhere (core.filters)


def test_one_format_per_kind_of_moment(app):
    """A calendar day and a moment each have one format, in the reader's language."""
    from flask_babel import force_locale

    from core.filters import local_date, local_datetime
    moment = datetime(2026, 3, 5, 13, 7, tzinfo=timezone.utc)  # 14:07 in Amsterdam (winter time)
    with app.test_request_context():
        with force_locale("nl"):
            assert (local_date(moment.date()), local_datetime(moment)) == ("5 mrt 2026", "5 mrt 2026, 14:07")
        with force_locale("en"):
            assert (local_date(moment.date()), local_datetime(moment)) == ("Mar 5, 2026", "Mar 5, 2026, 2:07\u202fPM")
