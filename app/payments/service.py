"""What other packages may call: tokenize a card, authorize an amount in the caller's transaction.

``authorize`` records the authorization in the caller's transaction and registers two callbacks
on its session (``app.core.db.on_commit`` / ``on_rollback``): once the transaction commits, the
amount is captured; when it rolls back (a failed commit included), the authorization is voided.
Should the process die in between, ``jobs.recover`` captures what was committed and voids what
never was. Every provider call is idempotent by the key, so a retried capture never charges twice.
"""

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.db import on_commit, on_rollback
from app.payments.errors import InvalidCard, PaymentDeclined
from app.payments.models import PaymentAuthorization
from app.payments.providers import DEFAULT_PROVIDER, AuthorizationVoided, provider
from app.payments.types import Authorization, AuthorizationStatus, CardToken

log = structlog.get_logger("app.payments")

__all__ = [
    "DEFAULT_PROVIDER",
    "Authorization",
    "CardToken",
    "InvalidCard",
    "PaymentDeclined",
    "authorize",
    "capture",
    "order_key",
    "tokenize",
]


def order_key(domain: str, kind: str, *parts: object) -> str:
    """The idempotency key of what is paid: ``ticketing-order:<id>``, ``billing-invoice:<id>:…``."""
    return ":".join([f"{domain}-{kind}", *(str(part) for part in parts)])


def tokenize(
    card_number: str,
    expiry_month: int,
    expiry_year: int,
    cvc: str,
    *,
    provider_name: str | None = None,
) -> tuple[str, CardToken]:
    """The provider's name and its token for the card (raises InvalidCard)."""
    card_provider = provider(provider_name)
    return card_provider.name, card_provider.tokenize(card_number, expiry_month, expiry_year, cvc)


async def authorize(
    session: AsyncSession,
    *,
    key: str,
    token: str,
    amount_minor: int,
    currency: str,
    description: str = "",
    provider_name: str | None = None,
) -> Authorization:
    """Authorizes the amount on the card, captured once ``session``'s transaction commits and
    voided if it rolls back. Raises PaymentDeclined (with its ``failure_code``) when refused."""
    card_provider = provider(provider_name)
    result = await card_provider.authorize(
        key=key, token=token, amount_minor=amount_minor, currency=currency, description=description
    )
    if not result.succeeded:
        raise PaymentDeclined(
            "The card was declined.",
            failure_code=result.failure_code,
            provider_reference=result.provider_reference,
        )
    name = card_provider.name

    async def void_after_rollback(_: AsyncSession) -> None:
        await provider(name).void(key=key)
        log.info("payment_voided", key=key)

    # Registered before the row is written: should writing it fail, the rollback voids.
    on_rollback(session, void_after_rollback)
    session.add(
        PaymentAuthorization(
            key=key,
            provider=name,
            provider_reference=result.provider_reference,
            amount_minor=amount_minor,
            currency=currency,
            status=AuthorizationStatus.authorized,
        )
    )
    await session.flush()

    async def capture_after_commit(after: AsyncSession) -> None:
        await capture(after, key=key, provider_name=name)

    on_commit(session, capture_after_commit)
    return Authorization(key, name, result.provider_reference, amount_minor, currency)


async def capture(session: AsyncSession, *, key: str, provider_name: str) -> bool:
    """Captures the committed authorization ``key`` at the provider and marks it captured.
    Safe to repeat and to run concurrently: the provider captures a key once. True when this
    call marked it; an authorization the provider can no longer capture is marked voided."""
    now = clock.now()
    try:
        await provider(provider_name).capture(key=key)
    except AuthorizationVoided:
        # Committed, yet the provider will not take it: recorded so that nobody retries for
        # ever, and logged as an error for a person to look at.
        log.error("payment_capture_refused", key=key)
        await session.execute(
            update(PaymentAuthorization)
            .where(
                PaymentAuthorization.key == key,
                PaymentAuthorization.status == AuthorizationStatus.authorized,
            )
            .values(status=AuthorizationStatus.voided, voided_at=now, updated_at=now)
        )
        await session.flush()
        return False
    marked = await session.scalar(
        update(PaymentAuthorization)
        .where(
            PaymentAuthorization.key == key,
            PaymentAuthorization.status == AuthorizationStatus.authorized,
        )
        .values(status=AuthorizationStatus.captured, captured_at=now, updated_at=now)
        .returning(PaymentAuthorization.id)
    )
    await session.flush()
    log.info("payment_captured", key=key)
    return marked is not None
