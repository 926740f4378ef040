"""The starting catalog (``manager seed-catalog``): plans, prices (excl. VAT) and VAT rates.

Idempotent: plans and rates that exist are left as staff edited them. The web hosting prices give
the domain's figures: 35 hostings at CHF 9.92 / EUR 5.75 a month are CHF 347.20 / EUR 201.25.
Domains and Renewal Warranty are flagged ``affiliate_excluded`` (they earn affiliates nothing).
Premium support is a product like the others: while it runs, its organization has a VIP code.
No seeded plan refunds the unused part of a period given up (``refunds_unused_period``): staff
choose the plans that do.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import Plan, PlanKind, PlanPrice, VatRate, VolumeTier

HOSTING_TIERS = ((5, 1000), (15, 1500), (25, 2000), (35, 2500))


@dataclass(frozen=True)
class SeedPlan:
    code: str
    product_type: str | None
    name: str
    prices: dict[str, dict[str, int]]
    """currency → period → amount (minor units)."""
    kind: PlanKind = PlanKind.product
    rank: int = 0
    users: int | None = None
    storage_gb: int | None = None
    redemption_days: int | None = None
    tiers: tuple[tuple[int, int], ...] = field(default_factory=tuple)
    affiliate_excluded: bool = False
    refunds_unused_period: bool = False


def _recurring(
    chf_month: int, eur_month: int, chf_year: int, eur_year: int
) -> dict[str, dict[str, int]]:
    return {
        "CHF": {"monthly": chf_month, "quarterly": 3 * chf_month, "yearly": chf_year},
        "EUR": {"monthly": eur_month, "quarterly": 3 * eur_month, "yearly": eur_year},
    }


def _domain(
    chf_year: int, eur_year: int, chf_restore: int, eur_restore: int
) -> dict[str, dict[str, int]]:
    return {
        "CHF": {"yearly": chf_year, "restore": chf_restore},
        "EUR": {"yearly": eur_year, "restore": eur_restore},
    }


PLANS = (
    SeedPlan(
        "web_hosting.starter",
        "web_hosting",
        "Web hosting",
        _recurring(992, 575, 10900, 6300),
        tiers=HOSTING_TIERS,
    ),
    SeedPlan(
        "mail_service.standard",
        "mail_service",
        "Mail service",
        _recurring(300, 280, 3000, 2800),
        tiers=HOSTING_TIERS,
    ),
    SeedPlan(
        "suite.standard",
        "suite",
        "Suite Standard (5 users, 1 TB)",
        _recurring(1500, 1400, 15000, 14000),
        rank=1,
        users=5,
        storage_gb=1000,
    ),
    SeedPlan(
        "suite.business",
        "suite",
        "Suite Business (20 users, 5 TB)",
        _recurring(5500, 5100, 55000, 51000),
        rank=2,
        users=20,
        storage_gb=5000,
    ),
    SeedPlan(
        "suite.enterprise",
        "suite",
        "Suite Enterprise (100 users, 20 TB)",
        _recurring(19900, 18500, 199000, 185000),
        rank=3,
        users=100,
        storage_gb=20000,
    ),
    SeedPlan(
        "drive.solo",
        "drive",
        "Drive Solo (2 TB)",
        _recurring(500, 460, 5000, 4600),
        rank=1,
        users=1,
        storage_gb=2000,
    ),
    SeedPlan(
        "drive.team",
        "drive",
        "Drive Team (6 users, 3 TB)",
        _recurring(1100, 1000, 11000, 10000),
        rank=2,
        users=6,
        storage_gb=3000,
    ),
    SeedPlan(
        "cloud_server.small", "cloud_server", "Cloud server S", _recurring(3500, 3200, 35000, 32000)
    ),
    SeedPlan("streaming.basic", "streaming", "Streaming", _recurring(1500, 1400, 15000, 14000)),
    SeedPlan(
        "domain.ch",
        "domain",
        "Domain .ch",
        _domain(1100, 1000, 9000, 8500),
        redemption_days=40,
        affiliate_excluded=True,
    ),
    SeedPlan(
        "domain.com",
        "domain",
        "Domain .com",
        _domain(1600, 1450, 9900, 9200),
        redemption_days=30,
        affiliate_excluded=True,
    ),
    SeedPlan(
        "domain.fr",
        "domain",
        "Domain .fr",
        _domain(1200, 1100, 8000, 7500),
        redemption_days=30,
        affiliate_excluded=True,
    ),
    SeedPlan(
        "premium_support.standard",
        "premium_support",
        "Premium support (24/7, VIP code)",
        _recurring(4900, 4500, 49000, 45000),
    ),
    SeedPlan(
        "renewal_warranty",
        None,
        "Renewal Warranty",
        _recurring(100, 90, 1000, 900),
        kind=PlanKind.option,
        affiliate_excluded=True,
    ),
)

VAT_RATES = {
    "CH": 810, "LI": 810, "FR": 2000, "DE": 1900, "IT": 2200, "AT": 2000, "BE": 2100,
    "NL": 2100, "LU": 1700, "ES": 2100, "PT": 2300, "IE": 2300, "DK": 2500, "SE": 2500,
    "FI": 2550, "PL": 2300, "CZ": 2100, "GR": 2400, "HU": 2700, "SI": 2200, "SK": 2300,
}  # fmt: skip


async def seed_catalog(session: AsyncSession) -> int:
    """Adds what is missing; returns how many plans were added."""
    existing = set(await session.scalars(select(Plan.code)))
    added = 0
    for seed in PLANS:
        if seed.code in existing:
            continue
        plan = Plan(
            code=seed.code,
            kind=seed.kind,
            product_type=seed.product_type,
            name=seed.name,
            rank=seed.rank,
            users=seed.users,
            storage_gb=seed.storage_gb,
            redemption_days=seed.redemption_days,
            active=True,
            affiliate_excluded=seed.affiliate_excluded,
            refunds_unused_period=seed.refunds_unused_period,
        )
        session.add(plan)
        for currency, periods in seed.prices.items():
            for period, amount in periods.items():
                session.add(
                    PlanPrice(
                        plan_id=plan.id,
                        currency=currency,
                        period=period,
                        amount_minor=amount,
                    )
                )
        for min_quantity, discount_bp in seed.tiers:
            session.add(
                VolumeTier(
                    plan_id=plan.id,
                    min_quantity=min_quantity,
                    discount_bp=discount_bp,
                )
            )
        added += 1
    countries = set(await session.scalars(select(VatRate.country)))
    for country, rate_bp in VAT_RATES.items():
        if country not in countries:
            session.add(
                VatRate(
                    country=country,
                    rate_bp=rate_bp,
                )
            )
    await session.flush()
    return added
