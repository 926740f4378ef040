"""Customer forms: an event's questions, set by the office's managers
(/v1/organizations/…/events/{event_id}/questions), read by the shop
(/v1/shop/events/{event_id}/questions), and the answers exported as CSV."""

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Response, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import Page, page_of
from app.core.routing import AppRoute, declares
from app.ticketing import forms, offices
from app.ticketing.deps import READ, WRITE, OfficeManager, OfficeSeller, OfficeUser
from app.ticketing.errors import EventNotFound, QuestionInvalid
from app.ticketing.models import Question
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
    """Adds a question at the end of the event's customer form, asked once per order or for
    each ticket; orders placed from then on must answer it if required. Needs the `manage`
    right; options on a question that is not a choice (or none on one), or a 101st question,
    are refused (422 `question_invalid`)."""
    event = await offices.get_event(session, office.office.id, event_id, for_update=True)
    question = await forms.add_question(session, office.office, event, body=body, by=office.actor)
    return QuestionRead.model_validate(question)


@router.get("/questions", response_model=Page[QuestionRead])
@declares(READ, *OFFICE, EventNotFound)
async def list_questions(
    event_id: uuid.UUID, office: OfficeUser, session: Session
) -> dict[str, Any]:
    """The event's customer form: its questions in form order, all in one page (a form holds at
    most 100: `next_cursor` is null and `has_more` false). Needs the `use` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    return _form(await forms.questions_of(session, event.id))


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
    """The answers of the event's orders as CSV, one line per answer (order, status, customer,
    ticket, question, answer), oldest order first. Needs the `sell` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    return csv_response(
        forms.answers_csv(await forms.answered_orders(session, event)), f"answers-{event.id}.csv"
    )


@shop_router.get("/events/{event_id}/questions", response_model=Page[QuestionRead])
@declares(PUBLIC, EventNotFound)
async def read_questions(event_id: uuid.UUID, session: Session) -> dict[str, Any]:
    """The customer form of a published event, to answer in the order (`answers`): its
    questions in form order, all in one page (`next_cursor` null, `has_more` false). Public."""
    event, _ = await offices.get_published_event(session, event_id)
    return _form(await forms.questions_of(session, event.id))


def _form(questions: Sequence[Question]) -> dict[str, Any]:
    """A form is short (``forms.MAX_QUESTIONS``): answered whole, as one last page."""
    return page_of([QuestionRead.model_validate(question) for question in questions], None)
