"""Passkeys (WebAuthn): registering, naming, listing and removing them; assertions that log in
(discoverable credentials), complete a password login as second factor, or re-authenticate.

The ceremonies are the ``webauthn`` package's. Each ceremony's challenge travels in a short-lived
signed token, used once; the origin and relying party id come from the settings; the sign counter
must grow (a cloned authenticator's counter going backwards is refused and recorded).
"""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import webauthn
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.parse_authentication_credential_json import (
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts import auth
from app.accounts.auth import Client, IssuedTokens
from app.accounts.errors import (
    InvalidCredentials,
    InvalidPasskey,
    PasskeyAlreadyRegistered,
    PasskeyNotFound,
)
from app.accounts.models import Account, AuthSession, ConsumedToken, Passkey
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.jwt import InvalidToken, KeyRing
from app.core.settings import Settings

CEREMONY_MINUTES = 5
_NOBODY = uuid.UUID(int=0)
"""The subject of a discoverable login's challenge: the authenticator says who it is."""


@dataclass(frozen=True)
class Ceremony:
    """Options for ``navigator.credentials.create/get`` and the token that carries their
    challenge back."""

    options: dict[str, Any]
    ceremony_token: str


def passkeys_of(account_id: uuid.UUID) -> Select[Passkey]:
    """The account's passkeys; paginate the result."""
    return select(Passkey).where(Passkey.account_id == account_id)


async def get_passkey(
    session: AsyncSession, account_id: uuid.UUID, passkey_id: uuid.UUID, *, for_update: bool = False
) -> Passkey:
    statement = select(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == account_id)
    return await one_or_raise(
        session, statement, PasskeyNotFound("No such passkey."), for_update=for_update
    )


def _ceremony_token(keyring: KeyRing, typ: str, subject: uuid.UUID, challenge: bytes) -> str:
    return keyring.issue(
        typ,
        subject,
        timedelta(minutes=CEREMONY_MINUTES),
        challenge=bytes_to_base64url(challenge),
    )


async def _challenge(
    session: AsyncSession, keyring: KeyRing, token: str, typ: str, subject: uuid.UUID | None
) -> bytes:
    """The challenge of an unused ceremony token of type ``typ`` (for ``subject`` when given);
    the token is used up."""
    try:
        claims = keyring.decode(token, typ)
    except InvalidToken:
        raise InvalidPasskey("The ceremony has expired or is not valid: start again.") from None
    if subject is not None and claims["sub"] != str(subject):
        raise InvalidPasskey("The ceremony belongs to another account.")
    if await session.get(ConsumedToken, claims["jti"]) is not None:
        raise InvalidPasskey("This ceremony was already used: start again.")
    auth.consume_token(session, claims)
    await session.flush()
    return webauthn.base64url_to_bytes(str(claims["challenge"]))


def _options(options: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return parsed


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=passkey.credential_id,
            transports=[AuthenticatorTransport(t) for t in passkey.transports],
        )
        for passkey in passkeys
    ]


async def _of(session: AsyncSession, account_id: uuid.UUID) -> list[Passkey]:
    return list(await session.scalars(passkeys_of(account_id)))


# --- registration ---


