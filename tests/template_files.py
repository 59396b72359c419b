"""Every template of the app, for the checks that read them all: the root folder's and each
package's own (a blueprint's ``template_folder``, e.g. ``advice/escalation/templates``)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Top-level folders that hold no templates of the app.
NOT_THE_APP = {"tests", "migrations", "static", "translations", "docs", "examples", "scripts", "instance", "build"}


def template_folders() -> list[Path]:
    """The root ``templates`` folder and every package's ``templates`` folder."""
    packages = [p for p in sorted(ROOT.iterdir()) if (p / "__init__.py").exists() and p.name not in NOT_THE_APP]
    return [ROOT / "templates", *sorted(t for p in packages for t in p.rglob("templates") if t.is_dir())]


def template_files(pattern: str = "*") -> Iterator[Path]:
    for folder in template_folders():
        yield from (p for p in sorted(folder.rglob(pattern)) if p.is_file())
