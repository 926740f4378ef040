"""organizations: blocked members, the accounting right, suite seats

Revision ID: b7d2e4a91c05
Revises: 3f8a1c6d2e90
Create Date: 2026-12-07 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e4a91c05"
down_revision: str | None = "3f8a1c6d2e90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organizations_memberships",
        sa.Column("accounting", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "organizations_memberships",
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "organizations_memberships",
        sa.Column("blocked_by_account_id", sa.Uuid(), nullable=True),
    )
    op.create_foreign_key(
        op.f("fk_organizations_memberships_blocked_by_account_id_accounts"),
        "organizations_memberships",
        "accounts",
        ["blocked_by_account_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_table(
        "organizations_product_seats",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_by_account_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["organizations_products.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_by_account_id"], ["accounts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "account_id"),
    )
    op.create_index(
        "ix_organizations_product_seats_member",
        "organizations_product_seats",
        ["organization_id", "account_id"],
    )
    op.create_index(
        "ix_organizations_product_seats_product",
        "organizations_product_seats",
        ["product_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_organizations_product_seats_product", "organizations_product_seats")
    op.drop_index("ix_organizations_product_seats_member", "organizations_product_seats")
    op.drop_table("organizations_product_seats")
    op.drop_constraint(
        op.f("fk_organizations_memberships_blocked_by_account_id_accounts"),
        "organizations_memberships",
        type_="foreignkey",
    )
    op.drop_column("organizations_memberships", "blocked_by_account_id")
    op.drop_column("organizations_memberships", "blocked_at")
    op.drop_column("organizations_memberships", "accounting")
