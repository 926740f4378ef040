"""Outbox leases and notifications: mail and SMS rows get a lease like webhook deliveries, and
every outbox table (and the domain events webhooks fan out) notifies the ``outbox`` channel when
a row is queued, so the worker sends it without waiting for its next poll.

Revision ID: 649fbe00eba8
Revises: b7e1c2d3a4f5
Create Date: 2026-12-04 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "649fbe00eba8"
down_revision: str | None = "b7e1c2d3a4f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEASED = ("notifications_mail_outbox", "notifications_sms_outbox")
NOTIFYING = ("notifications_mail_outbox", "notifications_sms_outbox", "webhooks_deliveries")


def upgrade() -> None:
    for table in LEASED:
        op.add_column(table, sa.Column("lease_token", postgresql.UUID(as_uuid=True), nullable=True))
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in NOTIFYING:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
        )
    # A redelivery puts a finished delivery back to pending.
    op.execute(
        "CREATE TRIGGER webhooks_deliveries_notify_pending AFTER UPDATE OF status "
        "ON webhooks_deliveries FOR EACH ROW "
        "WHEN (NEW.status = 'pending' AND OLD.status <> 'pending') "
        "EXECUTE FUNCTION outbox_notify()"
    )
    op.execute(
        "CREATE TRIGGER events_domain_events_notify AFTER INSERT ON events_domain_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER events_domain_events_notify ON events_domain_events")
    op.execute("DROP TRIGGER webhooks_deliveries_notify_pending ON webhooks_deliveries")
    for table in NOTIFYING:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION outbox_notify()")
    for table in LEASED:
        op.drop_column(table, "lease_token")
