"""Standard Webhooks secrets and signatures (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), with the ``standardwebhooks`` package."""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from app.core.security.encryption import decrypt, encrypt

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix
SECRET_BYTES = 32
_PURPOSE = "webhooks.secret"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def seal(secret: str) -> str:
    return encrypt(secret, purpose=_PURPOSE)


def unseal(sealed: str) -> str:
    return decrypt(sealed, purpose=_PURPOSE)


def headers(
    *, message_id: str, timestamp: datetime, body: str, secrets: Sequence[str]
) -> dict[str, str]:
    """The three headers; one signature per secret (the current one first), space separated."""
    signatures = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
