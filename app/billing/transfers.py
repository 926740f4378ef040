"""Bank transfers from ISO 20022 notifications: camt.054 (debit/credit notification) and camt.053
(statement). Each credit is matched to an open invoice by reference, amount and currency; anything
else that names an organization is credited to its prepaid account (and it is e-mailed); a credit
naming nobody waits for staff to assign it. Entries are unique by their bank reference: importing
a file twice changes nothing. A credit in a currency other than CHF or EUR refuses the whole file
(nothing is imported)."""

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import invoices, ledger, payments, references
from app.billing.errors import InvalidNotification, TransferAlreadyAssigned, TransferNotFound
from app.billing.models import (
    PAYABLE,
    BankTransfer,
    EntryKind,
    Invoice,
    InvoiceKind,
    PaymentMethod,
    PrepaidAccount,
    TransferOutcome,
)
from app.billing.notify import mail_organization
from app.billing.schemas import BankTransferRead, TransferImport
from app.billing.settlers import TRANSFER_SETTLERS
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import Currency, format_amount, parse_decimal_text
from app.organizations import service as organizations
from app.organizations.errors import OrganizationNotFound


def transfers_of(outcome: str | None = None) -> Select[BankTransfer]:
    statement = select(BankTransfer)
    if outcome:
        statement = statement.where(BankTransfer.outcome == outcome)
    return statement


BOOKED_CURRENCIES = frozenset(currency.value for currency in Currency)


@dataclass(frozen=True)
class Credit:
    entry_reference: str
    amount_minor: int
    currency: str
    reference: str | None
    debtor_name: str | None
    booked_on: date | None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, *path: str) -> ET.Element | None:
    """The first descendant along ``path`` of local names, whatever the namespace."""
    current: ET.Element | None = element
    for name in path:
        if current is None:
            return None
        current = next((child for child in current if _local(child.tag) == name), None)
    return current


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ET.Element, *path: str) -> str | None:
    found = _child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def parse(document: bytes) -> list[Credit]:
    """The credits of a camt.054 or camt.053 document (debits and reversals are ignored)."""
    if b"<!DOCTYPE" in document[:2048] or b"<!ENTITY" in document:
        raise InvalidNotification("Document type declarations are not accepted.")
    try:
        root = ET.fromstring(document)  # noqa: S314 - entities refused above
    except ET.ParseError as error:
        raise InvalidNotification(f"Not well-formed XML: {error}.") from None
    message = next(iter(root), None)
    if _local(root.tag) != "Document" or message is None:
        raise InvalidNotification("Not an ISO 20022 document.")
    kind = _local(message.tag)
    if kind == "BkToCstmrDbtCdtNtfctn":
        reports = _children(message, "Ntfctn")
    elif kind == "BkToCstmrStmt":
        reports = _children(message, "Stmt")
    else:
        raise InvalidNotification(f"{kind} is neither camt.054 nor camt.053.")
    credits: list[Credit] = []
    for report in reports:
        for entry_index, entry in enumerate(_children(report, "Ntry")):
            credits += _entry_credits(entry, entry_index)
    return credits


def _entry_credits(entry: ET.Element, entry_index: int) -> list[Credit]:
    if _text(entry, "CdtDbtInd") != "CRDT" or _text(entry, "RvslInd") == "true":
        return []
    status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
    if status not in (None, "BOOK"):
        return []
    booked = _text(entry, "BookgDt", "Dt") or (_text(entry, "BookgDt", "DtTm") or "")[:10]
    booked_on = date.fromisoformat(booked) if booked else None
    entry_ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    transactions = [
        transaction
        for details in _children(entry, "NtryDtls")
        for transaction in _children(details, "TxDtls")
    ]
    if not transactions:
        transactions = [entry]
    credits = []
    for index, transaction in enumerate(transactions):
        # Elements with no children are falsy: compare with None, never rely on ``or``.
        amount = _child(transaction, "Amt")
        if amount is None:
            amount = _child(transaction, "AmtDtls", "TxAmt", "Amt")
        if amount is None:
            amount = _child(entry, "Amt")
        if amount is None or not amount.text:
            raise InvalidNotification("An entry has no amount.")
        try:
            amount_minor = parse_decimal_text(amount.text)
        except ValueError:
            raise InvalidNotification(f"Amount {amount.text!r} is not valid.") from None
        currency = (amount.get("Ccy") or "").upper()
        if _text(transaction, "CdtDbtInd") == "DBIT" or amount_minor <= 0 or len(currency) != 3:
            continue
        if currency not in BOOKED_CURRENCIES:
            # The platform's accounts are in CHF and EUR: another currency is not ours to book.
            raise InvalidNotification(f"A credit is in {currency}: only CHF and EUR are booked.")
        reference = _text(transaction, "RmtInf", "Strd", "CdtrRefInf", "Ref") or _text(
            transaction, "RmtInf", "Ustrd"
        )
        transaction_ref = _text(transaction, "Refs", "AcctSvcrRef")
        unique = transaction_ref or (f"{entry_ref}/{index}" if entry_ref else None)
        if unique is None:
            fingerprint = ET.tostring(transaction)
            unique = "sha256:" + hashlib.sha256(fingerprint).hexdigest()
        credits.append(
            Credit(
                entry_reference=unique[:200],
                amount_minor=amount_minor,
                currency=currency,
                reference=references.normalize(reference)[:140] if reference else None,
                debtor_name=_text(transaction, "RltdPties", "Dbtr", "Nm")
                or _text(transaction, "RltdPties", "Dbtr", "Pty", "Nm"),
                booked_on=booked_on,
            )
        )
    return credits


