"""Partner services: rate cards, contracts, support requests and their steps, interventions,
quotes, partner invoices with their lines and reminders, counters.

Revision ID: 5c1e2a7d9b30
Revises: 2a97d8cdf92c
Create Date: 2026-12-04 02:46:21.238584+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1e2a7d9b30"
down_revision: str | None = "2a97d8cdf92c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_services_counters",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_partner_services_counters")),
    )
    op.create_table(
        "partner_services_contracts",
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("client_organization_id", sa.UUID(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("monthly_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("included_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_partner_services_contracts_ends_after_start")
        ),
        sa.CheckConstraint(
            "monthly_minor >= 0", name=op.f("ck_partner_services_contracts_monthly_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["client_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_contracts_client_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_partner_services_contracts_created_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_contracts_partner_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_contracts")),
    )
    op.create_index(
        "ix_partner_services_contracts_client",
        "partner_services_contracts",
        ["client_organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "partner_services_invoices",
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("client_organization_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("payment_reference", sa.String(length=40), nullable=False),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_invoices_client_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_invoices_partner_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_invoices")),
        sa.UniqueConstraint(
            "partner_organization_id",
            "number",
            name=op.f("uq_partner_services_invoices_partner_organization_id_number"),
        ),
        sa.UniqueConstraint(
            "payment_reference", name=op.f("uq_partner_services_invoices_payment_reference")
        ),
    )
    op.create_index(
        "ix_partner_services_invoices_client",
        "partner_services_invoices",
        ["client_organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_partner_services_invoices_open",
        "partner_services_invoices",
        ["due_at"],
        unique=False,
        postgresql_where="status = 'issued'",
    )
    op.create_table(
        "partner_services_rate_cards",
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("contract_hourly_minor", sa.BigInteger(), nullable=False),
        sa.Column("contract_remote_day_minor", sa.BigInteger(), nullable=False),
        sa.Column("contract_on_site_day_minor", sa.BigInteger(), nullable=False),
        sa.Column("hourly_minor", sa.BigInteger(), nullable=False),
        sa.Column("remote_day_minor", sa.BigInteger(), nullable=False),
        sa.Column("on_site_day_minor", sa.BigInteger(), nullable=False),
        sa.Column("per_km_minor", sa.BigInteger(), nullable=False),
        sa.Column("contract_threshold_minor", sa.BigInteger(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("invoice_prefix", sa.String(length=12), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_rate_cards_partner_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "partner_organization_id", name=op.f("pk_partner_services_rate_cards")
        ),
    )
    op.create_table(
        "partner_services_requests",
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("client_organization_id", sa.UUID(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=5000), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("opened_by", sa.UUID(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_requests_client_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"],
            ["accounts.id"],
            name=op.f("fk_partner_services_requests_opened_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_requests_partner_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_requests")),
    )
    op.create_index(
        "ix_partner_services_requests_client",
        "partner_services_requests",
        ["client_organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "partner_services_quotes",
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("client_organization_id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.Column("invoice_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["accounts.id"],
            name=op.f("fk_partner_services_quotes_accepted_by_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["client_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_quotes_client_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["partner_services_invoices.id"],
            name=op.f("fk_partner_services_quotes_invoice_id_partner_services_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_quotes_partner_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["partner_services_requests.id"],
            name=op.f("fk_partner_services_quotes_request_id_partner_services_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_quotes")),
    )
    op.create_index(
        "ix_partner_services_quotes_client",
        "partner_services_quotes",
        ["client_organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "partner_services_reminders",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("interest_minor", sa.BigInteger(), nullable=False),
        sa.Column("indemnity_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_due_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["partner_services_invoices.id"],
            name=op.f("fk_partner_services_reminders_invoice_id_partner_services_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_reminders")),
    )
    op.create_index(
        "ix_partner_services_reminders_invoice",
        "partner_services_reminders",
        ["invoice_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "partner_services_request_steps",
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("message", sa.String(length=5000), nullable=True),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("time_spent_minutes", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_partner_services_request_steps_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["partner_services_requests.id"],
            name=op.f("fk_partner_services_request_steps_request_id_partner_services_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_request_steps")),
        sa.UniqueConstraint(
            "request_id",
            "position",
            name=op.f("uq_partner_services_request_steps_request_id_position"),
        ),
    )
    op.create_table(
        "partner_services_interventions",
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("partner_organization_id", sa.UUID(), nullable=False),
        sa.Column("client_organization_id", sa.UUID(), nullable=False),
        sa.Column("staff_account_id", sa.UUID(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=True),
        sa.Column("distance_km", sa.Integer(), nullable=False),
        sa.Column("travel_minutes", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "distance_km >= 0 AND travel_minutes >= 0",
            name=op.f("ck_partner_services_interventions_travel_not_negative"),
        ),
        sa.CheckConstraint(
            "ended_at > started_at", name=op.f("ck_partner_services_interventions_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["client_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_interventions_client_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["partner_services_invoices.id"],
            name=op.f("fk_partner_services_interventions_invoice_id_partner_services_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_services_interventions_partner_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["partner_services_quotes.id"],
            name=op.f("fk_partner_services_interventions_quote_id_partner_services_quotes"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["partner_services_requests.id"],
            name=op.f("fk_partner_services_interventions_request_id_partner_services_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["accounts.id"],
            name=op.f("fk_partner_services_interventions_staff_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_interventions")),
    )
    op.create_index(
        "ix_partner_services_interventions_request",
        "partner_services_interventions",
        ["request_id", "started_at"],
        unique=False,
    )
    op.create_index(
        "ix_partner_services_interventions_uninvoiced",
        "partner_services_interventions",
        ["client_organization_id"],
        unique=False,
        postgresql_where="invoice_id IS NULL",
    )
    op.create_table(
        "partner_services_invoice_lines",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("worked_on", sa.Date(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("included_minutes", sa.Integer(), nullable=False),
        sa.Column("rate_minor", sa.BigInteger(), nullable=False),
        sa.Column("base_minor", sa.BigInteger(), nullable=False),
        sa.Column("surcharge_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("intervention_id", sa.UUID(), nullable=True),
        sa.Column("contract_id", sa.UUID(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["partner_services_contracts.id"],
            name=op.f("fk_partner_services_invoice_lines_contract_id_partner_services_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["partner_services_interventions.id"],
            name=op.f(
                "fk_partner_services_invoice_lines_intervention_id_partner_services_interventions"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["partner_services_invoices.id"],
            name=op.f("fk_partner_services_invoice_lines_invoice_id_partner_services_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_services_invoice_lines")),
    )
    op.create_index(
        "ix_partner_services_invoice_lines_invoice",
        "partner_services_invoice_lines",
        ["invoice_id", "position"],
        unique=False,
    )
    op.create_index(
        "uq_partner_services_invoice_lines_contract_month",
        "partner_services_invoice_lines",
        ["contract_id", "period_start"],
        unique=True,
        postgresql_where="kind = 'contract_month'",
    )


def downgrade() -> None:
    op.drop_index(
        "uq_partner_services_invoice_lines_contract_month",
        table_name="partner_services_invoice_lines",
        postgresql_where="kind = 'contract_month'",
    )
    op.drop_index(
        "ix_partner_services_invoice_lines_invoice", table_name="partner_services_invoice_lines"
    )
    op.drop_table("partner_services_invoice_lines")
    op.drop_index(
        "ix_partner_services_interventions_uninvoiced",
        table_name="partner_services_interventions",
        postgresql_where="invoice_id IS NULL",
    )
    op.drop_index(
        "ix_partner_services_interventions_request", table_name="partner_services_interventions"
    )
    op.drop_table("partner_services_interventions")
    op.drop_table("partner_services_request_steps")
    op.drop_index("ix_partner_services_reminders_invoice", table_name="partner_services_reminders")
    op.drop_table("partner_services_reminders")
    op.drop_index("ix_partner_services_quotes_client", table_name="partner_services_quotes")
    op.drop_table("partner_services_quotes")
    op.drop_index("ix_partner_services_requests_client", table_name="partner_services_requests")
    op.drop_table("partner_services_requests")
    op.drop_table("partner_services_rate_cards")
    op.drop_index(
        "ix_partner_services_invoices_open",
        table_name="partner_services_invoices",
        postgresql_where="status = 'issued'",
    )
    op.drop_index("ix_partner_services_invoices_client", table_name="partner_services_invoices")
    op.drop_table("partner_services_invoices")
    op.drop_index("ix_partner_services_contracts_client", table_name="partner_services_contracts")
    op.drop_table("partner_services_contracts")
    op.drop_table("partner_services_counters")
