"""The routes of the use cases that span domains (``app.lifecycle``): sign-up, deleting an
account, deleting an organization. Paths and operation ids are those of their domains."""

from fastapi import APIRouter, Depends, status

from app import lifecycle
from app.accounts.deps import (
    PUBLIC,
    SESSION_ERRORS,
    CurrentAccount,
    InteractiveSession,
    require_scope,
)
from app.accounts.errors import SoleLegalRepresentative, WrongPassword
from app.accounts.password_policy import WeakPassword
from app.accounts.schemas import AccountDeletion, SignUp, SignUpAccepted
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations.permissions import MANAGER_ERRORS, LegalRepresentative
from app.organizations.schemas import PasswordConfirmation
from app.organizations.service import OrganizationNotDeletable

NO_CONTENT = status.HTTP_204_NO_CONTENT

accounts_router = APIRouter(tags=["accounts"], route_class=AppRoute)
organizations_router = APIRouter(tags=["organizations"], route_class=AppRoute)


@accounts_router.post(
    "/accounts",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(per_ip("signup", limit=10, per_seconds=3600))],
)
@declares(PUBLIC, WeakPassword, 422, TooManyRequests)
async def sign_up(body: SignUp, session: Session) -> SignUpAccepted:
    """Creates an account and an organization it represents; a confirmation link is e-mailed.
    For an address that already has an account, its owner is mailed instead: the answer is the
    same, so it tells nobody who has an account."""
    await lifecycle.sign_up(session, body)
    return SignUpAccepted(email=str(body.email))


@accounts_router.post("/account/deletion", operation_id="accounts-delete", status_code=NO_CONTENT)
@declares(require_scope("account:write"), *SESSION_ERRORS, WrongPassword, SoleLegalRepresentative)
async def delete_account(
    body: AccountDeletion,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Deletes the account (password needed) unless it is the only legal representative."""
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
    """Deletes the organization (password needed) when it holds no products, no other members,
    no unpaid invoice and no prepaid balance; 409 lists what is left (`blockers`)."""
    await lifecycle.delete_organization(
        session, access.organization, by=access.principal.account, password=body.password
    )
