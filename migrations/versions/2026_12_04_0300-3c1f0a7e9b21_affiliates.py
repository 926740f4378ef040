"""affiliates: the affiliate programme's tables (affiliates, visitors and visits, referrals,
commissions, payouts, exchange rates, handled billing events); billing plans get the
affiliate_excluded flag (set for domains and Renewal Warranty) and orders the IP they were
placed from.

Revision ID: 3c1f0a7e9b21
Revises: 7c3e2a9f1d43
Create Date: 2026-12-04 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3c1f0a7e9b21"
down_revision: str | None = "7c3e2a9f1d43"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "affiliates_exchange_rates",
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "base <> quote", name=op.f("ck_affiliates_exchange_rates_two_currencies")
        ),
        sa.CheckConstraint("rate > 0", name=op.f("ck_affiliates_exchange_rates_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_exchange_rates")),
        sa.UniqueConstraint(
            "base",
            "quote",
            "valid_from",
            name=op.f("uq_affiliates_exchange_rates_base_quote_valid_from"),
        ),
    )
    op.create_table(
        "affiliates_handled_events",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_affiliates_handled_events")),
    )
    op.create_table(
        "affiliates_visitors",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_visitors")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_affiliates_visitors_token_hash")),
    )
    op.create_table(
        "affiliates",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payout_method", sa.String(length=20), nullable=False),
        sa.Column("paypal_email", sa.String(length=320), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspension_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(payout_method = 'bank_transfer') = (iban IS NOT NULL)",
            name=op.f("ck_affiliates_iban"),
        ),
        sa.CheckConstraint(
            "(payout_method = 'paypal') = (paypal_email IS NOT NULL)",
            name=op.f("ck_affiliates_paypal_address"),
        ),
        sa.CheckConstraint(
            "currency IN ('CHF', 'EUR')", name=op.f("ck_affiliates_currency_supported")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_affiliates_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_affiliates_organization_id")),
        sa.UniqueConstraint("tag", name=op.f("uq_affiliates_tag")),
    )
    op.create_table(
        "affiliates_payouts",
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("paid_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_out_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_affiliates_payouts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliates.id"],
            name=op.f("fk_affiliates_payouts_affiliate_id_affiliates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_payouts")),
        sa.UniqueConstraint(
            "affiliate_id", "month", name=op.f("uq_affiliates_payouts_affiliate_id_month")
        ),
    )
    op.create_index(
        "ix_affiliates_payouts_affiliate",
        "affiliates_payouts",
        ["affiliate_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "affiliates_visits",
        sa.Column("visitor_id", sa.UUID(), nullable=False),
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("ip", postgresql.INET(), nullable=True),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliates.id"],
            name=op.f("fk_affiliates_visits_affiliate_id_affiliates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["affiliates_visitors.id"],
            name=op.f("fk_affiliates_visits_visitor_id_affiliates_visitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_visits")),
    )
    op.create_index(
        "ix_affiliates_visits_visitor",
        "affiliates_visits",
        ["visitor_id", "visited_at"],
        unique=False,
    )
    op.create_table(
        "affiliates_referrals",
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("visit_id", sa.UUID(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("earns_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliates.id"],
            name=op.f("fk_affiliates_referrals_affiliate_id_affiliates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_affiliates_referrals_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["affiliates_visits.id"],
            name=op.f("fk_affiliates_referrals_visit_id_affiliates_visits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_referrals")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("uq_affiliates_referrals_organization_id")
        ),
    )
    op.create_index(
        "ix_affiliates_referrals_affiliate",
        "affiliates_referrals",
        ["affiliate_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "affiliates_commissions",
        sa.Column("affiliate_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=True),
        sa.Column("invoice_id", sa.UUID(), nullable=True),
        sa.Column("order_number", sa.String(length=30), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("exchange_rate", sa.Numeric(precision=18, scale=8), nullable=True),
        sa.Column("converted_minor", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payout_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'order') = (invoice_id IS NOT NULL AND referral_id IS NOT NULL)",
            name=op.f("ck_affiliates_commissions_order_has_invoice"),
        ),
        sa.CheckConstraint(
            "kind = 'order' OR reason IS NOT NULL",
            name=op.f("ck_affiliates_commissions_adjustment_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["affiliate_id"],
            ["affiliates.id"],
            name=op.f("fk_affiliates_commissions_affiliate_id_affiliates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["affiliates_payouts.id"],
            name=op.f("fk_affiliates_commissions_payout_id_affiliates_payouts"),
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["affiliates_referrals.id"],
            name=op.f("fk_affiliates_commissions_referral_id_affiliates_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliates_commissions")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_affiliates_commissions_invoice_id")),
    )
    op.create_index(
        "ix_affiliates_commissions_affiliate",
        "affiliates_commissions",
        ["affiliate_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_affiliates_commissions_due",
        "affiliates_commissions",
        ["state", "hold_until"],
        unique=False,
    )
    op.add_column("billing_orders", sa.Column("placed_from_ip", postgresql.INET(), nullable=True))
    op.add_column(
        "billing_plans",
        sa.Column(
            "affiliate_excluded", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.execute(
        "UPDATE billing_plans SET affiliate_excluded = true "
        "WHERE product_type = 'domain' OR code = 'renewal_warranty'"
    )


def downgrade() -> None:
    op.drop_column("billing_plans", "affiliate_excluded")
    op.drop_column("billing_orders", "placed_from_ip")
    op.drop_index("ix_affiliates_commissions_due", table_name="affiliates_commissions")
    op.drop_index("ix_affiliates_commissions_affiliate", table_name="affiliates_commissions")
    op.drop_table("affiliates_commissions")
    op.drop_index("ix_affiliates_referrals_affiliate", table_name="affiliates_referrals")
    op.drop_table("affiliates_referrals")
    op.drop_index("ix_affiliates_visits_visitor", table_name="affiliates_visits")
    op.drop_table("affiliates_visits")
    op.drop_index("ix_affiliates_payouts_affiliate", table_name="affiliates_payouts")
    op.drop_table("affiliates_payouts")
    op.drop_table("affiliates")
    op.drop_table("affiliates_visitors")
    op.drop_table("affiliates_handled_events")
    op.drop_table("affiliates_exchange_rates")
