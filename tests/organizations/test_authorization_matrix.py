"""The authorization matrix, built from the app's own route table.

Every route whose path holds ``{organization_id}`` must depend, directly or through other
dependencies, on ``organization_access`` (or be a platform-staff route): a route added without it
fails here. Each is then driven over HTTP: an anonymous caller gets 401, a member of another
organization 404, and, for this package's routes, each role exactly what ``RULES`` says (every
other package's administrator-only routes must at least refuse collaborators and externals).

Each probe runs inside a savepoint rolled back afterwards, so destructive calls (removing a
member, deleting the organization) leave the next probe the same world.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.core import clock
from app.core.db import Database
from app.core.security.tokens import digest
from app.events.service import emit
from app.main import create_app
from app.organizations import permissions
from app.organizations.models import (
    BillingAddress,
    Grant,
    Invitation,
    Membership,
    OrganizationLogo,
    PartnerInvitation,
    Partnership,
    SupportAccessGrant,
    Team,
    TeamMember,
)
from app.organizations.types import (
    GrantScope,
    PartnerAccess,
    PaymentMode,
    ProductRight,
    ProductType,
    Role,
)
from tests.factories import PASSWORD, User, signed_in_user, unique_email
from tests.organizations.helpers import (
    PNG,
    Roster,
    add_product,
    organization_with_roles,
    set_organization,
)

L, A, C, E = Role.legal_representative, Role.administrator, Role.collaborator, Role.external
ROLES = (L, A, C, E)
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({L, A})
LEGAL = frozenset({L})

RULES: dict[str, frozenset[Role]] = {
    "organizations-read": EVERYONE,
    "organizations-update": LEGAL,
    "organizations-set_logo": LEGAL,
    "organizations-read_logo": EVERYONE,
    "organizations-delete_logo": LEGAL,
    "organizations-delete": LEGAL,
    "organizations-list_billing_addresses": MANAGERS,
    "organizations-add_billing_address": MANAGERS,
    "organizations-read_billing_address": MANAGERS,
    "organizations-replace_billing_address": MANAGERS,
    "organizations-delete_billing_address": MANAGERS,
    "organizations-activity": MANAGERS,
    "organizations-unlock_member": MANAGERS,
    "members-list": MANAGERS,
    "members-read": MANAGERS,
    "members-update": MANAGERS,
    "members-remove": MANAGERS,
    "organizations-end_member_sessions": MANAGERS,
    "members-leave": EVERYONE,
    "members-directory": frozenset({L, A, C}),
    "members-block": MANAGERS,
    "members-unblock": MANAGERS,
    "members-hand_over_legal_representation": LEGAL,
    "members-invite": MANAGERS,
    "members-list_invitations": MANAGERS,
    "members-revoke_invitation": MANAGERS,
    "members-set_two_factor_requirement": MANAGERS,
    "members-send_two_factor_alerts": MANAGERS,
    "rights-list_grants": MANAGERS,
    "rights-grant": MANAGERS,
    "rights-grant_full_access": MANAGERS,
    "rights-update_grant": MANAGERS,
    "rights-revoke_grant": MANAGERS,
    "rights-member_rights": MANAGERS,
    "rights-my_rights": EVERYONE,
    "teams-list": MANAGERS,
    "teams-create": MANAGERS,
    "teams-read": MANAGERS,
    "teams-update": MANAGERS,
    "teams-delete": MANAGERS,
    "teams-add_member": MANAGERS,
    "teams-remove_member": MANAGERS,
    "products-list": EVERYONE,
    "products-create": MANAGERS,
    # The collaborator holds a grant on the product; the external holds none.
    "products-read": frozenset({L, A, C}),
    "products-lock": MANAGERS,
    "products-unlock": MANAGERS,
    "partners-invite_client": LEGAL,
    "partners-list_invitations": MANAGERS,
    "partners-revoke_invitation": LEGAL,
    "partners-list_clients": MANAGERS,
    "partners-export_clients": MANAGERS,
    "partners-end_client": LEGAL,
    "partners-accept": LEGAL,
    "partners-list_partnerships": MANAGERS,
    "partners-change_terms": LEGAL,
    "partners-end": LEGAL,
    "partners-open_client_account": MANAGERS,
    "support-read": MANAGERS,
    "support-grant_access": MANAGERS,
    "support-list_access": MANAGERS,
    "support-revoke_access": MANAGERS,
}
# How a refusal looks where it is not 403: a product the caller holds no right on is not shown.
REFUSAL = {"products-read": 404}
ORGANIZATION_PARAMETER = "{organization_id}"
_PARAMETER = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def organization_scoped(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in app.routes
        if isinstance(route, APIRoute) and ORGANIZATION_PARAMETER in route.path
    ]


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether ``call`` is among the dependencies of ``dependant``, at any depth."""
    return any(sub.call is call or depends_on(sub, call) for sub in dependant.dependencies)


