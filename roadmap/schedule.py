"""The review schedule: the cadence's dates from the roadmap's start, and which were done.

``roadmap schedule`` prints ``store_schedule``; the review uses ``next_review_date`` and
``cadence_between`` for its Summary and Timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InputError
from .months import DayLike, Month, to_day
from .settings import CADENCE_RANGE, HORIZON_RANGE
from .store import Settings, Store

STATES = ("done", "missed", "next", "planned")


@dataclass(frozen=True)
class ScheduledReview:
    """One cadence date: ``done``, ``missed``, ``next`` or ``planned``."""

    date: dt.date
    state: str

    def as_dict(self) -> dict[str, object]:
        """``schedule``'s JSON keys: the date as ``YYYY-MM-DD``."""
        return {"date": self.date.isoformat(), "state": self.state}


def start_month(settings: Settings) -> Month:
    """The roadmap's first month, once its settings are checked (``check_settings``)."""
    check_settings(settings)
    return Month.iso(settings.start)


def check_settings(settings: Settings) -> None:
    """An ``InputError`` naming the value when settings made outside ``roadmap init``
    (by hand, or in Python) cannot make a schedule or a window."""
    try:
        Month.iso(settings.start)
    except ValueError:
        raise InputError(
            f"the roadmap's start month {settings.start!r} is not a month "
            "(YYYY-MM): make the roadmap with 'roadmap init --start YYYY-MM'"
        ) from None
    for name, (least, most) in (("horizon", HORIZON_RANGE), ("cadence", CADENCE_RANGE)):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise InputError(
                f"the roadmap's {name} {value!r} is not a number of months "
                f"from {least} to {most}: set one with "
                f"'roadmap settings --{name} N'"
            )


def _nth(settings: Settings, index: int) -> dt.date:
    return (start_month(settings) + index * settings.cadence).first_day


def cadence_between(settings: Settings, first: dt.date, last: dt.date) -> list[dt.date]:
    """The cadence dates (first days of months, every ``cadence`` months from the start)
    from ``first`` through ``last``, both included."""
    start = start_month(settings).first_day
    index = max(0, (Month.of(first) - Month.of(start)) // settings.cadence)
    days = []
    while (day := _nth(settings, index)) <= last:
        if day >= first:
            days.append(day)
        index += 1
    return days


def next_review_date(settings: Settings, day: DayLike) -> dt.date:
    """The first cadence date strictly after ``day`` (as ``--as-of`` reads it)."""
    after = to_day(day, "day")
    start = start_month(settings).first_day
    index = max(0, (Month.of(after) - Month.of(start)) // settings.cadence)
    while (found := _nth(settings, index)) <= after:
        index += 1
    return found


def schedule(settings: Settings, reviewed: Iterable[DayLike]) -> list[ScheduledReview]:
    """The cadence dates from the start through one horizon past the latest review.

    A date is ``done`` when a review (``reviewed``) falls in its period (from it up to the
    next date), ``next`` when it is the first date after the latest review (the first
    date of all when none is recorded), ``missed`` before that, else ``planned``.
    """
    days_reviewed = [to_day(day, "reviewed") for day in reviewed]
    first = start_month(settings).first_day
    latest = max(days_reviewed) if days_reviewed else None
    next_date = next_review_date(settings, latest) if latest else first
    # One horizon past the latest review (its day of the month kept), or past the start.
    until = max(_same_day(latest or first, settings.horizon), next_date)
    days = cadence_between(settings, first, until)
    rows = []
    for index, day in enumerate(days):
        period_end = days[index + 1] if index + 1 < len(days) else _nth(settings, index + 1)
        if any(day <= r < period_end for r in days_reviewed):
            state = "done"
        elif day == next_date:
            state = "next"
        elif day < next_date:
            state = "missed"
        else:
            state = "planned"
        rows.append(ScheduledReview(day, state))
    return rows


def _same_day(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months``, the day of the month kept (the month's last when shorter)."""
    import calendar

    month = Month.of(day) + months
    return dt.date(
        month.year, month.month, min(day.day, calendar.monthrange(month.year, month.month)[1])
    )


def store_schedule(store: Store) -> list[ScheduledReview]:
    """``roadmap schedule``: the schedule for a store's settings and recorded reviews.

    :returns: one ``ScheduledReview`` per cadence date; ``as_dict()`` is its JSON row.
    :raises InputError: the stored start month is none.
    """
    return schedule(store.settings(), [r.as_of for r in store.reviews(requirements=False)])
