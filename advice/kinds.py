"""The advice package's notification kinds (registered by the package's ``init_app``).

Contexts carry the case reference, an organisation name, a date: never household details.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from notifications.kinds import Kind

ADVICE_KINDS: dict[str, Kind] = {
    "advice.issued": Kind(
        _l("Advice issued for case %(reference)s"),
        _l("The expert team issued its binding advice on case %(reference)s (version %(version)s)."),
    ),
    "advice.action_assigned": Kind(
        _l("Action for %(organisation)s in case %(reference)s"),
        _l(
            "The expert team's binding advice on case %(reference)s contains an action for %(organisation)s, "
            "due %(deadline)s. Please confirm that you will carry it out."
        ),
    ),
    "advice.corrected": Kind(
        _l("Advice on case %(reference)s corrected"),
        _l(
            "The advice on case %(reference)s was corrected (version %(version)s). The actions for "
            "%(organisation)s changed; please check them."
        ),
    ),
    "advice.action_refused": Kind(
        _l("Action refused in case %(reference)s"),
        _l("%(organisation)s refused its action in case %(reference)s. It is back on the table at the next meeting; please decide how to proceed."),
        always_email=True,
    ),
    "advice.action_due_soon": Kind(
        _l("Action in case %(reference)s due %(deadline)s"),
        _l("The action for %(organisation)s in case %(reference)s is due on %(deadline)s."),
    ),
    "advice.action_overdue": Kind(
        _l("Action in case %(reference)s is overdue"),
        _l("The action for %(organisation)s in case %(reference)s was due on %(deadline)s and is not done yet."),
    ),
    "advice.action_escalated": Kind(
        _l("Overdue action in case %(reference)s escalated"),
        _l("The action for %(organisation)s in case %(reference)s is overdue past the grace period (due %(deadline)s). It is back on the table at the next meeting."),
        always_email=True,
    ),
    "advice.case_completed": Kind(
        _l("All actions done in case %(reference)s"),
        _l("Every action of the advice on case %(reference)s is done. Please close the case and record the outcome."),
    ),
    "advice.followup_due": Kind(
        _l("Three-month evaluation of case %(reference)s"),
        _l("Case %(reference)s was closed three months ago. Is the breakthrough holding? Please record the three-month evaluation."),
    ),
    # The escalation ladder (advice.escalation): the chair is told at every level.
    "advice.escalation_director": Kind(
        _l("Case %(reference)s: escalated to the director of %(organisation)s"),
        _l("The escalated action for %(organisation)s in case %(reference)s was not settled in time. It went up to "
           "level 2: the director named on the commitment is asked by e-mail to answer."),
        always_email=True,
    ),
    "advice.escalation_steering": Kind(
        _l("Case %(reference)s: refer to the steering group"),
        _l("The director of %(organisation)s did not answer in time on case %(reference)s. The escalation is at "
           "level 3: refer it to the municipality's steering group and record the referral and its outcome."),
        always_email=True,
    ),
    "advice.escalation_national": Kind(
        _l("Case %(reference)s: refer to the national Maatwerkloket"),
        _l("The steering group reached no outcome in time on case %(reference)s (%(organisation)s). The "
           "escalation is at level 4: download the summary and send it to the national Maatwerkloket."),
        always_email=True,
    ),
    "advice.escalation_answered": Kind(
        _l("Case %(reference)s: the director of %(organisation)s answered"),
        _l("The director of %(organisation)s answered on the escalated action in case %(reference)s."),
    ),
}