def is_platform_route(route: APIRoute) -> bool:
    return depends_on(route.dependant, permissions.platform_staff)


def unguarded(app: FastAPI) -> list[str]:
    return [
        f"{sorted(route.methods)} {route.path}"
        for route in organization_scoped(app)
        if not depends_on(route.dependant, permissions.organization_access)
        and not is_platform_route(route)
    ]


def test_every_organization_scoped_route_depends_on_organization_access() -> None:
    app = create_app()
    assert len(organization_scoped(app)) >= len(RULES)
    assert unguarded(app) == []


def test_a_route_added_without_the_dependency_is_caught() -> None:
    app = create_app()

    @app.get("/v1/organizations/{organization_id}/forgotten")
    async def forgotten(organization_id: uuid.UUID) -> dict[str, str]:
        return {}

    before = unguarded(create_app())
    assert unguarded(app) == [*before, "['GET'] /v1/organizations/{organization_id}/forgotten"]


def test_every_route_of_the_organizations_package_has_a_rule() -> None:
    routes = [
        route
        for route in organization_scoped(create_app())
        if route.endpoint.__module__.startswith(("app.organizations", "app.lifecycle_router"))
    ]
    assert sorted(str(route.operation_id) for route in routes) == sorted(RULES)


@dataclass
class World:
    roster: Roster
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    partner_token: str = "partner-invitation-token-for-the-matrix"


