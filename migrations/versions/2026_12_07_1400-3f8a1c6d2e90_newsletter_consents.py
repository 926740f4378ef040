"""newsletter consents: one row per account and topic with the consent's time and wording (kept
when withdrawn), and the unsubscribe URL of newsletter-type mails in the outbox.

Topics chosen before consents were recorded become subscriptions consented at the account's
last update, with an empty wording (not known).

Revision ID: 3f8a1c6d2e90
Revises: a17c0de5e0f1
Create Date: 2026-12-07 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f8a1c6d2e90"
down_revision: str | None = "a17c0de5e0f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts_newsletter_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_wording", sa.Text(), nullable=False),
        sa.Column("consent_language", sa.String(length=2), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_accounts_newsletter_subscriptions_active",
        "accounts_newsletter_subscriptions",
        ["account_id", "topic"],
        unique=True,
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.create_index(
        "ix_accounts_newsletter_subscriptions_topic",
        "accounts_newsletter_subscriptions",
        ["topic", "consented_at", "id"],
    )
    op.execute(
        """
        INSERT INTO accounts_newsletter_subscriptions
            (id, account_id, topic, consented_at, consent_wording, consent_language)
        SELECT gen_random_uuid(), accounts.id, topic, accounts.updated_at, '',
               accounts.language
        FROM accounts, unnest(accounts.newsletter_topics) AS topic
        WHERE accounts.deleted_at IS NULL
        GROUP BY accounts.id, topic
        """
    )
    op.add_column(
        "notifications_mail_outbox",
        sa.Column("unsubscribe_url", sa.String(length=2000), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("notifications_mail_outbox", "unsubscribe_url")
    op.drop_index(
        "ix_accounts_newsletter_subscriptions_topic",
        table_name="accounts_newsletter_subscriptions",
    )
    op.drop_index(
        "uq_accounts_newsletter_subscriptions_active",
        table_name="accounts_newsletter_subscriptions",
        postgresql_where=sa.text("withdrawn_at IS NULL"),
    )
    op.drop_table("accounts_newsletter_subscriptions")
