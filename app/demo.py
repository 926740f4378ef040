"""``manager demo``: a realistic, coherent data set on a fresh database.

Everything is made through the API itself (in process, over ASGI), as the personas would: they
sign up and confirm their address from the mail they receive, invite each other, accept from
their invitation mails, order products, open a ticket office and sell. So the data obeys every
rule the product enforces, and the mails, activity log, domain events and webhooks are the real
ones. The mails are delivered by the product's own delivery job into a folder the demo reads.
"""

import email
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from app.accounts import service as accounts
from app.activity.types import Actor
from app.billing.seed import seed_catalog
from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.notifications.delivery import deliver_due

PASSWORD = "Demo password 2026!"  # noqa: S105 - the demo personas' published password


class DemoFailed(RuntimeError):
    """A step of the demo was refused (e.g. the database already holds the demo)."""


@dataclass
class Persona:
    first_name: str
    last_name: str
    email: str
    language: str
    does: str
    """What the persona is, for the summary."""
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


GENEVA = {"line1": "Rue du Rhône 42", "postal_code": "1204", "city": "Genève", "country": "CH"}
ZURICH = {"line1": "Bahnhofstrasse 10", "postal_code": "8001", "city": "Zürich", "country": "CH"}
LYON = {"line1": "12 quai Saint-Antoine", "postal_code": "69002", "city": "Lyon", "country": "FR"}