async def build_world(client: httpx.AsyncClient, db: Database) -> World:
    """Organization A (a partner, and the client of partner X) with one member of each role, a
    ticket office the collaborator may use, a team, a grant, pending invitations, a billing
    address, a logo, a managed client Z and a running support access."""
    roster = await organization_with_roles(client, db)
    world = World(roster)
    a = roster.organization_id
    partner_x: User = await signed_in_user(client, db)
    client_z: User = await signed_in_user(client, db)
    await set_organization(db, a, is_partner=True)
    await set_organization(db, partner_x.organization_id, is_partner=True)
    product = await add_product(db, a, ProductType.ticket_office, "Box office")
    now = clock.now()
    ids = {
        "team": uuid.uuid4(),
        "grant": uuid.uuid4(),
        "invitation": uuid.uuid4(),
        "partner_invitation": uuid.uuid4(),
        "pending_client_invitation": uuid.uuid4(),
        "address": uuid.uuid4(),
        "as_partner": uuid.uuid4(),
        "as_client": uuid.uuid4(),
        "support": uuid.uuid4(),
    }
    async with db.sessionmaker.begin() as session:
        session.add(Team(id=ids["team"], organization_id=a, name="Box office staff"))
        await session.flush()
        session.add(TeamMember(team_id=ids["team"], account_id=roster.collaborator.account_id))
        session.add(
            Grant(
                id=ids["grant"],
                organization_id=a,
                account_id=roster.collaborator.account_id,
                scope=GrantScope.product,
                product_id=product.id,
                rights=["use", "sell"],
            )
        )
        session.add(
            Invitation(
                id=ids["invitation"],
                organization_id=a,
                email=unique_email("invited"),
                role=Role.collaborator,
                token_digest=digest(uuid.uuid4().hex),
                expires_at=now.replace(year=now.year + 1),
            )
        )
        for invitation_id, partner_id, token in (
            (ids["partner_invitation"], a, uuid.uuid4().hex),
            (ids["pending_client_invitation"], partner_x.organization_id, world.partner_token),
        ):
            session.add(
                PartnerInvitation(
                    id=invitation_id,
                    partner_organization_id=partner_id,
                    email=unique_email("client"),
                    client_name="Client",
                    access_type=PartnerAccess.full,
                    includes_billing=False,
                    payment_mode=PaymentMode.client_pays,
                    token_digest=digest(token),
                    expires_at=now.replace(year=now.year + 1),
                )
            )
        session.add(
            BillingAddress(
                id=ids["address"],
                organization_id=a,
                label="Accounting",
                recipient="ACME",
                line1="Rue 1",
                postal_code="1200",
                city="Genève",
                country="CH",
            )
        )
        for partnership_id, partner_id, client_id in (
            (ids["as_partner"], a, client_z.organization_id),
            (ids["as_client"], partner_x.organization_id, a),
        ):
            session.add(
                Partnership(
                    id=partnership_id,
                    partner_organization_id=partner_id,
                    client_organization_id=client_id,
                    access_type=PartnerAccess.full,
                    includes_billing=False,
                    payment_mode=PaymentMode.client_pays,
                )
            )
        session.add(
            SupportAccessGrant(
                id=ids["support"], organization_id=a, expires_at=now.replace(year=now.year + 1)
            )
        )
        session.add(OrganizationLogo(organization_id=a, content_type="image/png", data=PNG))
    ids["product"] = product.id
    world.ids = ids
    return world


def path_value(route: APIRoute, name: str, world: World) -> str:
    ids, path = world.ids, route.path
    values: dict[str, Any] = {
        "organization_id": world.roster.organization_id,
        "account_id": world.roster.collaborator.account_id,
        "product_id": ids["product"],
        "team_id": ids["team"],
        "grant_id": ids["support"] if "/support-access/" in path else ids["grant"],
        "invitation_id": (
            ids["partner_invitation"] if "/partner-invitations/" in path else ids["invitation"]
        ),
        "partnership_id": ids["as_partner"] if "/clients/" in path else ids["as_client"],
        "address_id": ids["address"],
    }
    return str(values.get(name, uuid.uuid4()))


