"""The create-admin command."""
import sqlalchemy as sa

from core.db import db
from core.models import User


def test_create_admin_creates_and_promotes(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "Beheer@Example.test", "--name", "Beheer",
                                 "--password", "a long admin passphrase"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "beheer@example.test"))
    assert user.is_admin and user.check_password("a long admin passphrase")


def test_create_admin_refuses_a_short_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "x@example.test", "--name", "X", "--password", "short"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
