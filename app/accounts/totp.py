"""TOTP (RFC 6238) second factor: enrolment, codes accepted once per time step, emergency codes."""

import secrets

import pyotp
from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import (
    InvalidTwoFactorCode,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrollmentMissing,
)
from app.accounts.models import Account, EmergencyCode
from app.core import clock
from app.core.security.encryption import decrypt, encrypt
from app.core.security.tokens import keyed_digest, same

ISSUER = "Manager"
STEP_SECONDS = 30
EMERGENCY_CODE_COUNT = 10
_PURPOSE = "totp-secret"
EMERGENCY_CODE_PURPOSE = "emergency-code"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def begin_enrollment(account: Account) -> tuple[str, str]:
    """A new pending secret for ``account`` and its ``otpauth://`` URI."""
    if account.two_factor_enabled:
        raise TwoFactorAlreadyEnabled("Two-factor authentication is already on.")
    secret = pyotp.random_base32()
    account.totp_pending_secret_encrypted = encrypt(secret, purpose=_PURPOSE)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    return secret, uri


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (current ±1) whose code is ``code``."""
    current = int(clock.now().timestamp()) // STEP_SECONDS
    totp = pyotp.TOTP(secret)
    for step in (current, current - 1, current + 1):
        if same(totp.generate_otp(step), code):
            return step
    return None


async def _claim_step(session: AsyncSession, account: Account, step: int) -> bool:
    """Records ``step`` as used; false when it (or a later one) was already used: a replay.

    The conditional update serializes concurrent requests on the account's row.
    """
    claimed = await session.scalar(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(Account.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is not None:
        account.totp_last_step = step
    return claimed is not None


async def confirm_enrollment(session: AsyncSession, account: Account, code: str) -> list[str]:
    """Turns 2FA on when ``code`` matches the pending secret; returns the emergency codes."""
    if account.two_factor_enabled:
        raise TwoFactorAlreadyEnabled("Two-factor authentication is already on.")
    if account.totp_pending_secret_encrypted is None:
        raise TwoFactorEnrollmentMissing("Start the enrolment first.")
    secret = decrypt(account.totp_pending_secret_encrypted, purpose=_PURPOSE)
    step = _matching_step(secret, code)
    if step is None or not await _claim_step(session, account, step):
        raise InvalidTwoFactorCode("The code is not valid.")
    account.totp_secret_encrypted = account.totp_pending_secret_encrypted
    account.totp_pending_secret_encrypted = None
    account.totp_enabled_at = clock.now()
    return await replace_emergency_codes(session, account)


async def verify_code(session: AsyncSession, account: Account, code: str) -> bool:
    """True for a valid code not used before in its time step."""
    if account.totp_secret_encrypted is None:
        return False
    step = _matching_step(decrypt(account.totp_secret_encrypted, purpose=_PURPOSE), code)
    return step is not None and await _claim_step(session, account, step)


def _code_digest(code: str) -> str:
    """Emergency codes are short: stored keyed, so a leaked table cannot be brute-forced."""
    return keyed_digest(code, purpose=EMERGENCY_CODE_PURPOSE)


def _normalize(code: str) -> str:
    return code.replace("-", "").replace(" ", "").lower()


async def use_emergency_code(session: AsyncSession, account: Account, code: str) -> bool:
    used = await session.scalar(
        update(EmergencyCode)
        .where(
            EmergencyCode.account_id == account.id,
            EmergencyCode.code_digest == _code_digest(_normalize(code)),
            EmergencyCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .returning(EmergencyCode.id)
    )
    return used is not None


async def verify_second_factor(
    session: AsyncSession, account: Account, *, code: str | None, emergency_code: str | None
) -> bool:
    if code:
        return await verify_code(session, account, code)
    if emergency_code:
        return await use_emergency_code(session, account, emergency_code)
    return False


async def replace_emergency_codes(session: AsyncSession, account: Account) -> list[str]:
    await session.execute(delete(EmergencyCode).where(EmergencyCode.account_id == account.id))
    codes = []
    for _ in range(EMERGENCY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(
            EmergencyCode(
                account_id=account.id,
                code_digest=_code_digest(raw),
            )
        )
    await session.flush()
    return codes


async def disable(session: AsyncSession, account: Account) -> None:
    account.totp_secret_encrypted = None
    account.totp_pending_secret_encrypted = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    await session.execute(delete(EmergencyCode).where(EmergencyCode.account_id == account.id))