def request_body(operation_id: str, world: World) -> dict[str, Any]:
    """A valid body for each of this package's operations that needs one."""
    collaborator = str(world.roster.collaborator.account_id)
    address = {
        "label": "Head office",
        "recipient": "ACME SA",
        "line1": "Rue du Lac 2",
        "postal_code": "1003",
        "city": "Lausanne",
        "country": "CH",
    }
    bodies: dict[str, dict[str, Any]] = {
        "organizations-update": {"json": {"name": "Renamed"}},
        "organizations-set_logo": {"files": {"file": ("logo.png", PNG, "image/png")}},
        "organizations-delete": {"json": {"password": PASSWORD}},
        "organizations-add_billing_address": {"json": address},
        "organizations-replace_billing_address": {"json": address},
        "members-update": {"json": {"role": "external"}},
        "members-remove": {"json": {"password": PASSWORD}},
        "members-hand_over_legal_representation": {
            "json": {"account_id": collaborator, "password": PASSWORD}
        },
        "members-invite": {"json": {"email": unique_email("new"), "role": "collaborator"}},
        "members-set_two_factor_requirement": {"json": {"required": False}},
        "rights-grant": {
            "json": {
                "account_id": collaborator,
                "scope": "product_type",
                "product_type": "drive",
                "rights": ["use"],
            }
        },
        "rights-grant_full_access": {"json": {"account_id": collaborator}},
        "rights-update_grant": {"json": {"rights": ["use", "check"]}},
        "teams-create": {"json": {"name": "Night shift"}},
        "teams-update": {"json": {"description": "Evenings"}},
        "teams-add_member": {"json": {"account_id": str(world.roster.admin.account_id)}},
        "products-create": {"json": {"type": "drive", "name": "Shared drive"}},
        "partners-invite_client": {"json": {"email": unique_email("c"), "client_name": "Bakery"}},
        "partners-accept": {"json": {"token": world.partner_token, "access_type": "full"}},
        "partners-change_terms": {"json": {"access_type": "full", "includes_billing": True}},
        "partners-open_client_account": {
            "json": {
                "first_name": "Chloé",
                "last_name": "Favre",
                "email": unique_email("opened"),
                "phone": "+41 79 555 00 11",
                "organization_name": "Boulangerie Favre",
            }
        },
        "support-grant_access": {"json": {"hours": 4}},
    }
    return bodies.get(operation_id, {})


async def probe(
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    route: APIRoute,
    world: World,
    user: User | None,
) -> httpx.Response:
    path = _PARAMETER.sub(lambda match: path_value(route, match.group(1), world), route.path)
    method = sorted(route.methods)[0]
    kwargs = request_body(str(route.operation_id), world) if method != "GET" else {}
    headers = user.headers if user else {}
    savepoint = await connection.begin_nested()
    try:
        return await client.request(method, path, headers=headers, **kwargs)
    finally:
        await savepoint.rollback()


