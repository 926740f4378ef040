"""An organization's OpenID Connect provider (client secret encrypted at rest), its policy
(just-in-time membership, SSO required with a break-glass legal representative) and the e-mail
domains it claims, each proven by a DNS TXT record or by a code mailed to the domain."""

import secrets
import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.encryption import decrypt, encrypt
from app.core.security.tokens import digest, new_token, same
from app.core.settings import Settings
from app.notifications.service import queue_mail
from app.organizations import service as organizations
from app.organizations.types import Role
from app.sso import dns, oidc
from app.sso.dns import TxtResolver
from app.sso.errors import (
    BreakGlassNotLegalRepresentative,
    ConnectionNotFound,
    DomainAlreadyClaimed,
    DomainNotFound,
    DomainNotProven,
    MailboxNotInDomain,
    WrongDomainCode,
)
from app.sso.models import SsoConnection, SsoDomain
from app.sso.schemas import SsoConnectionRead, SsoConnectionWrite, SsoDomainRead
from app.sso.types import DomainProof

SECRET_PURPOSE = "sso-client-secret"  # noqa: S105 - a key-derivation label, not a secret


def redirect_uri(settings: Settings) -> str:
    return settings.links_base + "/sso/callback"


def connection_read(connection: SsoConnection, settings: Settings) -> SsoConnectionRead:
    return SsoConnectionRead.model_validate(
        {
            **{
                field: getattr(connection, field)
                for field in SsoConnectionRead.model_fields
                if hasattr(connection, field)
            },
            "redirect_uri": redirect_uri(settings),
        }
    )


def client_secret(connection: SsoConnection) -> str:
    return decrypt(connection.client_secret_encrypted, purpose=SECRET_PURPOSE)


