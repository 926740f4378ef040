"""Queueing e-mails. Call within the transaction that makes the change the mail speaks of."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
) -> None:
    """Renders ``template`` (a key of ``catalog.TEMPLATES``) in ``language`` into the outbox."""
    raise NotImplementedError
