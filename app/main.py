"""The application factory."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from app import api_reference, lifecycle, lifecycle_router, ticket_sales_router, webhook_payloads
from app.accounts import auth_router as accounts_auth
from app.accounts import login_policies
from app.accounts import onboarding_router as accounts_onboarding
from app.accounts import passkeys_router as accounts_passkeys
from app.accounts import router as accounts
from app.accounts.deps import PUBLIC
from app.affiliates import router as affiliates
from app.affiliates import staff_router as affiliates_staff
from app.billing import archive_router as billing_archive
from app.billing import catalog_router as billing_catalog
from app.billing import router as billing
from app.billing import staff_router as billing_staff
from app.core import dependency_cache, health, openapi, route_index
from app.core.db import Database
from app.core.errors import install_error_handlers
from app.core.headers import SecurityHeadersMiddleware, install_cors
from app.core.jobs import run_loop
from app.core.logging import configure_logging
from app.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.core.routing import AppRoute
from app.core.settings import Settings, get_settings
from app.core.startup import freeze_startup_objects
from app.organizations import router as organizations
from app.pages import router as pages
from app.partner_services import router as partner_services
from app.sso import router as sso
from app.sso import service as sso_service
from app.sso.dns import DnsPythonResolver
from app.ticketing import checkin_lists_router as ticketing_checkin
from app.ticketing import forms_router as ticketing_forms
from app.ticketing import gift_card_sales_router as ticketing_gift_card_sales
from app.ticketing import gift_cards_router as ticketing_gift_cards
from app.ticketing import passes_router as ticketing_passes
from app.ticketing import pre_event_mails_router as ticketing_pre_event_mails
from app.ticketing import promotions_router as ticketing_promotions
from app.ticketing import resellers_router as ticketing_resellers
from app.ticketing import router as ticketing
from app.ticketing import seat_plans_router as ticketing_seat_plans
from app.ticketing import shop_router as ticketing_shop
from app.ticketing import shops_router as ticketing_shops
from app.webhooks import router as webhooks

API_VERSION = "0.1.0"


def api_router() -> APIRouter:
    """Everything under /v1; each domain's router is included here."""
    router = APIRouter(prefix="/v1", route_class=AppRoute)
    router.include_router(accounts.signup_router)
    router.include_router(lifecycle_router.accounts_router)
    router.include_router(lifecycle_router.organizations_router)
    router.include_router(lifecycle_router.partners_router)
    router.include_router(accounts.router)
    router.include_router(accounts_auth.router)
    router.include_router(accounts_passkeys.account_router)
    router.include_router(accounts_passkeys.auth_router)
    router.include_router(accounts_onboarding.account_router)
    router.include_router(accounts_onboarding.auth_router)
    router.include_router(organizations.router)
    router.include_router(organizations.public_router)
    router.include_router(billing_catalog.catalog_router)
    router.include_router(billing.router)
    router.include_router(billing_staff.staff_router)
    router.include_router(billing_archive.router)
    router.include_router(affiliates.router)
    router.include_router(affiliates.visits_router)
    router.include_router(affiliates_staff.staff_router)
    router.include_router(webhooks.router)
    router.include_router(sso.router)
    router.include_router(sso.auth_router)
    router.include_router(ticketing.router)
    router.include_router(ticketing_shop.router)
    router.include_router(partner_services.router)
    router.include_router(ticket_sales_router.shop_router)
    router.include_router(ticket_sales_router.office_router)
    router.include_router(ticket_sales_router.staff_router)
    router.include_router(ticketing_promotions.router)
    router.include_router(ticketing_passes.router)
    router.include_router(ticketing_passes.shop_router)
    router.include_router(ticketing_pre_event_mails.router)
    router.include_router(ticketing_gift_cards.router)
    router.include_router(ticketing_gift_cards.shop_router)
    router.include_router(ticketing_resellers.router)
    router.include_router(ticketing_gift_card_sales.router)
    router.include_router(ticketing_gift_card_sales.shop_router)
    router.include_router(ticketing_seat_plans.router)
    router.include_router(ticketing_seat_plans.shop_router)
    router.include_router(ticketing_forms.router)
    router.include_router(ticketing_forms.shop_router)
    router.include_router(ticketing_shops.router)
    router.include_router(ticketing_shops.shop_router)
    router.include_router(ticketing_checkin.router)
    router.include_router(ticketing_checkin.device_router)
    return router


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = database is None
        if owned:
            app.state.database = Database.connect(
                await asyncio.to_thread(_database_url, settings),
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_timeout=settings.db_pool_timeout_seconds,
                statement_timeout_ms=settings.db_statement_timeout_ms,
            )
        freeze_startup_objects()
        stop = asyncio.Event()
        jobs = None
        if settings.run_worker_in_process:
            from app.worker import JOBS

            jobs = asyncio.create_task(
                run_loop(
                    JOBS,
                    app.state.database.sessionmaker,
                    poll_seconds=settings.worker_poll_seconds,
                    stop=stop,
                )
            )
        yield
        stop.set()
        if jobs is not None:
            await jobs
        if owned:
            await app.state.database.dispose()

    app = FastAPI(
        title="Manager API",
        version=API_VERSION,
        description=(
            "Accounts, organizations and rights, billing, partners and ticketing for a sovereign "
            "cloud provider's management console. Errors are RFC 9457 problem details "
            "(`application/problem+json`) with a stable `code`."
        ),
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        redirect_slashes=False,  # Starlette would build the redirect from the Host header
        docs_url="/docs" if settings.docs_served else None,
        redoc_url="/redoc" if settings.docs_served else None,
        openapi_url="/openapi.json" if settings.docs_served else None,
    )
    app.state.settings = settings
    lifecycle.connect_domains()
    app.state.dns_resolver = DnsPythonResolver()
    login_policies.refuse_password_login_when("sso", sso_service.password_login_refusal)
    if database is not None:
        app.state.database = database
    app.router.route_class = AppRoute
    dependency_cache.install()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_cors(app, settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.production)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router, dependencies=[PUBLIC])
    if settings.metrics_served:
        app.include_router(health.metrics_router, dependencies=[PUBLIC])
    app.include_router(accounts_auth.keys_router)
    app.include_router(api_router())
    app.include_router(pages.router, dependencies=[PUBLIC])
    openapi.install(app, webhook_payloads.document, api_reference.document)
    route_index.install(app.router)
    return app


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from app.core.embedded import start_embedded_server

    return start_embedded_server(settings.data_dir)
