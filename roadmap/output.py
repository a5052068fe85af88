"""Rendering rows for the terminal: any tabulate format, ``json`` or ``csv``.

JSON and CSV carry every value in full; a table is cut to the terminal's width (long
text ends in ``…``) when printed on a terminal, or to ``COLUMNS`` when that is set.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .review import Review

ELLIPSIS = "…"
NARROWEST = 8  # a column cut to fit is never narrower than this (or its header)


def format_names() -> list[str]:
    import tabulate

    return ["json", "csv", *tabulate.tabulate_formats]


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: str,
    columns: list[str] | None = None,
    width: int | None = None,
) -> str:
    """Rows as text; ``columns`` fixes the order (and the header when there are no rows).

    ``width`` bounds a table's lines (default: the terminal's, see ``terminal_width``).
    """
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows({k: _csv_value(v) for k, v in row.items()} for row in rows)
        return buffer.getvalue().rstrip("\n")
    import tabulate

    table = [[_plain(row.get(c)) for c in columns] for row in rows]
    width = terminal_width() if width is None else width
    headers: list[int | None] | None = None
    if width:
        table, headers = fit_width(table, columns, width, _separator(fmt))
    return str(
        tabulate.tabulate(
            table, headers=columns, tablefmt=fmt, disable_numparse=True, maxheadercolwidths=headers
        )
    )


def terminal_width() -> int | None:
    """``COLUMNS`` when set, else the terminal's width when stdout is one, else None."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def _separator(fmt: str) -> int:
    """Roughly what a format adds per column: two spaces, or a bar and padding."""
    return 2 if fmt in ("simple", "plain") else 3


# Free text a table may cut (keys, dates, levels and numbers are never cut).
TEXT_COLUMNS = {
    "title",
    "name",
    "stage",
    "source",
    "details",
    "caveats",
    "changes",
    "file",
    "owner",
    "description",
    "notes",
    "requested_by",
    "sha256",
    "aliases",
}


def fit_width(
    table: list[list[str]], columns: list[str], width: int, separator: int
) -> tuple[list[list[str]], list[int | None]]:
    """Fit a table's lines in ``width``: first wrap headers longer than their column's
    values (``coverage by stage`` over ``25%``), then cut free-text columns (the widest
    first, with ``…``). Returns the rows and tabulate's ``maxheadercolwidths``."""
    values = [max([0] + [len(row[i]) for row in table]) for i in range(len(columns))]
    # tabulate makes a column at least its header plus two (its MIN_PADDING).
    header = [len(str(c)) + 2 for c in columns]

    def total() -> int:
        return sum(max(v, h) for v, h in zip(values, header)) + separator * (len(columns) - 1)

    wrapped: list[int | None] = [None] * len(columns)
    for i, name in enumerate(columns):
        if total() <= width:
            break
        narrowest = max([NARROWEST, values[i]] + [len(w) for w in str(name).split()])
        if len(str(name)) > narrowest:
            wrapped[i] = narrowest
            header[i] = narrowest + 2
    text = [i for i, name in enumerate(columns) if name in TEXT_COLUMNS]
    while total() > width:
        cuttable = [i for i in text if values[i] > max(NARROWEST, header[i])]
        if not cuttable:
            break
        widest = max(cuttable, key=lambda i: values[i])
        values[widest] -= 1
    return [
        [_cut(cell, values[i]) if i in text else cell for i, cell in enumerate(row)]
        for row in table
    ], wrapped


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + ELLIPSIS


