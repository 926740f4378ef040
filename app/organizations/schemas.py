import uuid
from datetime import datetime
from typing import Literal
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, field_validator, model_validator

from app.accounts.schemas import Password, PhoneNumber, PostalAddress
from app.accounts.types import Language
from app.core.money import Currency
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

ORGANIZATION_NAME_EXAMPLES = ["Théâtre du Lac", "Fiduciaire Rochat Sàrl"]
PHONE_EXAMPLES = ["+41 22 318 12 34"]
KIND = "How the organization is constituted: `private` (a person), `association` or `company`."


# Organizations


class OrganizationRead(Schema):
    id: uuid.UUID
    name: str = Field(examples=ORGANIZATION_NAME_EXAMPLES)
    kind: OrganizationKind = Field(description=KIND)
    address: PostalAddress | None = Field(
        default=None,
        description="The postal address, printed on invoices; its country sets `country` and "
        "`currency`. Null when none was given.",
    )
    country: str = Field(
        description="ISO 3166-1 alpha-2 code of the postal address's country (CH until an "
        "address is given): the seat, which sets the VAT the organization pays.",
        examples=["CH"],
    )
    currency: Currency = Field(
        description="What the organization is invoiced in, set by the postal address's country: "
        "CHF in Switzerland and Liechtenstein, EUR elsewhere."
    )
    phone: str | None = Field(description="Null when none was given.", examples=PHONE_EXAMPLES)
    has_logo: bool = Field(
        default=False, description="True when a logo was uploaded (GET …/logo serves it)."
    )
    is_partner: bool = Field(
        description="Set by platform staff: a partner (reseller) invites client organizations "
        "and manages them."
    )
    premium_support: bool = Field(
        default=False,
        description="Set by platform staff: the organization has a VIP code for support calls.",
    )
    require_two_factor: bool = Field(
        description="When true, members without 2FA can do nothing in the organization but enrol."
    )
    created_at: datetime


class MyOrganization(OrganizationRead):
    role: Role = Field(
        description="The caller's role in it (partner staff act as `administrator` with full "
        "access, as `external` with limited access; support staff as `external`)."
    )
    via: Literal["membership", "partner", "support"] = Field(
        default="membership",
        description="How the caller reaches it: as a `membership` of its own, as staff of the "
        "`partner` managing it, or as platform `support` staff during a support access.",
    )


class OrganizationCreate(Schema):
    name: str = Field(min_length=1, max_length=200, examples=ORGANIZATION_NAME_EXAMPLES)
    kind: OrganizationKind = Field(default=OrganizationKind.private, description=KIND)
    address: PostalAddress | None = Field(
        default=None,
        description="The postal address; its country sets the currency (CHF in CH and LI, else "
        "EUR). Left out: the organization is in Switzerland and pays in CHF until one is given.",
    )
    phone: PhoneNumber | None = Field(
        default=None, description="The organization's phone number.", examples=PHONE_EXAMPLES
    )


class OrganizationUpdate(Schema):
    """Only the fields sent change; ``phone`` null clears it."""

    name: Omittable[str] = Field(
        default=None, min_length=1, max_length=200, examples=ORGANIZATION_NAME_EXAMPLES
    )
    kind: Omittable[OrganizationKind] = Field(default=None, description=KIND)
    address: PostalAddress | None = Field(
        default=None,
        description="Replaces the postal address; its country sets the currency (CHF in CH and "
        "LI, else EUR). It cannot be removed once given (422 `field_required`).",
    )
    phone: PhoneNumber | None = Field(
        default=None, description="Null removes the phone number.", examples=PHONE_EXAMPLES
    )


class PasswordConfirmation(Schema):
    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The caller's own password, confirming the change.",
        examples=["correct horse battery staple"],
    )


