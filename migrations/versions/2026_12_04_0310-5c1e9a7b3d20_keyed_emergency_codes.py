"""Emergency codes stored keyed: HMAC-SHA256 (key derived from MANAGER_SECRET_KEY) of the
SHA-256 digest stored so far, so every existing code stays usable.

The upgrade needs the server's MANAGER_SECRET_KEY, the one the API runs with (a different key
makes the converted codes unusable; the accounts can then make new ones). A keyed digest
cannot be turned back into the plain one: the downgrade leaves the digests as they are, and
code from before this revision then refuses the emergency codes (TOTP codes keep working;
new emergency codes can be made).

Revision ID: 5c1e9a7b3d20
Revises: 3c1f0a7e9b21
Create Date: 2026-12-04 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.security.tokens import keyed

revision: str = "5c1e9a7b3d20"
down_revision: str | None = "3c1f0a7e9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMERGENCY_CODE_PURPOSE = "emergency-code"  # app.accounts.totp.EMERGENCY_CODE_PURPOSE

_codes = sa.table(
    "accounts_emergency_codes", sa.column("id", sa.Uuid), sa.column("code_digest", sa.String)
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_codes.c.id, _codes.c.code_digest)).all()
    for row in rows:
        bind.execute(
            _codes.update()
            .where(_codes.c.id == row.id)
            .values(code_digest=keyed(row.code_digest, purpose=EMERGENCY_CODE_PURPOSE))
        )


def downgrade() -> None:
    """Irreversible data change (see above): nothing to undo in the schema."""
