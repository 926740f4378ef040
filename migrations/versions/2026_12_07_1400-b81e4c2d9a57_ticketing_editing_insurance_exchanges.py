"""ticketing: the insurer's policy reference of insured orders, who refunds a cancellation, how an
exchange's price difference was settled

Revision ID: b81e4c2d9a57
Revises: 3f8a1c5d7e20
Create Date: 2026-12-07 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b81e4c2d9a57"
down_revision: str | None = "3f8a1c5d7e20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ticketing_orders",
        sa.Column("insurance_policy_reference", sa.String(length=40), nullable=True),
    )
    op.create_unique_constraint(
        "uq_ticketing_orders_insurance_policy_reference",
        "ticketing_orders",
        ["insurance_policy_reference"],
    )
    op.add_column(
        "ticketing_cancellations",
        sa.Column(
            "refund_by", sa.String(length=20), server_default=sa.text("'organizer'"), nullable=False
        ),
    )
    op.add_column(
        "ticketing_cancellations",
        sa.Column("insurance_policy_reference", sa.String(length=40), nullable=True),
    )
    op.add_column(
        "ticketing_exchanges",
        sa.Column(
            "settlement", sa.String(length=20), server_default=sa.text("'none'"), nullable=False
        ),
    )
    op.add_column(
        "ticketing_exchanges",
        sa.Column("charged_minor", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "ticketing_exchanges",
        sa.Column("credit_owed_minor", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "ticketing_exchanges",
        sa.Column("payment_reference", sa.String(length=100), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("ticketing_exchanges", "payment_reference")
    op.drop_column("ticketing_exchanges", "credit_owed_minor")
    op.drop_column("ticketing_exchanges", "charged_minor")
    op.drop_column("ticketing_exchanges", "settlement")
    op.drop_column("ticketing_cancellations", "insurance_policy_reference")
    op.drop_column("ticketing_cancellations", "refund_by")
    op.drop_constraint(
        "uq_ticketing_orders_insurance_policy_reference", "ticketing_orders", type_="unique"
    )
    op.drop_column("ticketing_orders", "insurance_policy_reference")
