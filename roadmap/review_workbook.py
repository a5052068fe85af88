"""The review workbook: one short function per sheet, in the order
``roadmap review --help`` lists them.

Every cell goes through ``roadmap.xlsx`` (text never becomes a formula); this module
only lays out what ``roadmap.review.build_review`` computed.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import __version__
from .collector import collector_paused
from .errors import UsageError, shorten
from .evaluate import Coverage, ParityRow, is_stale
from .importable_sheets import requirements_sheet, snapshots_sheet
from .model import (
    LEVEL_ORDER,
    LEVEL_SYNONYMS,
    PRIORITIES,
    UNASSIGNED,
    Entry,
    Level,
    Requirement,
    Tier,
    stage_label,
)
from .months import DayLike, Month
from .output import plural
from .review import ACTIONS, DONE, Review, build_review
from .store import Store
from .xlsx import (
    DATE_FORMAT,
    HEADER_FILL,
    MAX_COMMENTS,
    MAX_LINK_LENGTH,
    MAX_LINKS,
    MONTH_FORMAT,
    PERCENT_FORMAT,
    Book,
    Sheet,
    Style,
    check_output,
    day_date,
    finish_table,
    fit_columns,
    fit_row_height,
    level_cell,
    measure,
    month_date,
    new_workbook,
    output_path,
    print_landscape,
    put,
    staged_save,
    write_block,
    write_header,
    write_rows,
)

Progress = Callable[[int, int], None]

LEVEL_MEANINGS = {
    Level.GA: "generally available, first-party",
    Level.PREVIEW: "public preview / beta / pre-GA",
    Level.PARTIAL: "offered, but missing what the requirement needs",
    Level.PARTNER: "only through a partner, marketplace or open-source integration (glue)",
    Level.PLANNED: "announced, not usable",
    Level.NONE: "not offered",
    Level.UNKNOWN: "not assessed",
}
ACTION_COLOURS = {
    "assess": "D9D2E9",
    "buy": "63BE7B",
    "glue": "9DC3E6",
    "wait": "FFE699",
    "build": "F4B183",
}
ACTION_MEANINGS = {  # in the order gap_action tries them
    "assess": "first: the primary vendor's level is unknown; find out before deciding "
    "(the Vendors column names it). Later, after buy, glue and wait: some vendor "
    "is still unknown (the Vendors column says which); assess them before "
    "deciding to build",
    "buy": "else: another vendor has it at ga (the Vendors column says which)",
    "glue": "else: some vendor has it as partner (open-source or marketplace integration)",
    "wait": "else: some vendor has it in preview or planned",
    "build": "else: every vendor is assessed and none offers it; build it in-house",
}
OVERDUE_FILL = "F08080"
CAVEAT_FILL = "F8CBAD"  # a number to read with care: few cells assessed, an old snapshot
DONE_FILL = "D9D9D9"
TARGET_FILL = "5B9BD5"
BAND_FILL = "D6DCE4"
TITLE_SIZE = 16
MARK_FILLS = {"this review": "FFC000", "reviewed": "C9C9C9", "next": "FFE699", "planned": "FFF2CC"}
MARK_MEANINGS = {
    "this review": "the date of this review (the window starts in its month)",
    "reviewed": "a review recorded after this one's date",
    "next": "the next review the cadence asks for",
    "planned": "a later review the cadence asks for",
}
# The heat map's scale: 0% red, 50% yellow, 100% green (Excel's own 3-colour scale).
HEAT_STOPS = ((0.0, (0xF8, 0x69, 0x6B)), (0.5, (0xFF, 0xEB, 0x84)), (1.0, (0x63, 0xBE, 0x7B)))


def heat_colour(value: float) -> str:
    """The heat-map fill for a coverage 0-1, interpolated between ``HEAT_STOPS``."""
    value = min(max(value, 0.0), 1.0)
    for (low, start), (high, end) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
        if value <= high:
            share = (value - low) / (high - low)
            return "".join(f"{round(a + (b - a) * share):02X}" for a, b in zip(start, end))
    return "63BE7B"


def vendor_label(review: Review, key: str) -> str:
    """A vendor's name, with what to know before reading its numbers:
    ``Azure ML (21% assessed, stale)``."""
    notes = []
    cover = review.coverage[key]
    if cover.low_assessed and cover.assessed is not None:
        notes.append(f"{cover.assessed:.0%} assessed")
    if review.is_stale(key):
        notes.append("stale")
    name = review.vendor_name(key)
    return f"{name} ({', '.join(notes)})" if notes else name


def caveat_words(review: Review, key: str) -> str | None:
    """The Summary's short "read with care": ``31% assessed; stale (2020-12-15)``."""
    return _caveat_words(review, review.coverage[key], review.snapshot_date(key))


def _caveat_words(review: Review, cover: Coverage, as_of: str) -> str | None:
    """``caveat_words`` for any coverage and snapshot date (a vendor's or a stack's)."""
    notes = []
    if cover.low_assessed and cover.assessed is not None:
        notes.append(f"only {cover.assessed:.0%} assessed")
    if is_stale(as_of, review.as_of, review.settings.cadence):
        notes.append(f"stale ({as_of})")
    return "; ".join(notes) or None


def _title(sheet: Sheet, text: str) -> None:
    put(sheet, 1, 1, text, bold=True, size=TITLE_SIZE, colour="1F3864")
    sheet.height(1, 24)


