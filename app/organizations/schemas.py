import uuid
from datetime import datetime
from typing import Literal
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, field_validator, model_validator

from app.accounts.schemas import Password, PhoneNumber, PostalAddress
from app.accounts.types import Language
from app.core.schemas import IPAddress, Omittable, Schema
from app.organizations.types import (
    GrantScope,
    OrganizationKind,
    PartnerAccess,
    PaymentMode,
    ProductRight,
    ProductStatus,
    ProductType,
    Role,
)

Name = Field(min_length=1, max_length=200)


# Organizations


class OrganizationRead(Schema):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    address: PostalAddress | None = None
    country: str
    currency: str = Field(description="Set by the postal address's country: CHF (CH, LI) or EUR.")
    phone: str | None
    has_logo: bool = False
    is_partner: bool
    premium_support: bool = False
    require_two_factor: bool
    created_at: datetime


class MyOrganization(OrganizationRead):
    role: Role
    via: Literal["membership", "partner", "support"] = "membership"


class OrganizationCreate(Schema):
    name: str = Name
    kind: OrganizationKind = OrganizationKind.private
    address: PostalAddress | None = None
    phone: PhoneNumber | None = None


class OrganizationUpdate(Schema):
    """Only the fields sent change; ``phone`` null clears it."""

    name: Omittable[str] = Field(default=None, min_length=1, max_length=200)
    kind: Omittable[OrganizationKind] = None
    address: PostalAddress | None = None
    phone: PhoneNumber | None = None


class PasswordConfirmation(Schema):
    password: str = Field(min_length=1, max_length=1024, description="The caller's password.")


class BillingAddressWrite(Schema):
    label: str = Field(min_length=1, max_length=100)
    recipient: str = Name
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. CH.")
    email: EmailStr | None = Field(default=None, max_length=320)
    vat_number: str | None = Field(default=None, max_length=40)


class BillingAddressRead(BillingAddressWrite):
    id: uuid.UUID
    email: str | None = None
    created_at: datetime
    updated_at: datetime


class OrganizationActivityRead(Schema):
    id: uuid.UUID
    action: str
    account_id: uuid.UUID | None = Field(description="The account the action concerns, if any.")
    product_id: uuid.UUID | None
    actor_account_id: uuid.UUID | None = Field(description="Who did it.")
    actor_organization_id: uuid.UUID | None = Field(
        description="As whom: the organization itself, or the partner its staff acted for."
    )
    ip: IPAddress | None
    details: dict[str, object]
    created_at: datetime


# Members and invitations


class MemberRead(Schema):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: Role
    acts_for_clients: bool = Field(
        description="In a partner organization: acts in the clients' organizations."
    )
    two_factor_enabled: bool
    locked: bool
    last_login_at: datetime | None
    joined_at: datetime


class MemberUpdate(Schema):
    role: Omittable[Role] = None
    acts_for_clients: Omittable[bool] = None


class LegalRepresentationHandover(Schema):
    account_id: uuid.UUID = Field(description="The member who becomes legal representative.")
    password: str = Field(min_length=1, max_length=1024)
    new_role: Literal["administrator", "collaborator", "external"] = Field(
        default="administrator", description="The caller's role afterwards."
    )


class InvitationCreate(Schema):
    email: EmailStr = Field(max_length=320)
    role: Role = Role.collaborator


InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]


class InvitationRead(Schema):
    id: uuid.UUID
    email: str
    role: Role
    status: InvitationStatus
    invited_by_account_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class InvitationToken(Schema):
    token: str = Field(min_length=10, max_length=200)


class InvitationPreview(Schema):
    organization_id: uuid.UUID
    organization_name: str
    email: str
    role: Role
    account_exists: bool = Field(
        description="True: sign in and accept; false: accept with a new account's details."
    )
    expires_at: datetime


class InvitationSignUp(Schema):
    token: str = Field(min_length=10, max_length=200)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    password: Password
    phone: PhoneNumber | None = None
    language: Language = Language.en
    time_zone: str = "Europe/Zurich"

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("unknown time zone")
        return value


class InvitationAccepted(Schema):
    organization_id: uuid.UUID
    account_id: uuid.UUID
    role: Role


# Products and rights


class ProductCreate(Schema):
    type: ProductType
    name: str = Name


class ProductRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    type: ProductType
    name: str
    status: ProductStatus
    management_locked: bool
    created_at: datetime


class ProductWithRights(ProductRead):
    my_rights: list[ProductRight] = Field(description="What the caller may do with it now.")


