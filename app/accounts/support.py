"""Platform support staff's work on accounts: finding one by the support code its owner reads
out, which is recorded in that account's activity log."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import AccountNotFound
from app.accounts.models import Account
from app.accounts.schemas import StaffAccountRead
from app.activity import service as activity
from app.activity.types import Actor


async def find_by_support_code(session: AsyncSession, support_code: str, *, by: Actor) -> Account:
    """The account whose support code this is; the lookup is recorded in its log with ``by``
    (the staff member) as the actor. No such live account: ``AccountNotFound``."""
    account = await session.scalar(
        select(Account).where(Account.support_code == support_code, Account.deleted_at.is_(None))
    )
    if account is None:
        raise AccountNotFound("No account has this support code.")
    await activity.record(
        session,
        by,
        "account.found_by_support_code",
        account_id=account.id,
        details={"support_code": support_code},
    )
    return account


def staff_read(account: Account) -> StaffAccountRead:
    return StaffAccountRead.model_validate(
        {
            **{
                field: getattr(account, field)
                for field in StaffAccountRead.model_fields
                if hasattr(account, field)
            },
            "email_confirmed": account.email_confirmed_at is not None,
            "two_factor_enabled": account.two_factor_enabled,
            "locked": account.locked_at is not None,
        }
    )
