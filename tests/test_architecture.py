"""The layout holds (docs/architecture.md): layers only import downward, the packages of one
layer import each other without a cycle, each package registers its parts in its own
``init_app`` (nothing by import side effect), rules live in ``permissions.py``, only
``casefiles`` writes case fields, no module grows past 500 lines and no package directory holds
more than about 15 modules.

Every check parses the source (imports inside functions too) and names the file and line of
what breaks the rule; each is also run on a small bad example, so none of them can pass vacuously.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The layers, lowest first. A module may import from its own layer and the ones below it.
#: The sub-packages of casefiles build on casefiles, those of advice on advice (and not the other
#: way round).
LAYERS = [
    ["core"],
    ["accounts", "notifications", "webhooks"],
    ["casefiles"],
    ["casefiles.blockage", "casefiles.holds", "casefiles.attachments"],
    ["meeting"],
    ["advice"],
    ["advice.drafting", "advice.plan", "advice.follow_through", "advice.escalation", "advice.closure"],
    ["reports", "financing", "api"],
    ["expertteam"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
PACKAGES = [name for names in LAYERS for name in names if "." not in name]
#: Modules allowed to be longer than 500 lines: none (migrations are not a package).
LONG_MODULES: set[str] = set()
MAX_LINES = 500


def _layer(module: str) -> str | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANK:
            return ".".join(parts[:n])
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(line, imported module) for every import in the tree, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module:
                    yield node.lineno, target
                else:
                    for alias in node.names:
                        yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, node.module


def upward_imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str, str]]:
    """(line, imported module, its layer) for every import that goes up a layer."""
    here = _layer(module)
    found = []
    for line, target in _imports(ast.parse(source), module, is_package):
        there = _layer(target)
        if here and there and RANK[there] > RANK[here]:
            found.append((line, target, there))
    return found


def test_the_layering_checker_catches_an_upward_import():
    bad = "def f():\n    from advice.models import Action\n"
    assert upward_imports(bad, "casefiles.services") == [(2, "advice.models", "advice")]
    assert upward_imports("from casefiles.blockage import services\n", "casefiles.views") != []
    assert upward_imports("from .. import services\n", "casefiles.blockage.views") == []
    assert upward_imports("from core.db import db\n", "advice.models") == []


def test_no_module_imports_a_layer_above_its_own():
    offenders = []
    for path in _sources():
        module = _module_name(path)
        for line, target, layer in upward_imports(path.read_text("utf-8"), module, path.name == "__init__.py"):
            offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target} (layer {layer}, above {_layer(module)})")
    assert offenders == []


def package_imports(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Which package of the app imports which other one (its layer's name: ``advice.drafting``),
    from ``sources``: module name -> (source, is a package's ``__init__``)."""
    found: dict[str, set[str]] = {}
    for module, (source, is_package) in sources.items():
        here = _layer(module)
        for _line, target in _imports(ast.parse(source), module, is_package):
            there = _layer(target)
            if here and there and there != here:
                found.setdefault(here, set()).add(there)
    return found