class BillingAddressWrite(Schema):
    label: str = Field(
        min_length=1,
        max_length=100,
        description="How the address is named when choosing one for a renewal.",
        examples=["Comptabilité"],
    )
    recipient: str = Field(
        min_length=1,
        max_length=200,
        description="The name printed first in the address block of the invoices sent there.",
        examples=["Théâtre du Lac, service comptable"],
    )
    line1: str = Field(min_length=1, max_length=200, examples=["Quai du Mont-Blanc 5"])
    line2: str | None = Field(default=None, max_length=200, examples=["Case postale 123"])
    postal_code: str = Field(min_length=1, max_length=20, examples=["1201"])
    city: str = Field(min_length=1, max_length=100, examples=["Genève"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2, e.g. CH. Only printed: VAT follows the "
        "organization's seat, not this address.",
        examples=["CH"],
    )
    email: EmailStr | None = Field(
        default=None,
        max_length=320,
        description="A contact e-mail kept with the address, for reference: invoices are not "
        "printed with it nor e-mailed to it.",
        examples=["comptabilite@theatre-du-lac.ch"],
    )
    vat_number: str | None = Field(
        default=None,
        max_length=40,
        description="The recipient's VAT number, printed on the invoice.",
        examples=["CHE-123.456.789 MWST"],
    )


class BillingAddressRead(BillingAddressWrite):
    id: uuid.UUID
    email: str | None = Field(
        default=None,
        description="A contact e-mail kept with the address, for reference: invoices are not "
        "printed with it nor e-mailed to it.",
        examples=["comptabilite@theatre-du-lac.ch"],
    )
    created_at: datetime
    updated_at: datetime


class OrganizationActivityRead(Schema):
    id: uuid.UUID
    action: str = Field(
        description="What was done, as `<object>.<verb>`.", examples=["member.role_changed"]
    )
    account_id: uuid.UUID | None = Field(description="The account the action concerns, if any.")
    product_id: uuid.UUID | None = Field(description="The product the action concerns, if any.")
    actor_account_id: uuid.UUID | None = Field(
        description="Who did it; null for the service itself (a periodic job)."
    )
    actor_organization_id: uuid.UUID | None = Field(
        description="As whom: the organization itself, or the partner its staff acted for."
    )
    ip: IPAddress | None = Field(
        description="The IP address the request came from; null for the service's own jobs.",
        examples=["203.0.113.7"],
    )
    details: dict[str, object] = Field(
        description='What changed, depending on `action` (e.g. `{"role": "administrator"}`).'
    )
    created_at: datetime


# Members and invitations

ROLE = (
    "`legal_representative` (all rights, edits the organization's details), `administrator` "
    "(every product, adds and removes members), `collaborator` or `external` (only the products "
    "granted to them)."
)


class MemberRead(Schema):
    account_id: uuid.UUID
    email: str = Field(description="The member's login address.")
    first_name: str = Field(examples=["Camille"])
    last_name: str = Field(examples=["Rochat"])
    role: Role = Field(description=ROLE)
    acts_for_clients: bool = Field(
        description="In a partner organization: acts in the clients' organizations."
    )
    two_factor_enabled: bool = Field(description="Whether the member logs in with 2FA.")
    locked: bool = Field(
        description="Locked after too many failed logins: an administrator unlocks it "
        "(POST …/members/{account_id}/unlock)."
    )
    accounting: bool = Field(
        default=False,
        description="Holds the accounting right: sees the invoices, pays them and manages the "
        "payment means, and nothing else of billing (administrators and legal representatives "
        "handle billing anyway).",
    )
    blocked: bool = Field(
        default=False,
        description="Blocked: still a member, but reaches nothing in the organization until "
        "unblocked (POST …/members/{account_id}/unblock).",
    )
    last_login_at: datetime | None = Field(description="Null when it never logged in.")
    joined_at: datetime = Field(description="When it became a member.")


class DirectoryEntry(Schema):
    """A member as the organization's address book shows it to the other members."""

    account_id: uuid.UUID
    first_name: str = Field(examples=["Camille"])
    last_name: str = Field(examples=["Rochat"])
    email: str = Field(description="The member's login address.", examples=["camille@example.org"])
    role: Role = Field(description="Legal representative, administrator or collaborator.")


class SuiteSeatAssignment(Schema):
    account_id: uuid.UUID = Field(description="The member who takes one of the suite's seats.")


class SuiteSeatRead(Schema):
    """One of a suite's seats, assigned to a member."""

    product_id: uuid.UUID
    account_id: uuid.UUID = Field(description="The member holding the seat.")
    assigned_at: datetime


class MemberUpdate(Schema):
    role: Omittable[Role] = Field(
        default=None,
        description=f"The new role: {ROLE} Only a legal representative grants or takes away "
        "legal representation.",
    )
    acts_for_clients: Omittable[bool] = Field(
        default=None,
        description="In a partner organization only: whether the member acts in the clients' "
        "organizations (409 `not_a_partner` elsewhere).",
    )
    accounting: Omittable[bool] = Field(
        default=None,
        description="Whether the member holds the accounting right (invoices, their payment, "
        "payment means); for collaborators and externals only (409 "
        "`accounting_right_not_applicable` for administrators and legal representatives).",
    )


class LegalRepresentationHandover(Schema):
    account_id: uuid.UUID = Field(description="The member who becomes legal representative.")
    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The caller's own password, confirming the handover.",
        examples=["correct horse battery staple"],
    )
    new_role: Literal["administrator", "collaborator", "external"] = Field(
        default="administrator", description="The caller's role afterwards."
    )


