"""Turning two-factor authentication on and off, and replacing the emergency codes."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import totp
from app.accounts.auth import Client
from app.accounts.credentials import confirm_secrets
from app.accounts.errors import SecondFactorRequired
from app.accounts.mail import mail_account, stamp
from app.accounts.models import Account
from app.activity import service as activity
from app.activity.types import Actor


async def enable(session: AsyncSession, account: Account, code: str, *, by: Actor) -> list[str]:
    """Turns 2FA on with a first code of the pending secret; returns the emergency codes."""
    codes = await totp.confirm_enrollment(session, account, code)
    await activity.record(session, by, "security.two_factor_enabled", account_id=account.id)
    await mail_account(session, account, "two_factor_enabled", {"at": stamp()})
    return codes


async def disable(
    session: AsyncSession,
    account: Account,
    client: Client,
    *,
    password: str,
    code: str | None,
    emergency_code: str | None,
    by: Actor,
) -> None:
    """Needs the password and a code (or an emergency code)."""
    await confirm_secrets(
        session,
        account,
        client,
        password=password,
        second_factor=True,
        code=code,
        emergency_code=emergency_code,
    )
    await totp.disable(session, account)
    await activity.record(session, by, "security.two_factor_disabled", account_id=account.id)
    await mail_account(session, account, "two_factor_disabled", {"at": stamp()})


async def regenerate_emergency_codes(
    session: AsyncSession, account: Account, code: str | None, *, by: Actor
) -> list[str]:
    """New emergency codes (a current code needed); the old ones stop working."""
    if not account.two_factor_enabled or not await totp.verify_code(session, account, code or ""):
        raise SecondFactorRequired("A valid two-factor code is required.")
    codes = await totp.replace_emergency_codes(session, account)
    await activity.record(
        session, by, "security.emergency_codes_regenerated", account_id=account.id
    )
    return codes
