"""Every domain event type the service emits, with what it means.

Each domain adds its types here when it starts emitting them; `emit` refuses an unknown type, so the
list served to integrators (and in the OpenAPI document) is always complete. The payload of an event
is the REST representation of its object.
"""

EVENT_TYPES: dict[str, str] = {
    "account.created": "An account signed up (payload: the account).",
    "member.added": "A member joined an organization (payload: the membership).",
    "member.role_changed": "A member's role changed (payload: the membership).",
    "member.removed": "A member left or was removed (payload: the membership).",
    "rights.changed": "A member's or team's product rights changed (payload: the grant).",
    "product.created": "A product was added to an organization (payload: the product).",
    "product.locked": "A product's management was locked (payload: the product).",
    "product.unlocked": "A product's management was unlocked (payload: the product).",
    "partnership.started": "A partner began managing a client (payload: the partnership).",
    "partnership.ended": "A client ended its partnership (payload: the partnership).",
    "security.two_factor_required": "An organization made 2FA mandatory (payload: it).",
    "webhook.test": "A test event sent to one subscription on request (payload: a message).",
    "order.created": "An order was placed (payload: the order with its tickets).",
    "order.paid": "An order was paid (payload: the order).",
    "order.cancelled": "An order was cancelled whole (payload: the order).",
    "order.reminded": "A payment reminder went out for an order on invoice (payload: the order).",
    "order.expired": "An unpaid order on invoice was cancelled at its deadline (payload: it).",
    "ticket.cancelled": "Some tickets of a paid order were cancelled (payload: the order).",
    "ticket.exchanged": "A ticket was exchanged for another (payload: the order).",
    "ticket.scanned": "A ticket was scanned at control, accepted or not (payload: the scan).",
    "billing_order.placed": "A cart became an order and its invoice (payload: the order).",
    "billing_order.cancelled": "An unpaid billing order was cancelled (payload: the order).",
    "invoice.issued": "An invoice or credit note was issued (payload: it, with its lines).",
    "invoice.paid": "An invoice was paid in full (payload: it).",
    "invoice.voided": "An unpaid invoice was voided (payload: it).",
    "invoice.refunded": "A paid invoice was credited by a credit note (payload: it).",
    "invoice.reminded": "A reminder was sent for an unpaid invoice (payload: its summary).",
    "payment.succeeded": "A payment was received: card, prepaid or transfer (payload: it).",
    "payment.failed": "A card payment was declined (payload: it).",
    "prepaid.credited": "Money was credited to a prepaid account (payload: the ledger entry).",
    "prepaid.debited": "Money was taken from a prepaid account (payload: the ledger entry).",
    "prepaid.withdrawal_requested": "A prepaid balance is being paid out (payload: it).",
    "product.renewed": "A product was renewed for a period (payload: its subscription).",
    "product.expired": "A product was not renewed and expired (payload: its subscription).",
    "product.redemption_started": "An expired domain entered redemption (payload: it).",
    "product.released": "A domain's redemption ended and it was released (payload: it).",
    "product.plan_changed": "A product moved to a higher plan (payload: its subscription).",
    "product.subscription_changed": "Renewal settings changed (payload: the subscription).",
}
