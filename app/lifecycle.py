"""The use cases that span domains, above all of them: sign-up with its organization, account
deletion, organization deletion. A domain never calls upward; what needs two layers lives here.

Each function is one use case in the request's transaction; the domains' services do the work
and record their own activity entries and events.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.errors import SoleLegalRepresentative
from app.accounts.models import Account
from app.accounts.schemas import SignUp
from app.billing import service as billing
from app.organizations import service as organizations
from app.organizations.models import Organization
from app.partner_services import service as partner_services


def connect_domains() -> None:
    """Hooks between domains of one layer: billing's camt import pays partner invoices."""
    billing.register_transfer_settler(partner_services.settle_transfer)


async def sign_up(session: AsyncSession, form: SignUp) -> None:
    """A new account and the organization it represents; a confirmation link is mailed. For
    an address that already has an account, its owner is mailed instead and nothing else
    happens: the caller cannot tell which it was."""
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
    await organizations.create_organization(
        session,
        name=account.full_name,
        legal_representative_id=account.id,
        address=address,
        phone=form.phone,
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
    no other members, no unpaid invoice and no prepaid balance (409 listing the blockers)."""
    await accounts.require_password(by, password)
    await organizations.lock_organization(session, organization.id)
    blockers = await organization_deletion_blockers(session, organization)
    if blockers:
        raise organizations.OrganizationNotDeletable(
            "The organization cannot be deleted yet: " + ", ".join(blockers) + ".",
            blockers=blockers,
        )
    await organizations.close_organization(session, organization, by_account_id=by.id)