class GrantSubject(Schema):
    account_id: uuid.UUID | None = Field(default=None, description="A member…")
    team_id: uuid.UUID | None = Field(default=None, description="…or a team (exactly one).")

    @model_validator(mode="after")
    def _one_subject(self) -> "GrantSubject":
        if (self.account_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of account_id and team_id")
        return self


class GrantCreate(GrantSubject):
    """Sets the rights of a member or team on a product, a product type, or every product;
    an earlier grant on the same target is replaced."""

    scope: GrantScope
    product_id: uuid.UUID | None = Field(default=None, description="With scope `product`.")
    product_type: ProductType | None = Field(default=None, description="With scope `product_type`.")
    include_future: bool = Field(
        default=False,
        description="With scope `product_type`: products of that type added later are covered.",
    )
    rights: list[ProductRight] = Field(min_length=1, max_length=6)

    @model_validator(mode="after")
    def _target(self) -> "GrantCreate":
        if (self.scope == GrantScope.product) != (self.product_id is not None):
            raise ValueError("product_id goes with scope product, and only with it")
        if (self.scope == GrantScope.product_type) != (self.product_type is not None):
            raise ValueError("product_type goes with scope product_type, and only with it")
        return self


class GrantUpdate(Schema):
    rights: Omittable[list[ProductRight]] = Field(default=None, min_length=1, max_length=6)
    include_future: Omittable[bool] = None


class GrantRead(Schema):
    id: uuid.UUID
    account_id: uuid.UUID | None
    team_id: uuid.UUID | None
    scope: GrantScope
    product_id: uuid.UUID | None
    product_type: ProductType | None
    include_future: bool
    rights: list[ProductRight]
    granted_by_account_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class FullAccess(GrantSubject):
    """Every right on every product, present and future, in one grant."""


class EffectiveRights(Schema):
    product_id: uuid.UUID
    product_name: str
    product_type: ProductType
    rights: list[ProductRight]


class TeamWrite(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class TeamUpdate(Schema):
    name: Omittable[str] = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class TeamRead(Schema):
    id: uuid.UUID
    name: str
    description: str | None
    member_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


class TeamMemberAdd(Schema):
    account_id: uuid.UUID


# Security


class TwoFactorRequirement(Schema):
    required: bool


class TwoFactorAlertsSent(Schema):
    sent: int = Field(description="How many members without 2FA were e-mailed.")


class SupportAccessCreate(Schema):
    hours: int = Field(ge=1, le=720, description="How long support staff may reach products.")
    reason: str | None = Field(default=None, max_length=500)


class SupportAccessRead(Schema):
    id: uuid.UUID
    reason: str | None
    granted_by_account_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    active: bool


class SupportInfo(Schema):
    premium_support: bool
    vip_code: str | None = Field(
        description="With premium support: identifies the organization when calling support."
    )
    active_access: SupportAccessRead | None


# Partners


class PartnerInvitationCreate(Schema):
    email: EmailStr = Field(max_length=320, description="Where the invitation is sent.")
    client_name: str = Name
    access_type: PartnerAccess = PartnerAccess.full
    includes_billing: bool = False
    payment_mode: PaymentMode = PaymentMode.client_pays


class PartnerInvitationRead(Schema):
    id: uuid.UUID
    email: str
    client_name: str
    access_type: PartnerAccess
    includes_billing: bool
    payment_mode: PaymentMode
    status: InvitationStatus
    partnership_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime


class PartnerInvitationPreview(Schema):
    partner_organization_id: uuid.UUID
    partner_name: str
    client_name: str
    access_type: PartnerAccess
    includes_billing: bool
    payment_mode: PaymentMode
    expires_at: datetime


class PartnershipTerms(Schema):
    """What the client grants: it may differ from what the partner asked for."""

    access_type: PartnerAccess
    includes_billing: bool = Field(default=False, description="Full access only.")
    product_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=1000, description="Limited access: the products."
    )
    payment_mode: PaymentMode = PaymentMode.client_pays

    @model_validator(mode="after")
    def _consistent(self) -> "PartnershipTerms":
        if self.access_type == PartnerAccess.full and self.product_ids:
            raise ValueError("full access covers every product: give no product_ids")
        if self.access_type == PartnerAccess.limited and self.includes_billing:
            raise ValueError("billing can only be included with full access")
        return self


class PartnershipAccept(PartnershipTerms):
    token: str = Field(min_length=10, max_length=200)


class PartnershipRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID
    partner_name: str
    client_organization_id: uuid.UUID
    client_name: str
    access_type: PartnerAccess
    includes_billing: bool
    payment_mode: PaymentMode
    product_ids: list[uuid.UUID]
    created_at: datetime
    ended_at: datetime | None


# Platform staff


class PlatformOrganizationUpdate(Schema):
    """(An organization becomes an affiliate by joining the programme, ``/affiliate``.)"""

    is_partner: Omittable[bool] = None
    premium_support: Omittable[bool] = None


class PlatformOrganizationRead(Schema):
    id: uuid.UUID
    name: str
    is_partner: bool
    is_affiliate: bool
    premium_support: bool
    vip_code: str | None
    created_at: datetime


class ClientAccountOpen(Schema):
    """A partner opens its client's account in the client's name, with its organization."""

    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr = Field(max_length=320, description="The client's own address: its login.")
    phone: PhoneNumber = Field(description="The client's mobile: the activation code goes there.")
    language: Language = Language.en
    organization_name: str = Field(min_length=1, max_length=200)
    organization_kind: OrganizationKind = OrganizationKind.private
    address: PostalAddress | None = None
    initial_password: Password | None = Field(
        default=None,
        description="Leave out so that only the client ever knows its password; when set, the "
        "client must change it at its first login.",
    )
    includes_billing: bool = False
    payment_mode: PaymentMode = PaymentMode.client_pays


class ClientAccountOpened(Schema):
    account_id: uuid.UUID
    organization_id: uuid.UUID
    partnership_id: uuid.UUID
    email: str
