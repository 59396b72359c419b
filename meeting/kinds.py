"""The meeting's notification kinds (registered by the package's ``init_app``).

Contexts carry the team name, local date and time strings and at most a case reference,
never household details.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from notifications.kinds import Kind

MEETING_KINDS: dict[str, Kind] = {
    "meeting.agenda_published": Kind(
        _l("Agenda published for the meeting of %(date)s"),
        _l("The agenda of %(team)s for %(date)s at %(time)s has been published (cases on the agenda: %(count)s)."),
    ),
    "meeting.agenda_changed": Kind(
        _l("Agenda changed for the meeting of %(date)s"),
        _l("The agenda of %(team)s for %(date)s at %(time)s was changed and published again (cases on the agenda: %(count)s)."),
    ),
    "meeting.presenting": Kind(
        _l("Case %(reference)s is on the agenda of %(date)s"),
        _l(
            "Case %(reference)s will be discussed by %(team)s on %(date)s. Your item starts at %(time)s "
            "and takes %(minutes)s minutes. You are invited for this item."
        ),
    ),
    "meeting.item_removed": Kind(
        _l("Case %(reference)s was taken off the agenda"),
        _l("Case %(reference)s was taken off the agenda of %(date)s. It returns at the head of the queue."),
    ),
    "meeting.item_postponed": Kind(
        _l("Case %(reference)s was postponed"),
        _l("Case %(reference)s was postponed at the meeting of %(date)s. It returns at the head of the queue."),
    ),
    "meeting.cancelled": Kind(
        _l("The meeting of %(date)s is cancelled"),
        _l("The meeting of %(team)s on %(date)s at %(time)s is cancelled. Reason: %(reason)s"),
    ),
    "meeting.moved": Kind(
        _l("The meeting of %(old_date)s has moved"),
        _l("The meeting of %(team)s planned for %(old_date)s now takes place on %(date)s at %(time)s."),
    ),
    "meeting.reminder": Kind(
        _l("Reminder: meeting on %(date)s"),
        _l("The meeting of %(team)s starts on %(date)s at %(time)s. The agenda is in the application."),
    ),
    "meeting.reminder_presenter": Kind(
        _l("Reminder: case %(reference)s on %(date)s"),
        _l("You present case %(reference)s to %(team)s on %(date)s at %(time)s."),
    ),
}
