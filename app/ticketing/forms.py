"""Customer forms: an event's questions, answered when ordering.

Rules: a question is text, a choice among its options, a number, a date (YYYY-MM-DD) or yes/no;
it is asked once per order or for each ticket, and may be required. The answers are checked when
the order is placed — every problem listed in one 422 ``answers_invalid`` — and kept on the order,
so that the order, its webhook payload and the event's answers export show them.
"""

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.ticketing import offices
from app.ticketing.errors import AnswersInvalid, QuestionInvalid
from app.ticketing.models import (
    Event,
    Question,
    QuestionKind,
    Ticket,
    TicketOffice,
    TicketOrder,
)
from app.ticketing.sales_schemas import QuestionCreate
from app.ticketing.schemas import AnswerCreate

MAX_TEXT = 2000
MAX_QUESTIONS = 100
"""Questions an event's form may hold: the form is answered whole, in one page."""


async def add_question(
    session: AsyncSession, office: TicketOffice, event: Event, *, body: QuestionCreate, by: Actor
) -> Question:
    """A question at the end of the event's form (whose row the caller holds locked, so the
    positions and the limit hold)."""
    if (body.kind == QuestionKind.choice) != bool(body.choices):
        raise QuestionInvalid("A choice question has options, and only a choice question.")
    held = await session.scalar(
        select(func.count()).select_from(Question).where(Question.event_id == event.id)
    )
    if (held or 0) >= MAX_QUESTIONS:
        raise QuestionInvalid(f"An event's form holds at most {MAX_QUESTIONS} questions.")
    position = await session.scalar(
        select(func.coalesce(func.max(Question.position), -1)).where(Question.event_id == event.id)
    )
    question = Question(
        id=uuid.uuid4(),
        event_id=event.id,
        label=body.label,
        kind=body.kind,
        required=body.required,
        per_ticket=body.per_ticket,
        choices=list(body.choices),
        position=int(position or 0) + 1,
        created_at=clock.now(),
    )
    session.add(question)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.question_added",
        office,
        {"event_id": str(event.id), "question_id": str(question.id)},
    )
    return question


async def questions_of(session: AsyncSession, event_id: uuid.UUID) -> list[Question]:
    return list(
        await session.scalars(
            select(Question).where(Question.event_id == event_id).order_by(Question.position)
        )
    )


def _problem(question: Question, value: str | int | float | bool) -> str | None:
    kind = question.kind
    if kind == QuestionKind.yes_no:
        return None if isinstance(value, bool) else "expects true or false"
    if kind == QuestionKind.number:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return None if numeric else "expects a number"
    if not isinstance(value, str):
        return "expects text"
    if kind == QuestionKind.choice:
        return None if value in question.choices else "is not one of the options"
    if kind == QuestionKind.date:
        try:
            date.fromisoformat(value)
        except ValueError:
            return "expects a date (YYYY-MM-DD)"
        return None
    if question.required and not value.strip():
        return "is required"
    return None if len(value) <= MAX_TEXT else f"is longer than {MAX_TEXT} characters"


async def answer(
    session: AsyncSession,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    answers: Sequence[AnswerCreate],
) -> None:
    """Checks the answers against the event's form and keeps them on the order."""
    questions = {question.id: question for question in await questions_of(session, order.event_id)}
    if not questions and not answers:
        return
    problems: list[dict[str, Any]] = []
    given: dict[tuple[uuid.UUID, int | None], AnswerCreate] = {}
    for item in answers:
        question = questions.get(item.question_id)
        where = {"question_id": str(item.question_id), "ticket": item.ticket}
        if question is None:
            problems.append(where | {"problem": "is not a question of this event"})
            continue
        if question.per_ticket != (item.ticket is not None) or (
            item.ticket is not None and item.ticket >= len(tickets)
        ):
            expected = "a ticket position" if question.per_ticket else "no ticket"
            problems.append(where | {"problem": f"expects {expected}"})
            continue
        if (item.question_id, item.ticket) in given:
            problems.append(where | {"problem": "is answered twice"})
            continue
        if problem := _problem(question, item.value):
            problems.append(where | {"problem": problem})
            continue
        given[(item.question_id, item.ticket)] = item
    for question in questions.values():
        if not question.required:
            continue
        positions: list[int | None] = list(range(len(tickets))) if question.per_ticket else [None]
        for position in positions:
            if (question.id, position) not in given:
                problems.append(
                    {"question_id": str(question.id), "ticket": position, "problem": "is required"}
                )
    if problems:
        raise AnswersInvalid("Some answers of the form are missing or wrong.", answers=problems)
    order.answers = [
        {
            "question_id": str(question_id),
            "question": questions[question_id].label,
            "ticket_number": None if position is None else tickets[position].number,
            "value": item.value,
        }
        for (question_id, position), item in sorted(
            given.items(),
            key=lambda found: (questions[found[0][0]].position, found[0][1] or 0),
        )
    ]


def answers_csv(orders: Sequence[TicketOrder]) -> str:
    """One line per answer: the order, its customer, the ticket (per-ticket questions)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["order", "status", "customer_name", "customer_email", "ticket", "question", "answer"]
    )
    for order in orders:
        for item in order.answers:
            value = item["value"]
            writer.writerow(
                [
                    order.number,
                    order.status,
                    order.customer_name,
                    order.customer_email,
                    item["ticket_number"] or "",
                    item["question"],
                    ("yes" if value else "no") if isinstance(value, bool) else value,
                ]
            )
    return out.getvalue()


async def answered_orders(session: AsyncSession, event: Event) -> list[TicketOrder]:
    return list(
        await session.scalars(
            select(TicketOrder)
            .where(
                TicketOrder.event_id == event.id,
                func.jsonb_array_length(TicketOrder.answers) > 0,
            )
            .order_by(TicketOrder.created_at, TicketOrder.number)
        )
    )