async def find_connection(
    session: AsyncSession, organization_id: uuid.UUID, *, for_update: bool = False
) -> SsoConnection | None:
    statement = select(SsoConnection).where(SsoConnection.organization_id == organization_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def get_connection(
    session: AsyncSession, organization_id: uuid.UUID, *, for_update: bool = False
) -> SsoConnection:
    statement = select(SsoConnection).where(SsoConnection.organization_id == organization_id)
    return await one_or_raise(
        session,
        statement,
        ConnectionNotFound("The organization has no single sign-on provider."),
        for_update=for_update,
    )


async def configure(
    session: AsyncSession, organization_id: uuid.UUID, form: SsoConnectionWrite, *, by: Actor
) -> SsoConnection:
    """Connects (or changes) the organization's provider: its discovery document is read first,
    so a wrong issuer is refused now rather than at the first login."""
    if form.require_sso or form.break_glass_account_id is not None:
        representatives = await organizations.member_account_ids_with_role(
            session, organization_id, roles=frozenset({Role.legal_representative})
        )
        if form.break_glass_account_id not in representatives:
            raise BreakGlassNotLegalRepresentative(
                "Requiring single sign-on needs a break-glass legal representative of the "
                "organization, who may still log in with a password."
            )
    await oidc.discover(form.issuer)
    connection = await find_connection(session, organization_id, for_update=True)
    now = clock.now()
    if connection is None:
        if form.client_secret is None:
            raise ConnectionNotFound("A new provider needs its client secret.")
        connection = SsoConnection(id=uuid.uuid4(), organization_id=organization_id, created_at=now)
        session.add(connection)
    fields: dict[str, Any] = form.model_dump(exclude={"client_secret"})
    for field, value in fields.items():
        setattr(connection, field, value)
    if form.client_secret is not None:
        connection.client_secret_encrypted = encrypt(form.client_secret, purpose=SECRET_PURPOSE)
    connection.updated_at = now
    await session.flush()
    await activity.record(
        session,
        by,
        "sso.connection_configured",
        organization_id=organization_id,
        details={
            **{key: str(value) for key, value in fields.items()},
            "client_secret_changed": form.client_secret is not None,
        },
    )
    return connection


async def remove_connection(session: AsyncSession, connection: SsoConnection, *, by: Actor) -> None:
    await session.delete(connection)
    await activity.record(
        session,
        by,
        "sso.connection_removed",
        organization_id=connection.organization_id,
        details={"issuer": connection.issuer},
    )


# --- domains ---


def domain_read(domain: SsoDomain) -> SsoDomainRead:
    return SsoDomainRead(
        id=domain.id,
        domain=domain.domain,
        proof=domain.proof,
        verified=domain.verified_at is not None,
        verified_at=domain.verified_at,
        dns_record_name=dns.record_name(domain.domain),
        dns_record_value=dns.record_value(domain.dns_value),
        mailbox=domain.mailbox,
        created_at=domain.created_at,
    )


def domains_of(organization_id: uuid.UUID) -> Select[SsoDomain]:
    """The organization's claimed domains, proven or not; paginate the result."""
    return select(SsoDomain).where(SsoDomain.organization_id == organization_id)


async def get_domain(
    session: AsyncSession,
    organization_id: uuid.UUID,
    domain_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> SsoDomain:
    statement = select(SsoDomain).where(
        SsoDomain.id == domain_id, SsoDomain.organization_id == organization_id
    )
    return await one_or_raise(
        session, statement, DomainNotFound("No such domain."), for_update=for_update
    )


async def _proven_elsewhere(session: AsyncSession, domain: str, organization_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(func.count()).where(
                SsoDomain.domain == domain,
                SsoDomain.verified_at.is_not(None),
                SsoDomain.organization_id != organization_id,
            )
        )
    )


def _code_digest(domain_id: uuid.UUID, code: str) -> str:
    # An 8-digit code is only unique per domain claim: the digest covers both.
    return digest(f"{domain_id}:{code}")


async def claim_domain(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    domain: str,
    proof: DomainProof,
    mailbox: str | None,
    by: Actor,
) -> SsoDomain:
    """Claims ``domain`` for the organization; it counts once proven (``verify_domain``)."""
    domain = domain.lower()
    if await _proven_elsewhere(session, domain, organization_id):
        raise DomainAlreadyClaimed("Another organization has proven this domain.")
    if proof == DomainProof.email and mailbox is None:
        raise MailboxNotInDomain("A mailed proof needs one of the domain's mailboxes.")
    claim = SsoDomain(
        id=uuid.uuid4(),
        organization_id=organization_id,
        domain=domain,
        proof=proof,
        dns_value=new_token(nbytes=24),
        mailbox=f"{mailbox}@{domain}" if proof == DomainProof.email else None,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        raise DomainAlreadyClaimed("The organization claims this domain already.") from None
    if claim.mailbox is not None:
        code = f"{secrets.randbelow(10**8):08d}"
        claim.code_digest = _code_digest(claim.id, code)
        await queue_mail(
            session,
            to=claim.mailbox,
            template="sso_domain_verification",
            language="en",
            context={
                "recipient_name": "",
                "organization_name": await organizations.organization_name(
                    session, organization_id
                ),
                "domain": domain,
                "code": code,
            },
        )
    await activity.record(
        session,
        by,
        "sso.domain_claimed",
        organization_id=organization_id,
        details={"domain": domain, "proof": str(proof)},
    )
    return claim


async def verify_domain(
    session: AsyncSession,
    claim: SsoDomain,
    *,
    code: str | None,
    resolver: TxtResolver,
    by: Actor,
) -> SsoDomain:
    """Proves the claim: the TXT record is published, or the mailed code is given."""
    if claim.verified_at is not None:
        return claim
    if await _proven_elsewhere(session, claim.domain, claim.organization_id):
        raise DomainAlreadyClaimed("Another organization has proven this domain.")
    if claim.proof == DomainProof.dns:
        records = await resolver.txt(dns.record_name(claim.domain))
        if dns.record_value(claim.dns_value) not in records:
            raise DomainNotProven(
                f"No TXT record {dns.record_value(claim.dns_value)!r} at "
                f"{dns.record_name(claim.domain)} yet."
            )
    elif (
        not code
        or not claim.code_digest
        or not same(claim.code_digest, _code_digest(claim.id, code))
    ):
        await activity.record(
            session,
            by,
            "sso.domain_code_refused",
            organization_id=claim.organization_id,
            details={"domain": claim.domain},
        )
        raise WrongDomainCode("The code is not the one mailed to the domain.")
    claim.verified_at = clock.now()
    claim.code_digest = None
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DomainAlreadyClaimed("Another organization has proven this domain.") from None
    await activity.record(
        session,
        by,
        "sso.domain_verified",
        organization_id=claim.organization_id,
        details={"domain": claim.domain, "proof": str(claim.proof)},
    )
    return claim


async def remove_domain(session: AsyncSession, claim: SsoDomain, *, by: Actor) -> None:
    await session.delete(claim)
    await activity.record(
        session,
        by,
        "sso.domain_removed",
        organization_id=claim.organization_id,
        details={"domain": claim.domain},
    )


async def proven_domain(session: AsyncSession, domain: str) -> SsoDomain | None:
    """The proven claim on ``domain``, whoever holds it."""
    return await session.scalar(
        select(SsoDomain).where(
            SsoDomain.domain == domain.lower(), SsoDomain.verified_at.is_not(None)
        )
    )
