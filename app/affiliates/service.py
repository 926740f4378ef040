"""What other packages may call about the affiliate programme (never its tables): sign-up
attribution, used by ``app.lifecycle``."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.affiliates import programme


async def attribute_sign_up(
    session: AsyncSession,
    *,
    token: str | None,
    account_id: uuid.UUID,
    organization_id: uuid.UUID,
    ip: str | None,
) -> bool:
    """Attributes a new organization to the affiliate of the token's latest visit within 30
    days; False (and the sign-up goes on) when there is none."""
    referral = await programme.attribute_sign_up(
        session, token=token, account_id=account_id, organization_id=organization_id, ip=ip
    )
    return referral is not None
