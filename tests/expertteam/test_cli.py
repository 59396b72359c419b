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


def test_development_commands_read_the_running_apps_configuration(app):
    """The commands run in the app's context: demo-code serves demo accounts only, and neither
    demo-code nor seed-scale runs when the app is in production."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-code", "someone@example.test"])
    assert result.exit_code == 1 and "only serves the demo accounts" in result.output
    app.config["PRODUCTION"] = True
    for args in (["demo-code", "voorzitter@gooistad.example"], ["seed-scale", "--small"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and "is not available in production" in result.output, result.output
