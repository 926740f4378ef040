"""Joining the programme, payout preferences, visits with their attribution token, sign-ups
attributed to the last visit within 30 days, and staff suspending an affiliate.

A tag is 16 random lowercase letters and digits (unguessable, unique by constraint). An
attribution token is 32 random bytes, kept hashed; each visit with it is a row, and a sign-up is
attributed to the affiliate of the visitor's latest visit in the last 30 days (last click wins).
"""

import hashlib
import secrets
import string
import uuid
from datetime import datetime

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.activity import service as activity
from app.activity.types import Actor
from app.affiliates.errors import (
    AffiliateNotFound,
    AffiliateTagUnknown,
    AlreadyAffiliate,
    InvalidIban,
    NotAnAffiliate,
    PayoutDestinationMissing,
)
from app.affiliates.models import Affiliate, Referral, Visit, Visitor
from app.affiliates.schemas import AffiliateJoin, AffiliateRead, PayoutPreferences
from app.affiliates.types import ATTRIBUTION, EARNING_WINDOW, AffiliateStatus, PayoutMethod
from app.core import clock
from app.core.db import one_or_raise
from app.events.service import emit
from app.organizations import service as organizations

TAG_ALPHABET = string.ascii_lowercase + string.digits
TAG_LENGTH = 16


def _new_tag() -> str:
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(TAG_LENGTH))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def affiliate_of(
    session: AsyncSession, organization_id: uuid.UUID, *, for_update: bool = False
) -> Affiliate:
    """The organization's affiliate account (``NotAnAffiliate`` when it has not joined)."""
    statement = select(Affiliate).where(Affiliate.organization_id == organization_id)
    return await one_or_raise(
        session,
        statement,
        NotAnAffiliate("This organization is not in the affiliate programme."),
        for_update=for_update,
    )


async def get_affiliate(
    session: AsyncSession, affiliate_id: uuid.UUID, *, for_update: bool = False
) -> Affiliate:
    statement = select(Affiliate).where(Affiliate.id == affiliate_id)
    return await one_or_raise(
        session, statement, AffiliateNotFound("No such affiliate."), for_update=for_update
    )


def all_affiliates() -> Select[Affiliate]:
    return select(Affiliate)


def _destination(preferences: PayoutPreferences) -> tuple[str | None, str | None]:
    """(paypal_email, iban) for the chosen method; the IBAN checked and in its compact form."""
    if preferences.payout_method == PayoutMethod.paypal:
        if not preferences.paypal_email:
            raise PayoutDestinationMissing("PayPal payouts need a PayPal address (paypal_email).")
        return str(preferences.paypal_email), None
    if preferences.payout_method == PayoutMethod.bank_transfer:
        if not preferences.iban:
            raise PayoutDestinationMissing("Bank payouts need an account number (iban).")
        try:
            iban = IBAN(preferences.iban)
        except SchwiftyException as error:
            raise InvalidIban(f"This IBAN is not valid: {error}.") from error
        return None, iban.compact
    return None, None


async def join(
    session: AsyncSession, *, organization_id: uuid.UUID, body: AffiliateJoin, by: Actor
) -> Affiliate:
    """The organization joins the programme (never while it is a partner) with a new tag."""
    paypal_email, iban = _destination(body)
    await organizations.set_affiliate_flag(session, organization_id, is_affiliate=True, by=by)
    existing = await session.scalar(
        select(Affiliate.id).where(Affiliate.organization_id == organization_id)
    )
    if existing is not None:
        raise AlreadyAffiliate("This organization is already in the affiliate programme.")
    now = clock.now()
    affiliate = Affiliate(
        id=uuid.uuid4(),
        organization_id=organization_id,
        tag=_new_tag(),
        currency=body.currency,
        payout_method=body.payout_method,
        paypal_email=paypal_email,
        iban=iban,
        status=AffiliateStatus.active,
        created_at=now,
        updated_at=now,
    )
    session.add(affiliate)
    await session.flush()
    await activity.record(
        session,
        by,
        "affiliate.joined",
        organization_id=organization_id,
        details={"currency": body.currency, "payout_method": body.payout_method.value},
    )
    await emit(
        session,
        "affiliate.joined",
        AffiliateRead.model_validate(affiliate),
        organization_id=organization_id,
    )
    return affiliate


