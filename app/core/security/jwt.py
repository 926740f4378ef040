"""Access and single-purpose tokens: EdDSA (Ed25519) JWTs with ``kid``, algorithm pinned.

In production the signing key comes from settings (older public keys may be served beside it
for rotation); otherwise a key is generated once and kept in the data folder.
"""

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.core import clock
from app.core.settings import Settings

ALGORITHM = "EdDSA"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "jti", "iat", "exp", "typ"]


class InvalidToken(Exception):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64(_public_raw(key))}, separators=(",", ":")
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class KeyRing:
    signing_key: Ed25519PrivateKey
    signing_kid: str
    public_keys: dict[str, Ed25519PublicKey]
    issuer: str
    audience: str

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": _b64(_public_raw(key)),
                    "kid": kid,
                    "alg": ALGORITHM,
                    "use": "sig",
                }
                for kid, key in self.public_keys.items()
            ]
        }

    def issue(self, typ: str, subject: uuid.UUID, ttl: timedelta, **claims: Any) -> str:
        now = clock.now()
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(subject),
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "typ": typ,
            **claims,
        }
        return jwt.encode(
            payload, self.signing_key, algorithm=ALGORITHM, headers={"kid": self.signing_kid}
        )

    def decode(self, token: str, typ: str) -> dict[str, Any]:
        """The claims of a valid token of type ``typ``; ``InvalidToken`` for anything else."""
        try:
            header = jwt.get_unverified_header(token)
            key = self.public_keys.get(str(header.get("kid")))
            if key is None or header.get("alg") != ALGORITHM:
                raise InvalidToken("unknown key or algorithm")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
                leeway=5,
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if claims.get("typ") != typ:
            raise InvalidToken("wrong token type")
        return claims


def _load_private(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("MANAGER_JWT_PRIVATE_KEY must be an Ed25519 private key")
    return key


def _load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("MANAGER_JWT_PUBLIC_KEYS must hold Ed25519 public keys")
    return key


def _local_key(data_dir: Path) -> Ed25519PrivateKey:
    """The data folder's signing key, made at its first use. Every process and thread sharing
    the folder signs with that one key, even when several make it at once (two replicas, or two
    requests in one replica's thread pool, at their first login): each writes its own temporary
    file and publishes it with a hard link, which fails when another key was published first;
    then that key is used."""
    path = data_dir / "jwt-signing-key.pem"
    if path.exists():
        return _load_private(path.read_text())
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    data_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as output:
            output.write(pem)
        os.link(temporary, path)  # never replaces a published key
    except FileExistsError:
        return _load_private(path.read_text())
    finally:
        temporary.unlink(missing_ok=True)
    return key


@lru_cache(maxsize=8)
def _keyring(
    private_pem: str | None,
    public_pems: tuple[str, ...],
    data_dir: Path,
    issuer: str,
    audience: str,
) -> KeyRing:
    signing = _load_private(private_pem) if private_pem else _local_key(data_dir)
    public = {key_id(signing.public_key()): signing.public_key()}
    for pem in public_pems:
        key = _load_public(pem)
        public[key_id(key)] = key
    return KeyRing(signing, key_id(signing.public_key()), public, issuer, audience)


@lru_cache(maxsize=8)
def _resolved(path: Path, cwd: str) -> Path:
    return (Path(cwd) / path).resolve()


def keyring(settings: Settings) -> KeyRing:
    """The key ring of ``settings`` (asked for on every request that issues or reads a token)."""
    private = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    return _keyring(
        private,
        tuple(settings.jwt_public_keys),
        _resolved(settings.data_dir, os.getcwd()),
        settings.public_url.rstrip("/"),
        settings.jwt_audience,
    )
