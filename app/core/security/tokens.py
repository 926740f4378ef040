"""Opaque random tokens: shown once to their holder, stored only as a SHA-256 digest.

A secret short enough to be guessed from a leaked database (an emergency code) is stored as a
keyed digest instead: HMAC-SHA256, keyed from the server secret, of its SHA-256 digest (so
digests stored before the key can be converted in place, ``keyed``).
"""

import hashlib
import hmac
import secrets

from app.core.security.encryption import derived_key


def new_token(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """Lookup digest of a high-entropy token (no salt needed: tokens are not guessable)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def keyed(plain_digest: str, *, purpose: str) -> str:
    """The keyed digest of a value whose SHA-256 ``digest`` is ``plain_digest``."""
    key = derived_key(f"digest:{purpose}")
    return hmac.new(key, plain_digest.encode(), hashlib.sha256).hexdigest()


def keyed_digest(value: str, *, purpose: str) -> str:
    """Lookup digest of a guessable secret: without the server secret it cannot be tested."""
    return keyed(digest(value), purpose=purpose)