async def set_payout_preferences(
    session: AsyncSession, affiliate: Affiliate, body: PayoutPreferences, *, by: Actor
) -> Affiliate:
    """Changes how future payouts are made (the account currency stays)."""
    affiliate.paypal_email, affiliate.iban = _destination(body)
    affiliate.payout_method = body.payout_method
    affiliate.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "affiliate.payout_preferences_changed",
        organization_id=affiliate.organization_id,
        details={"payout_method": body.payout_method.value},
    )
    return affiliate


async def record_visit(
    session: AsyncSession, *, tag: str, token: str | None, ip: str | None
) -> tuple[str, datetime]:
    """Someone landed with ``tag``: the visit is kept (IP, time) and the attribution token
    (the one presented, or a new one) is returned with its expiry, 30 days from now."""
    affiliate_id = await session.scalar(select(Affiliate.id).where(Affiliate.tag == tag))
    if affiliate_id is None:
        raise AffiliateTagUnknown("No affiliate has this tag.")
    now = clock.now()
    visitor = None
    if token:
        visitor = await session.scalar(select(Visitor).where(Visitor.token_hash == _hash(token)))
    if visitor is None:
        token = secrets.token_urlsafe(32)
        visitor = Visitor(id=uuid.uuid4(), token_hash=_hash(token), created_at=now)
        session.add(visitor)
        await session.flush()
    assert token is not None
    session.add(
        Visit(
            id=uuid.uuid4(), visitor_id=visitor.id, affiliate_id=affiliate_id, ip=ip, visited_at=now
        )
    )
    await session.flush()
    return token, now + ATTRIBUTION


async def attribute_sign_up(
    session: AsyncSession,
    *,
    token: str | None,
    account_id: uuid.UUID,
    organization_id: uuid.UUID,
    ip: str | None,
) -> Referral | None:
    """Attributes the organization just created at sign-up to the affiliate of the token's
    latest visit in the last 30 days, unless the sign-up comes from an IP address the
    affiliate's members log in from. No token, an unknown or expired one: no attribution."""
    if not token:
        return None
    now = clock.now()
    row = (
        await session.execute(
            select(Visit, Affiliate)
            .join(Visitor, Visitor.id == Visit.visitor_id)
            .join(Affiliate, Affiliate.id == Visit.affiliate_id)
            .where(Visitor.token_hash == _hash(token), Visit.visited_at > now - ATTRIBUTION)
            .order_by(Visit.visited_at.desc(), Visit.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    visit, affiliate = row
    members = await organizations.member_account_ids(session, affiliate.organization_id)
    if account_id in members or await accounts.logged_in_from(session, members, ip):
        return None
    referral = Referral(
        id=uuid.uuid4(),
        affiliate_id=affiliate.id,
        organization_id=organization_id,
        account_id=account_id,
        visit_id=visit.id,
        visited_at=visit.visited_at,
        earns_until=now + EARNING_WINDOW,
        created_at=now,
    )
    session.add(referral)
    await session.flush()
    await activity.record(
        session,
        Actor.system(),
        "affiliate.referral_attributed",
        organization_id=affiliate.organization_id,
        details={"referral_id": str(referral.id)},
    )
    return referral


async def suspend(
    session: AsyncSession, affiliate: Affiliate, *, reason: str | None, by: Actor
) -> Affiliate:
    """Staff suspend an affiliate (no new commissions) or, with ``reason`` None, reinstate it."""
    now = clock.now()
    affiliate.status = AffiliateStatus.suspended if reason else AffiliateStatus.active
    affiliate.suspended_at = now if reason else None
    affiliate.suspension_reason = reason
    affiliate.updated_at = now
    await session.flush()
    await activity.record(
        session,
        by,
        "affiliate.suspended" if reason else "affiliate.reinstated",
        organization_id=affiliate.organization_id,
        details={"reason": reason} if reason else {},
    )
    return affiliate