async def import_document(
    session: AsyncSession, document: bytes
) -> tuple[int, list[BankTransfer], int]:
    """Imports every credit once. Returns (entries in the file, new transfers, duplicates)."""
    credits = parse(document)
    imported: list[BankTransfer] = []
    duplicates = 0
    for credit in credits:
        transfer_id = uuid.uuid4()
        inserted = await session.scalar(
            insert(BankTransfer)
            .values(
                id=transfer_id,
                entry_reference=credit.entry_reference,
                amount_minor=credit.amount_minor,
                currency=credit.currency,
                reference=credit.reference,
                debtor_name=credit.debtor_name,
                booked_on=credit.booked_on,
                outcome=TransferOutcome.unassigned,
                created_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["entry_reference"])
            .returning(BankTransfer.id)
        )
        if inserted is None:
            duplicates += 1
            continue
        transfer = await session.get(BankTransfer, transfer_id)
        assert transfer is not None
        await _apply(session, transfer)
        imported.append(transfer)
    return len(credits), imported, duplicates


async def _apply(session: AsyncSession, transfer: BankTransfer) -> None:
    reference = transfer.reference
    if reference is None:
        return
    invoice = await session.scalar(
        select(Invoice)
        .where(Invoice.payment_reference == reference, Invoice.kind == InvoiceKind.invoice)
        .with_for_update()
    )
    if invoice is not None:
        await _apply_to_invoice(session, transfer, invoice)
        return
    account = await session.scalar(
        select(PrepaidAccount).where(PrepaidAccount.payment_reference == reference)
    )
    if account is not None:
        await _credit(
            session,
            transfer,
            organization_id=account.organization_id,
            kind=EntryKind.top_up,
            outcome=TransferOutcome.prepaid_top_up,
            reason=None,
            notify=False,
        )
        return
    await _settle_elsewhere(session, transfer, reference)


async def _settle_elsewhere(session: AsyncSession, transfer: BankTransfer, reference: str) -> None:
    """Another domain's invoice (a partner's) named by the reference: paid, or left for staff
    with the reason."""
    for settle in TRANSFER_SETTLERS:
        outcome = await settle(
            session,
            reference=reference,
            amount_minor=transfer.amount_minor,
            currency=transfer.currency,
            bank_reference=transfer.entry_reference,
        )
        if outcome is None:
            continue
        if outcome == "paid":
            transfer.outcome = TransferOutcome.partner_invoice_paid
        else:
            transfer.reason = f"partner_invoice_{outcome}"[:50]
        await session.flush()
        return


async def _apply_to_invoice(
    session: AsyncSession, transfer: BankTransfer, invoice: Invoice
) -> None:
    transfer.invoice_id = invoice.id
    reason: str | None
    if await invoices.is_for_cancelled_order(session, invoice):
        reason = "order_cancelled"
    elif invoice.status not in PAYABLE:
        reason = "invoice_not_payable"
    elif transfer.currency != invoice.currency:
        reason = "currency_mismatch"
    elif transfer.amount_minor != invoice.amount_due_minor:
        reason = "amount_mismatch"
    else:
        reason = None
    if reason is None:
        await payments.settle(
            session,
            invoice,
            amount_minor=transfer.amount_minor,
            method=PaymentMethod.bank_transfer,
            provider_reference=transfer.entry_reference[:100],
        )
        transfer.organization_id = invoice.organization_id
        transfer.outcome = TransferOutcome.invoice_paid
        await session.flush()
        return
    if invoice.is_ticket_invoice:
        # A ticket customer's money belongs to no prepaid account: staff return it.
        transfer.organization_id = invoice.organization_id
        transfer.reason = reason
        await session.flush()
        return
    await _credit(
        session,
        transfer,
        organization_id=invoice.organization_id,
        kind=EntryKind.cancelled_order_refund
        if reason == "order_cancelled"
        else EntryKind.unmatched_transfer,
        outcome=TransferOutcome.credited_to_prepaid,
        reason=reason,
        notify=True,
    )


