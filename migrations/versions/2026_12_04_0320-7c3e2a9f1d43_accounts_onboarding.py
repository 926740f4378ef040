"""accounts onboarding: phone confirmation, accepted terms, and what an account a partner opened
must do before and at its first use (activation, password change, 2FA enrolment).

Revision ID: 7c3e2a9f1d43
Revises: 6b2d1f8e0c32
Create Date: 2026-12-04 03:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c3e2a9f1d43"
down_revision: str | None = "6b2d1f8e0c32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "accounts", sa.Column("phone_confirmed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("accounts", sa.Column("terms_version", sa.String(length=20), nullable=True))
    op.add_column(
        "accounts", sa.Column("terms_accepted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "accounts",
        sa.Column(
            "activation_required", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "accounts",
        sa.Column(
            "password_change_required",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.add_column(
        "accounts",
        sa.Column(
            "two_factor_enrollment_required",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("accounts", "two_factor_enrollment_required")
    op.drop_column("accounts", "password_change_required")
    op.drop_column("accounts", "activation_required")
    op.drop_column("accounts", "terms_accepted_at")
    op.drop_column("accounts", "terms_version")
    op.drop_column("accounts", "phone_confirmed_at")
