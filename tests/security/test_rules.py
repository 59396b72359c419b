"""Checks that run with the suite: bandit, project rules, a state machine over case transitions,
and an XSS corpus through every markdown field."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.template_files import template_files

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "accounts", "notifications", "webhooks", "casefiles", "meeting", "advice", "reports", "api",
            "expertteam")


def _sources(pattern: str = "*.py"):
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            yield from (ROOT / package).rglob(pattern)


def test_bandit_finds_no_high_severity_issue():
    paths = [p for p in PACKAGES if (ROOT / p).is_dir()]
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "bandit", "-r", *paths, "-lll", "-q", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    high = [(r["filename"], r["line_number"], r["test_id"], r["issue_text"]) for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert high == []
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the code


def test_no_safe_filter_in_templates():
    """User data reaches HTML only escaped, or through the markdown filter (which sanitises)."""
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in template_files()
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if re.search(r"\|\s*safe\b|autoescape\s+false", line)
    ]
    assert offenders == []


#: Where text becomes markup: the markdown filter (which sanitises) and a slot's rendered partial
#: (``core.slots.render_partial``: Jinja's autoescaped output).
MARKUP_MAKERS = {"core/filters.py", "core/slots.py"}


def test_markup_only_in_the_markdown_filter():
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _sources()
        if p.relative_to(ROOT).as_posix() not in MARKUP_MAKERS
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if re.search(r"\bMarkup\s*\(|\.__html__\b|render_template_string\(", line)
    ]
    assert offenders == []


def test_no_legacy_query_get():
    """Objects are loaded with db.session.get plus an access check, never Model.query.get."""
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _sources()
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if re.search(r"\.query\.(get|get_or_404|filter_by)\(", line)
    ]
    assert offenders == []


def test_rules_catch_what_they_are_for(tmp_path):
    """The rules above are not vacuous: their patterns match the forbidden shapes."""
    assert re.search(r"\|\s*safe\b", "{{ case.blockage|safe }}")
    assert re.search(r"\bMarkup\s*\(", "return Markup(text)")
    assert re.search(r"\.query\.(get|get_or_404|filter_by)\(", "Case.query.get(1)")


# --- XSS corpus through every markdown field ---------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "![x](x\" onerror=\"alert(1))",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "\"><script>alert(1)</script>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<form action=\"https://evil.example\"><button>x</button></form>",
]
#: Markdown fields, per package: (model import path, fields). Meeting minutes and advice texts are
#: added here when their views render markdown.
MARKDOWN_FIELDS = {
    "case": ["tried", "blockage", "household_goal", "question"],
}
DANGEROUS = re.compile(
    r"<script|<iframe|<object|<style|<svg|<math|<form|\son[a-z]+\s*=|javascript:|data:text|style\s*=", re.I
)


def test_markdown_filter_neutralises_the_corpus(app):
    from core.filters import render_markdown

    for payload in XSS:
        html = str(render_markdown(payload))
        assert not DANGEROUS.search(html), (payload, html)


def test_xss_corpus_through_every_case_markdown_field(client, world, create_case):
    from tests.conftest import login

    fields = {name: "\n\n".join(XSS) for name in MARKDOWN_FIELDS["case"]}
    fields["household_pseudonym"] = "<script>alert('pseudonym')</script>"
    fields["household_composition"] = "<img src=x onerror=alert(1)>"
    case = create_case("accepted", **fields)
    for user in (world.owner, world.chair):
        login(client, user)
        for url in (f"/cases/{case.id}", f"/teams/{world.team.id}/queue", "/"):
            response = client.get(url)
            if response.status_code != 200:
                continue
            body = response.get_data(as_text=True)
            # Only the app's own script tags (with src) may appear.
            scripts = re.findall(r"<script[^>]*>", body, re.I)
            assert all("src=" in s for s in scripts), (url, scripts)
            assert not re.search(r"\son(error|load|toggle)\s*=", body, re.I), url
            assert "javascript:" not in body.lower(), url
            assert "<iframe" not in body.lower() and "<object" not in body.lower(), url


# --- state machine over case transitions ------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

#: Extra invariants other packages add (advice: an issued advice never changes; only the action's
#: organisation confirms it): ``func(machine)`` asserting over ``machine.case`` and ``machine.world``.
EXTRA_INVARIANTS: list = []
#: Extra steps other packages add: ``(name, func(machine, actor))`` that call their services and
#: may raise ServiceError (refused) or succeed.
EXTRA_STEPS: list = []

ACTORS = ["owner", "owner2", "chair", "secretary", "expert", "contact", "admin", "other_chair", "other_owner"]


def _machine(world, criteria):
    import sqlalchemy as sa

    from casefiles import permissions, services
    from casefiles.models import CaseStatus
    from core.audit import AuditEvent
    from core.db import db
    from core.errors import ServiceError

    steps = {
        "submit": lambda case, actor: services.submit_case(case, actor),
        "return": lambda case, actor: services.return_case(case, actor, message="More, please."),
        "accept": lambda case, actor: services.accept_case(case, actor, criteria_met=criteria),
        "decline": lambda case, actor: services.decline_case(case, actor, reason="Not stuck."),
        "withdraw": lambda case, actor: services.withdraw_case(case, actor, reason="Moved away."),
    }
    allowed = {
        "submit": permissions.can_submit,
        "return": permissions.can_intake,
        "accept": permissions.can_intake,
        "decline": permissions.can_intake,
        "withdraw": permissions.can_withdraw,
    }

    class CaseMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            from tests.conftest import COMPLETE_CASE

            values = dict(COMPLETE_CASE)
            self.case = services.create_case(world.team, world.owner, domains=[], **values)
            db.session.commit()
            self.world = world
            self.history = [CaseStatus.DRAFT]

        @rule(step=st.sampled_from(sorted(steps)), who=st.sampled_from(ACTORS))
        def act(self, step, who):
            actor = getattr(world, who)
            before = self.case.status
            may = allowed[step](actor, self.case)
            try:
                steps[step](self.case, actor)
            except ServiceError:
                db.session.rollback()
                db.session.refresh(self.case)
                assert self.case.status == before  # a refused step changes nothing
                return
            db.session.commit()
            assert may, f"{who} did {step} from {before} without permission"
            assert (before, self.case.status) in services.TRANSITIONS  # no step skipped
            self.history.append(self.case.status)

        @invariant()
        def audit_matches_history(self):
            rows = db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.object_type == "case", AuditEvent.object_id == self.case.id,
                                            AuditEvent.action != "case.create").order_by(AuditEvent.id)
            ).all()
            path = [CaseStatus.DRAFT] + [CaseStatus(r.details["to"]) for r in rows]
            assert path == self.history
            for r in rows:
                assert (CaseStatus(r.details["from"]), CaseStatus(r.details["to"])) in services.TRANSITIONS

        @invariant()
        def final_states_are_final(self):
            if CaseStatus.WITHDRAWN in self.history or CaseStatus.DECLINED in self.history:
                assert self.history[-1] in (CaseStatus.WITHDRAWN, CaseStatus.DECLINED)

        @invariant()
        def extra(self):
            for check in EXTRA_INVARIANTS:
                check(self)

    return CaseMachine


def test_case_transitions_state_machine(app, world):
    import sqlalchemy as sa

    from casefiles.models import InclusionCriterion
    from core.db import db

    criteria = db.session.scalars(sa.select(InclusionCriterion.id).where(InclusionCriterion.team_id == world.team.id)).all()
    machine = _machine(world, criteria)
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=25, stateful_step_count=12, deadline=None,
                          suppress_health_check=list(HealthCheck), database=None),
    )