class InvitationCreate(Schema):
    email: EmailStr = Field(
        max_length=320,
        description="Where the invitation is mailed; the account with this login (or the one "
        "created on acceptance) joins.",
        examples=["camille.rochat@example.ch"],
    )
    role: Role = Field(default=Role.collaborator, description=f"The role on joining: {ROLE}")


InvitationStatus = Literal["pending", "accepted", "revoked", "expired"]
INVITATION_STATUS = (
    "`pending` (the link works until `expires_at`), `accepted`, `revoked` or `expired`."
)


class InvitationRead(Schema):
    id: uuid.UUID
    email: str = Field(description="The invited address.")
    role: Role = Field(description="The role on joining.")
    status: InvitationStatus = Field(description=INVITATION_STATUS)
    invited_by_account_id: uuid.UUID | None = Field(
        description="Who invited; null once that account is deleted."
    )
    created_at: datetime
    expires_at: datetime = Field(description="Seven days after it was sent.")
    accepted_at: datetime | None = Field(description="Null until accepted.")


INVITATION_TOKEN = Field(
    min_length=10,
    max_length=200,
    description="The token of the invitation link (its `token` query parameter).",
    examples=["pVA4kj39VBtS2Nq8xWz7Lr1eYc5Ud0Hf"],
)


class InvitationToken(Schema):
    token: str = INVITATION_TOKEN


class InvitationPreview(Schema):
    organization_id: uuid.UUID
    organization_name: str = Field(examples=ORGANIZATION_NAME_EXAMPLES)
    email: str = Field(description="The invited address.")
    role: Role = Field(description="The role on joining.")
    account_exists: bool = Field(
        description="True: sign in and accept; false: accept with a new account's details."
    )
    expires_at: datetime = Field(description="The link works until then.")


class InvitationSignUp(Schema):
    token: str = INVITATION_TOKEN
    first_name: str = Field(min_length=1, max_length=100, examples=["Camille"])
    last_name: str = Field(min_length=1, max_length=100, examples=["Rochat"])
    password: Password
    phone: PhoneNumber | None = Field(
        default=None, description="The account's phone number.", examples=["+41 79 123 45 67"]
    )
    language: Language = Field(
        default=Language.en, description="The language of the service's mails and pages."
    )
    time_zone: str = Field(
        default="Europe/Zurich",
        description="An IANA time zone: how times are shown to the account.",
        examples=["Europe/Zurich", "Europe/Paris"],
    )

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("unknown time zone")
        return value


class InvitationAccepted(Schema):
    organization_id: uuid.UUID = Field(description="The organization joined.")
    account_id: uuid.UUID = Field(description="The account that joined.")
    role: Role = Field(description="Its role there.")


# Products and rights

RIGHTS = (
    "`use`, `manage`, `technical`, `statistics`; for a ticket office also `sell` (box office) "
    "and `check` (ticket control)."
)
PRODUCT_NAME_EXAMPLES = ["Billetterie du Théâtre du Lac", "theatre-du-lac.ch"]


class ProductCreate(Schema):
    type: ProductType = Field(description="What kind of product; it sets the rights it has.")
    name: str = Field(min_length=1, max_length=200, examples=PRODUCT_NAME_EXAMPLES)


class ProductRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization that owns it.")
    type: ProductType = Field(description="What kind of product; it sets the rights it has.")
    name: str = Field(examples=PRODUCT_NAME_EXAMPLES)
    status: ProductStatus = Field(
        description="Set by billing: `active`, `expired` (not renewed), `suspended`, "
        "`redemption` (expired, still recoverable) or `released` (given up)."
    )
    management_locked: bool = Field(
        description="When true, only administrators and legal representatives hold `manage` "
        "on it (collaborators and externals lose it until it is unlocked)."
    )
    created_at: datetime


class ProductWithRights(ProductRead):
    my_rights: list[ProductRight] = Field(
        description=f"What the caller may do with it now: {RIGHTS}"
    )


