"""Payment on invoice: when reminders go out and when an unpaid order is cancelled.

With d = days before the first reminder and n = reminders, reminder k goes out on day k·d after the
order and each one extends the payment deadline by d; the order is cancelled on day (n+1)·d.
The policy is copied onto the order when it is placed, so a later change of the office's policy
never moves an existing order's dates.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class InvoiceSchedule:
    payment_due_at: datetime
    next_reminder_at: datetime | None
    auto_cancel_at: datetime

    @property
    def next_deadline_at(self) -> datetime:
        return min(self.next_reminder_at or self.auto_cancel_at, self.auto_cancel_at)


def schedule(
    placed_at: datetime, *, interval_days: int, reminders: int, sent: int = 0
) -> InvoiceSchedule:
    """The order's dates once ``sent`` reminders have gone out."""
    interval = timedelta(days=interval_days)
    return InvoiceSchedule(
        payment_due_at=placed_at + interval * (sent + 1),
        next_reminder_at=placed_at + interval * (sent + 1) if sent < reminders else None,
        auto_cancel_at=placed_at + interval * (reminders + 1),
    )


def reminder_due(
    placed_at: datetime, now: datetime, *, interval_days: int, reminders: int, sent: int
) -> int | None:
    """The number of the reminder to send now, if any.

    After downtime several may be overdue: only the latest is sent (the customer gets one mail
    with the current deadline, not a burst of stale ones).
    """
    elapsed_intervals = (now - placed_at) // timedelta(days=interval_days)
    latest = min(reminders, int(elapsed_intervals))
    return latest if latest > sent else None
