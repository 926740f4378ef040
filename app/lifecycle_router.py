"""The routes of the use cases that span domains (``app.lifecycle``): sign-up, an account a
partner opens for its client, deleting an account, deleting an organization. Paths and operation
ids are those of their domains."""

from fastapi import APIRouter, Depends, status

from app import lifecycle
from app.accounts.deps import (
    PUBLIC,
    SESSION_ERRORS,
    AppSettings,
    CurrentAccount,
    InteractiveSession,
    RequestClient,
    require_scope,
)
from app.accounts.errors import EmailTaken, SoleLegalRepresentative, WrongPassword
from app.accounts.password_policy import WeakPassword
from app.accounts.schemas import AccountDeletion, SignUp, SignUpAccepted
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations.permissions import (
    MANAGER_ERRORS,
    PARTNER_ERRORS,
    LegalRepresentative,
    PartnerManager,
)
from app.organizations.schemas import ClientAccountOpen, ClientAccountOpened, PasswordConfirmation
from app.organizations.service import OrganizationNotDeletable

NO_CONTENT = status.HTTP_204_NO_CONTENT

accounts_router = APIRouter(tags=["accounts"], route_class=AppRoute)
organizations_router = APIRouter(tags=["organizations"], route_class=AppRoute)
partners_router = APIRouter(tags=["partners"], route_class=AppRoute)


@accounts_router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(per_ip("signup", limit=10, per_seconds=3600))],
)
@declares(PUBLIC, WeakPassword, 422, TooManyRequests)
async def sign_up(
    body: SignUp, session: Session, settings: AppSettings, client: RequestClient
) -> SignUpAccepted:
    """Public. Creates an account and an organization it represents (the account its legal
    representative, the organization's currency set by the address's country); a confirmation
    link is e-mailed
    (and, when the service is set so, a code texted to confirm the phone number). For an
    address that already has an account, its owner is mailed instead: the answer is the same,
    so it tells nobody who has an account. An ``attribution_token`` (from
    /v1/affiliate-visits, within 30 days) refers it to that affiliate; an unknown or expired one
    is ignored."""
    await lifecycle.sign_up(
        session, body, ip=client.ip, confirm_phone=settings.signup_phone_confirmation
    )
    return SignUpAccepted(email=str(body.email))


@partners_router.post(
    "/organizations/{organization_id}/clients/accounts", status_code=status.HTTP_201_CREATED
)
@declares(require_scope("organizations:write"), *PARTNER_ERRORS, EmailTaken, WeakPassword, 422)
async def open_client_account(
    body: ClientAccountOpen, partner: PartnerManager, session: Session
) -> ClientAccountOpened:
    """Opens a client's account in the client's name with its organization (the client its
    legal representative and owner), managed by the partner with full access from the start.
    The client receives an activation e-mail and an SMS code, both needed before first use;
    it chooses its own password, accepts the terms and enrols 2FA at its first login. For the
    administrators and legal representatives of a partner organization; 409
    `email_already_registered` when the address is another account's login."""
    opened = await lifecycle.open_client_account(session, partner, body)
    return ClientAccountOpened(
        account_id=opened.account.id,
        organization_id=opened.organization.id,
        partnership_id=opened.partnership_id,
        email=opened.account.email,
    )


@accounts_router.post("/account/deletion", operation_id="accounts-delete", status_code=NO_CONTENT)
@declares(require_scope("account:write"), *SESSION_ERRORS, WrongPassword, SoleLegalRepresentative)
async def delete_account(
    body: AccountDeletion,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Deletes the caller's account, confirmed with its password: every session ends, every
    personal access token is revoked, its personal data are erased and it leaves its
    organizations (those it leaves empty are closed). 409 `sole_legal_representative`, listing
    them in `organizations`, while it is the only legal representative of an organization with
    other members or products. Signed-in sessions only."""
    await lifecycle.delete_account(session, account, password=body.password)


@organizations_router.post(
    "/organizations/{organization_id}/deletion",
    operation_id="organizations-delete",
    status_code=NO_CONTENT,
)
@declares(
    require_scope("organizations:write"), *MANAGER_ERRORS, WrongPassword, OrganizationNotDeletable
)
async def delete_organization(
    body: PasswordConfirmation, access: LegalRepresentative, session: Session
) -> None:
    """Deletes the organization, confirmed with the caller's password, when it holds no
    products, no other members, no unpaid invoice and no prepaid balance; 409 lists what is left
    (`blockers`: products, other_members, unpaid_invoices, prepaid_balance). Legal representatives
    only; its invoices stay available to them for the legal retention period."""
    await lifecycle.delete_organization(
        session, access.organization, by=access.principal.account, password=body.password
    )
