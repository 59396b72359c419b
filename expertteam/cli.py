"""Command-line commands: ``flask --app expertteam <command>``."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from . import audit
from .extensions import db
from .models import User


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an administrator account (or make an existing account one)."""
        from .forms import MIN_PASSWORD_LENGTH

        if len(password) < MIN_PASSWORD_LENGTH:
            raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
        email = email.strip().lower()
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name.strip())
            db.session.add(user)
        user.is_admin = True
        user.active = True
        user.set_password(password)
        db.session.flush()
        audit.record("user.create_admin", object_type="user", object_id=user.id, actor=None)
        db.session.commit()
        click.echo(f"Administrator {email} is ready.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo team, people, organisations and cases (idempotent)."""
        from .demo import seed

        created = seed()
        click.echo("Demo data loaded." if created else "Demo data already present; nothing added.")

    from notifications.cli import register_cli as register_notifications_cli

    register_notifications_cli(app)  # scheduler, mailsink
