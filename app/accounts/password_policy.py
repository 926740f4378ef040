"""What makes a password acceptable: 8 to 128 characters, no composition rules, not a common one."""

import gzip
from functools import lru_cache
from pathlib import Path

from app.core.errors import Unprocessable

COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@lru_cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


class WeakPassword(Unprocessable):
    code = "password_too_common"


def check(password: str, *, email: str | None = None) -> None:
    lowered = password.lower()
    if lowered in _common():
        raise WeakPassword("This password is among the most common ones; choose another.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        raise WeakPassword("The password must not be your e-mail address.")
