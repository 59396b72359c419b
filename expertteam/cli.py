"""Command-line commands: ``flask --app expertteam <command>``."""
from __future__ import annotations

import logging
import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app

from accounts.security import password_problem
from casefiles.privacy import anonymise_expired
from core import audit
from core.backup import backup_sqlite
from core.clock import utcnow
from core.db import db
from core.jobs import describe_trigger
from core.jobs import registered as registered_jobs
from core.models import User

from . import scheduler
from .demo import is_demo_account, seed


def register_cli(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an administrator account (or make an existing account one)."""
        email = email.strip().lower()
        problem = password_problem(password, email=email)
        if problem:
            raise click.BadParameter(problem, param_hint="password")
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

    @app.cli.command("demo-code")
    @click.argument("email")
    def demo_code(email: str) -> None:
        """Print the current sign-in code of a demo account (development only)."""
        import pyotp

        if app.config["PRODUCTION"]:
            raise click.ClickException("demo-code is not available in production.")
        email = email.strip().lower()
        if not is_demo_account(email):
            raise click.ClickException("demo-code only serves the demo accounts (…@gooistad.example).")
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None or not user.totp_secret or user.totp_enrolled_at is None:
            raise click.ClickException(f"{email} has no enrolled authenticator.")
        totp = pyotp.TOTP(user.totp_secret)
        click.echo(totp.now())
        click.echo(f"(or add it to an authenticator app: {totp.provisioning_uri(name=email, issuer_name='Expertteam demo')})", err=True)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo team, people, organisations and cases (idempotent)."""
        created = seed()
        click.echo("Demo data loaded." if created else "Demo data already present; nothing added.")

    @app.cli.group("audit")
    def audit_group() -> None:
        """The audit trail."""

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Check the hash chain of the audit trail; name the first broken row (exit 1)."""
        report = audit.verify_chain()
        click.echo(str(report))
        if not report.ok:
            raise SystemExit(1)

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup(path: str) -> None:
        """Write a consistent copy of the SQLite database to PATH while the app runs."""
        try:
            tables = backup_sqlite(path)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Backup written to {path} ({tables} tables).")

    @app.cli.command("retention")
    @click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
    def retention(dry_run: bool) -> None:
        """Anonymise closed cases past their team's retention period (also a nightly job)."""
        click.echo(anonymise_expired(utcnow(), dry_run=dry_run))

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once and exit (cron deployments, tests).")
    @click.option("--job", "job_ids", multiple=True, metavar="ID",
                  help="With --once: run only this job (repeatable).")
    @click.option("--list", "list_jobs", is_flag=True, help="Print the registered jobs and their triggers, and exit.")
    def scheduler_command(once: bool, job_ids: tuple[str, ...], list_jobs: bool) -> None:
        """Run the timed jobs (e-mail sender, digest …) in this process. Web workers never do."""
        if list_jobs:
            for job in registered_jobs(current_app).values():
                click.echo(f"{job.id}\t{describe_trigger(job)}\t{job.description}")
            return
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        app_obj = current_app._get_current_object()  # type: ignore[attr-defined]
        if not once:
            if job_ids:
                raise click.UsageError("--job only works with --once")
            click.echo("Scheduler running; press Ctrl-C to stop.")
            scheduler.run_forever(app_obj)
            return
        try:
            runs = scheduler.run_once(app_obj, job_ids)
        except KeyError as error:
            raise click.BadParameter(f"unknown job(s): {error.args[0]}", param_hint="--job") from None
        failed = False
        for run in runs:
            if run.status == "ok":
                click.echo(f"{run.job_id}: ok — {run.summary}")
            else:
                failed = True
                click.echo(f"{run.job_id}: FAILED — {run.error}", err=True)
        if failed:
            sys.exit(1)

