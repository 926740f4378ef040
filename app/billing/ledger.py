"""The prepaid account: an append-only ledger per organization and currency.

Design. ``billing_prepaid_accounts.balance_minor`` is a running balance and every movement is one
``billing_prepaid_entries`` row. ``post`` changes both in one transaction:

1. ``UPDATE accounts SET balance = balance + :amount WHERE id = :id AND balance + :amount >= 0
   RETURNING balance`` — a single conditional statement. PostgreSQL takes the row lock, and a
   concurrent posting waits for it and then re-evaluates the condition on the committed balance,
   so two debits can never both spend the same money. No row returned means "not enough".
2. ``INSERT`` the entry with the balance after it. Its ``reference`` is unique: the same cause (a
   bank transfer, a payment, a cashback) can never be posted twice, even by two workers.

A ``CHECK (balance_minor >= 0)`` backs the rule at the database level, and a trigger refuses any
UPDATE or DELETE on entries, so the balance is always the sum of the entries (checked by tests).
"""

import secrets
import uuid

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import Select, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import references
from app.billing.errors import AlreadyPosted, InsufficientBalance, InvalidIban
from app.billing.models import EntryKind, PrepaidAccount, PrepaidEntry, Withdrawal
from app.billing.schemas import PrepaidEntryRead, WithdrawalCreate, WithdrawalRead
from app.core import clock
from app.core.money import check_currency, format_amount
from app.events.service import emit


async def account_for(
    session: AsyncSession, organization_id: uuid.UUID, currency: str
) -> PrepaidAccount:
    """The organization's account in ``currency``, created (empty) on first use."""
    found = await session.scalar(
        select(PrepaidAccount).where(
            PrepaidAccount.organization_id == organization_id, PrepaidAccount.currency == currency
        )
    )
    if found is not None:
        return found
    # 17 digits starting with 9: never the reference of an invoice (see invoices.issue).
    number = 9 * 10**16 + secrets.randbelow(10**16)
    now = clock.now()
    await session.execute(
        insert(PrepaidAccount)
        .values(
            id=uuid.uuid4(),
            organization_id=organization_id,
            currency=currency,
            balance_minor=0,
            payment_reference=references.for_currency(currency, number),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "currency"])
    )
    account = await session.scalar(
        select(PrepaidAccount).where(
            PrepaidAccount.organization_id == organization_id, PrepaidAccount.currency == currency
        )
    )
    assert account is not None
    return account


async def balance_of(session: AsyncSession, organization_id: uuid.UUID, currency: str) -> int:
    balance = await session.scalar(
        select(PrepaidAccount.balance_minor).where(
            PrepaidAccount.organization_id == organization_id, PrepaidAccount.currency == currency
        )
    )
    return balance or 0


async def already_posted(session: AsyncSession, reference: str) -> bool:
    return bool(await session.scalar(select(exists().where(PrepaidEntry.reference == reference))))


async def post(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    currency: str,
    kind: EntryKind,
    amount_minor: int,
    reference: str | None,
    description: str = "",
    invoice_id: uuid.UUID | None = None,
) -> PrepaidEntry:
    """Credits (amount > 0) or debits (amount < 0) the account; see the module's docstring."""
    if amount_minor == 0:
        raise ValueError("a ledger entry moves money")
    if reference is not None and await already_posted(session, reference):
        raise AlreadyPosted("This movement was already recorded.")
    account = await account_for(session, organization_id, currency)
    now = clock.now()
    balance_after = await session.scalar(
        update(PrepaidAccount)
        .where(
            PrepaidAccount.id == account.id,
            PrepaidAccount.balance_minor + amount_minor >= 0,
        )
        .values(balance_minor=PrepaidAccount.balance_minor + amount_minor, updated_at=now)
        .returning(PrepaidAccount.balance_minor)
        .execution_options(synchronize_session=False)
    )
    if balance_after is None:
        raise InsufficientBalance(
            f"The prepaid balance does not cover {format_amount(-amount_minor, currency)}."
        )
    entry = PrepaidEntry(
        account_id=account.id,
        organization_id=organization_id,
        currency=currency,
        kind=kind,
        amount_minor=amount_minor,
        balance_after_minor=balance_after,
        reference=reference,
        invoice_id=invoice_id,
        description=description,
    )
    session.add(entry)
    await session.flush()
    await session.refresh(account)
    await emit(
        session,
        "prepaid.credited" if amount_minor > 0 else "prepaid.debited",
        PrepaidEntryRead.model_validate(entry),
        organization_id=organization_id,
    )
    return entry


async def accounts_of(
    session: AsyncSession, organization_id: uuid.UUID, *, own_currency: str
) -> Select[PrepaidAccount]:
    """The organization's prepaid accounts, one per currency; the account in its own currency is
    opened (empty) first, so it is always listed."""
    await account_for(session, organization_id, own_currency)
    return select(PrepaidAccount).where(PrepaidAccount.organization_id == organization_id)


def entries_query(organization_id: uuid.UUID, currency: str) -> Select[PrepaidEntry]:
    return select(PrepaidEntry).where(
        PrepaidEntry.organization_id == organization_id, PrepaidEntry.currency == currency
    )


def valid_iban(text: str) -> str:
    """The IBAN in compact form, once its country format and check digits hold (schwifty)."""
    try:
        return str(IBAN(text).compact)
    except SchwiftyException as error:
        raise InvalidIban(f"{text!r} is not a valid IBAN: {error}.") from error


async def withdraw(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    currency: str,
    body: WithdrawalCreate,
    by: Actor,
) -> Withdrawal:
    """Pays the balance (or part of it) out to a bank account. An amount given with a currency
    must be in the account's (``CurrencyMismatch``)."""
    check_currency(body.currency, currency)
    iban = valid_iban(body.iban)
    account = await account_for(session, organization_id, currency)
    amount = body.amount_minor or account.balance_minor
    if amount <= 0:
        raise InsufficientBalance("The prepaid balance is empty.")
    withdrawal_id = uuid.uuid4()
    entry = await post(
        session,
        organization_id=organization_id,
        currency=currency,
        kind=EntryKind.withdrawal,
        amount_minor=-amount,
        reference=f"withdrawal:{withdrawal_id}",
        description=f"Withdrawal to {iban[:4]}…{iban[-4:]}",
    )
    withdrawal = Withdrawal(
        id=withdrawal_id,
        organization_id=organization_id,
        entry_id=entry.id,
        amount_minor=amount,
        currency=currency,
        iban=iban,
        account_holder=body.account_holder,
        requested_by=by.account_id,
    )
    session.add(withdrawal)
    await session.flush()
    await emit(
        session,
        "prepaid.withdrawal_requested",
        WithdrawalRead.model_validate(withdrawal),
        organization_id=organization_id,
    )
    await activity.record(
        session,
        by,
        "billing.prepaid_withdrawn",
        organization_id=organization_id,
        details={"amount_minor": amount, "currency": currency},
    )
    return withdrawal
