"""Partner invoices: in the partner's name, numbered by the partner (``<prefix>-<year>-<n>``,
gapless per partner and year), VAT at the rate of the partner's country, due 30 days after
issue (the day the client receives it by mail and in its account), paid by bank transfer with
an ISO 11649 reference of their own (``RF..PS…``, never one of the platform's).

An invoice takes everything due and not yet invoiced for the client: each month its contracts
have begun, remote work on confirmed requests (the contract's included minutes first, then the
contract rate while the client is under contract on that day, else the off-contract rate), and
on-site work (its accepted quote, else the trip).
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.iso7064 import mod_97_10

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import format_minor, share
from app.organizations import service as organizations
from app.partner_services import contracts, journal, rate_cards, requests, rules
from app.partner_services.errors import NothingToInvoice, PartnerInvoiceNotFound
from app.partner_services.models import (
    Contract,
    Counter,
    Intervention,
    InvoiceLine,
    PartnerInvoice,
    Quote,
    RateCard,
    Reminder,
    SupportRequest,
)
from app.partner_services.pdf import invoice_pdf
from app.partner_services.schemas import (
    PartnerInvoiceLineRead,
    PartnerInvoiceRead,
    ReminderRead,
    read_model,
)
from app.partner_services.timing import Calendar
from app.partner_services.types import Location, PartnerInvoiceStatus, PartnerLineKind, QuoteStatus

PAYMENT_TERMS = timedelta(days=30)


def invoices_of(
    client_id: uuid.UUID, partner_id: uuid.UUID | None = None
) -> Select[PartnerInvoice]:
    statement = select(PartnerInvoice).where(PartnerInvoice.client_organization_id == client_id)
    if partner_id is not None:
        statement = statement.where(PartnerInvoice.partner_organization_id == partner_id)
    return statement


async def get_invoice(
    session: AsyncSession,
    client_id: uuid.UUID,
    invoice_id: uuid.UUID,
    *,
    partner_id: uuid.UUID | None = None,
) -> PartnerInvoice:
    return await one_or_raise(
        session,
        invoices_of(client_id, partner_id).where(PartnerInvoice.id == invoice_id),
        PartnerInvoiceNotFound("No such partner invoice."),
    )


async def lines_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[InvoiceLine]:
    return list(
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


async def read(session: AsyncSession, invoice: PartnerInvoice) -> PartnerInvoiceRead:
    lines = await lines_of(session, invoice.id)
    return read_model(
        PartnerInvoiceRead,
        invoice,
        lines=[
            read_model(PartnerInvoiceLineRead, line, currency=invoice.currency) for line in lines
        ],
    )


def summary(invoice: PartnerInvoice) -> PartnerInvoiceRead:
    return read_model(PartnerInvoiceRead, invoice, lines=[])


# --- building the lines ---


@dataclass
class Draft:
    card: RateCard
    calendar: Calendar
    lines: list[InvoiceLine] = field(default_factory=list)
    included_left: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    quotes: list[Quote] = field(default_factory=list)

    def add(
        self, kind: PartnerLineKind, description: str, amount_minor: int, **values: object
    ) -> None:
        self.lines.append(
            InvoiceLine(
                id=uuid.uuid4(),
                position=len(self.lines) + 1,
                kind=kind,
                description=description[:300],
                base_minor=values.pop("base_minor", amount_minor),
                amount_minor=amount_minor,
                **{"minutes": 0, "included_minutes": 0, "rate_minor": 0, "surcharge_minor": 0}
                | values,
            )
        )


def _local_date(calendar: Calendar, moment: datetime) -> date:
    return moment.astimezone(calendar.zone).date()


async def _contract_months(
    session: AsyncSession, draft: Draft, partner_id: uuid.UUID, client_id: uuid.UUID, today: date
) -> None:
    running = await session.scalars(
        contracts.contracts_of(partner_id, client_id)
        .where(Contract.starts_on <= today)
        .order_by(Contract.starts_on, Contract.id)
        .with_for_update()
    )
    for contract in running:
        for start in await contracts.uninvoiced_months(session, contract, today):
            end = contracts.add_months(start, 1) - timedelta(days=1)
            draft.add(
                PartnerLineKind.contract_month,
                f"{contract.description}: {start.isoformat()} to "
                f"{min(end, contract.ends_on).isoformat()}",
                contract.monthly_minor,
                rate_minor=contract.monthly_minor,
                contract_id=contract.id,
                period_start=start,
            )


async def _included(
    session: AsyncSession, draft: Draft, partner_id: uuid.UUID, client_id: uuid.UUID, day: date
) -> tuple[Contract, date] | None:
    for contract in await contracts.running(session, partner_id, client_id, day):
        if contract.included_minutes > 0:
            month = contracts.month_of(contract, day)
            key = (contract.id, month)
            if key not in draft.included_left:
                used = await contracts.included_used(session, contract, month)
                draft.included_left[key] = max(contract.included_minutes - used, 0)
            return contract, month
    return None


async def _remote_work(
    session: AsyncSession, draft: Draft, item: Intervention, request: SupportRequest
) -> None:
    due = requests.due_quarters(item, request, draft.calendar)
    if due.count == 0:
        return
    day = _local_date(draft.calendar, item.started_at)
    partner_id, client_id = item.partner_organization_id, item.client_organization_id
    included = await _included(session, draft, partner_id, client_id, day)
    taken = 0
    contract_id = period_start = None
    if included is not None:
        contract, period_start = included
        contract_id = contract.id
        left = draft.included_left[(contract.id, period_start)]
        taken = min(left // 15, due.count)
        draft.included_left[(contract.id, period_start)] = left - 15 * taken
    card = draft.card
    if await contracts.under_contract(session, partner_id, client_id, day):
        hourly, daily = card.contract_hourly_minor, card.contract_remote_day_minor
    else:
        hourly, daily = card.hourly_minor, card.remote_day_minor
    priced = rules.price_work(due.after(taken), hourly_minor=hourly, day_minor=daily)
    draft.add(
        PartnerLineKind.intervention,
        f"{request.subject}: {item.description}".rstrip(": "),
        priced.amount_minor,
        worked_on=day,
        minutes=due.minutes,
        included_minutes=15 * taken,
        rate_minor=hourly,
        base_minor=priced.base_minor,
        surcharge_minor=priced.surcharge_minor,
        intervention_id=item.id,
        contract_id=contract_id,
        period_start=period_start,
    )


async def _on_site(
    session: AsyncSession, draft: Draft, item: Intervention, request: SupportRequest
) -> None:
    day = _local_date(draft.calendar, item.started_at)
    quote = (
        await session.scalar(select(Quote).where(Quote.id == item.quote_id).with_for_update())
        if item.quote_id
        else None
    )
    if quote is not None and quote.status == QuoteStatus.accepted:
        if quote.invoice_id is None and quote not in draft.quotes:
            draft.add(
                PartnerLineKind.quote,
                f"{quote.title} (quote)",
                quote.net_minor,
                worked_on=day,
                intervention_id=item.id,
            )
            draft.quotes.append(quote)
        return
    card = draft.card
    under = await contracts.under_contract(
        session, item.partner_organization_id, item.client_organization_id, day
    )
    hourly = card.contract_hourly_minor if under else card.hourly_minor
    distance, time = rules.price_travel(
        distance_km=item.distance_km,
        travel_minutes=item.travel_minutes,
        per_km_minor=card.per_km_minor,
        hourly_minor=hourly,
    )
    draft.add(
        PartnerLineKind.travel,
        f"{request.subject}: travel without a signed quote, {item.distance_km} km "
        f"x {format_minor(card.per_km_minor, card.currency)} + travel time",
        distance + time,
        worked_on=day,
        minutes=15 * -(-item.travel_minutes // 15),
        rate_minor=hourly,
        intervention_id=item.id,
    )


async def _work(
    session: AsyncSession, draft: Draft, partner_id: uuid.UUID, client_id: uuid.UUID
) -> list[Intervention]:
    rows = (
        await session.execute(
            select(Intervention, SupportRequest)
            .join(SupportRequest, SupportRequest.id == Intervention.request_id)
            .where(
                Intervention.partner_organization_id == partner_id,
                Intervention.client_organization_id == client_id,
                Intervention.invoice_id.is_(None),
                Intervention.ended_at <= clock.now(),
                SupportRequest.confirmed_at.is_not(None),
            )
            .order_by(Intervention.started_at, Intervention.id)
            .with_for_update(of=Intervention, skip_locked=True)
        )
    ).all()
    taken = []
    for item, request in rows:
        if item.location == Location.remote:
            await _remote_work(session, draft, item, request)
        else:
            await _on_site(session, draft, item, request)
        taken.append(item)
    return taken


# --- numbering ---


async def _next(session: AsyncSession, name: str) -> int:
    value = await session.scalar(
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    assert value is not None
    return int(value)


def creditor_reference(number: int) -> str:
    """ISO 11649: ``RF`` + check digits (ISO 7064 mod 97-10) + ``PS`` + 12 digits."""
    body = f"PS{number:012d}"
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


# --- issuing ---


async def issue(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    by: Actor,
    work: bool = True,
) -> PartnerInvoice:
    """Invoices what is due to the partner by the client; NothingToInvoice when nothing is."""
    card = await rate_cards.card_of(session, partner_id)
    draft = Draft(card, rate_cards.calendar_of(card))
    now = clock.now()
    await _contract_months(session, draft, partner_id, client_id, _local_date(draft.calendar, now))
    taken = await _work(session, draft, partner_id, client_id) if work else []
    if not draft.lines:
        raise NothingToInvoice("Nothing is due by this client.")
    partner = await organizations.billing_details(session, partner_id)
    client = await organizations.billing_details(session, client_id)
    assert partner is not None
    assert client is not None
    net = sum(line.amount_minor for line in draft.lines)
    vat_rate = rules.vat_rate_bp(card.country)
    vat = share(net, vat_rate)
    year = _local_date(draft.calendar, now).year
    sequence = await _next(session, f"invoice:{partner_id}:{year}")
    invoice = PartnerInvoice(
        id=uuid.uuid4(),
        partner_organization_id=partner_id,
        client_organization_id=client_id,
        number=f"{card.invoice_prefix}-{year}-{sequence:05d}",
        payment_reference=creditor_reference(await _next(session, "payment_reference")),
        partner_name=partner.name,
        client_name=client.name,
        country=card.country,
        currency=card.currency,
        net_minor=net,
        vat_rate_bp=vat_rate,
        vat_minor=vat,
        total_minor=net + vat,
        status=PartnerInvoiceStatus.issued,
        issued_at=now,
        due_at=now + PAYMENT_TERMS,
        created_at=now,
    )
    session.add(invoice)
    await session.flush()
    for line in draft.lines:
        line.invoice_id = invoice.id
        session.add(line)
    for item in taken:
        item.invoice_id = invoice.id
    for quote in draft.quotes:
        quote.invoice_id = invoice.id
    await session.flush()
    payload = await read(session, invoice)
    await journal.record(
        session,
        by,
        "invoice_issued",
        partner_id=partner_id,
        client_id=client_id,
        details={
            "invoice_id": str(invoice.id),
            "number": invoice.number,
            "total_minor": invoice.total_minor,
        },
        event="partner_invoice.issued",
        payload=payload,
    )
    await journal.mail_client(
        session,
        client_id,
        "partner_invoice_issued",
        {
            "partner_name": partner.name,
            "invoice_number": invoice.number,
            "total": format_minor(invoice.total_minor, invoice.currency),
            "due_date": invoice.due_at.date().isoformat(),
            "invoice_url": journal.link(f"/partner-services/invoices/{invoice.id}"),
        },
    )
    return invoice


async def settle_by_transfer(
    session: AsyncSession, *, reference: str, amount_minor: int, currency: str, bank_reference: str
) -> str | None:
    """Pays the partner invoice a bank transfer's reference names. Returns None when no partner
    invoice has that reference, else ``"paid"`` or why it was not (``"not_payable"``,
    ``"amount_mismatch"``)."""
    invoice = await session.scalar(
        select(PartnerInvoice)
        .where(PartnerInvoice.payment_reference == reference)
        .with_for_update()
    )
    if invoice is None:
        return None
    if invoice.status != PartnerInvoiceStatus.issued:
        return "not_payable"
    if invoice.currency != currency or invoice.total_minor != amount_minor:
        return "amount_mismatch"
    invoice.status = PartnerInvoiceStatus.paid
    invoice.paid_at = clock.now()
    await session.flush()
    await journal.record(
        session,
        Actor.system(),
        "invoice_paid",
        partner_id=invoice.partner_organization_id,
        client_id=invoice.client_organization_id,
        details={
            "invoice_id": str(invoice.id),
            "number": invoice.number,
            "bank_reference": bank_reference,
        },
        event="partner_invoice.paid",
        payload=summary(invoice),
    )
    return "paid"


# --- late payment ---


def reminders_of(invoice_id: uuid.UUID) -> Select[Reminder]:
    return select(Reminder).where(Reminder.invoice_id == invoice_id)


async def remind(
    session: AsyncSession, invoice: PartnerInvoice, *, ecb_rate_bp: int
) -> Reminder | None:
    """Assesses the invoice's late-payment penalties now (up to its payment when paid) and
    sends the reminder showing them; None when it owes none."""
    now = clock.now()
    invoice.assessed_at = now
    assessed = rules.late_payment(
        country=invoice.country,
        amount_minor=invoice.total_minor,
        due_on=invoice.due_at.date(),
        paid_on=(invoice.paid_at or now).date(),
        ecb_rate_bp=ecb_rate_bp,
    )
    if assessed.days_late <= 0:
        return None
    outstanding = invoice.total_minor if invoice.status == PartnerInvoiceStatus.issued else 0
    reminder = Reminder(
        id=uuid.uuid4(),
        invoice_id=invoice.id,
        days_late=assessed.days_late,
        rate_bp=assessed.rate_bp,
        interest_minor=assessed.interest_minor,
        indemnity_minor=assessed.indemnity_minor,
        amount_due_minor=outstanding + assessed.total_minor,
        created_at=now,
    )
    session.add(reminder)
    await session.flush()
    await journal.record(
        session,
        Actor.system(),
        "invoice_reminded",
        partner_id=invoice.partner_organization_id,
        client_id=invoice.client_organization_id,
        details={"invoice_id": str(invoice.id), "days_late": assessed.days_late},
    )
    money = invoice.currency
    await journal.mail_client(
        session,
        invoice.client_organization_id,
        "partner_invoice_reminder",
        {
            "partner_name": invoice.partner_name,
            "invoice_number": invoice.number,
            "total": format_minor(invoice.total_minor, money),
            "due_date": invoice.due_at.date().isoformat(),
            "days_late": assessed.days_late,
            "interest": format_minor(assessed.interest_minor, money),
            "indemnity": format_minor(assessed.indemnity_minor, money),
            "amount_due": format_minor(reminder.amount_due_minor, money),
            "invoice_url": journal.link(f"/partner-services/invoices/{invoice.id}"),
        },
    )
    return reminder


def reminder_read(reminder: Reminder, invoice: PartnerInvoice) -> ReminderRead:
    """The reminder, in its invoice's currency."""
    return read_model(ReminderRead, reminder, currency=invoice.currency)


async def pdf_of(session: AsyncSession, invoice: PartnerInvoice) -> bytes:
    partner = await organizations.billing_details(session, invoice.partner_organization_id)
    client = await organizations.billing_details(session, invoice.client_organization_id)
    card = await rate_cards.card_of(session, invoice.partner_organization_id)
    return invoice_pdf(
        invoice,
        await lines_of(session, invoice.id),
        card,
        partner_address=partner.address if partner else None,
        client_address=client.address if client else None,
    )
