import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.core.schemas import Schema
from app.sso.types import DomainProof

JitRole = Literal["administrator", "collaborator", "external"]
Mailbox = Literal["admin", "administrator", "hostmaster", "postmaster", "webmaster"]
DOMAIN_PATTERN = r"^([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"


class SsoConnectionWrite(Schema):
    issuer: str = Field(
        pattern=r"^https?://[^\s]+$",
        max_length=500,
        description="The provider's issuer URL; its /.well-known/openid-configuration is read.",
    )
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Stored encrypted, never shown again; leave out to keep the current one.",
    )
    enabled: bool = True
    jit_enabled: bool = Field(
        default=False,
        description="Accounts the provider vouches for join the organization at their first "
        "login (an account is created when none uses the address).",
    )
    jit_role: JitRole = "collaborator"
    require_sso: bool = Field(
        default=False,
        description="Members whose login is in a claimed domain can no longer log in with a "
        "password, except the break-glass legal representative.",
    )
    break_glass_account_id: uuid.UUID | None = Field(
        default=None, description="A legal representative who may still use the password."
    )


class SsoConnectionRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    issuer: str
    client_id: str
    client_secret_set: bool = True
    enabled: bool
    jit_enabled: bool
    jit_role: JitRole
    require_sso: bool
    break_glass_account_id: uuid.UUID | None
    redirect_uri: str = Field(description="Register this redirect URI at the provider.")
    created_at: datetime
    updated_at: datetime


class SsoDomainClaim(Schema):
    domain: str = Field(pattern=DOMAIN_PATTERN, max_length=253)
    proof: DomainProof
    mailbox: Mailbox | None = Field(
        default=None, description="With proof=email: the address of the domain mailed a code."
    )


class SsoDomainRead(Schema):
    id: uuid.UUID
    domain: str
    proof: DomainProof
    verified: bool
    verified_at: datetime | None
    dns_record_name: str = Field(description="With proof=dns: publish a TXT record here…")
    dns_record_value: str = Field(description="…holding this value.")
    mailbox: str | None
    created_at: datetime


class SsoDomainVerification(Schema):
    code: str | None = Field(
        default=None, pattern=r"^[0-9]{8}$", description="With proof=email: the mailed code."
    )


class SsoStart(Schema):
    email: str = Field(min_length=3, max_length=320)


class SsoRedirect(Schema):
    authorization_url: str = Field(description="Send the browser there.")


class SsoCallback(Schema):
    state: str = Field(min_length=10, max_length=200)
    code: str = Field(min_length=1, max_length=2000)
