"""ticket invoices: the creditor, date of supply and ticket order of an invoice (all immutable once
issued), the payee of a ticket office, the invoice of a ticket order; the archive grants that keep
a deleted organization's invoices for its former legal representatives.

Revision ID: 5c1d7e9a2b40
Revises: 5c1e2a7d9b30
Create Date: 2026-12-04 03:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1d7e9a2b40"
down_revision: str | None = "5c1e2a7d9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTECTED = (
    "number, {0}.payment_reference, {0}.kind, {0}.currency, {0}.organization_id, "
    "{0}.subtotal_minor, {0}.vat_minor, {0}.total_minor, {0}.cashback_minor, "
    "{0}.vat_country, {0}.billing_address, {0}.issued_at, {0}.due_at"
)
ADDED = (
    ", {0}.creditor, {0}.supplied_at, {0}.ticket_office_id, {0}.ticket_order_id, "
    "{0}.corrects_invoice_id"
)


def _refuse_change(columns: str) -> str:
    new, old = "NEW." + columns.format("NEW"), "OLD." + columns.format("OLD")
    return f"""
CREATE OR REPLACE FUNCTION billing_refuse_issued_invoice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (
        TG_OP = 'DELETE'
        OR ({new}) IS DISTINCT FROM ({old})
    ) THEN
        RAISE EXCEPTION 'issued invoice % cannot change', OLD.number
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$
"""


def upgrade() -> None:
    op.add_column(
        "billing_invoices",
        sa.Column("creditor", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "billing_invoices", sa.Column("supplied_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("billing_invoices", sa.Column("ticket_office_id", sa.Uuid(), nullable=True))
    op.add_column("billing_invoices", sa.Column("ticket_order_id", sa.Uuid(), nullable=True))
    op.create_unique_constraint(
        op.f("uq_billing_invoices_ticket_order_id"), "billing_invoices", ["ticket_order_id"]
    )
    op.create_index(
        "ix_billing_invoices_ticket_office",
        "billing_invoices",
        ["ticket_office_id", "created_at", "id"],
    )
    op.execute(_refuse_change(PROTECTED + ADDED))
    op.add_column(
        "ticketing_offices",
        sa.Column("payee", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "ticketing_orders",
        sa.Column("invoice", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_table(
        "billing_invoice_archive_grants",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_billing_invoice_archive_grants_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_invoice_archive_grants")),
        sa.UniqueConstraint(
            "organization_id",
            "account_id",
            name=op.f("uq_billing_invoice_archive_grants_organization_id_account_id"),
        ),
    )
    op.create_index(
        "ix_billing_invoice_archive_grants_account",
        "billing_invoice_archive_grants",
        ["account_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_billing_invoice_archive_grants_account", table_name="billing_invoice_archive_grants"
    )
    op.drop_table("billing_invoice_archive_grants")
    op.drop_column("ticketing_orders", "invoice")
    op.drop_column("ticketing_offices", "payee")
    op.execute(_refuse_change(PROTECTED))
    op.drop_index("ix_billing_invoices_ticket_office", table_name="billing_invoices")
    op.drop_constraint(
        op.f("uq_billing_invoices_ticket_order_id"), "billing_invoices", type_="unique"
    )
    op.drop_column("billing_invoices", "ticket_order_id")
    op.drop_column("billing_invoices", "ticket_office_id")
    op.drop_column("billing_invoices", "supplied_at")
    op.drop_column("billing_invoices", "creditor")
