"""The payments package's periodic job: finishes what a process that died left half done.

- an authorization committed (its row says ``authorized``) but not captured is captured;
- an authorization the provider holds whose transaction never committed (no row) is voided.

Only authorizations older than ``GRACE`` are looked at, so a request still running (or capturing
right after its commit) is left alone; should both capture anyway, the provider takes it once.
"""

from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock
from app.payments.models import PaymentAuthorization
from app.payments.providers import PROVIDERS
from app.payments.service import capture
from app.payments.types import AuthorizationStatus

log = structlog.get_logger("app.payments.jobs")
BATCH = 50
GRACE = timedelta(minutes=5)


async def recover(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Captures committed authorizations left uncaptured and voids orphaned ones; returns how
    many it handled."""
    return await capture_left_over(sessionmaker) + await void_orphans(sessionmaker)


async def capture_left_over(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    before = clock.now() - GRACE
    handled = 0
    async with sessionmaker.begin() as session:
        left = list(
            await session.scalars(
                select(PaymentAuthorization)
                .where(
                    PaymentAuthorization.status == AuthorizationStatus.authorized,
                    PaymentAuthorization.created_at < before,
                )
                .order_by(PaymentAuthorization.created_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for authorization in left:
            try:
                async with session.begin_nested():
                    await capture(
                        session, key=authorization.key, provider_name=authorization.provider
                    )
            except Exception:
                log.exception("payment_capture_failed", key=authorization.key)
                continue
            handled += 1
    return handled


async def void_orphans(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    before = clock.now() - GRACE
    handled = 0
    for name, card_provider in PROVIDERS.items():
        keys = await card_provider.open_authorizations(before=before)
        if not keys:
            continue
        async with sessionmaker() as session:
            recorded = set(
                await session.scalars(
                    select(PaymentAuthorization.key).where(PaymentAuthorization.key.in_(keys))
                )
            )
        for key in keys:
            if key in recorded:
                continue
            await card_provider.void(key=key)
            log.info("payment_orphan_voided", key=key, provider=name)
            handled += 1
    return handled
