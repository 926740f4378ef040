"""The use cases that span domains, above all of them: sign-up with its organization, an account
a partner opens for its client, account deletion, organization deletion. A domain never calls
upward; what needs two layers lives here.

Each function is one use case in the request's transaction; the domains' services do the work
and record their own activity entries and events.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.errors import SoleLegalRepresentative
from app.accounts.models import Account
from app.accounts.schemas import SignUp
from app.affiliates import service as affiliates
from app.billing import service as billing
from app.organizations import service as organizations
from app.organizations.models import Organization
from app.organizations.permissions import OrganizationAccess
from app.organizations.schemas import ClientAccountOpen
from app.partner_services import service as partner_services


def connect_domains() -> None:
    """Hooks between domains of one layer: billing's camt import pays partner invoices."""
    billing.register_transfer_settler(partner_services.settle_transfer)


async def sign_up(
    session: AsyncSession,
    form: SignUp,
    *,
    ip: str | None = None,
    confirm_phone: bool = False,
) -> None:
    """A new account and the organization it represents; a confirmation link is mailed (and,
    with ``confirm_phone``, a code texted to the phone number). For an address that already has
    an account, its owner is mailed instead and nothing else happens: the caller cannot tell
    which it was. With an affiliate attribution token from a visit in the last 30 days, the new
    organization is the affiliate's referral (no token, or a stale one: no attribution, the
    sign-up goes on)."""
    if await accounts.sign_up_taken(session, email=str(form.email), password=form.password):
        return
    address = form.address.model_dump() if form.address else None
    account = await accounts.sign_up(
        session,
        first_name=form.first_name,
        last_name=form.last_name,
        email=str(form.email),
        password=form.password,
        phone=form.phone,
        address=address,
        language=form.language,
        time_zone=form.time_zone,
    )
    organization = await organizations.create_organization(
        session,
        name=account.full_name,
        legal_representative_id=account.id,
        address=address,
        phone=form.phone,
    )
    if confirm_phone and account.phone:
        await accounts.send_phone_code(session, account)
    await affiliates.attribute_sign_up(
        session,
        token=form.attribution_token,
        account_id=account.id,
        organization_id=organization.id,
        ip=ip,
    )


async def delete_account(session: AsyncSession, account: Account, *, password: str) -> None:
    """Deletes the account, unless it is the only legal representative of an organization that
    has other members or products; the organizations it leaves empty are closed."""
    await accounts.require_password(account, password)
    blockers = await organizations.account_deletion_blockers(session, account.id)
    if blockers:
        raise SoleLegalRepresentative(
            "You are the only legal representative of: "
            + ", ".join(blockers)
            + ". Hand over legal representation first.",
            organizations=blockers,
        )
    await organizations.leave_all(session, account.id)
    await accounts.erase_account(session, account)


async def organization_deletion_blockers(
    session: AsyncSession, organization: Organization
) -> list[str]:
    """Why the organization cannot be deleted now, as stable codes (empty: it can be): products,
    other members, unpaid invoices, a prepaid balance."""
    blockers = await organizations.organization_deletion_blockers(session, organization)
    if await billing.has_unpaid_invoices(session, organization.id):
        blockers.append("unpaid_invoices")
    if await billing.has_prepaid_balance(session, organization.id):
        blockers.append("prepaid_balance")
    return blockers


async def delete_organization(
    session: AsyncSession, organization: Organization, *, by: Account, password: str
) -> None:
    """Deletes the organization, ``by`` confirming with its password, when it holds no products,
    no other members, no unpaid invoice and no prepaid balance (409 listing the blockers). Its
    legal representatives keep its invoices for the legal retention period."""
    await accounts.require_password(by, password)
    await organizations.lock_organization(session, organization.id)
    blockers = await organization_deletion_blockers(session, organization)
    if blockers:
        raise organizations.OrganizationNotDeletable(
            "The organization cannot be deleted yet: " + ", ".join(blockers) + ".",
            blockers=blockers,
        )
    await billing.keep_invoices_for(
        session,
        organization.id,
        await organizations.legal_representative_ids(session, organization.id),
    )
    await organizations.close_organization(session, organization, by_account_id=by.id)


@dataclass(frozen=True)
class OpenedClient:
    account: Account
    organization: Organization
    partnership_id: uuid.UUID


async def open_client_account(
    session: AsyncSession, partner: OrganizationAccess, form: ClientAccountOpen
) -> OpenedClient:
    """A partner opens its client's account in the client's name and the organization it
    represents (its legal representative and owner), and manages it with full access from the
    start. The client activates it (mailed link and texted code), chooses its password, accepts
    the terms, and enrols 2FA at its first login; it may end the partnership at any time."""
    address = form.address.model_dump() if form.address else None
    account = await accounts.open_account_for_client(
        session,
        first_name=form.first_name,
        last_name=form.last_name,
        email=str(form.email),
        phone=form.phone,
        address=address,
        language=form.language,
        initial_password=form.initial_password,
        by=partner.actor,
    )
    organization = await organizations.create_organization(
        session,
        name=form.organization_name,
        legal_representative_id=account.id,
        kind=form.organization_kind,
        address=address,
        phone=form.phone,
    )
    partnership = await organizations.start_partnership_for_opened_client(
        session,
        partner.organization,
        organization,
        includes_billing=form.includes_billing,
        payment_mode=form.payment_mode,
        by=partner.actor,
    )
    await accounts.send_activation(
        session,
        account,
        partner_name=partner.organization.name,
        organization_name=organization.name,
        password_set=form.initial_password is not None,
    )
    return OpenedClient(account, organization, partnership.id)
