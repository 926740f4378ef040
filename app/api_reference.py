"""What the OpenAPI document says beyond the routes: tags with their descriptions, servers, the
token scopes of each operation (on the bearer scheme, so generators show them) and the response
headers every operation or some of them send."""

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.accounts.deps import ScopeCheck
from app.accounts.schemas import SCOPES
from app.core.idempotency import REPLAYED_HEADER
from app.core.settings import Settings

TAGS: dict[str, str] = {
    "auth": "Log in (password, then TOTP when on), refresh and end sessions; the JWKS.",
    "accounts": "Sign-up, the caller's account, its security (2FA, recovery), sessions, personal "
    "access tokens and activity log.",
    "organizations": "Organizations the caller belongs to: details, logo, billing addresses, "
    "activity and closing.",
    "members": "Members and their roles, invitations, the organization-wide 2FA requirement.",
    "invitations": "Accepting an invitation mailed to you (signed in, or signing up on the way).",
    "rights": "Product rights granted to members.",
    "teams": "Teams of members, and the rights granted to a team.",
    "products": "An organization's products and their management lock.",
    "partners": "Partners managing client organizations, and the partnerships clients accept.",
    "support": "Time-limited access an organization grants to the provider's support staff.",
    "platform": "Platform staff: partner and affiliate flags, premium support.",
    "catalog": "The public billing catalog: plans, prices and VAT rates.",
    "billing": "Cart, orders, invoices (PDF, Swiss QR-bill), payments, prepaid accounts, "
    "payment profiles and subscriptions.",
    "billing_admin": "Platform staff: promo codes, bank-transfer imports (camt.053/054), refunds.",
    "ticketing": "Ticket offices, events, performances, orders, cancellations and ticket control.",
    "shop": "The public ticket shop: events, placing an order, the customer's order by its link.",
    "webhooks": "Subscriptions (signed with Standard Webhooks), deliveries, the event types and "
    "the polling feed. Every event's payload is typed in the document's `webhooks`.",
    "system": "Liveness, readiness and metrics, for orchestrators and scrapers.",
    "affiliates": "The affiliate programme: joining, visits and attribution tokens, commissions, "
    "monthly totals, payouts.",
    "affiliates_admin": "Platform staff: affiliates with their earnings, suspension, audited "
    "adjustments, payouts paid out, exchange rates.",
    "partner_services": "A partner's own services to its clients: rate card, contracts, support "
    "requests, interventions, quotes, invoices.",
    "sso": "Single sign-on per organization: the OpenID Connect provider, proven e-mail domains, "
    "the login through the provider.",
    "promotions": "Ticketing promotions: codes (single or in bulk) and automatic discounts.",
    "gift_cards": "Ticketing gift cards: issued by the organizer or sold in the shop, spent in "
    "part at checkout.",
    "seat_plans": "Numbered seats per performance, picked or best available.",
    "forms": "An event's customer form: questions answered at order time.",
    "shops": "Several online shops per ticket office, with their events and payment methods.",
    "checkin": "Check-in lists, their devices and scans (entry and exit).",
}

REQUEST_ID = {
    "description": "The request's id (the caller's `X-Request-ID` when valid): quote it to "
    "support; every log line of the request carries it.",
    "schema": {"type": "string"},
}
RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "`Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
BEARER = "HTTPBearer"


def _scopes(dependant: Dependant) -> list[str]:
    found: list[str] = []
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, ScopeCheck):
            found += dependency.call.scopes
        found += _scopes(dependency)
    return found


def document(openapi: dict[str, Any], app: FastAPI) -> None:
    used = {
        tag
        for item in openapi["paths"].values()
        for op in item.values()
        for tag in op.get("tags", ())
    }
    openapi["tags"] = [
        {"name": name, "description": text} for name, text in TAGS.items() if name in used
    ]
    # The default, not this process's setting: the committed document is the same everywhere.
    local = Settings.model_fields["public_url"].default
    openapi["servers"] = [{"url": local, "description": "`make run` on this machine."}]
    scheme = openapi["components"]["securitySchemes"].get(BEARER)
    if scheme is not None:
        scheme["description"] = (
            "An access token from POST /v1/auth/login (every scope), or a personal access token "
            "with some of the scopes: " + ", ".join(f"`{scope}`" for scope in SCOPES) + ". Each "
            "operation lists the scopes that let a token call it (any one of them)."
        )
    scopes = {
        route.operation_id: _scopes(route.dependant)
        for route in app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    }
    for item in openapi["paths"].values():
        for method, operation in item.items():
            wanted = scopes.get(operation["operationId"], [])
            if wanted and "security" in operation:
                operation["security"] = [{BEARER: wanted}]
            for status, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = REQUEST_ID
                if status == "429" or "idempotency_key_in_progress" in response.get(
                    "x-problem-codes", []
                ):
                    headers["Retry-After"] = RETRY_AFTER
                if method == "post" and status.startswith("2"):
                    headers[REPLAYED_HEADER] = REPLAYED