def summary_sheet(book: Book, review: Review) -> None:
    """Headline, facts, coverage per vendor, the stage heat map, changes, next steps,
    and the charts."""
    sheet = book.create_sheet("Summary")
    _title(sheet, f"{review.settings.name}: review of {review.as_of}")
    columns = len(_scored(review))  # the vendors, then the --stack
    last_column = max(columns + 2, 9)
    sheet.merge(2, 1, 2, last_column, review.headline(), wrap=True, bold=True, size=12)
    row = _summary_facts(sheet, review, 4) + 2
    row = _vendor_coverage(sheet, review, row) + 2
    stage_header = row + 1
    row = _stage_coverage(sheet, review, row) + 2
    row = _change_counts(sheet, review, row) + 2
    steps = row + 2
    row = _next_steps(sheet, review, row) + 2
    row = _adding_one_tool(sheet, review, row) + 2
    history_header = _history_table(sheet, review, row)
    # The charts go below the tables, so a printed page stays as wide as the tables.
    charts = (history_header + len(review.history) + 2) if history_header else row
    sheet.page_break(charts - 1)  # the charts print together, on a page
    _widths(sheet, {"A": SUMMARY_LABELS}, 1, last_column - 1, 15)
    _bar_chart(book, sheet, stage_header, stage_header + _stage_rows(review), columns, charts)
    if history_header:
        _line_chart(
            book,
            sheet,
            history_header,
            history_header + len(review.history),
            len(_history_keys(review)),
            charts + CHART_ROWS,
        )
    # A bold 12-point line holds about 0.8 characters per unit of column width.
    per_line = int(0.8 * (SUMMARY_LABELS + 15 * (last_column - 1)))
    sheet.height(2, 17 * max(1, -(-len(review.headline()) // per_line)))
    for header in (stage_header, history_header):
        if header:
            fit_row_height(sheet, header, range(1, columns + 3))
    for number in range(steps, steps + len(review.next_steps())):
        fit_row_height(sheet, number, (1,))
    if columns + 2 < 9:  # column I holds only the caveats of the coverage table
        sheet.width("I", 34)
    print_landscape(sheet)


SUMMARY_LABELS = 40  # column A: labels, stages and next steps' titles


def window_text(review: Review) -> str:
    """``Dec 2021 – May 2023 (18 months)``: the window as one readable range."""

    def name(month: Month) -> str:
        return f"{MONTH_NAMES[month.month - 1]} {month.year}"

    return (
        f"{name(review.window_start)} – {name(review.window_end)} "
        f"({review.settings.horizon} months)"
    )


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _summary_facts(sheet: Sheet, review: Review, row: int) -> int:
    """Label / value rows, dates as date cells; returns the last row."""
    settings, previous = review.settings, review.changes.previous
    tiers = [r.tier for r in review.requirements]
    facts: list[tuple[str, object, str | None]] = [  # (label, value, number format)
        ("Roadmap", settings.name, None),
        ("Review date", day_date(review.as_of), DATE_FORMAT),
        ("Horizon window", window_text(review), None),
        (
            "Cadence",
            "every month" if settings.cadence == 1 else f"every {settings.cadence} months",
            None,
        ),
        ("Next review", day_date(review.next_review), DATE_FORMAT),
        ("Primary vendor", review.vendor_name(review.primary) if review.primary else "none", None),
        *(
            [("Stack (gaps are its)", review.vendor_name(review.stack.key), None)]
            if review.stack
            else []
        ),
        (
            "Previous review",
            *((day_date(previous.as_of), DATE_FORMAT) if previous else ("none recorded", None)),
        ),
        ("Requirements", len(tiers), None),
        ("of which table stakes", tiers.count(Tier.TABLE_STAKES), None),
        ("of which best-in-class", tiers.count(Tier.BEST_IN_CLASS), None),
    ]
    note = review.requirements_note()
    if note:
        facts.append(("Requirements used", note, None))
    for number, (label, value, number_format) in enumerate(facts, start=row):
        put(sheet, number, 1, label, bold=True, wrap=label == "Requirements used")
        put(sheet, number, 2, value, number_format=number_format, align="left")
    if note:
        last = row + len(facts) - 1
        sheet.merge(last, 2, last, 8, note, wrap=True, fill=CAVEAT_FILL)
        sheet.height(last, 15 * (1 + len(note) // 100))
    return row + len(facts) - 1


@dataclass(frozen=True)
class _Scored:
    """One column of the coverage tables: a vendor, or the ``--stack``."""

    name: str
    label: str  # the name with what to know before reading its numbers
    kind: str
    as_of: str
    cover: Coverage
    caveats: str | None  # the short "read with care"


def _scored(review: Review) -> list[_Scored]:
    """Every vendor of the review, then the ``--stack``."""
    scored = [
        _Scored(
            v.name,
            vendor_label(review, v.key),
            v.kind,
            review.snapshot_date(v.key),
            review.coverage[v.key],
            caveat_words(review, v.key),
        )
        for v in review.vendors
    ]
    if review.stack is not None and review.stack_coverage is not None:
        name, as_of = review.vendor_name(review.stack.key), review.stack.snapshot.as_of
        scored.append(
            _Scored(
                name,
                name,
                "stack",
                as_of,
                review.stack_coverage,
                _caveat_words(review, review.stack_coverage, as_of),
            )
        )
    return scored


def _vendor_coverage(sheet: Sheet, review: Review, row: int) -> int:
    """Coverage per vendor; a low assessed share or a stale snapshot is filled and said."""
    put(sheet, row, 1, "Coverage by vendor", bold=True)
    headers = [
        "Vendor",
        "Kind",
        "Snapshot",
        "Coverage",
        "Table stakes",
        "Best-in-class",
        "Assessed",
        "Weighted",
        "Read with care",
    ]
    scored = _scored(review)
    last = write_block(
        sheet,
        headers,
        [
            (
                s.name,
                s.kind,
                day_date(s.as_of),
                s.cover.overall,
                s.cover.table_stakes,
                s.cover.best_in_class,
                s.cover.assessed,
                s.cover.weighted,
                s.caveats,
            )
            for s in scored
        ],
        start_row=row + 1,
        formats={
            3: DATE_FORMAT,
            4: PERCENT_FORMAT,
            5: PERCENT_FORMAT,
            6: PERCENT_FORMAT,
            7: PERCENT_FORMAT,
            8: PERCENT_FORMAT,
        },
    )
    for number, one in enumerate(scored, start=row + 2):
        if one.cover.low_assessed:
            put(
                sheet, number, 7, one.cover.assessed, fill=CAVEAT_FILL, number_format=PERCENT_FORMAT
            )
        if is_stale(one.as_of, review.as_of, review.settings.cadence):
            put(sheet, number, 3, day_date(one.as_of), fill=CAVEAT_FILL, number_format=DATE_FORMAT)
    return last


def _stage_coverage(sheet: Sheet, review: Review, row: int) -> int:
    """The stage × vendor heat map (the ``--stack`` last; then all stages, plain and
    weighted), which the bar chart draws."""
    scored, stages = _scored(review), _stages(review)
    put(sheet, row, 1, "Coverage by stage", bold=True)
    table: list[tuple[object, ...]] = [
        (
            stage,
            sum(_stage_of(r) == stage for r in review.requirements),
            *[s.cover.by_stage.get(stage) for s in scored],
        )
        for stage in stages
    ]
    table += [
        ("All stages", len(review.requirements), *[s.cover.overall for s in scored]),
        ("All stages, weighted", len(review.requirements), *[s.cover.weighted for s in scored]),
    ]
    last = write_block(
        sheet,
        ["Stage", "Requirements", *[s.label for s in scored]],
        table,
        start_row=row + 1,
        wrap_header=True,
        formats={c: PERCENT_FORMAT for c in range(3, 3 + len(scored))},
    )
    for number, values in enumerate(table, start=row + 2):
        for column, value in enumerate(values[2:], start=3):
            put(
                sheet,
                number,
                column,
                value,
                align="center",
                number_format=PERCENT_FORMAT,
                fill=heat_colour(value) if isinstance(value, float) else None,
            )
    return last


def _stage_rows(review: Review) -> int:
    """Rows of the stage table: the stages, then all stages plain and weighted."""
    return len(_stages(review)) + 2


def _stage_of(requirement: Requirement) -> str:
    return stage_label(requirement.stage)


def _stages(review: Review) -> list[str]:
    """The roadmap's stages, then Unassigned when a requirement has no stage."""
    stages = list(review.settings.stages)
    if any(r.stage is None for r in review.requirements):
        stages.append(UNASSIGNED)
    return stages


def _change_counts(sheet: Sheet, review: Review, row: int) -> int:
    counts = review.changes.counts()
    put(sheet, row, 1, "Changes since the previous review", bold=True)
    last = write_block(
        sheet,
        ["Change", "Count"],
        [
            ("requirements added", counts["added"]),
            ("requirements changed", counts["changed"]),
            ("requirements retired", counts["retired"]),
            ("new vendors (first assessment)", counts["new vendor"]),
            ("vendor levels assessed (were unknown)", counts["assessed"]),
            ("vendor levels upgraded", counts["upgraded"]),
            ("vendor levels downgraded", counts["downgraded"]),
            ("vendor levels no longer assessed", counts["unassessed"]),
        ],
        start_row=row + 1,
    )
    row = last + 2
    put(sheet, row, 1, "Gaps by action", bold=True)
    counts = review.action_counts()
    last = write_block(
        sheet,
        ["Action", "Gaps", "Overdue"],
        [
            (action, counts[action], sum(g.overdue for g in review.gaps if g.action == action))
            for action in ACTIONS
        ],
        start_row=row + 1,
    )
    for number, action in enumerate(ACTIONS, start=row + 2):
        put(sheet, number, 1, action, fill=ACTION_COLOURS[action])
    return last


def _next_steps(sheet: Sheet, review: Review, row: int) -> int:
    """The most important gaps (priority, then target) with what to do about each."""
    steps = review.next_steps()
    put(
        sheet,
        row,
        1,
        f"Next steps: the {len(steps)} most important gaps (by priority, then target)",
        bold=True,
    )
    last = write_block(
        sheet,
        ["Requirement", "ID", "Priority", "Target", "Due", "Action", "Vendors"],
        [
            (
                g.requirement.title,
                g.requirement.id,
                g.requirement.priority,
                month_date(g.requirement.target),
                "overdue" if g.overdue else "in window",
                g.action,
                ", ".join(review.vendor_name(v) for v in g.vendors) or None,
            )
            for g in steps
        ],
        start_row=row + 1,
        formats={4: MONTH_FORMAT},
    )
    for number, gap in enumerate(steps, start=row + 2):
        put(
            sheet,
            number,
            1,
            gap.requirement.title,
            wrap=True,
            bold=gap.requirement.tier is Tier.BEST_IN_CLASS,
        )
        put(
            sheet,
            number,
            4,
            month_date(gap.requirement.target),
            align="center",
            number_format=MONTH_FORMAT,
        )
        put(sheet, number, 6, gap.action, fill=ACTION_COLOURS[gap.action])
        if gap.overdue:
            put(sheet, number, 5, "overdue", fill=OVERDUE_FILL)
    return last


def _adding_one_tool(sheet: Sheet, review: Review, row: int) -> int:
    """``roadmap recommend``'s first step: the one vendor whose addition closes the most."""
    result = review.recommendation
    put(sheet, row, 1, "Next steps: adding one tool", bold=True)
    if result is None:
        put(sheet, row + 1, 1, "no vendor is assessed yet")
        return row + 1
    start = review.vendor_name(result.primary)
    if not result.steps:
        put(
            sheet,
            row + 1,
            1,
            f"no other vendor closes a gap of {start}: what is still open "
            "is to build, wait for or assess",
        )
        return row + 1
    step = result.steps[0]
    last = write_block(
        sheet,
        [
            "Add",
            "To",
            "Closes (to ga)",
            "Closes (glue)",
            "Weighted gain",
            "Coverage after",
            "Weighted after",
        ],
        [(None, None, None, None, step.weighted_gain, step.coverage, step.weighted)],
        start_row=row + 1,
        wrap_header=True,
        formats={5: PERCENT_FORMAT, 6: PERCENT_FORMAT, 7: PERCENT_FORMAT},
    )
    for column, text in (
        (1, review.vendor_name(step.add)),
        (2, start),
        (3, id_list(step.to_ga)),
        (4, id_list(step.glue)),
    ):
        put(sheet, last, column, text or None, wrap=True)  # ids may run long: wrapped
    fit_row_height(sheet, last, (1, 2, 3, 4))
    return last


ID_LIST_CHARACTERS = 1_000  # a Summary cell stays readable; recommend lists every id


def id_list(ids: Sequence[str]) -> str:
    """Requirement ids joined by spaces; past ``ID_LIST_CHARACTERS`` the rest is counted
    (``… and 1,234 more``) and ``roadmap recommend`` names them: a large roadmap's
    closes would not fit in one cell."""
    shown: list[str] = []
    length = 0
    for rid in ids:
        length += len(rid) + 1
        if length > ID_LIST_CHARACTERS and len(shown) < len(ids) - 1:
            return (
                f"{' '.join(shown)} … and {len(ids) - len(shown):,} more "
                "(roadmap recommend lists them all)"
            )
        shown.append(rid)
    return " ".join(shown)


def _weights_rule(review: Review) -> str:
    weights = review.settings.weights
    said = ", ".join(
        f"{name} {weights[name]:g}" for name in (*PRIORITIES, "best-in-class") if name in weights
    )
    return (
        f"coverage where each requirement weighs its priority's weight times its tier's "
        f"({said}; table stakes {weights.get('table-stakes', 1):g}); a requirement with "
        "no priority weighs as medium."
    )


def _requirements_source(review: Review) -> str:
    """Which import the review used; a review dated before the first import says so."""
    used = review.requirements_as_of
    if used is None:
        return "none imported yet."
    if used > review.as_of:
        text = (
            f"the first import ({used}), which is after the review date: the roadmap "
            "as first imported stands in for the one in force then; retired ones left "
            "out. Import with --as-of to date a roadmap version."
        )
    else:
        text = (
            f"those in force on the review date (the last import on or before it: "
            f"{used}), retired ones left out."
        )
    note = review.requirements_note()
    return f"{text} {note}" if note else text


CHART_HEIGHT = 7.5  # cm: two charts, one above the other, fill one landscape page
CHART_ROWS = 16  # rows a chart covers (15-point rows are 0.53 cm), and a blank one


def _history_keys(review: Review) -> list[str]:
    """This review's vendors, then any that only earlier reviews had."""
    shown = [v.key for v in review.vendors]
    return shown + sorted({k for p in review.history for k in p.coverage} - set(shown))


def _history_table(sheet: Sheet, review: Review, row: int) -> int | None:
    """Coverage over the recorded reviews and this one, once there are two (the line
    chart is drawn from it); returns the table's header row (None when there is none)."""
    shown = [v.key for v in review.vendors]
    keys = _history_keys(review)
    if len(review.history) < 2 or not keys:
        return None
    put(sheet, row, 1, "Coverage over time", bold=True)
    write_block(
        sheet,
        [
            "Review",
            *[vendor_label(review, k) if k in shown else review.vendor_name(k) for k in keys],
        ],
        [(day_date(p.as_of), *[p.coverage.get(k) for k in keys]) for p in review.history],
        start_row=row + 1,
        wrap_header=True,
        formats={c: PERCENT_FORMAT for c in range(2, 2 + len(keys))},
    )
    return row + 1


def _bar_chart(
    book: Book, sheet: Sheet, header_row: int, last_row: int, vendors: int, at_row: int
) -> None:
    if not vendors:
        return
    # Columns, not horizontal bars: a horizontal bar chart lists its legend bottom-up,
    # the reverse of the table and of the bars; columns read left to right like both.
    chart = book.chart("column")
    for column in range(2, 2 + vendors):  # 0-based: the vendors start in column C
        chart.add_series(
            {
                "name": [sheet.title, header_row - 1, column],
                "categories": [sheet.title, header_row, 0, last_row - 1, 0],
                "values": [sheet.title, header_row, column, last_row - 1, column],
                "gap": 80,
            }
        )
    _percent_chart(sheet, chart, "Coverage by stage", at_row)


def _percent_chart(sheet: Sheet, chart: Any, title: str, at_row: int) -> None:
    """Coverage runs 0-100%, legend below, 24 × CHART_HEIGHT cm at column A."""
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 24 / 2.54 * 96, "height": CHART_HEIGHT / 2.54 * 96})
    sheet.worksheet.insert_chart(at_row - 1, 0, chart)


def _line_chart(
    book: Book, sheet: Sheet, header_row: int, last_row: int, vendors: int, at_row: int
) -> None:
    chart = book.chart("line")
    for column in range(1, 1 + vendors):  # straight lines with markers: a curve through
        chart.add_series(
            {  # two points invents a path the reviews never showed
                "name": [sheet.title, header_row - 1, column],
                "categories": [sheet.title, header_row, 0, last_row - 1, 0],
                "values": [sheet.title, header_row, column, last_row - 1, column],
                "marker": {"type": "circle"},
                "smooth": False,
            }
        )
    chart.set_x_axis({"num_format": "yyyy-mm-dd"})
    _percent_chart(sheet, chart, "Coverage over recorded reviews", at_row)


def _entry_note(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    lines = [
        f"Product: {entry.product}" if entry.product else "",
        f"Evidence: {entry.evidence}" if entry.evidence else "",
        f"Notes: {entry.notes}" if entry.notes else "",
    ]
    return "\n".join(line for line in lines if line) or None


def matrix_header(review: Review, key: str) -> str:
    """A vendor's Matrix column header: its name and snapshot date (``stale`` when old)."""
    stale = ", stale" if review.is_stale(key) else ""
    return f"{review.vendor_name(key)}\n{review.snapshot_date(key)}{stale}"


def matrix_sheet(book: Book, review: Review, progress: Callable[[], None]) -> None:
    """Requirements by stage (a band row per stage) × vendors; each cell a coloured level
    with its evidence; each vendor's header says which snapshot it shows."""
    sheet = book.create_sheet(
        "Matrix", rows=len(review.requirements) + len(review.settings.stages) + 2
    )
    fixed = ["ID", "Requirement", "Tier", "Priority", "Target"]
    # The --stack first (each cell's comment names the member giving its level).
    stack = [review.stack] if review.stack is not None else []
    headers = (
        fixed
        + [f"{review.vendor_name(s.key)}\n{s.snapshot.as_of}" for s in stack]
        + [matrix_header(review, v.key) for v in review.vendors]
    )
    snapshots = [s.snapshot for s in stack] + [review.snapshots[v.key][1] for v in review.vendors]
    _widths(sheet, {"A": 10, "B": 50, "C": 14, "D": 9, "E": 10}, len(fixed), len(snapshots), 15)
    stale = {
        column
        for column, vendor in enumerate(review.vendors, start=len(fixed) + len(stack) + 1)
        if review.is_stale(vendor.key)
    }
    for column, name in enumerate(headers, start=1):
        put(
            sheet,
            1,
            column,
            name,
            bold=True,
            wrap=True,
            fill=CAVEAT_FILL if column in stale else HEADER_FILL,
        )
    fit_row_height(sheet, 1, range(1, len(headers) + 1))
    row = 1
    stage = object()  # no band yet
    for index, requirement in enumerate(review.requirements, start=1):
        row += 1
        if _stage_of(requirement) != stage:
            stage = _stage_of(requirement)
            for column in range(1, len(headers) + 1):
                put(sheet, row, column, None, fill=BAND_FILL)
            put(sheet, row, 1, stage, bold=True, fill=BAND_FILL)
            row += 1
        put(sheet, row, 1, requirement.id)
        put(sheet, row, 2, requirement.title, bold=requirement.tier is Tier.BEST_IN_CLASS)
        put(sheet, row, 3, requirement.tier.value)
        put(sheet, row, 4, requirement.priority)
        put(sheet, row, 5, month_date(requirement.target), number_format=MONTH_FORMAT)
        for column, snapshot in enumerate(snapshots, start=len(fixed) + 1):
            entry = snapshot.entries.get(requirement.id)
            note = _entry_note(entry)
            if stack and column == len(fixed) + 1:
                note = _member_note(review, requirement.id, note)
            level_cell(
                sheet,
                row,
                column,
                entry.level if entry else Level.UNKNOWN,
                note=note,
                link=entry.evidence if entry else None,
            )
        if index % 250 == 0:
            progress()
    finish_table(sheet, 1, row, len(headers), frozen_columns=2)
    print_landscape(sheet)


def _member_note(review: Review, requirement: str, note: str | None) -> str:
    """A stack cell's comment: which member gives the level (none: nobody assessed it)."""
    assert review.stack is not None
    member = review.stack.given_by.get(requirement)
    said = f"From: {review.vendor_name(member)}" if member else "No member has assessed it"
    return f"{said}\n{note}" if note else said


def _widths(sheet: Sheet, fixed: dict[str, int], first: int, count: int, width: int) -> None:
    """Fixed widths for the named columns and ``count`` equal ones after column ``first``."""
    for letter, value in fixed.items():
        sheet.width(letter, value)
    for column in range(first + 1, first + count + 1):
        sheet.width(column, width)


def changes_sheet(book: Book, review: Review) -> None:
    """Requirements added / changed / retired and vendor levels moved, old → new."""
    rows: list[tuple[object, ...]] = []
    for change in review.changes.requirements:
        if change.change == "changed":
            rows += [
                ("changed", None, change.requirement, change.title, name, old, new, None)
                for name, old, new in change.fields
            ]
        else:
            rows.append(
                (change.change, None, change.requirement, change.title, None, None, None, None)
            )
    for new in review.changes.new_vendors:
        rows.append(
            (
                "new vendor",
                review.vendor_name(new.vendor),
                None,
                None,
                "levels",
                None,
                new.describe(),
                f"first snapshot used: {new.as_of}",
            )
        )
    for move in review.changes.levels:
        rows.append(
            (
                move.change,
                review.vendor_name(move.vendor),
                move.requirement,
                move.title,
                "level",
                move.old,
                move.new,
                f"{move.old_as_of} → {move.new_as_of}",
            )
        )
    headers = ["Change", "Vendor", "ID", "Title", "Field", "Old", "New", "Snapshots"]
    sheet = book.create_sheet("Changes", rows=len(rows))
    previous = review.changes.previous
    put(sheet, 1, 1, "Previous review", bold=True)
    if previous is None:
        put(sheet, 1, 2, "none recorded: the next review will list what changed since this one")
    else:
        put(sheet, 1, 2, day_date(previous.as_of), number_format=DATE_FORMAT, align="left")
    measure(sheet, [headers, *rows])
    fit_columns(sheet, {"A": 16, "D": 48, "F": 36, "G": 36})
    wrapped: dict[int, Style] = {c: {"wrap": True} for c in range(1, len(headers) + 1)}
    last = write_block(  # long text: wrap, all top-aligned, rows as tall as it needs
        sheet,
        headers,
        rows,
        start_row=3,
        fit_wrapped=True,
        styles=lambda _index, values: wrapped if values[0] in ("changed", "new vendor") else {},
    )
    finish_table(sheet, 3, last, len(headers))
    print_landscape(sheet)


def gaps_sheet(book: Book, review: Review) -> None:
    """What the primary vendor lacks (not at ga) among requirements due in the window."""
    sheet = book.create_sheet("Gaps", rows=len(review.gaps))
    primary = review.vendor_name(review.gaps_at) if review.gaps_at else "no vendor"
    put(
        sheet,
        1,
        1,
        f"Due by the end of the window ({review.window_end}), not done, and not "
        f"ga at {primary}. Action: assess (unknown at {primary}), else buy, glue, "
        "wait, assess (unknown elsewhere), build, in that order (Legend).",
    )
    headers = [
        "ID",
        "Title",
        "Stage",
        "Tier",
        "Priority",
        "Target",
        "Due",
        "Status",
        "Owner",
        f"{primary} level",
        "Action",
        "Vendors",
    ]
    rows = [
        (
            g.requirement.id,
            g.requirement.title,
            _stage_of(g.requirement),
            g.requirement.tier.value,
            g.requirement.priority,
            month_date(g.requirement.target),
            "overdue" if g.overdue else "in window",
            g.requirement.status,
            g.requirement.owner,
            g.primary_level,
            g.action,
            ", ".join(review.vendor_name(v) for v in g.vendors),
        )
        for g in review.gaps
    ]
    measure(sheet, [headers, *rows])
    fit_columns(
        sheet, {"A": 9, "B": 48, "C": 28, "E": 10, "F": 11, "G": 12, "J": 16, "K": 10, "L": 40}
    )
    write_header(sheet, 3, headers, wrap=True)
    fit_row_height(sheet, 3, range(1, len(headers) + 1))
    # Target and Due side by side: centred, so the month and the word do not touch
    target: Style = {"align": "center", "number_format": MONTH_FORMAT}
    overdue: Style = {"fill": OVERDUE_FILL, "bold": True, "align": "center"}
    in_window: Style = {"align": "center"}
    bold: Style = {"bold": True}

    def styles(index: int, _values: Sequence[object]) -> dict[int, Style]:
        gap = review.gaps[index]
        own = {
            6: target,
            7: overdue if gap.overdue else in_window,
            11: {"fill": ACTION_COLOURS[gap.action]},
        }
        if gap.requirement.tier is Tier.BEST_IN_CLASS:
            own[2] = bold
        return own

    last = write_rows(sheet, 4, rows, styles=styles)
    finish_table(sheet, 3, last, len(headers), frozen_columns=2)
    print_landscape(sheet)


def timeline_sheet(book: Book, review: Review) -> None:
    """The window's months as columns; targets marked, review dates marked above them."""
    sheet = book.create_sheet("Timeline", rows=len(review.timeline))
    fixed = ["ID", "Title", "Stage", "Target", "Status", "Earlier"]
    months = review.window
    later = len(fixed) + len(months) + 1
    put(sheet, 1, 1, "Review dates", bold=True)
    for index, month in enumerate(months):
        mark = review.marks.get(month)
        if mark:
            put(
                sheet,
                1,
                len(fixed) + 1 + index,
                day_date(mark.date),
                fill=MARK_FILLS[mark.kind],
                number_format=DATE_FORMAT,
            )
    for column, name in enumerate(fixed, start=1):
        put(sheet, 2, column, name, bold=True, fill=HEADER_FILL)
    for index, month in enumerate(months):
        put(
            sheet,
            2,
            len(fixed) + 1 + index,
            month_date(month),
            bold=True,
            fill=HEADER_FILL,
            number_format=MONTH_FORMAT,
        )
    put(sheet, 2, later, "Later", bold=True, fill=HEADER_FILL)
    for row, item in enumerate(review.timeline, start=3):
        requirement = item.requirement
        done = (requirement.status or "").lower() == DONE
        put(sheet, row, 1, requirement.id)
        put(sheet, row, 2, requirement.title, bold=requirement.tier is Tier.BEST_IN_CLASS)
        put(sheet, row, 3, _stage_of(requirement))
        put(
            sheet,
            row,
            4,
            month_date(requirement.target),
            number_format=MONTH_FORMAT,
            fill=OVERDUE_FILL if item.overdue else None,
        )
        put(sheet, row, 5, requirement.status)
        target = month_date(requirement.target)
        if item.place == "before":
            put(
                sheet,
                row,
                6,
                "overdue" if item.overdue else "done",
                fill=OVERDUE_FILL if item.overdue else DONE_FILL,
                bold=item.overdue,
            )
        elif item.place == "in":
            assert item.column is not None  # _timeline gives every "in" row its month
            put(
                sheet,
                row,
                len(fixed) + 1 + item.column,
                "done" if done else "target",
                fill=DONE_FILL if done else TARGET_FILL,
                bold=not done,
            )
        elif item.place == "after":
            put(sheet, row, later, target, number_format=MONTH_FORMAT)
    finish_table(sheet, 2, len(review.timeline) + 2, later, frozen_columns=2)
    _widths(
        sheet, {"A": 9, "B": 44, "C": 28, "D": 10, "E": 12, "F": 9}, len(fixed), len(months) + 1, 11
    )
    print_landscape(sheet)


def parity_sheet(book: Book, review: Review) -> None:
    """First ga month per vendor per requirement (``≤`` where that is only "ga by then"),
    the leader (tied leaders joined by ``=``), and the lag in months."""
    sheet = book.create_sheet("Parity", rows=len(review.parity))
    keys = [v.key for v in review.vendors]
    headers = [
        "ID",
        "Title",
        *[f"{v.name} first ga" for v in review.vendors],
        "Leader",
        "Lag (months)",
        "Note",
    ]

    def month(row: ParityRow, key: str) -> object:
        text = row.month_text(key)
        return text if text and text.startswith("≤") else month_date(row.first_ga.get(key))

    rows = [
        (
            row.requirement,
            row.title,
            *[month(row, k) for k in keys],
            " = ".join(review.vendor_name(k) for k in row.leaders) or None,
            row.lag_months,
            _parity_note(row),
        )
        for row in review.parity
    ]
    # Months and "≤ 2021-06" alike to the right, so they line up.
    months: dict[int, Style] = {
        c: {"align": "right", "number_format": MONTH_FORMAT} for c in range(3, 3 + len(keys))
    }
    measure(sheet, [headers, *rows])
    fit_columns(sheet, {"A": 9, "B": 48})
    _widths(sheet, {}, 2, len(keys), 14)
    write_header(sheet, 1, headers, wrap=True)
    fit_row_height(sheet, 1, range(1, len(headers) + 1))
    last = write_rows(sheet, 2, rows, styles=lambda _index, _values: months)
    finish_table(sheet, 1, last, len(headers), frozen_columns=2)
    print_landscape(sheet)


def _parity_note(row: ParityRow) -> str | None:
    if row.lag_is_lower_bound:
        return "at least: the leader's ga is from its first assessment (≤)"
    if row.lag_months is None and len([m for m in row.first_ga.values() if m]) >= 2:
        return "no lag: the last vendor's ga is from its first assessment (≤)"
    return None


def _links_rule(book: Book) -> str:
    """What became a hyperlink, and what could not (a sheet holds MAX_LINKS at most)."""
    unlinked = sum(sheet.unlinked for sheet in book.sheets.values())
    elsewhere = sum(sheet.unlinked_uncommented for sheet in book.sheets.values())
    text = (
        f"evidence that is a web address (http or https) links from its Matrix cell. "
        f"A sheet holds at most {MAX_LINKS:,} links and none longer than "
        f"{MAX_LINK_LENGTH:,} characters; past that a cell's address is in its "
        "comment only"
    )
    text += f": {unlinked:,} cells here." if unlinked else " (none here)."
    if elsewhere:
        text += (
            " Past the comments a sheet holds too (see Comments), the address of "
            f"{elsewhere:,} of them is only in the Snapshots sheet."
        )
    return text


def _comments_rule(book: Book, review: Review) -> str:
    """Where a Matrix cell's product, evidence and notes are, and how many cells have no
    comment (a sheet holds MAX_COMMENTS at most)."""
    uncommented = sum(sheet.uncommented for sheet in book.sheets.values())
    stack = (
        " (a stack's cell also names the member giving its level; without a comment, "
        "that is a member whose column shows the same level)"
        if review.stack
        else ""
    )
    text = (
        f"a Matrix cell's comment holds its entry's product, evidence and notes{stack}. "
        f"A sheet holds at most {MAX_COMMENTS:,} comments (Excel and LibreOffice crawl "
        "with more); past that a cell shows its level, its colour and its link (while "
        "links last) but no comment: its product, evidence and notes are in the Snapshots "
        "sheet, one row per entry"
    )
    return text + (f": {uncommented:,} cells here." if uncommented else " (none here).")


def legend_sheet(book: Book, review: Review) -> None:
    """Levels and colours, scoring, gap and timeline rules, inputs used, tool version."""
    sheet = book.create_sheet("Legend")
    put(sheet, 1, 1, "Legend", bold=True)
    last = write_block(
        sheet,
        ["Level", "Meaning", "Also accepted", "Score"],
        [
            (
                level,
                LEVEL_MEANINGS[level],
                ", ".join(w or "an empty cell" for w in LEVEL_SYNONYMS[level]),
                review.settings.scores[level],
            )
            for level in LEVEL_ORDER
        ],
        start_row=3,
    )
    row = last + 2
    settings = review.settings
    lines = [
        (
            "Coverage",
            None,
            "the mean score of a vendor's levels over the review's requirements (scores above; a "
            "requirement a snapshot leaves out is unknown); by tier and by stage the same over "
            "those requirements only.",
        ),
        (
            "Assessed",
            CAVEAT_FILL,
            "the share of requirements whose level is not unknown. Unknown is not none: "
            "nobody has looked. A vendor assessed on fewer than half the requirements is "
            "marked wherever its coverage is shown (its coverage rests on cells nobody "
            "assessed).",
        ),
        (
            "Stale",
            CAVEAT_FILL,
            f"a snapshot older than two cadences ({2 * settings.cadence} months) at the "
            "review date; marked in the Summary and the Matrix header.",
        ),
        (
            "Heat map",
            None,
            "coverage by stage: red 0%, yellow 50%, green 100%; blank where "
            "a stage has no requirements.",
        ),
        ("Weighted", None, _weights_rule(review)),
        *(
            [
                (
                    "Stack",
                    None,
                    "the primary and the tools run beside it (--stack): for each "
                    "requirement the strongest level among its members (the Matrix comment "
                    "names which); dated by its oldest member's snapshot. Gaps are the "
                    "stack's: buy names vendors outside it.",
                )
            ]
            if review.stack
            else []
        ),
        (
            "Adding one tool",
            None,
            "roadmap recommend's first step: the vendor whose addition closes the most weighted "
            "gaps (a requirement not at ga that it has at ga; or, where nothing usable is held, "
            "that it has as partner: glue). Weighted gain: what those closes add to weighted "
            "coverage.",
        ),
        ("Requirements", None, _requirements_source(review)),
        ("Snapshots", None, "each vendor's latest snapshot on or before the review date."),
        ("Links", None, _links_rule(book)),
        ("Comments", None, _comments_rule(book, review)),
        (
            "Primary vendor",
            None,
            "the platform the team is on (--primary); by default the best covered vendor.",
        ),
        (
            "Window",
            None,
            f"the review's month and the {settings.horizon - 1} after it "
            f"({review.window_start} to {review.window_end}).",
        ),
        (
            "Gaps",
            None,
            "requirements with a target on or before the window's last month, whose status is "
            "not done, and that the primary vendor does not have at ga. Requirements without a "
            "target are not gaps. Overdue: a target before the review's month.",
        ),
        *[
            (f"Action: {action}", ACTION_COLOURS[action], text)
            for action, text in ACTION_MEANINGS.items()
        ],
        (
            "Changes",
            None,
            "against the latest review recorded before this one: requirement fields old → new, "
            "and every level that differs between the snapshots each review used. A vendor the "
            "previous review did not have is listed once as a new vendor (its first "
            "assessment, with its counts), not as upgrades. upgraded and downgraded are moves "
            "between two assessed levels; assessed: unknown before; no longer assessed: "
            "unknown now.",
        ),
        (
            "Parity",
            None,
            "the month of each vendor's first snapshot at ga. ≤ 2021-06: ga in the vendor's "
            "first snapshot that assessed it, so only 'ga by then'. The lag runs from the "
            "leader to the last vendor at ga; there is none when that last vendor's month is "
            "≤, and it is a lower bound when the leader's is. Leaders in the same month are "
            "all named (A = B).",
        ),
        (
            "Coverage over time",
            None,
            "the latest recorded review of each earlier date, then this review.",
        ),
        *[(f"Timeline: {kind}", MARK_FILLS[kind], text) for kind, text in MARK_MEANINGS.items()],
    ]
    put(sheet, row, 1, "Rules", bold=True)
    for offset, (label, fill, text) in enumerate(lines, start=1):
        put(sheet, row + offset, 1, label, bold=True, fill=fill, wrap=True)
        put(sheet, row + offset, 2, text, wrap=True)
    wrapped = range(row + 1, row + len(lines) + 1)
    row += len(lines) + 2
    put(sheet, row, 1, "Inputs used", bold=True)
    last = write_block(
        sheet,
        ["Vendor", "Name", "Kind", "Snapshot", "Source", "Entries"],
        [
            (
                v.key,
                v.name,
                v.kind,
                day_date(review.snapshots[v.key][1].as_of),
                review.snapshots[v.key][1].source,
                len(review.snapshots[v.key][1].entries),
            )
            for v in review.vendors
        ],
        start_row=row + 1,
    )
    row = last + 2
    put(sheet, row, 1, "Written by", bold=True)
    put(sheet, row, 2, f"roadmap {__version__}")
    fit_columns(sheet, {"A": 24, "B": 70, "C": 40, "D": 12, "E": 60})
    for number in wrapped:
        fit_row_height(sheet, number, (2,))
    print_landscape(sheet)


SHEETS = (
    "Summary",
    "Matrix",
    "Changes",
    "Gaps",
    "Timeline",
    "Parity",
    "Requirements",
    "Snapshots",
    "Legend",
)


def _check_review(review: object) -> None:
    if not isinstance(review, Review):
        raise UsageError(
            f"{shorten(repr(review))} is not a review; build one with build_review(store, as_of)",
            "review",
        )


def write_review(
    review: Review,
    path: str | os.PathLike[str],
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> None:
    """Write ``review`` (from ``build_review``) as the nine-sheet workbook at ``path``
    (an ``.xlsx`` name, text or ``pathlib.Path``), saved atomically; nothing is
    recorded (see ``record_review``). ``progress(done, total)`` is called as it goes.
    A file roadmap did not write is replaced only with ``force``; OutputError says why
    a file cannot be written, and any existing file is then unchanged."""
    with staged_review(review, path, progress, force=force):
        pass


@contextmanager
def staged_review(
    review: Review,
    path: str | os.PathLike[str],
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> Iterator[Callable[[], None]]:
    """The workbook written beside ``path``; yields ``publish`` (see ``xlsx.staged_save``)."""
    _check_review(review)
    # Saving takes about as long as filling the sheets, so it counts as half the bar.
    steps = 2 * (len(SHEETS) + len(review.requirements) // 250)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(min(done, steps), steps)

    # Filled in a function of its own, so that nothing here refers to the workbook (a
    # sheet variable would): staged_save frees it once saved, before a review is recorded.
    with staged_save(_filled_workbook(review, tick), path, force=force) as publish:
        if progress:
            progress(steps, steps)
        yield publish


@collector_paused()
def _filled_workbook(review: Review, tick: Callable[[], None]) -> Book:
    book = new_workbook()
    summary_sheet(book, review)
    tick()
    matrix_sheet(book, review, tick)
    tick()
    for write in (changes_sheet, gaps_sheet, timeline_sheet, parity_sheet):
        write(book, review)
        tick()
    print_landscape(requirements_sheet(book, review.requirements))
    tick()
    for sheet in snapshots_sheet(
        book,
        [(v, review.snapshots[v.key][1]) for v in review.vendors],
        {r.id: r.title for r in review.requirements},
    ):
        print_landscape(sheet)
    tick()
    legend_sheet(book, review)
    tick()
    return book


def write_and_record(
    store: Store,
    output: str | os.PathLike[str],
    as_of: DayLike | None,
    primary: str | None = None,
    *,
    record: bool = True,
    progress: Progress | None = None,
    stack: str | None = None,
    force: bool = False,
) -> tuple[Review, bool]:
    """Build the review at ``as_of`` and (unless ``record`` is False) record it and write
    it to ``output``, all or nothing: the workbook is written beside ``output`` first,
    renamed into place just before the record is committed, and put back if the commit
    fails. ``output`` must be roadmap's own earlier file, or ``force`` (see
    ``xlsx.check_output``). ``primary`` and ``stack`` are as for ``build_review``.
    Returns the review and whether it was recorded (False when an identical review is
    already recorded, or ``record`` is False)."""
    output = output_path(output)
    check_output(output, force)  # before the work, not after it
    review = build_review(store, as_of, primary, stack)
    with staged_review(review, output, progress, force=force) as publish:
        if record:
            # The saved workbook's objects (hundreds of MB for a big review) are in
            # reference cycles: freed now, not on top of the record's. Without a record
            # nothing follows, and the pass (0.17 s at 2,000 x 6) would only cost time.
            gc.collect()
        recorded = record and record_review(store, review, output, before_commit=publish)
    return review, recorded


def record_review(
    store: Store,
    review: Review,
    output: str | os.PathLike[str] | None = None,
    *,
    before_commit: Callable[[], None] | None = None,
) -> bool:
    """Record ``review`` (built by ``build_review`` on this ``store``) in one
    transaction, with ``output`` as the workbook's name in the log, so the next review
    can say what changed since. Returns False (recording nothing) when an identical
    review is already recorded.

    ``before_commit`` runs last inside the transaction (the review workbook is renamed
    into place there): if it fails, nothing is recorded."""
    _check_review(review)
    if output is not None:
        output = output_path(output)
    requirements = review.recorded_requirements()
    snapshots = review.recorded_snapshots()
    counts = review.changes.counts()
    text = (
        f"review of {review.as_of} (primary {review.primary or 'none'}): "
        f"{plural(len(review.requirements), 'requirement')}, "
        f"{plural(len(snapshots), 'vendor')}, {plural(len(review.gaps), 'gap')}"
    )
    if review.changes.previous is not None:
        text += f"; since {review.changes.previous.as_of}: " + ", ".join(
            f"{n} {kind}" for kind, n in counts.items()
        )
    summary = {
        "text": text,
        "primary": review.primary,
        "vendors": snapshots,
        "gaps": len(review.gaps),
    }
    day = review.as_of.isoformat()
    same = (day, review.primary, {k: int(v) for k, v in snapshots.items()})
    with store.transaction():
        # Looked for under the write lock: two identical reviews at once record one.
        # Only a review of the same day, primary and snapshots has its requirements read.
        if any(
            (r.as_of, r.primary, r.snapshots) == same
            and store.review_requirements(r.id) == json.loads(requirements)
            for r in store.reviews(requirements=False)
        ):
            return False
        event = store.add_event("review", summary, as_of=day, file=output)
        store.add_review(event, day, review.primary, requirements, snapshots, review.scores())
        if before_commit:
            before_commit()
    return True