REASON_TEXT = {
    "order_cancelled": "the order was cancelled before the transfer arrived",
    "invoice_not_payable": "the invoice was already paid or closed",
    "currency_mismatch": "the transfer's currency differs from the invoice's",
    "amount_mismatch": "the amount differs from the amount due",
    "assigned": "the transfer's reference did not name an invoice",
}


async def _credit(
    session: AsyncSession,
    transfer: BankTransfer,
    *,
    organization_id: uuid.UUID,
    kind: EntryKind,
    outcome: TransferOutcome,
    reason: str | None,
    notify: bool,
) -> None:
    await ledger.post(
        session,
        organization_id=organization_id,
        currency=transfer.currency,
        kind=kind,
        amount_minor=transfer.amount_minor,
        reference=f"transfer:{transfer.entry_reference}",
        description=f"Bank transfer {transfer.reference or ''}".strip(),
        invoice_id=transfer.invoice_id,
    )
    transfer.organization_id = organization_id
    transfer.outcome = outcome
    transfer.reason = reason
    await session.flush()
    if notify:
        await mail_organization(
            session,
            organization_id,
            "transfer_credited_to_prepaid",
            {
                "amount": format_amount(transfer.amount_minor, transfer.currency),
                "reference": transfer.reference or "",
                "reason": REASON_TEXT.get(reason or "", ""),
            },
        )


async def import_transfers(session: AsyncSession, document: bytes, *, by: Actor) -> TransferImport:
    """Imports an ISO 20022 camt.054 or camt.053 file and tells what became of each credit."""
    entries, imported, duplicates = await import_document(session, document)
    await activity.record(
        session,
        by,
        "billing.bank_transfers_imported",
        details={"entries": entries, "imported": len(imported), "duplicates": duplicates},
    )
    outcomes = [transfer.outcome for transfer in imported]
    return TransferImport(
        entries=entries,
        imported=len(imported),
        duplicates=duplicates,
        invoice_paid=outcomes.count(TransferOutcome.invoice_paid),
        partner_invoice_paid=outcomes.count(TransferOutcome.partner_invoice_paid),
        credited_to_prepaid=outcomes.count(TransferOutcome.credited_to_prepaid),
        prepaid_top_up=outcomes.count(TransferOutcome.prepaid_top_up),
        unassigned=outcomes.count(TransferOutcome.unassigned),
        transfers=[BankTransferRead.model_validate(transfer) for transfer in imported],
    )


async def get_transfer(
    session: AsyncSession, transfer_id: uuid.UUID, *, for_update: bool = False
) -> BankTransfer:
    statement = select(BankTransfer).where(BankTransfer.id == transfer_id)
    return await one_or_raise(
        session, statement, TransferNotFound("No such bank transfer."), for_update=for_update
    )


async def assign(
    session: AsyncSession, *, transfer_id: uuid.UUID, organization_id: uuid.UUID, by: Actor
) -> BankTransfer:
    """Staff credit an unassigned transfer to the prepaid account of the organization it is from."""
    if not await organizations.organization_exists(session, organization_id):
        raise OrganizationNotFound("No such organization.")
    transfer = await get_transfer(session, transfer_id, for_update=True)
    if transfer.outcome != TransferOutcome.unassigned:
        raise TransferAlreadyAssigned("This transfer has been booked already.")
    await _credit(
        session,
        transfer,
        organization_id=organization_id,
        kind=EntryKind.unmatched_transfer,
        outcome=TransferOutcome.credited_to_prepaid,
        reason="assigned",
        notify=True,
    )
    await activity.record(
        session,
        by,
        "billing.bank_transfer_assigned",
        organization_id=organization_id,
        details={"transfer": transfer.entry_reference},
    )
    return transfer
