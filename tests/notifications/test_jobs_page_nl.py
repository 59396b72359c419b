"""The scheduled-jobs page in Dutch: job descriptions and schedules in words (the job ids and
trigger codes stay beside them for the administrator)."""
from __future__ import annotations

from flask_babel import force_locale

from core import jobs
from core.jobs import Job


def test_jobs_page_in_dutch(world, login_as):
    client = login_as(world.admin)  # the demo's users read Dutch
    html = client.get("/notifications/admin/jobs").get_data(as_text=True)
    for dutch in ("Gesloten casussen na de bewaartermijn anonimiseren", "Hashketen van het auditlogboek controleren",
                  "E-mails in de wachtrij versturen", "Herinneren aan het overleg van morgen",
                  "Elke minuut", "Elke 15 minuten", "Elke dag om 02:45", "Elk uur, 5 minuten over heel"):
        assert dutch in html, dutch
    assert "Anonymise closed cases past their retention period" not in html
    assert "privacy.retention" in html and "cron[hour=2, minute=45]" in html
    # Every registered job is described in Dutch, with its schedule in words: a new job needs
    # its description marked N_ and translated.
    with force_locale("nl"):
        for job in jobs.registered().values():
            assert jobs.describe(job) != job.description, f"{job.id}: description not translated"
            assert jobs.describe_schedule(job) != jobs.describe_trigger(job), f"{job.id}: schedule not in words"


def test_schedules_in_words(app):
    def job(trigger, **args):
        return Job(id="x", func=lambda now: None, trigger=trigger, trigger_args=args, description="Send queued e-mails")

    with force_locale("en"):
        assert jobs.describe_schedule(job("interval", seconds=30)) == "Every 30 seconds"
        assert jobs.describe_schedule(job("interval", hours=1)) == "Every hour"
        assert jobs.describe_schedule(job("cron", hour=7, minute=0)) == "Every day at 07:00"
        assert jobs.describe_schedule(job("cron", day_of_week="mon", hour=7)) == "cron[day_of_week=mon, hour=7]"
        assert jobs.describe(job("cron", minute=1)) == "Send queued e-mails"
    with force_locale("nl"):
        assert jobs.describe_schedule(job("interval", seconds=30)) == "Elke 30 seconden"
        assert jobs.describe(job("cron", minute=1)) == "E-mails in de wachtrij versturen"
