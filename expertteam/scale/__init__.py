"""The national-scale seed for the benchmark (``flask --app expertteam seed-scale``): an empty
PostgreSQL database filled with three years of history of 45 teams (``seed``), the key pages and
API requests the benchmark asks (``targets``, ``api``).

Every benchmark user has the password ``SCALE_PASSWORD`` and the TOTP secret ``SCALE_TOTP``.
Imports inside the package go one way: ``shape`` and ``copier`` at the bottom; ``audit``,
``people`` and ``cases`` write rows; ``seed`` runs them; ``targets`` and ``api`` read a seeded
database.
"""
from __future__ import annotations

from .api import bench_api_client, bench_api_targets
from .seed import SeedRefused, seed_scale
from .shape import SCALE_PASSWORD, SCALE_TOTP, Shape
from .targets import bench_targets

__all__ = ["SCALE_PASSWORD", "SCALE_TOTP", "SeedRefused", "Shape", "bench_api_client", "bench_api_targets",
           "bench_targets", "seed_scale"]
