"""Command-line commands: ``flask --app expertteam <command>``.

Each command is defined here once and runs in the app's context (``with_appcontext``, as
``app.cli.command`` would); ``register_cli`` adds them to the app's command line."""
from __future__ import annotations

import logging
import sys

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from accounts.security import password_problem
from casefiles.privacy import BATCH_SIZE, anonymise_expired
from core import audit
from core.audit import AuditCheckpoint
from core.backup import backup_sqlite
from core.clock import utcnow
from core.db import db
from core.jobs import describe_trigger
from core.jobs import registered as registered_jobs
from core.models import User

from . import scheduler
from .demo import is_demo_account, seed


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
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


@click.command("demo-code")
@click.argument("email")
@with_appcontext
def demo_code(email: str) -> None:
    """Print the current sign-in code of a demo account (development only)."""
    import pyotp

    if current_app.config["PRODUCTION"]:
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


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo team, people, organisations and cases (idempotent)."""
    created = seed()
    if created and db.session.scalar(sa.select(AuditCheckpoint.id).limit(1)) is None:
        # The demo's history lies in the past: its first checkpoint, as the nightly check would
        # have written it (a trail that old without one reads as checkpoints removed).
        from core.audit_verify import seal_chain

        seal_chain()
    click.echo("Demo data loaded." if created else "Demo data already present; nothing added.")


@click.command("seed-scale")
@click.option("--teams", default=45, show_default=True, help="Number of teams.")
@click.option("--cases", default=100_000, show_default=True, help="Number of cases (one busy team holds 11 %).")
@click.option("--small", is_flag=True, help="The same shape with a handful of cases (the benchmark's small size).")
@with_appcontext
def seed_scale_command(teams: int, cases: int, small: bool) -> None:
    """Fill an EMPTY PostgreSQL database with national-scale history (benchmark only)."""
    from .scale import SeedRefused, Shape, seed_scale

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("seed-scale is not available in production.")
    try:
        result = seed_scale(Shape(teams=teams, cases=cases, small=small), echo=click.echo)
    except SeedRefused as exc:
        raise click.ClickException(str(exc)) from exc
    for table, n in sorted(result["counts"].items()):
        click.echo(f"{table:28} {n:>10,}")
    for step, seconds in result["seconds"].items():
        click.echo(f"{step:28} {seconds:>9.1f} s")


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The audit trail."""


# An AppGroup's commands run in the app's context.
@audit_group.command("verify")
@click.option("--full", is_flag=True, help="Check the whole chain, not only the rows added since the last checkpoint.")
def audit_verify(full: bool) -> None:
    """Check the hash chain of the audit trail as the nightly job does (the checkpoints' seals
    and head, the rows added since the last checkpoint, the next slice of the older rows), or
    with --full every row. Writes a checkpoint when intact; names the first broken row (exit 1)."""
    from core import audit_verify as verification

    report = verification.verify_chain(checkpoint=True) if full else verification.verify_incremental(sweep=True)
    click.echo(str(report))
    if not report.ok:
        raise SystemExit(1)


@audit_group.command("seal")
def audit_seal() -> None:
    """Walk the whole chain and, when it agrees with every checkpoint, seal all checkpoints with
    the current key and keep the head outside the database. It trusts the chain as it stands:
    once after the upgrade that brought the seals, after changing AUDIT_HMAC_KEY (or SECRET_KEY
    without it), after restoring a backup; never to silence a report you cannot explain."""
    from core import audit_verify as verification

    report, sealed = verification.seal_chain()
    if not report.ok:
        click.echo(f"{report}\nNothing sealed.")
        raise SystemExit(1)
    if report.head_id is None:
        click.echo("The audit trail is empty: nothing to seal.")
        return
    audit.record("audit.seal", object_type="audit", object_id=report.head_id, actor=None,
                 details={"rows": report.rows, "checkpoints": sealed})
    db.session.commit()
    click.echo(f"{report}\n{sealed} checkpoints sealed; a sealed checkpoint of the head written.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(path: str) -> None:
    """Write a consistent copy of the SQLite database to PATH while the app runs."""
    try:
        tables = backup_sqlite(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path} ({tables} tables).")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what would be anonymised.")
@click.option("--batch-size", type=click.IntRange(min=1), default=BATCH_SIZE, show_default=True,
              help="Cases per transaction (each batch is committed).")
@with_appcontext
def retention(dry_run: bool, batch_size: int) -> None:
    """Anonymise closed cases past their team's retention period (also a nightly job),
    set-based in batches; cases already anonymised are skipped."""
    click.echo(anonymise_expired(utcnow(), dry_run=dry_run, batch_size=batch_size))


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit (cron deployments, tests).")
@click.option("--job", "job_ids", multiple=True, metavar="ID",
              help="With --once: run only this job (repeatable).")
@click.option("--list", "list_jobs", is_flag=True, help="Print the registered jobs and their triggers, and exit.")
@with_appcontext
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


#: The app's own commands, beside Flask's (run, shell, routes) and those packages add (db, mailsink).
COMMANDS = (create_admin, demo_code, seed_demo, seed_scale_command, audit_group, backup, retention, scheduler_command)


def register_cli(app: Flask) -> None:
    """Add the app's commands to ``flask --app expertteam``."""
    for command in COMMANDS:
        app.cli.add_command(command)
