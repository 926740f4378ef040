"""organizations: an index on (created_at, id) for the platform staff's keyset pages

Revision ID: 3f4a1c9d7e21
Revises: 9e17a55e2b01
Create Date: 2026-12-07 13:45:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f4a1c9d7e21"
down_revision: str | None = "9e17a55e2b01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_organizations_created", "organizations", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_organizations_created", table_name="organizations")