def import_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of packages that import each other (``[a, b, a]``), or None."""
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> list[str] | None:
        if package in path:
            return path[path.index(package):] + [package]
        if package in done:
            return None
        for target in sorted(edges.get(package, ())):
            cycle = visit(target, path + [package])
            if cycle:
                return cycle
        done.add(package)
        return None

    return next((c for c in (visit(p, []) for p in sorted(edges)) if c), None)


def test_the_cycle_checker_finds_packages_that_import_each_other():
    sources = {"advice.drafting.views": ("from advice.closure.models import CaseClosure\n", False),
               "advice.closure": ("def init_app(app):\n    from ..drafting import views\n", True),
               "advice.plan.services": ("from advice.models import Advice\n", False)}
    edges = package_imports(sources)
    assert edges == {"advice.drafting": {"advice.closure"}, "advice.closure": {"advice.drafting"},
                     "advice.plan": {"advice"}}
    assert import_cycle(edges) == ["advice.closure", "advice.drafting", "advice.closure"]
    assert import_cycle({"a": {"b"}, "b": {"c"}, "d": {"b"}}) is None


def test_the_packages_of_one_layer_import_each_other_without_a_cycle():
    """Between layers imports only go down; within one (the sub-packages of advice, of casefiles)
    a package may use another, as long as none of them ends up importing itself. Shared code of
    advice lives in advice itself, a layer below its sub-packages."""
    sources = {_module_name(p): (p.read_text("utf-8"), p.name == "__init__.py") for p in _sources()}
    edges = package_imports(sources)
    assert len(edges.get("advice.follow_through", ())) > 3  # it really read the imports
    assert import_cycle(edges) is None


def test_every_package_of_the_app_is_in_a_layer():
    from expertteam import PACKAGES as APP_PACKAGES

    assert set(APP_PACKAGES) == set(RANK) - {"expertteam"}
    # create_app initialises them lowest first.
    assert sorted(APP_PACKAGES, key=RANK.__getitem__) == list(APP_PACKAGES)
    on_disk = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in ("tests", "migrations")}
    assert on_disk == set(PACKAGES)


# --- registration happens in init_app, never at import ---------------------------------------

REGISTERING = {"register", "register_job", "register_kind", "register_kinds", "register_all", "register_export",
               "register_anonymiser", "register_blueprint", "register_need_reference", "require_recent_auth",
               "listen", "listens_for", "install", "install_session_guard"}


def registrations_at_import(source: str) -> list[int]:
    """Lines of module-level statements (not inside a function) that register something."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            nodes = [d for d in node.decorator_list]
        else:
            nodes = [node]
        for part in nodes:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Call):
                    func = sub.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in REGISTERING:
                        found.append(sub.lineno)
    return found


def test_the_registration_checker_catches_a_registration_at_import():
    assert registrations_at_import('jobs.register("x", f, "cron")\n') == [1]
    assert registrations_at_import('@sa.event.listens_for(Session, "before_flush")\ndef f(): pass\n') == [1]
    assert registrations_at_import('def init_app(app):\n    register_job(app, "x", f, "cron")\n') == []


def test_nothing_registers_by_import_side_effect():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        for line in registrations_at_import(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_scheduler_lists_the_same_jobs_with_and_without_a_request_context(app):
    from core.jobs import registered

    outside = list(registered(app))
    with app.test_request_context("/"):
        inside = list(registered())
    assert outside == inside and len(outside) == 13 + 3 + 1 + 1  # + webhooks.deliver, webhooks.cleanup, api.cleanup; financing.book; advice.escalation_ladder
    # ... and a fresh process (the scheduler's own) lists exactly these too.
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "flask", "--app", "expertteam", "scheduler", "--list"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "", "EXPERTTEAM_INSTANCE": str(Path(app.instance_path)), "DATABASE_URL": "sqlite://"},
    )
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == outside


# --- one home per rule, per write, per size ---------------------------------------------------

def rules_outside_permissions(source: str) -> list[tuple[int, str]]:
    """Top-level ``can_*`` functions (permission rules)."""
    return [(n.lineno, n.name) for n in ast.parse(source).body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("can_")]


def test_permission_rules_live_in_permissions_modules():
    assert rules_outside_permissions("def can_hold(user, case):\n    return True\n") == [(1, "can_hold")]
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path in _sources() if path.name != "permissions.py"
        for line, name in rules_outside_permissions(path.read_text("utf-8"))
    ]
    assert offenders == []


def assigned_attributes(node: ast.AST) -> list[ast.Attribute]:
    """The attributes an assignment statement assigns (``a.x = …``, ``a.x, b.y = …``, ``a.x += …``)."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
    return [t for target in targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])
            if isinstance(t, ast.Attribute)]


def case_field_writes(source: str, fields: set[str]) -> list[int]:
    """Lines that assign a case column through a name or attribute called ``case``
    (``case.status = …``, ``item.case.queue_priority = …``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        for t in assigned_attributes(node):
            if t.attr in fields:
                owner = t.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if name == "case":
                    found.append(node.lineno)
    return found


def test_only_casefiles_writes_case_fields(app):
    from casefiles.models import Case

    fields = {c.key for c in Case.__mapper__.column_attrs}
    assert case_field_writes("item.case.queue_priority = 0\n", fields) == [1]
    assert case_field_writes("case.closed_at, x = now, 1\n", fields) == [1]
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources() if not _module_name(path).startswith("casefiles")
        for line in case_field_writes(path.read_text("utf-8"), fields)
    ]
    assert offenders == []