class GrantSubject(Schema):
    account_id: uuid.UUID | None = Field(
        default=None, description="A member who receives the rights…"
    )
    team_id: uuid.UUID | None = Field(
        default=None, description="…or a team, whose members all receive them (exactly one)."
    )

    @model_validator(mode="after")
    def _one_subject(self) -> "GrantSubject":
        if (self.account_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of account_id and team_id")
        return self


GRANT_SCOPE = (
    "What the grant covers: one `product` (`product_id`), every product of a `product_type`, or "
    "`all` the organization's products, present and future."
)


class GrantCreate(GrantSubject):
    """Sets the rights of a member or team on a product, a product type, or every product;
    an earlier grant on the same target is replaced."""

    scope: GrantScope = Field(description=GRANT_SCOPE)
    product_id: uuid.UUID | None = Field(default=None, description="With scope `product`.")
    product_type: ProductType | None = Field(default=None, description="With scope `product_type`.")
    include_future: bool = Field(
        default=False,
        description="With scope `product_type`: products of that type added later are covered.",
    )
    rights: list[ProductRight] = Field(
        min_length=1,
        max_length=6,
        description=f"The rights given: {RIGHTS} A right the target's products lack is refused "
        "(422 `right_not_applicable`).",
    )

    @model_validator(mode="after")
    def _target(self) -> "GrantCreate":
        if (self.scope == GrantScope.product) != (self.product_id is not None):
            raise ValueError("product_id goes with scope product, and only with it")
        if (self.scope == GrantScope.product_type) != (self.product_type is not None):
            raise ValueError("product_type goes with scope product_type, and only with it")
        return self


class GrantUpdate(Schema):
    rights: Omittable[list[ProductRight]] = Field(
        default=None,
        min_length=1,
        max_length=6,
        description=f"Replaces the rights given: {RIGHTS}",
    )
    include_future: Omittable[bool] = Field(
        default=None,
        description="With scope `product_type`: whether products of that type added later are "
        "covered.",
    )


class GrantRead(Schema):
    id: uuid.UUID
    account_id: uuid.UUID | None = Field(description="The member holding it (or null: a team).")
    team_id: uuid.UUID | None = Field(description="The team holding it (or null: a member).")
    scope: GrantScope = Field(description=GRANT_SCOPE)
    product_id: uuid.UUID | None = Field(description="With scope `product`, else null.")
    product_type: ProductType | None = Field(description="With scope `product_type`, else null.")
    include_future: bool = Field(
        description="Products of the type added later are covered (scope `product_type`)."
    )
    rights: list[ProductRight] = Field(description=f"The rights given: {RIGHTS}")
    granted_by_account_id: uuid.UUID | None = Field(
        description="Who gave or last changed it; null once that account is deleted."
    )
    created_at: datetime
    updated_at: datetime


class FullAccess(GrantSubject):
    """Every right on every product, present and future, in one grant."""


class EffectiveRights(Schema):
    product_id: uuid.UUID
    product_name: str = Field(examples=PRODUCT_NAME_EXAMPLES)
    product_type: ProductType
    rights: list[ProductRight] = Field(
        description="Every right held on the product now, from the role, the member's own "
        f"grants, its teams' grants and partner or support access together: {RIGHTS}"
    )


class TeamWrite(Schema):
    name: str = Field(min_length=1, max_length=100, examples=["Billetterie", "Comptabilité"])
    description: str | None = Field(
        default=None,
        max_length=500,
        description="What the team is for, shown to managers.",
        examples=["Caisse du soir et contrôle des billets"],
    )


class TeamUpdate(Schema):
    name: Omittable[str] = Field(
        default=None, min_length=1, max_length=100, examples=["Billetterie", "Comptabilité"]
    )
    description: str | None = Field(
        default=None,
        max_length=500,
        description="Null removes it.",
        examples=["Caisse du soir et contrôle des billets"],
    )


class TeamRead(Schema):
    id: uuid.UUID
    name: str = Field(examples=["Billetterie", "Comptabilité"])
    description: str | None = Field(
        description="What the team is for; null when none was given.",
        examples=["Caisse du soir et contrôle des billets"],
    )
    member_ids: list[uuid.UUID] = Field(
        description="The account ids of its members: each holds the team's grants."
    )
    created_at: datetime
    updated_at: datetime


class TeamMemberAdd(Schema):
    account_id: uuid.UUID = Field(description="A member of the organization.")


# Security


class TwoFactorRequirement(Schema):
    required: bool = Field(
        description="True: members without 2FA can do nothing in the organization but enrol."
    )


class TwoFactorAlertsSent(Schema):
    sent: int = Field(description="How many members without 2FA were e-mailed.")


class SupportAccessCreate(Schema):
    hours: int = Field(ge=1, le=720, description="How long support staff may reach products.")
    reason: str | None = Field(
        default=None,
        max_length=500,
        description="Why access is given, for the support staff and the activity log.",
        examples=["Le site n'affiche plus les billets depuis ce matin"],
    )


class SupportAccessRead(Schema):
    id: uuid.UUID
    reason: str | None = Field(
        description="Why access was given.",
        examples=["Le site n'affiche plus les billets depuis ce matin"],
    )
    granted_by_account_id: uuid.UUID | None = Field(
        description="Who gave it; null once that account is deleted."
    )
    created_at: datetime
    expires_at: datetime = Field(description="Support staff lose access then.")
    revoked_at: datetime | None = Field(description="When it was ended early; null otherwise.")
    active: bool = Field(description="Neither revoked nor expired: support staff reach it now.")


class SupportInfo(Schema):
    premium_support: bool = Field(description="Set by platform staff.")
    vip_code: str | None = Field(
        description="With premium support: identifies the organization when calling support.",
        examples=["0482913375"],
    )
    active_access: SupportAccessRead | None = Field(
        description="The support access running now, if any."
    )


# Partners

ACCESS_TYPE = (
    "`full`: every product, present and future (as an administrator); `limited`: the products "
    "listed only."
)
INCLUDES_BILLING = "Full access only: the partner's staff also handle invoices and payments."
PAYMENT_MODE = (
    "Who pays the client's orders and renewals: `client_pays` (the client's own payment means) "
    "or `partner_pays` (the partner's, at the partner price)."
)
CLIENT_NAME_EXAMPLES = ["Boulangerie Favre SA"]


class PartnerInvitationCreate(Schema):
    email: EmailStr = Field(
        max_length=320,
        description="Where the invitation is sent: the client's legal representative.",
        examples=["direction@boulangerie-favre.ch"],
    )
    client_name: str = Field(
        min_length=1,
        max_length=200,
        description="The client as the partner names it in the invitation.",
        examples=CLIENT_NAME_EXAMPLES,
    )
    access_type: PartnerAccess = Field(
        default=PartnerAccess.full, description=f"The access asked for: {ACCESS_TYPE}"
    )
    includes_billing: bool = Field(default=False, description=INCLUDES_BILLING)
    payment_mode: PaymentMode = Field(default=PaymentMode.client_pays, description=PAYMENT_MODE)


class PartnerInvitationRead(Schema):
    id: uuid.UUID
    email: str = Field(description="The invited address.")
    client_name: str = Field(
        description="The client as the partner named it.", examples=CLIENT_NAME_EXAMPLES
    )
    access_type: PartnerAccess = Field(description=f"The access asked for: {ACCESS_TYPE}")
    includes_billing: bool = Field(description=INCLUDES_BILLING)
    payment_mode: PaymentMode = Field(description=PAYMENT_MODE)
    status: InvitationStatus = Field(description=INVITATION_STATUS)
    partnership_id: uuid.UUID | None = Field(
        description="The partnership its acceptance started; null until accepted."
    )
    created_at: datetime
    expires_at: datetime = Field(description="Fourteen days after it was sent.")


class PartnerInvitationPreview(Schema):
    partner_organization_id: uuid.UUID
    partner_name: str = Field(examples=["Informatique Léman Sàrl"])
    client_name: str = Field(
        description="The client as the partner named it.", examples=CLIENT_NAME_EXAMPLES
    )
    access_type: PartnerAccess = Field(description=f"The access asked for: {ACCESS_TYPE}")
    includes_billing: bool = Field(description=INCLUDES_BILLING)
    payment_mode: PaymentMode = Field(description=PAYMENT_MODE)
    expires_at: datetime = Field(description="The link works until then.")


class PartnershipTerms(Schema):
    """What the client grants: it may differ from what the partner asked for."""

    access_type: PartnerAccess = Field(description=ACCESS_TYPE)
    includes_billing: bool = Field(default=False, description=INCLUDES_BILLING)
    product_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=1000,
        description="Limited access: the client's products the partner reaches (at least one).",
    )
    payment_mode: PaymentMode = Field(default=PaymentMode.client_pays, description=PAYMENT_MODE)

    @model_validator(mode="after")
    def _consistent(self) -> "PartnershipTerms":
        if self.access_type == PartnerAccess.full and self.product_ids:
            raise ValueError("full access covers every product: give no product_ids")
        if self.access_type == PartnerAccess.limited and self.includes_billing:
            raise ValueError("billing can only be included with full access")
        return self


