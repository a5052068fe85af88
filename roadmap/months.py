"""Months and dates as spreadsheets spell them.

A target is kept as a month (``YYYY-MM``); a quarter or half means its last month
("due by"). Where a date is asked for, a month alone means its first day.
"""
from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
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


def add_months(month: str, count: int) -> str:
    """``add_months('2021-11', 3) == '2022-02'``."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + count
    return month_str(index // 12, index % 12 + 1)


def months_between(start: str, end: str) -> int:
    """Whole months from ``start`` to ``end`` (both ``YYYY-MM``); negative if end is earlier."""
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7])


def parse_month(value: object) -> str:
    """A calendar month from ``2021-09``, ``Sep 2021``, ``2021-09-15`` or a date cell."""
    month = _calendar_month(value)
    _check_year(int(month[:4]), value)
    return month


def _check_year(year: int, value: object) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"year out of range in {str(value).strip()!r} (use {FIRST_YEAR} to {LAST_YEAR})")


def _calendar_month(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return month_str(value.year, value.month)
    text = str(value).strip().lower()
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
    raise ValueError(f"not a month: {str(value).strip()!r}")


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
        quarter, year = (match.group(1), match.group(2)) if match.group(1) else (
            match.group(4), match.group(3))
        return month_str(int(year), int(quarter) * 3)
    match = _HALF.match(text)
    if match:
        half, year = (match.group(1), match.group(2)) if match.group(1) else (
            match.group(4), match.group(3))
        return month_str(int(year), int(half) * 6)
    match = _ROADMAP_MONTH.match(text)
    if match:
        number = int(match.group(1))
        if number < 1:
            raise ValueError(f"roadmap months start at M1, not {str(value).strip()!r}")
        return add_months(start_month, number - 1)
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
