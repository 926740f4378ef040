"""/v1/platform/…: what the provider's own staff do with accounts: find one by its support code,
export a newsletter topic's subscribers, send a newsletter. For platform staff in an
interactive session only; every other caller is refused."""

from fastapi import APIRouter, Response, status

from app.accounts import newsletters, support
from app.accounts.deps import STAFF_ERRORS, StaffActor, require_scope
from app.accounts.errors import AccountNotFound
from app.accounts.schemas import (
    NewsletterQueued,
    NewsletterSend,
    NewsletterTopic,
    StaffAccountRead,
    SupportCode,
)
from app.core.db import Session
from app.core.errors import problem_responses
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


@router.get(
    "/newsletter-topics/{topic}/subscribers.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(*STAFF_ERRORS),
    },
)
@declares(read_scope)
async def export_newsletter_subscribers(
    topic: NewsletterTopic, by: StaffActor, session: Session
) -> Response:
    """The topic's current subscribers as a CSV file, oldest consent first: account id, login
    e-mail, names, language, and the consent's time (ISO 8601), language and exact wording. For
    platform staff in an interactive session; withdrawn consents and deleted accounts are left
    out."""
    document = await newsletters.export_csv(session, topic)
    return Response(
        document,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="newsletter-{topic}.csv"'},
    )


@router.post("/newsletters", status_code=status.HTTP_202_ACCEPTED)
@declares(write_scope, *STAFF_ERRORS, 422)
async def send_newsletter(
    body: NewsletterSend, by: StaffActor, session: Session
) -> NewsletterQueued:
    """Queues a newsletter to every subscriber of the topic whose login e-mail is confirmed, in
    their language when a version has it (else the first version), through the mail outbox. Each
    mail carries its recipient's own one-click unsubscribe link (`List-Unsubscribe` and
    `List-Unsubscribe-Post`, RFC 8058). For platform staff in an interactive session; recorded in
    the sender's activity log (`newsletter.sent`)."""
    recipients = await newsletters.send(session, body, by=by)
    return NewsletterQueued(topic=body.topic, recipients=recipients)
