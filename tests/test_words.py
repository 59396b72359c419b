"""One word per idea, in code, addresses and templates (docs/architecture.md, Glossary):

- ``signal`` only for lost contact (``casefiles.holds``: a signal request, the signal when the
  client turns up). What the system should learn is ``lessons``; what blocks cases most, ``blocking``.
- ``follow_through`` for the organisations carrying out their actions; what awaits the team is
  ``back_on_table``; the three-month check after closing is the ``evaluation``. No ``followup``.

Names that are stored or are a contract with others (tables, columns, notification kinds, job ids,
audit actions, export keys, webhook event types, API scopes) keep their old spelling; they are
strings, which this test does not read. Old addresses are kept as redirects (``core.routing.moved``:
endpoints ``*_moved``), the one place an old word may stand in a rule."""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLLOW_UP = re.compile(r"follow[-_]?ups?\b|follow[-_]?up_|followup", re.IGNORECASE)
SIGNAL = re.compile(r"signal", re.IGNORECASE)
#: Where ``signal`` is at home: the lost-contact package, its templates and its tests.
LOST_CONTACT = ("casefiles/holds/", "templates/holds/", "tests/casefiles/holds/")
#: A holds template whose file the template move (``templates/<area>`` into its package) renames;
#: its content already says "back on the table".
NOT_YET_MOVED: set[str] = set()


def _tracked(*patterns: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True)
    return [p for p in out.stdout.split() if not p.startswith(("migrations/", "translations/"))]


def python_names(source: str) -> tuple[set[str], bool]:
    """Every identifier a module defines or uses (names, attributes, arguments, keywords, imports),
    and whether it deals with lost contact (imports ``casefiles.holds`` or the standard ``signal``)."""
    tree = ast.parse(source)
    names: set[str] = set()
    lost_contact = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.update(filter(None, (node.name.split(".")[-1], node.asname)))
            lost_contact |= node.name == "signal" or node.name.startswith("casefiles.holds")
        if isinstance(node, ast.ImportFrom) and node.module:
            lost_contact |= node.module.startswith("casefiles.holds") or (node.level > 0 and "holds" in node.module)
    return names, lost_contact


def template_names(text: str) -> set[str]:
    """The identifiers in a template's code (``{{ }}``, ``{% %}``, string literals left out) and
    the values of its class and id attributes."""
    names: set[str] = set()
    for block in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, re.DOTALL):
        code = re.sub(r"\"[^\"]*\"|'[^']*'", "", block)
        names.update(re.findall(r"[A-Za-z_][\w]*", code))
    for value in re.findall(r"\b(?:class|id)=\"([^\"]*)\"", text):
        names.update(re.findall(r"[\w-]+", re.sub(r"\{\{.*?\}\}", "", value)))
    return names


def misused(path: str, names: set[str], lost_contact: bool) -> list[str]:
    """The names of ``path`` that say follow-up, or signal for anything but lost contact."""
    home = path.startswith(LOST_CONTACT) or lost_contact
    return sorted(f"{path}: {n}" for n in names | {path}
                  if (FOLLOW_UP.search(n) and path not in NOT_YET_MOVED) or (SIGNAL.search(n) and not home))


def test_the_word_checker_catches_each_kind_of_name():
    names, lost = python_names("from advice.plan import signals\n"
                               "def ask_followup(now): return closure.follow_up_items(signals_of=1)\n")
    assert not lost
    assert misused("advice/x.py", names, lost) == [
        "advice/x.py: ask_followup", "advice/x.py: follow_up_items", "advice/x.py: signals", "advice/x.py: signals_of"]
    names, lost = python_names("import signal\nfrom casefiles.holds.models import ContactSignalRequest\n")
    assert lost and misused("expertteam/scheduler.py", names, lost) == []
    html = '{{ c.followup_at }} {{ _("signals") }}<section class="followup" id="h-{{ key }}">{{ b.signals }}'
    assert set(misused("templates/x.html", template_names(html), False)) == {
        "templates/x.html: followup", "templates/x.html: followup_at", "templates/x.html: signals"}
    assert misused("advice/templates/advice/_followup.html", set(), False) == [
        "advice/templates/advice/_followup.html: advice/templates/advice/_followup.html"]


def test_code_says_one_word_per_idea():
    found = []
    for path in _tracked("*.py"):
        if path == "tests/test_words.py":
            continue  # the checker: its patterns and samples name the old words
        names, lost_contact = python_names((ROOT / path).read_text(encoding="utf-8"))
        found += misused(path, names, lost_contact)
    assert found == [], "follow-up / signal in names (docs/architecture.md, Glossary):\n" + "\n".join(found)


def test_templates_say_one_word_per_idea():
    found = []
    for path in _tracked("*.html"):
        found += misused(path, template_names((ROOT / path).read_text(encoding="utf-8")), False)
    assert found == [], "follow-up / signal in templates (docs/architecture.md, Glossary):\n" + "\n".join(found)


def test_addresses_endpoints_and_template_globals_say_one_word_per_idea(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("_moved"):
            continue  # an old address kept as a redirect
        lost_contact = rule.endpoint.startswith(("holds.", "api."))  # the API's signal requests
        for name in (rule.rule, rule.endpoint):
            if FOLLOW_UP.search(name) or (SIGNAL.search(name) and not lost_contact):
                found.append(f"{rule.endpoint}: {rule.rule}")
    found += [f"template global {g}" for g in app.jinja_env.globals if FOLLOW_UP.search(g) or SIGNAL.search(g)]
    assert found == [], "\n".join(found)
