"""ticketing sales tools: promotions and their codes, gift cards and their entries, seat plans,
customer-form questions, online shops, check-in lists with their devices and presences; on orders
the discount, promotion, gift-card part and form answers, on tickets the discount and seat label.

Revision ID: 5a1e5700c0de
Revises: 5c1e9a7b3d20
Create Date: 2026-12-04 03:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5a1e5700c0de"
down_revision: str | None = "5c1e9a7b3d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticketing_gift_cards",
        sa.Column("ticket_office_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("initial_minor", sa.Integer(), nullable=False),
        sa.Column("balance_minor", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "balance_minor >= 0", name=op.f("ck_ticketing_gift_cards_balance_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_office_id"],
            ["ticketing_offices.id"],
            name=op.f("fk_ticketing_gift_cards_ticket_office_id_ticketing_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_gift_cards")),
        sa.UniqueConstraint("code", name=op.f("uq_ticketing_gift_cards_code")),
    )
    op.create_index(
        "ix_ticketing_gift_cards_office",
        "ticketing_gift_cards",
        ["ticket_office_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "ticketing_promotions",
        sa.Column("ticket_office_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("performance_id", sa.UUID(), nullable=True),
        sa.Column("price_category_id", sa.UUID(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ticketing_promotions_amount_positive")),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses",
            name=op.f("ck_ticketing_promotions_within_max_uses"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["ticketing_events.id"],
            name=op.f("fk_ticketing_promotions_event_id_ticketing_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["performance_id"],
            ["ticketing_performances.id"],
            name=op.f("fk_ticketing_promotions_performance_id_ticketing_performances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_category_id"],
            ["ticketing_price_categories.id"],
            name=op.f("fk_ticketing_promotions_price_category_id_ticketing_price_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_office_id"],
            ["ticketing_offices.id"],
            name=op.f("fk_ticketing_promotions_ticket_office_id_ticketing_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_promotions")),
    )
    op.create_index(
        "ix_ticketing_promotions_office",
        "ticketing_promotions",
        ["ticket_office_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "ticketing_promotion_codes",
        sa.Column("promotion_id", sa.UUID(), nullable=False),
        sa.Column("ticket_office_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses",
            name=op.f("ck_ticketing_promotion_codes_within_max_uses"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["ticketing_promotions.id"],
            name=op.f("fk_ticketing_promotion_codes_promotion_id_ticketing_promotions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_office_id"],
            ["ticketing_offices.id"],
            name=op.f("fk_ticketing_promotion_codes_ticket_office_id_ticketing_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_promotion_codes")),
        sa.UniqueConstraint(
            "ticket_office_id",
            "code",
            name=op.f("uq_ticketing_promotion_codes_ticket_office_id_code"),
        ),
    )
    op.create_index(
        op.f("ix_ticketing_promotion_codes_promotion_id"),
        "ticketing_promotion_codes",
        ["promotion_id"],
        unique=False,
    )
    op.create_table(
        "ticketing_gift_card_entries",
        sa.Column("gift_card_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("balance_after_minor", sa.Integer(), nullable=False),
        sa.Column("by_account_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gift_card_id"],
            ["ticketing_gift_cards.id"],
            name=op.f("fk_ticketing_gift_card_entries_gift_card_id_ticketing_gift_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["ticketing_orders.id"],
            name=op.f("fk_ticketing_gift_card_entries_order_id_ticketing_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_gift_card_entries")),
    )
    op.create_index(
        op.f("ix_ticketing_gift_card_entries_gift_card_id"),
        "ticketing_gift_card_entries",
        ["gift_card_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ticketing_gift_card_entries_order_id"),
        "ticketing_gift_card_entries",
        ["order_id"],
        unique=False,
    )
    op.create_table(
        "ticketing_seats",
        sa.Column("performance_id", sa.UUID(), nullable=False),
        sa.Column("price_category_id", sa.UUID(), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=False),
        sa.Column("row", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["performance_id"],
            ["ticketing_performances.id"],
            name=op.f("fk_ticketing_seats_performance_id_ticketing_performances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_category_id"],
            ["ticketing_price_categories.id"],
            name=op.f("fk_ticketing_seats_price_category_id_ticketing_price_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing_tickets.id"],
            name=op.f("fk_ticketing_seats_ticket_id_ticketing_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_seats")),
        sa.UniqueConstraint(
            "performance_id",
            "section",
            "row",
            "number",
            name=op.f("uq_ticketing_seats_performance_id_section_row_number"),
        ),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticketing_seats_ticket_id")),
    )
    op.create_index(
        "ix_ticketing_seats_free",
        "ticketing_seats",
        ["performance_id", "price_category_id", "rank"],
        unique=False,
    )
    op.add_column(
        "ticketing_orders",
        sa.Column("discount_minor", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("ticketing_orders", sa.Column("promotion_id", sa.UUID(), nullable=True))
    op.add_column(
        "ticketing_orders", sa.Column("promotion_code", sa.String(length=40), nullable=True)
    )
    op.add_column(
        "ticketing_orders",
        sa.Column("gift_card_minor", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_foreign_key(
        op.f("fk_ticketing_orders_promotion_id_ticketing_promotions"),
        "ticketing_orders",
        "ticketing_promotions",
        ["promotion_id"],
        ["id"],
    )
    op.add_column(
        "ticketing_tickets",
        sa.Column("discount_minor", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "ticketing_tickets", sa.Column("seat_label", sa.String(length=200), nullable=True)
    )

    op.create_table(
        "ticketing_questions",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("per_ticket", sa.Boolean(), nullable=False),
        sa.Column("choices", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["ticketing_events.id"],
            name=op.f("fk_ticketing_questions_event_id_ticketing_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_questions")),
    )
    op.create_index(
        op.f("ix_ticketing_questions_event_id"), "ticketing_questions", ["event_id"], unique=False
    )
    op.add_column(
        "ticketing_orders",
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )

    op.create_table(
        "ticketing_shops",
        sa.Column("ticket_office_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("event_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("payment_methods", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("invoice_until_days_before", sa.Integer(), nullable=True),
        sa.Column("look", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "invoice_until_days_before IS NULL OR invoice_until_days_before >= 0",
            name=op.f("ck_ticketing_shops_invoice_days"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_office_id"],
            ["ticketing_offices.id"],
            name=op.f("fk_ticketing_shops_ticket_office_id_ticketing_offices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_shops")),
    )
    op.create_index(
        "ix_ticketing_shops_office",
        "ticketing_shops",
        ["ticket_office_id", "created_at", "id"],
        unique=False,
    )

    op.create_table(
        "ticketing_checkin_lists",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_category_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["ticketing_events.id"],
            name=op.f("fk_ticketing_checkin_lists_event_id_ticketing_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_checkin_lists")),
    )
    op.create_index(
        op.f("ix_ticketing_checkin_lists_event_id"),
        "ticketing_checkin_lists",
        ["event_id"],
        unique=False,
    )
    op.create_table(
        "ticketing_checkin_devices",
        sa.Column("checkin_list_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_list_id"],
            ["ticketing_checkin_lists.id"],
            name=op.f("fk_ticketing_checkin_devices_checkin_list_id_ticketing_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticketing_checkin_devices")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_ticketing_checkin_devices_token_digest")),
    )
    op.create_index(
        op.f("ix_ticketing_checkin_devices_checkin_list_id"),
        "ticketing_checkin_devices",
        ["checkin_list_id"],
        unique=False,
    )
    op.create_table(
        "ticketing_checkin_presences",
        sa.Column("checkin_list_id", sa.UUID(), nullable=False),
        sa.Column("ticket_id", sa.UUID(), nullable=False),
        sa.Column("performance_id", sa.UUID(), nullable=False),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_list_id"],
            ["ticketing_checkin_lists.id"],
            name=op.f("fk_ticketing_checkin_presences_checkin_list_id_ticketing_checkin_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["performance_id"],
            ["ticketing_performances.id"],
            name=op.f("fk_ticketing_checkin_presences_performance_id_ticketing_performances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticketing_tickets.id"],
            name=op.f("fk_ticketing_checkin_presences_ticket_id_ticketing_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "checkin_list_id",
            "ticket_id",
            "performance_id",
            name=op.f("pk_ticketing_checkin_presences"),
        ),
    )
    op.create_index(
        "ix_ticketing_checkin_presences_count",
        "ticketing_checkin_presences",
        ["checkin_list_id", "performance_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_ticketing_checkin_presences_count", table_name="ticketing_checkin_presences")
    op.drop_table("ticketing_checkin_presences")
    op.drop_index(
        op.f("ix_ticketing_checkin_devices_checkin_list_id"), table_name="ticketing_checkin_devices"
    )
    op.drop_table("ticketing_checkin_devices")
    op.drop_index(op.f("ix_ticketing_checkin_lists_event_id"), table_name="ticketing_checkin_lists")
    op.drop_table("ticketing_checkin_lists")
    op.drop_index("ix_ticketing_shops_office", table_name="ticketing_shops")
    op.drop_table("ticketing_shops")
    op.drop_column("ticketing_orders", "answers")
    op.drop_index(op.f("ix_ticketing_questions_event_id"), table_name="ticketing_questions")
    op.drop_table("ticketing_questions")
    op.drop_column("ticketing_tickets", "seat_label")
    op.drop_column("ticketing_tickets", "discount_minor")
    op.drop_constraint(
        op.f("fk_ticketing_orders_promotion_id_ticketing_promotions"),
        "ticketing_orders",
        type_="foreignkey",
    )
    op.drop_column("ticketing_orders", "gift_card_minor")
    op.drop_column("ticketing_orders", "promotion_code")
    op.drop_column("ticketing_orders", "promotion_id")
    op.drop_column("ticketing_orders", "discount_minor")
    op.drop_index("ix_ticketing_seats_free", table_name="ticketing_seats")
    op.drop_table("ticketing_seats")
    op.drop_index(
        op.f("ix_ticketing_gift_card_entries_order_id"), table_name="ticketing_gift_card_entries"
    )
    op.drop_index(
        op.f("ix_ticketing_gift_card_entries_gift_card_id"),
        table_name="ticketing_gift_card_entries",
    )
    op.drop_table("ticketing_gift_card_entries")
    op.drop_index(
        op.f("ix_ticketing_promotion_codes_promotion_id"), table_name="ticketing_promotion_codes"
    )
    op.drop_table("ticketing_promotion_codes")
    op.drop_index("ix_ticketing_promotions_office", table_name="ticketing_promotions")
    op.drop_table("ticketing_promotions")
    op.drop_index("ix_ticketing_gift_cards_office", table_name="ticketing_gift_cards")
    op.drop_table("ticketing_gift_cards")
