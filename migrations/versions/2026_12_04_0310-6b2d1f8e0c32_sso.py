"""sso: organizations' OpenID Connect providers, their proven e-mail domains, pending logins.

Revision ID: 6b2d1f8e0c32
Revises: 5a1c0e7d9b21
Create Date: 2026-12-04 03:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b2d1f8e0c32"
down_revision: str | None = "5a1c0e7d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sso_connections",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_encrypted", sa.String(length=1000), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("jit_enabled", sa.Boolean(), nullable=False),
        sa.Column("jit_role", sa.String(length=30), nullable=False),
        sa.Column("require_sso", sa.Boolean(), nullable=False),
        sa.Column("break_glass_account_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["break_glass_account_id"],
            ["accounts.id"],
            name=op.f("fk_sso_connections_break_glass_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sso_connections_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_connections")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_sso_connections_organization_id")),
    )
    op.create_table(
        "sso_domains",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("proof", sa.String(length=10), nullable=False),
        sa.Column("dns_value", sa.String(length=100), nullable=False),
        sa.Column("mailbox", sa.String(length=320), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sso_domains_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_domains")),
        sa.UniqueConstraint(
            "organization_id", "domain", name=op.f("uq_sso_domains_organization_id_domain")
        ),
    )
    op.create_index(
        "ix_sso_domains_organization",
        "sso_domains",
        ["organization_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_sso_domains_verified",
        "sso_domains",
        ["domain"],
        unique=True,
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    )
    op.create_table(
        "sso_logins",
        sa.Column("connection_id", sa.UUID(), nullable=False),
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier_encrypted", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["sso_connections.id"],
            name=op.f("fk_sso_logins_connection_id_sso_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_logins")),
        sa.UniqueConstraint("state_digest", name=op.f("uq_sso_logins_state_digest")),
    )
    op.create_index(
        op.f("ix_sso_logins_connection_id"), "sso_logins", ["connection_id"], unique=False
    )
    op.create_index(op.f("ix_sso_logins_expires_at"), "sso_logins", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sso_logins_expires_at"), table_name="sso_logins")
    op.drop_index(op.f("ix_sso_logins_connection_id"), table_name="sso_logins")
    op.drop_table("sso_logins")
    op.drop_index(
        "uq_sso_domains_verified",
        table_name="sso_domains",
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    )
    op.drop_index("ix_sso_domains_organization", table_name="sso_domains")
    op.drop_table("sso_domains")
    op.drop_table("sso_connections")