def test_no_module_is_over_500_lines():
    lengths = {path.relative_to(ROOT).as_posix(): len(path.read_text("utf-8").splitlines()) for path in _sources()}
    assert max(lengths.values()) > 300  # it really measured the code
    assert {p: n for p, n in lengths.items() if n > MAX_LINES and p not in LONG_MODULES} == {}


#: A package directory (a room of the house) holds at most about this many modules, its
#: ``__init__.py`` included; a bigger one gets a sub-package per concept, as casefiles and advice
#: have.
MAX_MODULES = 15
#: Directories that still hold more: none may join them, and each leaves the list once split.
CROWDED = {"core", "casefiles", "meeting"}


def modules_per_directory(root: Path) -> dict[str, int]:
    """Python modules per package directory under ``root`` (a directory with an ``__init__.py``)."""
    return {d.relative_to(root.parent).as_posix(): len(list(d.glob("*.py")))
            for d in [root, *root.rglob("*")] if (d / "__init__.py").exists()}


def test_the_module_counter_counts_each_directory_on_its_own(tmp_path):
    package = tmp_path / "shop"
    (package / "sales").mkdir(parents=True)
    for name in ("__init__", "models", "views"):
        (package / f"{name}.py").write_text("", "utf-8")
    for name in ("__init__", "services"):
        (package / "sales" / f"{name}.py").write_text("", "utf-8")
    (package / "templates").mkdir()
    assert modules_per_directory(package) == {"shop": 3, "shop/sales": 2}


def test_no_package_directory_holds_more_than_about_15_modules():
    counts = {d: n for package in PACKAGES for d, n in modules_per_directory(ROOT / package).items()}
    assert counts["advice"] > 5 and "advice/drafting" in counts  # it really counted the rooms
    assert {d: n for d, n in counts.items() if n > MAX_MODULES and d not in CROWDED} == {}
    assert {d for d in CROWDED if counts.get(d, 0) <= MAX_MODULES} == set()  # split: take it off the list


#: The machine's own calendar and clock: a day behind the teams' for an hour or two after their
#: midnight on a server running in UTC. The app reads ``core.clock`` (``team_today``,
#: ``local_today``, ``utcnow``) instead. (class, method) of a call without arguments.
MACHINE_CLOCK = {("date", "today"), ("datetime", "today"), ("datetime", "now")}


def _machine_clock_reads(paths) -> list[str]:
    found = []
    for path in paths:
        source = path.read_text("utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and not node.args and not node.keywords
                    and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in MACHINE_CLOCK):
                name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
                found.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(found)


def test_the_clock_checker_catches_a_read_of_the_machine_calendar(tmp_path):
    sample = tmp_path / "clock_sample.py"
    sample.write_text("from datetime import date\nTODAY = date.today()\nLATER = datetime.now(UTC)\n"
                      "NOW = datetime.now()  # naive\n", "utf-8")
    assert _machine_clock_reads([sample]) == ["clock_sample.py:2: TODAY = date.today()",
                                              "clock_sample.py:4: NOW = datetime.now()  # naive"]


def test_the_app_never_reads_the_machine_calendar():
    assert _machine_clock_reads(_sources()) == []


#: The one module that writes an action's escalation (``docs/architecture.md``, the escalation room).
ESCALATION_OWNER = "advice.escalation.ladder"
#: The action's escalation columns.
ACTION_ESCALATION = {"escalated_at", "escalation_kind", "ladder_level"}
#: The ladder's tables, by their model's name.
LADDER_MODELS = {"Escalation", "EscalationStep"}


