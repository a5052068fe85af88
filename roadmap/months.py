"""Months and dates as spreadsheets spell them.

A target is kept as a month (``YYYY-MM``); a quarter or half means its last month
("due by"). Where a date is asked for, a month alone means its first day.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Union, overload

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_QUARTER = re.compile(r"^(?:q([1-4])[\s\-/]*(\d{4})|(\d{4})[\s\-/]*q([1-4]))$")
_HALF = re.compile(r"^(?:h([12])[\s\-/]*(\d{4})|(\d{4})[\s\-/]*h([12]))$")
_ROADMAP_MONTH = re.compile(r"^(?:m|month)\s*(\d{1,3})$")
_NAMED_MONTH = re.compile(r"^([a-z]+)\.?[\s\-/,]*(\d{4})$")
_MONTH_YEAR_NUM = re.compile(r"^(\d{1,2})[-/.](\d{4})$")

# The years a user may give: wide enough for any roadmap, narrow enough that a horizon
# and a schedule counted from them stay valid dates.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def month_str(year: int, month: int) -> str:
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        raise ValueError(f"no such month {year}-{month:02d}")
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month: ordered, ``str()`` is ``YYYY-MM``, and ``+``/``-`` count months
    (``Month(2021, 11) + 3 == Month(2022, 2)``; ``Month(2022, 2) - Month(2021, 11) == 3``)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise ValueError(f"no such month {self.year}-{self.month:02d}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, day: dt.date) -> Month:
        """The month a day falls in."""
        return cls(day.year, day.month)

    @classmethod
    def iso(cls, text: str) -> Month:
        """A month as the store keeps it (``YYYY-MM``, or a day's first seven letters);
        ValueError when it is not one."""
        if not (
            isinstance(text, str)
            and len(text) >= 7
            and text[4] == "-"
            and text[:4].isdigit()
            and text[5:7].isdigit()
        ):
            raise ValueError(f"not a month: {text!r}")
        return cls(int(text[:4]), int(text[5:7]))

    @classmethod
    def parse(cls, value: object) -> Month:
        """A month from ``2021-09``, ``Sep 2021``, ``2021-09-15`` or a date (ValueError
        naming the value otherwise)."""
        text = parse_month(value)
        return cls(int(text[:4]), int(text[5:7]))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def __add__(self, count: int) -> Month:
        index = self.year * 12 + self.month - 1 + count
        return Month(index // 12, index % 12 + 1)

    @overload
    def __sub__(self, other: Month) -> int: ...

    @overload
    def __sub__(self, other: int) -> Month: ...

    def __sub__(self, other: Month | int) -> int | Month:
        if isinstance(other, Month):
            return (self.year - other.year) * 12 + self.month - other.month
        return self + -other


# What a caller may pass wherever the library asks for a day or a month: text as the
# command line takes it (``2021-12`` means 2021-12-01, as ``--as-of 2021-12`` does), or
# a ``date`` (a ``datetime`` is its day).
DayLike = Union[str, dt.date]


def to_day(value: DayLike, parameter: str) -> dt.date:
    """``value`` as a day, as ``--as-of`` reads it; ``UsageError`` naming the value and
    ``parameter`` when it is none."""
    from .errors import UsageError

    if not isinstance(value, (str, dt.date)):
        raise UsageError(
            f"{value!r} is not a date (use YYYY-MM-DD, YYYY-MM or a datetime.date)", parameter
        )
    try:
        return parse_date(value)
    except ValueError as error:
        raise UsageError(str(error), parameter) from None


def day_or_today(value: DayLike | None, parameter: str) -> dt.date:
    """``to_day``, today when ``value`` is None (as each command's ``--as-of`` defaults)."""
    return dt.date.today() if value is None else to_day(value, parameter)


def to_month(value: DayLike | Month, parameter: str) -> Month:
    """``value`` as a month (a day means its month); ``UsageError`` naming the value and
    ``parameter`` when it is none."""
    from .errors import UsageError

    if isinstance(value, Month):
        return value
    if not isinstance(value, (str, dt.date)):
        raise UsageError(f"{value!r} is not a month (use YYYY-MM)", parameter)
    try:
        month = Month.parse(value)
    except ValueError as error:
        raise UsageError(f"{error} (use YYYY-MM)", parameter) from None
    return month


def parse_month(value: object) -> str:
    """A calendar month from ``2021-09``, ``Sep 2021``, ``2021-09-15`` or a date cell."""
    month = _calendar_month(value)
    _check_year(int(month[:4]), value)
    return month


def _check_year(year: int, value: object) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"year out of range in {str(value).strip()!r} (use {FIRST_YEAR} to {LAST_YEAR})"
        )


def _calendar_month(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return month_str(value.year, value.month)
    try:
        return _month_text(str(value).strip().lower())
    except ValueError:  # "no such month 2021-13" would not say what was given
        raise ValueError(f"not a month: {str(value).strip()!r}") from None


def _month_text(text: str) -> str:
    for pattern in (_YEAR_MONTH, _ISO_DATE):
        match = pattern.match(text)
        if match:
            return month_str(int(match.group(1)), int(match.group(2)))
    match = _MONTH_YEAR_NUM.match(text)
    if match:
        return month_str(int(match.group(2)), int(match.group(1)))
    match = _NAMED_MONTH.match(text)
    if match and match.group(1) in _MONTHS:
        return month_str(int(match.group(2)), _MONTHS[match.group(1)])
    raise ValueError(f"not a month: {text!r}")


def parse_target(value: object, start_month: str) -> str | None:
    """A target month from any spelling the README lists; None for an empty cell.

    ``M1``/``month 1`` is the roadmap's start month; ``Q3 2021`` is ``2021-09``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return month_str(value.year, value.month)
    text = re.sub(r"\s+", " ", str(value).strip().lower())
    match = _QUARTER.match(text)
    if match:
        quarter, year = (
            (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        )
        return month_str(int(year), int(quarter) * 3)
    match = _HALF.match(text)
    if match:
        half, year = (
            (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        )
        return month_str(int(year), int(half) * 6)
    match = _ROADMAP_MONTH.match(text)
    if match:
        number = int(match.group(1))
        if number < 1:
            raise ValueError(f"roadmap months start at M1, not {str(value).strip()!r}")
        return str(Month.parse(start_month) + (number - 1))
    try:
        return parse_month(text)
    except ValueError:
        raise ValueError(
            f"cannot read target {str(value).strip()!r} "
            "(use 2021-09, Sep 2021, 2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)"
        ) from None


def parse_date(value: object) -> dt.date:
    """A day from ``2021-09-15``, a date cell, or a month alone (its first day)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        _check_year(value.year, value)
        return value
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        _check_year(int(match.group(1)), text)
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
        raise ValueError(f"no such date: {text!r}")
    try:
        month = _calendar_month(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD or YYYY-MM)") from None
    _check_year(int(month[:4]), text)
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def iso_day(text: str) -> dt.date:
    """A stored ``YYYY-MM-DD`` (the store keeps days as text) as a date."""
    return dt.date.fromisoformat(text)
