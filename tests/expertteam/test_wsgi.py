"""The production entry point (``gunicorn expertteam.wsgi:app``) serves the app, settled: what
the worker built is out of the garbage collector's passes (``expertteam.settle``)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
before = gc.get_freeze_count()
from expertteam.wsgi import app
response = app.test_client().get("/healthz")
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "status": response.status_code,
                  "body": response.get_json()}))
"""


def test_the_wsgi_entry_point_serves_the_settled_app(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/wsgi.sqlite3", "EXPERTTEAM_INSTANCE": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    env.pop("EXPERTTEAM_ENV", None)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200 and result["body"]["status"] == "ok"
    # Every module, the app and its caches: far more than a fresh interpreter holds.
    assert result["before"] == 0 and result["frozen"] > 50_000, result
