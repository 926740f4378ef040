"""payments: one table of card authorizations (authorized, then captured or voided).

Revision ID: 2a97d8cdf92c
Revises: 649fbe00eba8
Create Date: 2026-12-04 01:05:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2a97d8cdf92c"
down_revision: str | None = "649fbe00eba8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments_authorizations",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('authorized', 'captured', 'voided')",
            name=op.f("ck_payments_authorizations_status_known"),
        ),
        sa.CheckConstraint(
            "amount_minor > 0", name=op.f("ck_payments_authorizations_amount_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_authorizations")),
        sa.UniqueConstraint("key", name=op.f("uq_payments_authorizations_key")),
    )
    op.create_index(
        "ix_payments_authorizations_authorized",
        "payments_authorizations",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'authorized'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_payments_authorizations_authorized",
        table_name="payments_authorizations",
        postgresql_where=sa.text("status = 'authorized'"),
    )
    op.drop_table("payments_authorizations")
