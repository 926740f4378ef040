"""billing: plans refunding the unused part of a period given up; the order line of a product

Revision ID: 8d4b2f6a1c57
Revises: 5c2e7a1f9d34
Create Date: 2026-12-08 09:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d4b2f6a1c57"
down_revision: str | None = "5c2e7a1f9d34"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "billing_plans",
        sa.Column("refunds_unused_period", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("billing_subscriptions", sa.Column("invoice_line_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_billing_subscriptions_invoice_line_id_billing_invoice_lines"),
        "billing_subscriptions",
        "billing_invoice_lines",
        ["invoice_line_id"],
        ["id"],
    )
    # Transferred domains know their order line; products ordered before this revision do not,
    # so only their renewals count when their unused period is refunded.
    op.execute(
        "UPDATE billing_subscriptions AS s SET invoice_line_id = t.invoice_line_id "
        "FROM billing_domain_transfers AS t WHERE t.product_id = s.product_id"
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_billing_subscriptions_invoice_line_id_billing_invoice_lines"),
        "billing_subscriptions",
        type_="foreignkey",
    )
    op.drop_column("billing_subscriptions", "invoice_line_id")
    op.drop_column("billing_plans", "refunds_unused_period")