async def test_outsiders_get_404_and_anonymous_callers_401(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    world = await build_world(client, db)
    wrong = []
    for route in organization_scoped(create_app()):
        if is_platform_route(route):
            continue
        anonymous = await probe(client, connection, route, world, None)
        outsider = await probe(client, connection, route, world, world.roster.outsider)
        if anonymous.status_code != 401:
            wrong.append(f"{route.operation_id} anonymous: {anonymous.status_code}")
        if outsider.status_code != 404:
            wrong.append(f"{route.operation_id} outsider: {outsider.status_code}")
    assert wrong == []


async def test_each_role_gets_exactly_what_the_rules_give(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    world = await build_world(client, db)
    wrong = []
    routes = [r for r in organization_scoped(create_app()) if str(r.operation_id) in RULES]
    for route in routes:
        operation = str(route.operation_id)
        for role in ROLES:
            response = await probe(client, connection, route, world, world.roster.by_role(role))
            status = response.status_code
            if role in RULES[operation]:
                if status in (401, 403, 404) or status >= 500:
                    wrong.append(f"{operation} as {role}: {status} {response.text[:200]}")
            elif status != REFUSAL.get(operation, 403):
                wrong.append(f"{operation} as {role} should be refused: {status}")
    assert wrong == []


async def test_other_packages_manager_routes_refuse_collaborators_and_externals(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    """Routes elsewhere that declare a manager-only dependency keep collaborators and externals
    out (403, or 404 where the object is looked up first)."""
    world = await build_world(client, db)
    manager_only = (
        permissions.manager,
        permissions.legal_representative,
        permissions.billing_manager,
    )
    wrong = []
    for route in organization_scoped(create_app()):
        if str(route.operation_id) in RULES or is_platform_route(route):
            continue
        if not any(depends_on(route.dependant, call) for call in manager_only):
            continue
        for role in (C, E):
            response = await probe(client, connection, route, world, world.roster.by_role(role))
            if response.status_code not in (403, 404):
                wrong.append(f"{route.operation_id} as {role}: {response.status_code}")
    assert wrong == []


def dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from dependencies(sub)


def product_right_needed(route: APIRoute) -> ProductRight | None:
    """The right a route's loaded-product dependency (``office_with(right)``…) asks for."""
    for sub in dependencies(route.dependant):
        for cell in getattr(sub.call, "__closure__", None) or ():
            if isinstance(cell.cell_contents, ProductRight):
                return cell.cell_contents
    return None


async def test_a_blocked_member_is_refused_on_every_organization_route(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    world = await build_world(client, db)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Membership)
            .where(Membership.account_id == world.roster.collaborator.account_id)
            .values(blocked_at=clock.now())
        )
    wrong = []
    for route in organization_scoped(create_app()):
        if is_platform_route(route):
            continue
        response = await probe(client, connection, route, world, world.roster.collaborator)
        if response.status_code != 403 or response.json().get("code") != "member_blocked":
            wrong.append(f"{route.operation_id}: {response.status_code}")
    assert wrong == []


async def test_the_accounting_right_opens_invoices_payments_and_payment_means_only(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    """A collaborator with the accounting right passes ``BillingManager`` on the invoices,
    payments and payment-means routes, and is refused on every other route that needs it."""
    world = await build_world(client, db)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Membership)
            .where(Membership.account_id == world.roster.collaborator.account_id)
            .values(accounting=True)
        )
    wrong, reached = [], 0
    for route in organization_scoped(create_app()):
        if not depends_on(route.dependant, permissions.billing_manager):
            continue
        below = route.path.partition("{organization_id}")[2]
        opened = below.startswith(permissions.ACCOUNTING_PATHS)
        response = await probe(client, connection, route, world, world.roster.collaborator)
        status = response.status_code
        if opened and (status in (401, 403) or status >= 500):
            wrong.append(f"{route.operation_id} should be reached: {status} {response.text[:200]}")
        if not opened and status != 403:
            wrong.append(f"{route.operation_id} should be refused: {status}")
        reached += opened
    assert reached >= 8
    assert wrong == []


async def test_the_technical_right_alone_opens_the_routes_that_need_it(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    world = await build_world(client, db)
    roster = world.roster
    created = await client.post(
        f"/v1/organizations/{roster.organization_id}/ticket-offices",
        json={"name": "Technical"},
        headers=roster.admin.headers,
    )
    assert created.status_code == 201, created.text
    office = uuid.UUID(created.json()["id"])
    routes = [
        route
        for route in organization_scoped(create_app())
        if product_right_needed(route) == ProductRight.technical
    ]
    assert routes, "some route needs the technical right"

    async def statuses(rights: list[str]) -> dict[str, int]:
        async with db.sessionmaker.begin() as session:
            await session.execute(
                update(Grant).where(Grant.id == world.ids["grant"]).values(rights=rights)
            )
        found = {}
        for route in routes:
            path = _PARAMETER.sub(
                lambda match, route=route: (
                    str(office)
                    if match.group(1) == "ticket_office_id"
                    else path_value(route, match.group(1), world)
                ),
                route.path,
            )
            savepoint = await connection.begin_nested()
            try:
                response = await client.request(
                    sorted(route.methods)[0],
                    path,
                    json={"payment_methods": ["card"]},
                    headers=roster.collaborator.headers,
                )
            finally:
                await savepoint.rollback()
            found[str(route.operation_id)] = response.status_code
        return found

    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Grant).where(Grant.id == world.ids["grant"]).values(product_id=office)
        )
    without = await statuses(["use", "manage", "statistics", "sell", "check"])
    assert set(without.values()) == {403}, without
    with_technical = await statuses(["technical"])
    assert all(status < 400 for status in with_technical.values()), with_technical


WEBHOOK_SUBSCRIPTIONS = "/webhooks/subscriptions"
WEBHOOK_BODIES: dict[str, dict[str, Any]] = {
    "webhooks-update_subscription": {"description": "Box office orders"},
    "webhooks-redeliver_failed": {"since": "2020-01-01T00:00:00Z"},
}


