import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.core.schemas import Schema
from app.sso.types import DomainProof

JitRole = Literal["administrator", "collaborator", "external"]
Mailbox = Literal["admin", "administrator", "hostmaster", "postmaster", "webmaster"]
DOMAIN_PATTERN = r"^([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
ISSUER_EXAMPLE = "https://login.theatre-du-lac.ch/realms/staff"
JIT_ROLE = (
    "The role of an account that joins the organization at its first login through the "
    "provider (with `jit_enabled`)."
)
REQUIRE_SSO = (
    "Members whose login is in a proven domain can no longer log in with a password, except "
    "the break-glass legal representative."
)


class SsoConnectionWrite(Schema):
    issuer: str = Field(
        pattern=r"^https?://[^\s]+$",
        max_length=500,
        description="The provider's issuer URL; its /.well-known/openid-configuration is read "
        "at once (502 when it cannot be).",
        examples=[ISSUER_EXAMPLE],
    )
    client_id: str = Field(
        min_length=1,
        max_length=255,
        description="The client id the provider gave the service.",
        examples=["manager-console"],
    )
    client_secret: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Stored encrypted, never shown again; leave out to keep the current one "
        "(a first configuration needs it).",
        examples=["q8Xv2LmT5nWc9Pz1Kd4Hs7Bf"],
    )
    enabled: bool = Field(
        default=True, description="False: nobody can log in through the provider for now."
    )
    jit_enabled: bool = Field(
        default=False,
        description="Accounts the provider vouches for join the organization at their first "
        "login (an account is created when none uses the address).",
    )
    jit_role: JitRole = Field(default="collaborator", description=JIT_ROLE)
    require_sso: bool = Field(default=False, description=REQUIRE_SSO)
    break_glass_account_id: uuid.UUID | None = Field(
        default=None,
        description="A legal representative of the organization who may still use the "
        "password; required with `require_sso`.",
    )


class SsoConnectionRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    issuer: str = Field(description="The provider's issuer URL.", examples=[ISSUER_EXAMPLE])
    client_id: str = Field(
        description="The client id the provider gave the service.", examples=["manager-console"]
    )
    client_secret_set: bool = Field(
        default=True, description="A client secret is stored (it is never shown)."
    )
    enabled: bool = Field(description="Logins through the provider are open.")
    jit_enabled: bool = Field(
        description="Accounts the provider vouches for join the organization at their first login."
    )
    jit_role: JitRole = Field(description=JIT_ROLE)
    require_sso: bool = Field(description=REQUIRE_SSO)
    break_glass_account_id: uuid.UUID | None = Field(
        description="The legal representative who may still use the password; null: none."
    )
    redirect_uri: str = Field(
        description="Register this redirect URI at the provider.",
        examples=["https://manager.example.ch/sso/callback"],
    )
    created_at: datetime
    updated_at: datetime


class SsoDomainClaim(Schema):
    domain: str = Field(
        pattern=DOMAIN_PATTERN,
        max_length=253,
        description="The e-mail domain the organization claims (its members' logins).",
        examples=["theatre-du-lac.ch"],
    )
    proof: DomainProof = Field(
        description="dns: publish a TXT record; email: receive a code at one of the domain's "
        "administrative mailboxes."
    )
    mailbox: Mailbox | None = Field(
        default=None,
        description="With proof=email (required then): the mailbox of the domain the code is "
        "mailed to, e.g. postmaster for postmaster@<domain>.",
    )


class SsoDomainRead(Schema):
    id: uuid.UUID
    domain: str = Field(description="The claimed e-mail domain.", examples=["theatre-du-lac.ch"])
    proof: DomainProof = Field(description="How the claim is proven: dns or email.")
    verified: bool = Field(
        description="The claim is proven: logins in this domain may use the provider."
    )
    verified_at: datetime | None = Field(description="When it was proven; null: not yet.")
    dns_record_name: str = Field(
        description="With proof=dns: publish a TXT record here…",
        examples=["_manager-verification.theatre-du-lac.ch"],
    )
    dns_record_value: str = Field(
        description="…holding this value.",
        examples=["manager-verification=Yq3xR8vLm2Tn5Wc9Pz1Kd4Hs7Bf6Ja0G"],
    )
    mailbox: str | None = Field(
        description="With proof=email: the address the code was mailed to; null otherwise.",
        examples=["postmaster@theatre-du-lac.ch"],
    )
    created_at: datetime


class SsoDomainVerification(Schema):
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{8}$",
        description="With proof=email: the 8-digit code mailed to the mailbox; leave out for "
        "proof=dns.",
        examples=["48213957"],
    )


class SsoStart(Schema):
    email: str = Field(
        min_length=3,
        max_length=320,
        description="The login e-mail: its domain picks the organization's provider.",
    )


class SsoRedirect(Schema):
    authorization_url: str = Field(
        description="Send the browser there.",
        examples=[
            "https://login.theatre-du-lac.ch/realms/staff/protocol/openid-connect/auth"
            "?response_type=code&client_id=manager-console&state=Yq3xR8vLm2Tn5Wc9"
        ],
    )


class SsoCallback(Schema):
    state: str = Field(
        min_length=10,
        max_length=200,
        description="The `state` parameter the provider sent the browser back with.",
        examples=["Yq3xR8vLm2Tn5Wc9Pz1Kd4Hs7Bf6Ja0G"],
    )
    code: str = Field(
        min_length=1,
        max_length=2000,
        description="The `code` parameter the provider sent the browser back with.",
        examples=["SplxlOBeZQQYbYS6WxSbIA"],
    )
