"""webhooks: subscriptions limited to one ticket office

Revision ID: 5c2e7a1f9d34
Revises: b7d2e4a91c05
Create Date: 2026-12-08 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c2e7a1f9d34"
down_revision: str | None = "b7d2e4a91c05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks_subscriptions", sa.Column("ticket_office_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_webhooks_subscriptions_ticket_office_id_organizations_products"),
        "webhooks_subscriptions",
        "organizations_products",
        ["ticket_office_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        op.f("ix_webhooks_subscriptions_ticket_office_id"),
        "webhooks_subscriptions",
        ["ticket_office_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_webhooks_subscriptions_ticket_office_id"), table_name="webhooks_subscriptions"
    )
    op.drop_constraint(
        op.f("fk_webhooks_subscriptions_ticket_office_id_organizations_products"),
        "webhooks_subscriptions",
        type_="foreignkey",
    )
    op.drop_column("webhooks_subscriptions", "ticket_office_id")
