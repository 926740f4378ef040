"""A software WebAuthn authenticator (ES256, "none" attestation) with the browser's part: it
answers creation and request options as ``PublicKeyCredential.toJSON()`` would.

It keeps its credentials and sign counters; ``clone`` copies it (same keys, same counters), as an
attacker who extracted a key would, so the two counters drift apart.
"""

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40


def b64url(raw: bytes) -> str:
    return urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    credentials: dict[bytes, Credential] = field(default_factory=dict)
    aaguid: bytes = b"\x00" * 16

    def clone(self) -> "SoftAuthenticator":
        twin = SoftAuthenticator(self.origin, aaguid=self.aaguid)
        for credential_id, credential in self.credentials.items():
            twin.credentials[credential_id] = Credential(
                credential_id,
                credential.key,
                credential.rp_id,
                credential.user_handle,
                credential.sign_count,
            )
        return twin

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    @staticmethod
    def _cose(key: ec.EllipticCurvePrivateKey) -> bytes:
        numbers = key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """``navigator.credentials.create({publicKey: options})``."""
        rp_id = options["rp"]["id"]
        credential = Credential(
            credential_id=os.urandom(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials[credential.credential_id] = credential
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + struct.pack(">I", 0)
            + self.aaguid
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + self._cose(credential.key)
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        credential_id: bytes | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """``navigator.credentials.get({publicKey: options})``: the first matching credential."""
        allowed = [unb64url(item["id"]) for item in options.get("allowCredentials") or []]
        candidates = [
            credential
            for credential in self.credentials.values()
            if credential.rp_id == options["rpId"]
            and (not allowed or credential.credential_id in allowed)
            and (credential_id is None or credential.credential_id == credential_id)
        ]
        credential = candidates[0]
        credential.sign_count += 1
        flags = FLAG_UP | (FLAG_UV if user_verified else 0)
        auth_data = (
            hashlib.sha256(credential.rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.credential_id),
            "rawId": b64url(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
        }


__all__ = ["SoftAuthenticator"]
