"""Customer forms: an event's questions, set by the office's managers
(/v1/organizations/…/events/{event_id}/questions), read by the shop
(/v1/shop/events/{event_id}/questions), and the answers exported as CSV."""

import uuid

from fastapi import APIRouter, Response, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.routing import AppRoute, declares
from app.ticketing import forms, offices
from app.ticketing.deps import READ, WRITE, OfficeManager, OfficeSeller, OfficeUser
from app.ticketing.errors import EventNotFound, QuestionInvalid
from app.ticketing.router import OFFICE, csv_response
from app.ticketing.sales_schemas import QuestionCreate, QuestionRead

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/events/{event_id}",
    tags=["forms"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.post("/questions", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, EventNotFound, QuestionInvalid, 422)
async def add_question(
    event_id: uuid.UUID, body: QuestionCreate, office: OfficeManager, session: Session
) -> QuestionRead:
    """A question at the end of the event's customer form."""
    event = await offices.get_event(session, office.office.id, event_id)
    question = await forms.add_question(session, office.office, event, body=body, by=office.actor)
    return QuestionRead.model_validate(question)


@router.get("/questions")
@declares(READ, *OFFICE, EventNotFound)
async def list_questions(
    event_id: uuid.UUID, office: OfficeUser, session: Session
) -> list[QuestionRead]:
    event = await offices.get_event(session, office.office.id, event_id)
    return [QuestionRead.model_validate(q) for q in await forms.questions_of(session, event.id)]


@router.get(
    "/answers.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One line per answer."},
        **problem_responses(*OFFICE, EventNotFound),
    },
)
@declares(READ)
async def export_answers(event_id: uuid.UUID, office: OfficeSeller, session: Session) -> Response:
    event = await offices.get_event(session, office.office.id, event_id)
    return csv_response(
        forms.answers_csv(await forms.answered_orders(session, event)), f"answers-{event.id}.csv"
    )


@shop_router.get("/events/{event_id}/questions")
@declares(PUBLIC, EventNotFound)
async def read_questions(event_id: uuid.UUID, session: Session) -> list[QuestionRead]:
    """The customer form to fill in when ordering."""
    event, _ = await offices.get_published_event(session, event_id)
    return [QuestionRead.model_validate(q) for q in await forms.questions_of(session, event.id)]