def escalation_writes(source: str, columns: set[str]) -> list[tuple[int, str]]:
    """(line, what) for every write of escalation state in ``source``: an assignment to one of
    ``columns`` (``action.escalated_at = …``), such a column as a keyword (``.values(…)``,
    ``Action(…)``, a helper's ``**extra``) or an action's escalation column named in a string
    (``setattr(x, "ladder_level", …)``, a list of fields to copy), a ladder row made
    (``Escalation(…)``), an INSERT or UPDATE of a ladder table (``sa.update(Escalation)``,
    ``insert(EscalationStep.__table__)``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        found += [(node.lineno, f"assigns {t.attr}") for t in assigned_attributes(node) if t.attr in columns]
        if isinstance(node, ast.Attribute) and node.attr == "__table__" \
                and isinstance(node.value, ast.Name) and node.value.id in LADDER_MODELS:
            found.append((node.lineno, f"{node.value.id}.__table__"))
        if isinstance(node, ast.Constant) and node.value in ACTION_ESCALATION:
            found.append((node.lineno, f"names {node.value}"))  # setattr, a list of fields to copy
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in LADDER_MODELS:
            found.append((node.lineno, f"makes {name}"))
        if name in ("insert", "update") and node.args and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in LADDER_MODELS:
            found.append((node.lineno, f"{name} {node.args[0].id}"))
        found += [(node.lineno, f"{name} {k.arg}") for k in node.keywords if k.arg in columns]
    return sorted(found)


def _escalation_columns() -> set[str]:
    """The action's escalation columns and the ladder's own (``level_due_on``, ``director_answer``
    …: named for a level, and no other table has them; not ``id``, ``by_id`` or ``closed_at``)."""
    from advice.escalation.models import Escalation
    from core.db import db

    own = {c.name for c in Escalation.__table__.columns if c.name.startswith(("level_", "director_", "steering_",
                                                                               "national_"))}
    others = {c.name for t in db.metadata.tables.values() if t is not Escalation.__table__ for c in t.columns}
    return ACTION_ESCALATION | (own - others)


def test_the_escalation_checker_catches_every_kind_of_write(app):
    columns = _escalation_columns()
    assert {"director_answered_at", "level_due_on", "steering_outcome"} <= columns and "closed_at" not in columns
    sample = ("action.escalated_at, action.escalation_kind = now, kind\n"
              "row.level_due_on = None\n"
              "db.session.add(EscalationStep(action_id=1))\n"
              "db.session.execute(sa.update(Escalation).values(closed_at=now))\n"
              "sa.update(Action).values(ladder_level=2)\n"
              "insert_or_skip(Escalation.__table__)\n"
              "setattr(new, 'escalated_at', old.escalated_at)\n"
              "Action(description='x', escalation_kind='refused')\n"
              "_claim(Action.reminded_at, windows, now, escalation_kind=kind)\n"
              "FIELDS = ('status', 'escalated_at')\n"
              "case.closed_at = now\n"
              "sa.select(Action.escalated_at).where(Action.ladder_level >= 1)\n")
    assert [line for line, _what in escalation_writes(sample, columns)] == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


#: Modules that name the escalation columns without going through the owner, and why.
ESCALATION_SCHEMA = {
    "advice/models.py": "declares the columns and the partial indexes on them",
    "expertteam/scale/cases.py": "the national-scale seed writes every table's rows by COPY, past every service",
}


def test_only_the_ladder_writes_an_actions_escalation(app):
    columns = _escalation_columns()
    owner = ROOT / (ESCALATION_OWNER.replace(".", "/") + ".py")
    assert escalation_writes(owner.read_text("utf-8"), columns)  # the owner really writes it
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in _sources() if path != owner and path.relative_to(ROOT).as_posix() not in ESCALATION_SCHEMA
        for line, what in escalation_writes(path.read_text("utf-8"), columns)
    ]
    assert offenders == []
    for name in ESCALATION_SCHEMA:  # each exception still names them (else it leaves the list)
        assert escalation_writes((ROOT / name).read_text("utf-8"), columns), name
