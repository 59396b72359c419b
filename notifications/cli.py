"""Command-line command of the notifications package: the development mail sink
(registered by ``notifications.init_app``)."""
from __future__ import annotations

import threading
from pathlib import Path

import click
from flask import Flask, current_app


def register_cli(app: Flask) -> None:
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