def words(value: object) -> str:
    """A value as a person writes it: no ``None``, ``True`` or ``Tier.BEST_IN_CLASS``."""
    text = _plain(value)
    return "(empty)" if text == "" else text


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, float):
        return f"{value:.0%}" if 0 <= value <= 1 else f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _csv_value(value: object) -> object:
    """CSV keeps numbers as numbers; booleans as JSON spells them, lists and dicts as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 vendor``, ``2 vendors``."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


# -- the review, as ``roadmap review`` and the demo print it -----------------------------


def coverage_rows(review: Review) -> list[dict[str, object]]:
    """One row per vendor of the review, in its column order, then the ``--stack``:
    coverage as fractions 0-1, and what to know before trusting it (``caveats``)."""
    from .evaluate import caveats

    rows: list[dict[str, object]] = [
        {
            "vendor": v.key,
            "name": v.name,
            "snapshot": review.snapshot_date(v.key),
            "coverage": review.coverage[v.key].overall,
            "table_stakes": review.coverage[v.key].table_stakes,
            "best_in_class": review.coverage[v.key].best_in_class,
            "assessed": review.coverage[v.key].assessed,
            "weighted": review.coverage[v.key].weighted,
            "primary": "yes" if v.key == review.primary else "",
            "caveats": "; ".join(review.caveats(v.key)),
        }
        for v in review.vendors
    ]
    if review.stack is not None and review.stack_coverage is not None:
        cover = review.stack_coverage
        as_of = review.stack.snapshot.as_of
        rows.append(
            {
                "vendor": review.stack.key,
                "name": review.vendor_name(review.stack.key),
                "snapshot": as_of,
                "coverage": cover.overall,
                "table_stakes": cover.table_stakes,
                "best_in_class": cover.best_in_class,
                "assessed": cover.assessed,
                "weighted": cover.weighted,
                "primary": "stack",
                "caveats": "; ".join(caveats(cover, as_of, review.as_of, review.settings.cadence)),
            }
        )
    return rows


def adding_one_tool_lines(review: Review) -> list[str]:
    """``roadmap recommend``'s first step, in one line (none when nothing closes)."""
    result = review.recommendation
    if result is None or not result.steps:
        return []
    step = result.steps[0]
    glue = f" (as glue: {_first_ids(step.glue)})" if step.glue else ""
    return [
        f"Adding {step.add} to {result.primary} would close {len(step.closes)}: "
        f"{_first_ids(step.closes)}{glue}; weighted +{step.weighted_gain:.0%}, coverage "
        f"{step.coverage or 0:.0%} (roadmap recommend)."
    ]


LISTED_IDS = 10  # a line of the review's report names at most these; recommend lists all


def _first_ids(ids: Sequence[str]) -> str:
    shown = " ".join(ids[:LISTED_IDS])
    return shown if len(ids) <= LISTED_IDS else f"{shown} … and {len(ids) - LISTED_IDS} more"


def report_lines(review: Review, output: str, *, recorded: bool, record: bool) -> list[str]:
    """What ``roadmap review`` and the demo print: where, coverage, gaps, recording."""
    from .review import ACTIONS

    lines = [
        f"Wrote {output}: review of {review.as_of}, window {review.window_start} to "
        f"{review.window_end}, {plural(len(review.requirements), 'requirement')}, "
        f"{plural(len(review.vendors), 'vendor')}."
    ]
    if review.vendors:
        columns = [
            "vendor",
            "snapshot",
            "coverage",
            "table_stakes",
            "best_in_class",
            "assessed",
            "weighted",
            "primary",
        ]
        rows = coverage_rows(review)
        if any(row["caveats"] for row in rows):
            columns.append("caveats")
        lines.append(render(rows, "simple", columns))
    counts = review.action_counts()
    actions = ", ".join(f"{counts[a]} {a}" for a in ACTIONS)
    lines.append(
        f"Gaps at {review.gaps_at or 'no vendor'}: {len(review.gaps)} ({actions}; "
        f"{review.overdue()} overdue)."
    )
    lines += adding_one_tool_lines(review)
    note = review.requirements_note()
    if note:
        lines.append(f"Note: {note}")
    if not record:
        lines.append("Not recorded (--no-record).")
    elif recorded:
        lines.append(f"Recorded the review; the next is due {review.next_review}.")
    else:
        lines.append("This review was already recorded; nothing new was recorded.")
    return lines
