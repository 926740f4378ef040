"""/v1/platform/…: what the provider's own staff do with accounts: find one by its support code,
export a newsletter topic's subscribers, send a newsletter. For platform staff in an
interactive session only; every other caller is refused."""

from fastapi import APIRouter

from app.accounts import support
from app.accounts.deps import STAFF_ERRORS, StaffActor, require_scope
from app.accounts.errors import AccountNotFound
from app.accounts.schemas import StaffAccountRead, SupportCode
from app.core.db import Session
from app.core.routing import AppRoute, declares

# No tag of its own: included in the accounts' router, whose tag it takes.
router = APIRouter(prefix="/platform", route_class=AppRoute)

read_scope = require_scope("account:read")
write_scope = require_scope("account:write")


@router.get("/accounts/by-support-code/{support_code}")
@declares(read_scope, *STAFF_ERRORS, AccountNotFound)
async def find_account_by_support_code(
    support_code: SupportCode, by: StaffActor, session: Session
) -> StaffAccountRead:
    """The account whose support code a caller read out to support. For platform staff in an
    interactive session. The lookup is recorded in that account's activity log
    (`account.found_by_support_code`, the staff member as actor, marked `via` support). No live
    account with this code: 404 `account_not_found`."""
    account = await support.find_by_support_code(session, support_code, by=by)
    return support.staff_read(account)
