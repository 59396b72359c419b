"""Command-line commands of the notifications package: the scheduler process and the
development mail sink. Registered by ``expertteam.cli.register_cli``."""
from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app


def register_cli(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once and exit (cron deployments, tests).")
    @click.option("--job", "job_ids", multiple=True, metavar="ID",
                  help="With --once: run only this job (repeatable).")
    def scheduler_command(once: bool, job_ids: tuple[str, ...]) -> None:
        """Run the timed jobs (e-mail sender, digest …) in this process. Web workers never do."""
        from . import scheduler

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

    @app.cli.command("mailsink")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", type=int, default=None, help="Default: MAIL_PORT (8025).")
    @click.option("--log", "log_file", type=click.Path(dir_okay=False), default=None,
                  help="Append every message here. Default: instance/mail.log.")
    def mailsink_command(host: str, port: int | None, log_file: str | None) -> None:
        """Development only: receive e-mail on loopback, print it and append it to a file."""
        from . import mailsink

        port = port or int(current_app.config["MAIL_PORT"])
        path = Path(log_file) if log_file else Path(current_app.instance_path) / "mail.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        controller = mailsink.start(host, port, path, echo=click.echo)
        click.echo(f"Mail sink on {host}:{port}; messages are printed here and appended to {path}. Ctrl-C stops.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
