"""The demo story (``flask --app expertteam seed-demo``): one believable week of a fictional
expert team, Expertteam Gooistad, told through the same services as real use.

The public surface is ``seed`` (idempotent: a second run adds nothing), ``is_demo_account`` and
``DEMO_PASSWORD``. Imports inside the package go one way: ``advice`` (the catalogue and the
advice helper) and ``steps`` (the steps every chapter takes) at the bottom; ``cast`` (who plays,
and the story's clock); the chapters ``financing``, ``ladder``, ``plan`` and ``waiting``; and
``story``, which tells them in order.
"""
from __future__ import annotations

from .cast import DEMO_PASSWORD, is_demo_account
from .story import seed

__all__ = ["DEMO_PASSWORD", "is_demo_account", "seed"]