class PartnershipAccept(PartnershipTerms):
    token: str = Field(
        min_length=10,
        max_length=200,
        description="The token of the partner's invitation link (its `token` query parameter).",
        examples=["pVA4kj39VBtS2Nq8xWz7Lr1eYc5Ud0Hf"],
    )


class PartnershipRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID = Field(description="The partner managing the client.")
    partner_name: str = Field(
        description="The partner organization's current name.", examples=["Informatique Léman Sàrl"]
    )
    client_organization_id: uuid.UUID = Field(description="The managed client.")
    client_name: str = Field(
        description="The client organization's current name.", examples=CLIENT_NAME_EXAMPLES
    )
    access_type: PartnerAccess = Field(description=ACCESS_TYPE)
    includes_billing: bool = Field(description=INCLUDES_BILLING)
    payment_mode: PaymentMode = Field(description=PAYMENT_MODE)
    product_ids: list[uuid.UUID] = Field(
        description="Limited access: the products the partner reaches; empty with full access."
    )
    created_at: datetime = Field(description="When the client accepted: the partnership began.")
    ended_at: datetime | None = Field(
        description="When the client or the partner ended it; null while it runs."
    )


# Platform staff


class PlatformOrganizationUpdate(Schema):
    """(An organization becomes an affiliate by joining the programme, ``/affiliate``.)"""

    is_partner: Omittable[bool] = Field(
        default=None,
        description="Makes the organization a partner (never while it is an affiliate: 409 "
        "`affiliate_partner_conflict`), or no longer one.",
    )
    premium_support: Omittable[bool] = Field(
        default=None,
        description="Turns premium support on (the organization gets a VIP code) or off.",
    )


