"""Encryption at rest (AES-256-GCM) with a key derived from the server secret per purpose;
the same derivation keys the digests of guessable secrets (``tokens.keyed_digest``)."""

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.settings import get_settings


def derived_key(purpose: str) -> bytes:
    """A 256-bit key for ``purpose``, derived (HKDF-SHA256) from the server secret."""
    return _derived(get_settings().secret_key.get_secret_value().encode(), purpose)


@lru_cache(maxsize=64)
def _derived(secret: bytes, purpose: str) -> bytes:
    # Derived once per secret and purpose: a batch job decrypts thousands of values.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret
    )


def encrypt(plaintext: str, *, purpose: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(derived_key(purpose)).encrypt(nonce, plaintext.encode(), purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(ciphertext: str, *, purpose: str) -> str:
    raw = base64.urlsafe_b64decode(ciphertext)
    return AESGCM(derived_key(purpose)).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
