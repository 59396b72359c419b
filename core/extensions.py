"""Flask extensions other than the database, created unbound and initialised by ``core.init_app``
(Flask-Login's manager belongs to ``accounts``)."""
from __future__ import annotations

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
