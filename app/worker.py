"""The background worker: runs every domain's periodic jobs. Several workers may run at once."""

import asyncio
import signal

import structlog

from app.accounts import auth as accounts_auth
from app.billing import jobs as billing_jobs
from app.core import idempotency, ratelimit
from app.core.db import Database
from app.core.jobs import Job, run_loop
from app.core.settings import Settings
from app.notifications import delivery
from app.notifications import sms as sms_delivery
from app.payments import jobs as payments_jobs
from app.ticketing import jobs as ticketing_jobs
from app.webhooks import delivery as webhook_delivery
from app.webhooks import fanout as webhook_fanout

log = structlog.get_logger("app.worker")

JOBS: tuple[Job, ...] = (
    Job("idempotency.purge_expired", every_seconds=3600, run=idempotency.purge_expired),
    Job("ratelimit.purge_old_windows", every_seconds=3600, run=ratelimit.purge_old_windows),
    Job(
        "accounts.purge_expired_tokens", every_seconds=3600, run=accounts_auth.purge_expired_tokens
    ),
    Job("notifications.deliver_due", every_seconds=1, run=delivery.deliver_due),
    Job("notifications.deliver_sms_due", every_seconds=1, run=sms_delivery.deliver_due),
    Job("billing.renew_due", every_seconds=60, run=billing_jobs.renew_due),
    Job("billing.renewal_reminders", every_seconds=300, run=billing_jobs.send_renewal_reminders),
    Job("billing.invoice_reminders", every_seconds=300, run=billing_jobs.send_invoice_reminders),
    Job("billing.release_domains", every_seconds=300, run=billing_jobs.release_domains),
    Job("webhooks.fan_out", every_seconds=1, run=webhook_fanout.fan_out),
    Job("webhooks.deliver_due", every_seconds=1, run=webhook_delivery.deliver_due),
    Job(
        "ticketing.invoice_deadlines", every_seconds=60, run=ticketing_jobs.sweep_invoice_deadlines
    ),
    Job("payments.recover", every_seconds=60, run=payments_jobs.recover),
)


async def run_forever(database_url: str, settings: Settings) -> None:
    """Runs the jobs until SIGINT or SIGTERM."""
    from app.core.logging import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    database = Database.connect(database_url, pool_size=4, max_overflow=0)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("worker_started", jobs=[job.name for job in JOBS])
    try:
        await run_loop(
            JOBS,
            database.sessionmaker,
            poll_seconds=settings.worker_poll_seconds,
            stop=stop,
        )
    finally:
        await database.dispose()
        log.info("worker_stopped")