async def begin_registration(
    session: AsyncSession, account: Account, *, keyring: KeyRing, settings: Settings
) -> Ceremony:
    """Creation options for a new discoverable passkey of ``account``."""
    options = webauthn.generate_registration_options(
        rp_id=settings.webauthn_rp_id,
        rp_name="Manager",
        user_name=account.email,
        user_id=account.id.bytes,
        user_display_name=account.full_name or account.email,
        exclude_credentials=_descriptors(await _of(session, account.id)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    token = _ceremony_token(keyring, "passkey-registration", account.id, options.challenge)
    return Ceremony(_options(options), token)


async def register(
    session: AsyncSession,
    account: Account,
    *,
    name: str,
    ceremony_token: str,
    credential: dict[str, Any],
    keyring: KeyRing,
    settings: Settings,
    by: Actor,
) -> Passkey:
    """Verifies the authenticator's attestation (challenge, origin, relying party) and keeps
    the new passkey."""
    challenge = await _challenge(
        session, keyring, ceremony_token, "passkey-registration", account.id
    )
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=settings.webauthn_origins,
        )
    except WebAuthnException as error:
        raise InvalidPasskey(f"The passkey was refused: {error}") from None
    transports = (credential.get("response") or {}).get("transports") or []
    passkey = Passkey(
        id=uuid.uuid4(),
        account_id=account.id,
        name=name,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(t) for t in transports if t in set(AuthenticatorTransport)],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(passkey)
    except IntegrityError:
        raise PasskeyAlreadyRegistered("This passkey is already registered.") from None
    await activity.record(
        session,
        by,
        "security.passkey_added",
        account_id=account.id,
        details={"passkey_id": str(passkey.id), "name": name},
    )
    return passkey


async def rename(session: AsyncSession, passkey: Passkey, name: str, *, by: Actor) -> Passkey:
    old = passkey.name
    passkey.name = name
    await activity.record(
        session,
        by,
        "security.passkey_renamed",
        account_id=passkey.account_id,
        details={"passkey_id": str(passkey.id), "from": old, "to": name},
    )
    return passkey


async def remove(session: AsyncSession, passkey: Passkey, *, by: Actor) -> None:
    await session.delete(passkey)
    await activity.record(
        session,
        by,
        "security.passkey_removed",
        account_id=passkey.account_id,
        details={"passkey_id": str(passkey.id), "name": passkey.name},
    )


async def remove_all(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Forgets every passkey of the account (it is being erased)."""
    await session.execute(delete(Passkey).where(Passkey.account_id == account_id))


# --- assertions ---


async def begin_assertion(
    session: AsyncSession,
    *,
    account: Account | None,
    keyring: KeyRing,
    settings: Settings,
    typ: str,
) -> Ceremony:
    """Request options: for any discoverable passkey (``account`` None) or the account's."""
    options = webauthn.generate_authentication_options(
        rp_id=settings.webauthn_rp_id,
        allow_credentials=_descriptors(await _of(session, account.id)) if account else [],
        user_verification=(
            UserVerificationRequirement.PREFERRED
            if account
            else UserVerificationRequirement.REQUIRED
        ),
    )
    subject = account.id if account else _NOBODY
    return Ceremony(_options(options), _ceremony_token(keyring, typ, subject, options.challenge))


async def _verified(
    session: AsyncSession,
    *,
    ceremony_token: str,
    typ: str,
    credential: dict[str, Any],
    account_id: uuid.UUID | None,
    keyring: KeyRing,
    settings: Settings,
    client: Client,
) -> Passkey:
    """The passkey that signed this assertion; ``InvalidCredentials`` when anything fails (a
    wrong origin, a bad signature, a sign counter that did not grow)."""
    challenge = await _challenge(session, keyring, ceremony_token, typ, account_id or _NOBODY)
    try:
        parsed = parse_authentication_credential_json(credential)
    except WebAuthnException:
        raise InvalidCredentials from None
    passkey = await session.scalar(
        select(Passkey).where(Passkey.credential_id == parsed.raw_id).with_for_update()
    )
    if passkey is None or (account_id is not None and passkey.account_id != account_id):
        raise InvalidCredentials
    user_handle = parsed.response.user_handle
    if user_handle is not None and user_handle != passkey.account_id.bytes:
        raise InvalidCredentials
    account = await auth.find_account(session, passkey.account_id, for_update=True)
    if account is None or account.deleted_at is not None or account.locked_at is not None:
        raise InvalidCredentials
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.webauthn_rp_id,
            expected_origin=settings.webauthn_origins,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=account_id is None,
        )
    except WebAuthnException as error:
        reason = "passkey_counter" if "sign count" in str(error) else "passkey_refused"
        if reason == "passkey_counter":
            await activity.record(
                session,
                Actor.system().with_ip(client.ip),
                "security.passkey_clone_suspected",
                account_id=account.id,
                details={"passkey_id": str(passkey.id), "name": passkey.name},
            )
        await auth.count_failure(session, account, client, reason=reason)
        raise InvalidCredentials from None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = clock.now()
    return passkey


async def log_in(
    session: AsyncSession,
    *,
    ceremony_token: str,
    credential: dict[str, Any],
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> IssuedTokens:
    """The whole login with a discoverable passkey (user verification required)."""
    passkey = await _verified(
        session,
        ceremony_token=ceremony_token,
        typ="passkey-login",
        credential=credential,
        account_id=None,
        keyring=keyring,
        settings=settings,
        client=client,
    )
    account = await auth.find_account(session, passkey.account_id)
    assert account is not None
    return await auth.sign_in(session, account, client, keyring, settings)


async def begin_second_factor(
    session: AsyncSession, *, mfa_token: str, keyring: KeyRing, settings: Settings
) -> Ceremony:
    """Request options for the passkeys of the account that passed the password step."""
    account = await auth.mfa_account(session, mfa_token, keyring)
    return await begin_assertion(
        session, account=account, keyring=keyring, settings=settings, typ="passkey-mfa"
    )


async def complete_second_factor(
    session: AsyncSession,
    *,
    mfa_token: str,
    ceremony_token: str,
    credential: dict[str, Any],
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> IssuedTokens:
    """A passkey as the second step of a password login."""
    account = await auth.mfa_account(session, mfa_token, keyring)
    await _verified(
        session,
        ceremony_token=ceremony_token,
        typ="passkey-mfa",
        credential=credential,
        account_id=account.id,
        keyring=keyring,
        settings=settings,
        client=client,
    )
    auth.consume_token(session, keyring.decode(mfa_token, "mfa"))
    return await auth.sign_in(session, account, client, keyring, settings)


async def reauthenticate(
    session: AsyncSession,
    account: Account,
    auth_session: AuthSession,
    *,
    ceremony_token: str,
    credential: dict[str, Any],
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> None:
    """A passkey of the account confirms it is still there: the session counts as fresh."""
    await _verified(
        session,
        ceremony_token=ceremony_token,
        typ="passkey-reauthentication",
        credential=credential,
        account_id=account.id,
        keyring=keyring,
        settings=settings,
        client=client,
    )
    auth_session.authenticated_at = clock.now()