@dataclass
class Demo:
    client: httpx.AsyncClient
    database: Database
    settings: Settings
    mail_dir: Path
    personas: dict[str, Persona] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    async def call(
        self, method: str, path: str, persona: Persona | None = None, **kwargs: Any
    ) -> Any:
        headers = persona.headers if persona else {}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise DemoFailed(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    async def mailed_link(self, address: str, contains: str) -> str:
        """The link containing ``contains`` in the latest mail to ``address``."""
        await deliver_due(self.database.sessionmaker, self.settings)
        for path in sorted(self.mail_dir.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            if address.lower() not in str(message["To"]).lower():
                continue
            body = message.get_body(("plain",))
            text = body.get_content() if body else ""
            for word in text.split():
                if contains in word and word.startswith("http"):
                    return word
        raise DemoFailed(f"no mail to {address} with a {contains} link")

    @staticmethod
    def token_of(link: str) -> str:
        return link.split("token=", 1)[1].split("&", 1)[0]

    async def log_in(self, persona: Persona) -> None:
        result = await self.call(
            "POST", "/v1/auth/login", json={"email": persona.email, "password": PASSWORD}
        )
        persona.token = result["tokens"]["access_token"]

    async def sign_up(self, key: str, persona: Persona, address: dict[str, str]) -> None:
        await self.call(
            "POST",
            "/v1/accounts",
            json={
                "first_name": persona.first_name,
                "last_name": persona.last_name,
                "email": persona.email,
                "password": PASSWORD,
                "language": persona.language,
                "address": address,
            },
        )
        link = await self.mailed_link(persona.email, "/account/confirm-email")
        await self.call(
            "POST", "/v1/account/email-confirmation", json={"token": self.token_of(link)}
        )
        await self.log_in(persona)
        self.personas[key] = persona

    async def organization(
        self, key: str, owner: Persona, name: str, address: dict[str, str]
    ) -> str:
        created = await self.call(
            "POST",
            "/v1/organizations",
            owner,
            json={"name": name, "kind": "company", "address": address},
        )
        self.ids[key] = created["id"]
        return str(created["id"])

    async def invite(
        self, organization: str, by: Persona, key: str, persona: Persona, role: str
    ) -> None:
        await self.call(
            "POST",
            f"/v1/organizations/{organization}/invitations",
            by,
            json={"email": persona.email, "role": role},
        )
        link = await self.mailed_link(persona.email, "/invitations/accept")
        await self.call(
            "POST",
            "/v1/invitations/accept-with-sign-up",
            json={
                "token": self.token_of(link),
                "first_name": persona.first_name,
                "last_name": persona.last_name,
                "password": PASSWORD,
                "language": persona.language,
            },
        )
        await self.log_in(persona)
        self.personas[key] = persona


async def _people(demo: Demo) -> None:
    await demo.sign_up(
        "owner",
        Persona(
            "Alice",
            "Favre",
            "alice@theatre-leman.example",
            "fr",
            "legal representative of Théâtre du Léman SA (CHF)",
        ),
        GENEVA,
    )
    await demo.sign_up(
        "partner",
        Persona(
            "Paul",
            "Meier",
            "paul@alpine-partners.example",
            "de",
            "legal representative of the partner Alpine Digital Partners AG",
        ),
        ZURICH,
    )
    await demo.sign_up(
        "eur_client",
        Persona(
            "Élodie",
            "Martin",
            "elodie@lyon-spectacles.example",
            "fr",
            "legal representative of Lyon Spectacles SARL (EUR)",
        ),
        LYON,
    )


async def _staff(demo: Demo) -> None:
    staff = Persona(
        "Sarah", "Weber", "sarah@manager-cloud.example", "en", "platform staff (billing admin)"
    )
    await demo.sign_up("staff", staff, GENEVA)
    async with demo.database.sessionmaker.begin() as session:
        await accounts.make_platform_staff(session, staff.email, by=Actor.system())
    await demo.log_in(staff)


async def _organizations(demo: Demo) -> None:
    owner, partner, eur = (demo.personas[k] for k in ("owner", "partner", "eur_client"))
    await demo.organization("theatre", owner, "Théâtre du Léman SA", GENEVA)
    await demo.organization("partner", partner, "Alpine Digital Partners AG", ZURICH)
    await demo.organization("lyon", eur, "Lyon Spectacles SARL", LYON)
    await demo.call(
        "PATCH",
        f"/v1/platform/organizations/{demo.ids['partner']}",
        demo.personas["staff"],
        json={"is_partner": True},
    )


async def _members(demo: Demo) -> None:
    owner = demo.personas["owner"]
    theatre = demo.ids["theatre"]
    for key, persona, role in (
        (
            "admin",
            Persona(
                "Bruno",
                "Keller",
                "bruno@theatre-leman.example",
                "de",
                "administrator of Théâtre du Léman SA",
            ),
            "administrator",
        ),
        (
            "collaborator",
            Persona(
                "Chiara",
                "Rossi",
                "chiara@theatre-leman.example",
                "it",
                "collaborator of Théâtre du Léman SA",
            ),
            "collaborator",
        ),
        (
            "external",
            Persona(
                "Diego",
                "García",
                "diego@freelance.example",
                "es",
                "external member of Théâtre du Léman SA",
            ),
            "external",
        ),
    ):
        await demo.invite(theatre, owner, key, persona, role)


async def _partners(demo: Demo) -> None:
    partner = demo.personas["partner"]
    for client_key, org_key, name in (
        ("owner", "theatre", "Théâtre du Léman SA"),
        ("eur_client", "lyon", "Lyon Spectacles SARL"),
    ):
        client = demo.personas[client_key]
        await demo.call(
            "POST",
            f"/v1/organizations/{demo.ids['partner']}/partner-invitations",
            partner,
            json={"email": client.email, "client_name": name, "access_type": "full"},
        )
        link = await demo.mailed_link(client.email, "/partner-invitations/accept")
        await demo.call(
            "POST",
            f"/v1/organizations/{demo.ids[org_key]}/partnerships",
            client,
            json={"token": demo.token_of(link), "access_type": "full"},
        )


async def _billing(demo: Demo) -> None:
    for persona_key, org_key, items in (
        (
            "owner",
            "theatre",
            (
                ("web_hosting.starter", "theatre-leman.ch"),
                ("web_hosting.starter", "billetterie.theatre-leman.ch"),
            ),
        ),
        ("eur_client", "lyon", (("web_hosting.starter", "lyon-spectacles.fr"),)),
    ):
        persona = demo.personas[persona_key]
        base = f"/v1/organizations/{demo.ids[org_key]}"
        for plan, name in items:
            await demo.call(
                "POST",
                f"{base}/cart/items",
                persona,
                json={"plan_code": plan, "product_name": name, "period": "yearly"},
            )
        await demo.call("POST", f"{base}/cart/checkout", persona, json={})


async def _ticketing(demo: Demo) -> None:
    owner = demo.personas["owner"]
    base = f"/v1/organizations/{demo.ids['theatre']}/ticket-offices"
    office = await demo.call("POST", base, owner, json={"name": "Billetterie du Léman"})
    office_path = f"{base}/{office['id']}"
    start = clock.now() + timedelta(days=45)
    events = []
    for offset, name, prices in (
        (0, "La Flûte enchantée", (9000, 6500, 3500)),
        (20, "Cyrano de Bergerac", (5500, 3000)),
    ):
        event = await demo.call(
            "POST",
            f"{office_path}/events",
            owner,
            json={
                "name": name,
                "performances": [
                    {
                        "starts_at": (start + timedelta(days=offset + day)).isoformat(),
                        "ends_at": (start + timedelta(days=offset + day, hours=3)).isoformat(),
                        "venue": "Grande salle",
                        "capacity": 300,
                    }
                    for day in range(3)
                ],
                "price_categories": [
                    {"name": f"Catégorie {i + 1}", "price_minor": price}
                    for i, price in enumerate(prices)
                ],
            },
        )
        await demo.call("POST", f"{office_path}/events/{event['id']}/publish", owner)
        events.append(event)
    customers = (
        ("Jeanne Dupont", "jeanne.dupont@example.ch", "fr", "card"),
        ("Hans Müller", "hans.mueller@example.ch", "de", "invoice"),
        ("Laura Bianchi", "laura.bianchi@example.ch", "it", "card"),
        ("Tom Smith", "tom.smith@example.com", "en", "invoice"),
    )
    orders = []
    for index, (name, address, language, method) in enumerate(customers):
        event = events[index % len(events)]
        body: dict[str, Any] = {
            "customer": {"name": name, "email": address, "language": language},
            "tickets": [
                {
                    "performance_id": event["performances"][index % 3]["id"],
                    "price_category_id": event["price_categories"][0]["id"],
                    "quantity": 2,
                }
            ],
            "payment_method": method,
        }
        if method == "card":
            body["card_token"] = "tok_visa"  # noqa: S105 - the test card of the payment stub
        orders.append(await demo.call("POST", f"/v1/shop/events/{event['id']}/orders", json=body))
    cancelled = orders[2]  # paid by card, then cancelled by the office
    await demo.call(
        "POST",
        f"{office_path}/orders/{cancelled['id']}/cancel",
        owner,
        json={"refund_method": "none", "reason": "The customer cannot come."},
    )


async def _webhooks(demo: Demo) -> None:
    for persona_key, org_key, types in (
        ("owner", "theatre", ["order.created", "order.paid", "order.cancelled"]),
        ("eur_client", "lyon", ["invoice.issued", "invoice.paid"]),
    ):
        await demo.call(
            "POST",
            f"/v1/organizations/{demo.ids[org_key]}/webhooks/subscriptions",
            demo.personas[persona_key],
            json={
                "target_url": f"https://hooks.{org_key}.example/manager",
                "event_types": types,
                "description": "Demo automation",
            },
        )


async def _catalog(demo: Demo) -> None:
    async with demo.database.sessionmaker.begin() as session:
        await seed_catalog(session)


STEPS: tuple[tuple[str, Callable[[Demo], Awaitable[None]]], ...] = (
    ("billing catalog", _catalog),
    ("accounts", _people),
    ("platform staff", _staff),
    ("organizations", _organizations),
    ("members with every role", _members),
    ("partner and its clients", _partners),
    ("products and invoices (CHF, EUR)", _billing),
    ("ticket office, events and orders", _ticketing),
    ("webhook subscriptions", _webhooks),
)


async def run_demo(
    database_url: str,
    settings: Settings,
    advance: Callable[[str], None] = lambda step: None,
) -> list[Persona]:
    """Fills the database; calls ``advance(step)`` as each step starts; returns the personas."""
    database = Database.connect(database_url, pool_size=4, max_overflow=0)
    with tempfile.TemporaryDirectory(prefix="manager-demo-") as mail_root:
        # The demo's own mailbox: mails are written as files, whatever SMTP is configured.
        delivery = settings.model_copy(update={"smtp_host": None, "data_dir": Path(mail_root)})
        quiet = settings.model_copy(update={"log_level": "WARNING"})
        app = create_app(quiet, database=database)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
                demo = Demo(client, database, delivery, Path(mail_root) / "mail")
                for name, step in STEPS:
                    advance(name)
                    await step(demo)
        finally:
            await database.dispose()
    return list(demo.personas.values())


__all__ = ["PASSWORD", "STEPS", "DemoFailed", "Persona", "run_demo"]
