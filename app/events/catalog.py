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
    "security.two_factor_requirement_lifted": "An organization made 2FA optional (payload: it).",
    "organization.created": "An organization was created (payload: the organization).",
    "organization.updated": "An organization's details changed (payload: the organization).",
    "organization.deleted": "An organization was deleted (payload: the organization).",
    "member.invited": "Someone was invited to join an organization (payload: the invitation).",
    "team.created": "A team was created (payload: the team).",
    "team.updated": "A team's name, description or members changed (payload: the team).",
    "team.deleted": "A team was deleted (payload: the team).",
    "partnership.updated": "A client changed its partner's access (payload: the partnership).",
    "support_access.granted": "An organization let support staff in (payload: the grant).",
    "support_access.revoked": "An organization ended support staff access (payload: the grant).",
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
    "service_request.opened": "A support request to a partner was opened or recorded from a "
    "call or a chat (payload: the request with its steps).",
    "service_request.confirmed": "The client confirmed a phone or chat request in writing "
    "(payload: the request).",
    "service_request.replied": "A message was added to a support request (payload: it).",
    "service_request.stopped": "The client asked the partner to stop (payload: the request).",
    "service_request.closed": "The partner closed a support request (payload: the request).",
    "intervention.logged": "Partner staff logged time on a support request (payload: the "
    "intervention with the minutes due).",
    "quote.accepted": "The client signed a partner's on-site quote (payload: the quote).",
    "partner_invoice.issued": "A partner invoiced its client (payload: it, with its lines).",
    "partner_invoice.paid": "A partner invoice was paid by bank transfer (payload: it).",
    "affiliate.joined": "An organization joined the affiliate programme (payload: it).",
    "affiliate.commission_earned": "A referred customer's order earned a commission, pending for "
    "30 days (payload: the commission, without the customer).",
    "affiliate.commission_validated": "A commission passed its 30-day hold (payload: it).",
    "affiliate.commission_voided": "An order refunded or cancelled within its hold earns nothing "
    "(payload: the commission).",
    "affiliate.payout_made": "An affiliate's validated commissions were paid out (payload: the "
    "payout).",
}
