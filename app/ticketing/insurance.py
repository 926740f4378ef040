"""Cancellation insurance, offered at checkout by the platform's insurer partner: an insured
order carries the insurer's policy reference, printed with the insurer's contact in the
customer's documents (the order mail, the tickets); its refunds go through the insurer, never the
organizer, so a cancellation of an insured paid order records the insurer as who refunds."""

import secrets
from dataclasses import dataclass

from app.ticketing.models import TicketOrder
from app.ticketing.schemas import OrderInsurance

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Insurer:
    name: str
    phone: str
    email: str


INSURER = Insurer(name="Allianz Suisse", phone="+41 44 283 32 22", email="info.ch@allianz.com")
"""Who insures the tickets and refunds under the insurance (the customer calls or writes with
the policy reference and the ticket's number)."""


def new_policy_reference(order_number: str) -> str:
    """The order's number and 4 random characters: unique, and found from either."""
    return f"CI-{order_number}-{''.join(secrets.choice(_ALPHABET) for _ in range(4))}"


def of_policy(policy_reference: str | None) -> OrderInsurance | None:
    """The insurance of an order with this policy as the API shows it; None: not insured."""
    if policy_reference is None:
        return None
    return OrderInsurance(
        policy_reference=policy_reference,
        insurer_name=INSURER.name,
        insurer_phone=INSURER.phone,
        insurer_email=INSURER.email,
    )


def mail_context(order: TicketOrder) -> dict[str, str]:
    """The insurance lines of an insured order's mails."""
    assert order.insurance_policy_reference is not None
    return {
        "policy_reference": order.insurance_policy_reference,
        "insurer_name": INSURER.name,
        "insurer_phone": INSURER.phone,
        "insurer_email": INSURER.email,
    }


def document_lines(order: TicketOrder) -> list[str]:
    """What an insured order's ticket prints about its insurance."""
    if order.insurance_policy_reference is None:
        return []
    return [
        f"Cancellation insurance: policy {order.insurance_policy_reference}",
        f"Refunds: {INSURER.name}, {INSURER.phone}, {INSURER.email} (with the ticket number)",
    ]
