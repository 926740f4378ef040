"""notifications: mails are stored with their context and rendered by the worker

Revision ID: c3a9d4e7f210
Revises: 8d4b2f6a1c57
Create Date: 2026-12-08 10:00:00+00:00

The mails already queued keep their rendered subject and bodies and are sent as they are. Going
down, the former schema needs a body: the pending mails that hold only a context are rendered (so
that none is lost), the sent and failed ones get an empty one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3a9d4e7f210"
down_revision: str | None = "8d4b2f6a1c57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "notifications_mail_outbox"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("context", postgresql.JSONB(), nullable=True))
    op.alter_column(TABLE, "subject", existing_type=sa.String(500), nullable=True)
    op.alter_column(TABLE, "text_body", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    _render_unrendered()
    op.alter_column(TABLE, "text_body", existing_type=sa.Text(), nullable=False)
    op.alter_column(TABLE, "subject", existing_type=sa.String(500), nullable=False)
    op.drop_column(TABLE, "context")


def _render_unrendered() -> None:
    from app.core.settings import get_settings
    from app.notifications import context
    from app.notifications.rendering import render

    bind = op.get_bind()
    bind.execute(
        sa.text(
            f"UPDATE {TABLE} SET subject = coalesce(subject, ''), "  # noqa: S608 - a constant
            "text_body = coalesce(text_body, '') "
            "WHERE (subject IS NULL OR text_body IS NULL) AND status <> 'pending'"
        )
    )
    pending = bind.execute(
        sa.text(
            f"SELECT id, template, language, context FROM {TABLE} "  # noqa: S608 - a constant
            "WHERE subject IS NULL OR text_body IS NULL"
        )
    ).all()
    update = sa.text(
        f"UPDATE {TABLE} SET subject = :subject, text_body = :text, "  # noqa: S608 - a constant
        "html_body = :html, status = :status, last_error = coalesce(:error, last_error) "
        "WHERE id = :id"
    ).bindparams(sa.bindparam("error", type_=sa.Text()))
    public_url = get_settings().public_url
    for row in pending:
        try:
            mail = render(
                row.template, row.language, context.load(row.context or {}), public_url=public_url
            )
        except Exception as error:  # it could not have been sent either
            values = {"subject": "", "text": "", "html": None, "status": "failed"}
            values["error"] = f"rendering failed: {type(error).__name__}: {error}"
        else:
            values = {"subject": mail.subject, "text": mail.text, "html": mail.html}
            values |= {"status": "pending", "error": None}
        bind.execute(update, {"id": row.id, **values})
