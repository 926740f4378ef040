"""The background worker: the outbox runner (mail, SMS, webhooks) and every domain's periodic
jobs, each its own asyncio task. Several workers may run at once."""

import asyncio
import signal
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import ticket_sales
from app.accounts import auth as accounts_auth
from app.affiliates import jobs as affiliates_jobs
from app.billing import jobs as billing_jobs
from app.core import idempotency, outbox, ratelimit
from app.core.db import Database
from app.core.jobs import Job, Service, run_loop
from app.core.settings import Settings, get_settings
from app.core.startup import freeze_startup_objects
from app.notifications import delivery as mail_delivery
from app.notifications import sms as sms_delivery
from app.partner_services import jobs as partner_services_jobs
from app.payments import jobs as payments_jobs
from app.sso import jobs as sso_jobs
from app.ticketing import jobs as ticketing_jobs
from app.webhooks import delivery as webhook_delivery

log = structlog.get_logger("app.worker")

KINDS: tuple[outbox.Kind[Any], ...] = (
    mail_delivery.MAIL,
    sms_delivery.SMS,
    webhook_delivery.WEBHOOKS,
)
"""What the outbox runner sends (each module registers its kind when imported)."""


async def run_outbox(sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event) -> None:
    """Claims and sends mail, SMS and webhooks until ``stop``."""
    await outbox.Runner(sessionmaker, get_settings(), kinds=KINDS).run(stop)


JOBS: tuple[Job | Service, ...] = (
    Service("outbox", run=run_outbox),
    Job("idempotency.purge_expired", every_seconds=3600, run=idempotency.purge_expired),
    Job("ratelimit.purge_old_windows", every_seconds=3600, run=ratelimit.purge_old_windows),
    Job(
        "accounts.purge_expired_tokens", every_seconds=3600, run=accounts_auth.purge_expired_tokens
    ),
    Job("billing.renew_due", every_seconds=60, run=billing_jobs.renew_due),
    Job("billing.renewal_reminders", every_seconds=300, run=billing_jobs.send_renewal_reminders),
    Job("billing.invoice_reminders", every_seconds=300, run=billing_jobs.send_invoice_reminders),
    Job("billing.release_domains", every_seconds=300, run=billing_jobs.release_domains),
    Job("ticketing.invoice_deadlines", every_seconds=60, run=ticket_sales.sweep_invoice_deadlines),
    Job("ticketing.pre_event_mails", every_seconds=60, run=ticketing_jobs.send_pre_event_mails),
    Job("payments.recover", every_seconds=60, run=payments_jobs.recover),
    Job(
        "partner_services.contract_months",
        every_seconds=3600,
        run=partner_services_jobs.invoice_contract_months,
    ),
    Job(
        "partner_services.late_payments",
        every_seconds=3600,
        run=partner_services_jobs.assess_late_payments,
    ),
    Job("sso.purge_expired_logins", every_seconds=3600, run=sso_jobs.purge_expired_logins),
    Job(
        "affiliates.read_billing_events",
        every_seconds=60,
        run=affiliates_jobs.read_billing_events,
    ),
    Job(
        "affiliates.validate_commissions",
        every_seconds=3600,
        run=affiliates_jobs.validate_commissions,
    ),
    Job("affiliates.pay_affiliates", every_seconds=3600, run=affiliates_jobs.pay_affiliates),
)


async def run_forever(database_url: str, settings: Settings) -> None:
    """Runs the outbox and the jobs until SIGINT or SIGTERM."""
    from app.core.logging import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    database = Database.connect(database_url, pool_size=8, max_overflow=4)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    freeze_startup_objects()
    log.info("worker_started", jobs=[job.name for job in JOBS], kinds=[k.name for k in KINDS])
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