class PlatformOrganizationRead(Schema):
    id: uuid.UUID
    name: str = Field(examples=ORGANIZATION_NAME_EXAMPLES)
    is_partner: bool = Field(description="A partner (reseller) managing client organizations.")
    is_affiliate: bool = Field(description="Joined the affiliate programme.")
    premium_support: bool = Field(description="Has premium support, with a VIP code.")
    vip_code: str | None = Field(
        description="The code the organization gives when calling support; null until premium "
        "support is first turned on.",
        examples=["0482913375"],
    )
    created_at: datetime


class ClientAccountOpen(Schema):
    """A partner opens its client's account in the client's name, with its organization."""

    first_name: str = Field(min_length=1, max_length=100, examples=["Julien"])
    last_name: str = Field(min_length=1, max_length=100, examples=["Favre"])
    email: EmailStr = Field(
        max_length=320,
        description="The client's own address: its login.",
        examples=["julien.favre@boulangerie-favre.ch"],
    )
    phone: PhoneNumber = Field(
        description="The client's mobile: the activation code goes there.",
        examples=["+41 79 123 45 67"],
    )
    language: Language = Field(
        default=Language.en, description="The language of the client's mails and pages."
    )
    organization_name: str = Field(min_length=1, max_length=200, examples=CLIENT_NAME_EXAMPLES)
    organization_kind: OrganizationKind = Field(default=OrganizationKind.private, description=KIND)
    address: PostalAddress | None = Field(
        default=None,
        description="The client organization's postal address; its country sets the currency "
        "(CHF in CH and LI, else EUR).",
    )
    initial_password: Password | None = Field(
        default=None,
        description="Leave out so that only the client ever knows its password; when set, the "
        "client must change it at its first login.",
    )
    includes_billing: bool = Field(default=False, description=INCLUDES_BILLING)
    payment_mode: PaymentMode = Field(default=PaymentMode.client_pays, description=PAYMENT_MODE)


class ClientAccountOpened(Schema):
    account_id: uuid.UUID = Field(description="The client's new account (not yet activated).")
    organization_id: uuid.UUID = Field(description="The client's new organization.")
    partnership_id: uuid.UUID = Field(description="The full-access partnership with the partner.")
    email: str = Field(description="Where the activation link was mailed.")