async def test_the_technical_right_on_a_ticket_office_opens_its_webhook_subscriptions(
    client: httpx.AsyncClient, db: Database, connection: AsyncConnection
) -> None:
    """Every webhook subscription route: a collaborator holding `technical` on a ticket office
    reaches the subscriptions limited to it, is told another office's do not exist (404) and is
    refused the organization-wide ones (403); without `technical` on any office it is refused
    every route (403), as it was before it held the right, and as externals are."""
    world = await build_world(client, db)
    roster = world.roster
    office = world.ids["product"]
    other = (
        await add_product(db, roster.organization_id, ProductType.ticket_office, "Other office")
    ).id
    async with db.sessionmaker.begin() as session:
        event = await emit(
            session,
            "order.paid",
            {"ticket_office_id": str(office)},
            organization_id=roster.organization_id,
        )
    base = f"/v1/organizations/{roster.organization_id}{WEBHOOK_SUBSCRIPTIONS}"
    targets: dict[str, str] = {}
    for name, limited_to in (("own", office), ("other", other), ("wide", None)):
        created = await client.post(
            base,
            json={
                "target_url": f"https://hooks.example.com/{name}",
                "event_types": ["order.*"],
                **({"ticket_office_id": str(limited_to)} if limited_to else {}),
            },
            headers=roster.admin.headers,
        )
        assert created.status_code == 201, created.text
        targets[name] = created.json()["id"]
    routes = [
        route for route in organization_scoped(create_app()) if WEBHOOK_SUBSCRIPTIONS in route.path
    ]
    assert len(routes) >= 10

    async def status(route: APIRoute, user: User, target: str) -> int:
        values = {"subscription_id": targets[target], "event_id": str(event.id)}
        path = _PARAMETER.sub(
            lambda match: values.get(match.group(1)) or path_value(route, match.group(1), world),
            route.path,
        )
        operation = str(route.operation_id)
        body = WEBHOOK_BODIES.get(operation)
        if operation == "webhooks-create_subscription":
            limited_to = {"own": office, "other": other}.get(target)
            body = {
                "target_url": "https://hooks.example.com/new",
                "event_types": ["order.*"],
                **({"ticket_office_id": str(limited_to)} if limited_to else {}),
            }
        savepoint = await connection.begin_nested()
        try:
            response = await client.request(
                sorted(route.methods)[0], path, json=body, headers=user.headers
            )
        finally:
            await savepoint.rollback()
        return response.status_code

    async def set_rights(rights: list[str]) -> None:
        async with db.sessionmaker.begin() as session:
            await session.execute(
                update(Grant).where(Grant.id == world.ids["grant"]).values(rights=rights)
            )

    wrong = []
    collaborator, external = roster.collaborator, roster.external
    for route in routes:
        for target in ("own", "other", "wide"):
            if (found := await status(route, external, target)) != 403:
                wrong.append(f"{route.operation_id} {target} as external: {found}")
    await set_rights(["use", "manage", "statistics", "sell", "check"])
    for route in routes:
        for target in ("own", "other", "wide"):
            if (found := await status(route, collaborator, target)) != 403:
                wrong.append(f"{route.operation_id} {target} without technical: {found}")
    await set_rights(["use", "sell", "technical"])
    for route in routes:
        operation = str(route.operation_id)
        # The office's subscription is reached; another office's, even named to create one,
        # is not found; an organization-wide one is refused.
        for target, refusal in (("own", None), ("other", 404), ("wide", 403)):
            if operation == "webhooks-list_subscriptions" and target != "own":
                continue  # the list has no subscription in its path: it shows the office's only
            found = await status(route, collaborator, target)
            if (refusal is None and found >= 400) or (refusal is not None and found != refusal):
                wrong.append(f"{operation} {target} with technical: {found}, not {refusal}")
    assert wrong == []
