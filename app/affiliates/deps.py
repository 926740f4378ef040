"""The programme's callers as dependencies: the managers of an affiliate organization (with its
affiliate account loaded), and the scopes a personal access token needs."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.accounts.deps import require_scope
from app.activity.types import Actor
from app.affiliates import programme
from app.affiliates.errors import NotAnAffiliate
from app.affiliates.models import Affiliate
from app.core.db import Session
from app.core.errors import raises
from app.organizations.permissions import Manager

READ = require_scope("affiliates:read")
WRITE = require_scope("affiliates:write")


@dataclass(frozen=True)
class AffiliateAccess:
    affiliate: Affiliate
    by: Actor


@raises(NotAnAffiliate)
async def affiliate_access(access: Manager, session: Session) -> AffiliateAccess:
    affiliate = await programme.affiliate_of(session, access.organization.id)
    return AffiliateAccess(affiliate, access.actor)


AffiliateManager = Annotated[AffiliateAccess, Depends(affiliate_access)]
"""A manager of an organization in the programme, with its affiliate account."""
