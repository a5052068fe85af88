"""Importing requirements: rows -> validated requirements -> a sync plan -> the store."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .collector import collector_paused
from .errors import InputError, Problem
from .headers import (
    REQUIREMENT_HEADERS,
    STRONG_STAGE_HEADERS,
    Columns,
    column_names,
    describe_columns,
    header_text,
    map_options,
    match_columns,
    parse_map_options,
    requirement_header_score,
    with_mapped_columns,
)
from .model import (
    ACTIVE,
    REQUIREMENT_FIELDS,
    RETIRED,
    Level,
    Requirement,
    Tier,
    normalise_word,
    parse_priority,
    slug,
)
from .months import DayLike, parse_date, parse_target, to_day
from .reader import (
    READER_VERSION,
    Table,
    cell_text,
    column_letter,
    file_sha256,
    fill_merged,
    input_path,
    optional_text,
    read_table,
    regular_file_sha256,
)
from .store import Event, Settings, Store


@dataclass
class Interpreted:
    requirements: list[Requirement]
    warnings: list[str] = field(default_factory=list)
    new_stages: list[str] = field(default_factory=list)  # to add (--add-stages)
    columns: str = ""  # which column each field came from


@dataclass
class SyncPlan:
    """What an import does to the stored requirements."""

    added: list[Requirement] = field(default_factory=list)
    changed: list[tuple[Requirement, Requirement, list[str]]] = field(default_factory=list)
    retired: list[Requirement] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.retired)

    def summary(self) -> dict[str, Any]:
        return {
            "added": [r.id for r in self.added],
            "changed": {new.id: names for _, new, names in self.changed},
            "retired": [r.id for r in self.retired],
            "unchanged": self.unchanged,
        }


@dataclass
class ImportResult:
    plan: SyncPlan
    warnings: list[str]
    written: bool
    file: str
    sha256: str
    new_stages: list[str] = field(default_factory=list)  # added (or to add, in a dry run)
    columns: str = ""  # which column each field came from
    as_of: str = ""  # YYYY-MM-DD: when this version took effect


# Whether a column can be a field, and how full a typical row is, are judged from the
# first rows: enough to tell ids from ticks, and a 20,000-row sheet is not read thrice.
SAMPLE_ROWS = 2000


def _column_values(table: Table, column: int) -> list[str]:
    return [
        text
        for row in table.rows[:SAMPLE_ROWS]
        if column < len(row.values) and (text := cell_text(row.values[column]))
    ]


def _mostly(values: list[str], fits: Callable[[str], object]) -> bool:
    """Whether at least half the values fit (a typo is an error, a column of other
    things is not the field)."""

    def ok(value: str) -> bool:
        try:
            fits(value)
        except ValueError:
            return False
        return True

    sample = values[:500]
    return sum(map(ok, sample)) * 2 >= len(sample)


def _is_tick(value: str) -> bool:
    return Level.find(value) not in (None, Level.UNKNOWN)


def _fitter(
    table: Table, settings: Settings, warnings: list[str], add_stages: bool
) -> Callable[[str, int, bool], float]:
    """Whether a column's cells can be a field (see ``match_columns``).

    A ``Category`` of free text is not the tier, a ``NO`` column of answer ticks is not
    the id. A column whose header names the field whole but whose cells do not fit is
    kept in notes with a warning; a column that only contains a synonym in its header is
    a guess, passed over quietly.
    """
    checks: dict[str, tuple[Callable[[str], object], str]] = {
        "tier": (Tier.parse, "its values are not table-stakes or best-in-class"),
        "priority": (parse_priority, "its values are not high, medium or low"),
        "target": (
            functools.partial(parse_target, start_month=settings.start),
            "its values are not months, quarters or dates",
        ),
    }

    filled_rows = sum(1 for row in table.rows[:SAMPLE_ROWS] if any(map(_filled, row.values)))

    def why_not(name: str, values: list[str], whole: bool, strong: bool) -> str | None:
        if name == "id":
            if not values:
                return "it is empty"
            if len(values) * 2 < filled_rows:
                return "most of its cells are empty"
            sample = values[:500]
            if len(values) >= 3 and (
                sum(map(_is_tick, sample)) * 2 > len(sample) or len(set(values)) * 2 < len(values)
            ):
                return "its values repeat, as answers do, where ids are unique"
        elif name == "stage" and len(set(values)) > max(20, len(values) // 2):
            return "nearly every value differs, as free text does"
        elif (
            name == "stage"
            and not strong
            and not add_stages
            and (
                unknown := [
                    v for v in dict.fromkeys(values) if settings.stage_matcher.find(v) is None
                ]
            )
        ):
            # Chapter, Section or a guess: its values become stages only when asked.
            more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
            return (
                f"{unknown[0]!r}{more} are not the roadmap's stages; pass --add-stages to add them"
            )
        elif name == "title" and not whole and len(set(values)) * 2 < len(values):
            return "its values repeat"
        elif name in checks and values and not _mostly(values, checks[name][0]):
            return checks[name][1]
        return None

    def fits(name: str, column: int, whole: bool) -> float:
        values = _column_values(table, column)
        header = header_text(table.header[column])
        why = why_not(name, values, whole, normalise_word(header) in STRONG_STAGE_HEADERS)
        if why and (whole or name == "stage"):
            warnings.append(
                f"{table.where(table.header_row, column)}: column {header!r} is not the "
                f"{name} ({why}); its values are kept in notes (use --map '{header}={name}' "
                "to take it anyway)"
            )
        if why:
            return 0.0
        # Of two guesses, names (``Architecture``) beat codes (``V1``) for stages and titles.
        words = sum(" " in v for v in values) * 2 > len(values)
        return 2.0 if words and name in ("stage", "title") else 1.0

    return fits


def _repeated_headers(table: Table) -> tuple[set[int], list[int]]:
    """Rows repeating the header (a table printed in blocks, one per chapter), and the
    columns where the repeats differ from it (``Information Gathering | Test Name`` then
    ``Configuration Testing | Test Name``: the chapter's name is in the first cell)."""

    def fold(value: object) -> str:
        text = header_text(value)
        return normalise_word(text) or text

    header = [fold(v) for v in table.header]
    named = sum(1 for h in header if h)
    # Repeats are copies: a cell first compared as it is written (case and surrounding
    # spaces aside), which is quick; only a row that passes is folded.
    raw = [header_text(v).casefold() for v in table.header]
    repeats: set[int] = set()
    varying: dict[int, None] = {}
    # A repeat matches at least half the header, so one of its first two named cells.
    probes = [c for c, h in enumerate(raw) if h][:2]

    def matches(values: tuple[object, ...], column: int) -> bool:
        value = values[column] if column < len(values) else None
        return isinstance(value, str) and value.strip().casefold() == raw[column]

    # The probes are looked up inline: this runs once per row of the sheet.
    first, second = (probes + [_ABSENT, _ABSENT])[:2]
    for row in table.rows:
        values = row.values
        one = values[first] if first < len(values) else None
        two = values[second] if second < len(values) else None
        if not (
            isinstance(one, str)
            and one.strip().casefold() == raw[first]
            or isinstance(two, str)
            and two.strip().casefold() == raw[second]
        ):
            continue
        same = sum(
            1 for c in range(min(len(row.values), len(raw))) if raw[c] and matches(row.values, c)
        )
        if same >= 2 and same * 2 >= named:
            repeats.add(row.number)
            cells = [fold(v) for v in row.values]
            for column, (cell, head) in enumerate(zip(cells, header)):
                if cell and head and cell != head:
                    varying[column] = None
    return repeats, list(varying)


def _filled(value: object) -> bool:
    """Whether a cell holds anything (``cell_text`` is not None), quickly."""
    if value is None:
        return False
    return bool(value.strip()) if value.__class__ is str else cell_text(value) is not None


def _looks_like_heading(value: object) -> bool:
    """A heading is a short text, not a bullet or a sentence continued from above."""
    return (
        isinstance(value, str)
        and len(value.strip()) <= 80
        and "\n" not in value.strip()
        and not value.lstrip().startswith(("-", "•", "*", "–"))
    )


def _unlabelled_title(table: Table, columns: Columns) -> int | None:
    """A blank header over a column of labels at the left edge of a table is the title."""
    width = max((len(row.values) for row in table.rows), default=0)
    for column in range(width):
        values = _column_values(table, column)
        if not values:
            continue
        if header_text(table.header[column] if column < len(table.header) else None):
            return None
        used = set(columns.fields.values()) | {c for c, _ in columns.others}
        labels = sum(not re.fullmatch(r"[\d.,\s%-]+", v) for v in values)
        return column if column not in used and labels * 2 > len(values) else None
    return None


_ABSENT = 1 << 62  # the column of a field the sheet lacks: past the end of every row

# A table ends where a title of its own follows more blank rows than this (a legend or a
# second table below the requirements); one blank row between chapters is no end.
TABLE_GAP = 3
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[A-Za-z]|[IVXivx]+)[.):]\s+")


# Fields a group of requirements may share through one cell merged down beside them;
# an id, title or text merged down is one requirement over several rows.
_SHARED_FIELDS = ("stage", "tier", "priority", "target", "status", "owner", "requested_by")


def cell_ranges(cells: list[tuple[int, int]], limit: int = 8) -> str:
    """``[(2, 1), (3, 1), (7, 1)]`` -> ``B2–B3, B7``; long lists end ``… (N cells)``."""
    runs: list[list[int]] = []  # [column, first row, last row]
    for row, column in cells:
        if runs and runs[-1][0] == column and runs[-1][2] in (row - 1, row):
            runs[-1][2] = row
        else:
            runs.append([column, row, row])
    text = [
        f"{column_letter(c)}{a}" + (f"–{column_letter(c)}{b}" if b != a else "") for c, a, b in runs
    ]
    if len(text) > limit:
        return ", ".join(text[:limit]) + f", … ({len(cells)} cells)"
    return ", ".join(text)


class _StageNames:
    """Stage cells and section headings resolved to stages; unknown ones gathered by
    value (once each, with every cell), added in order of first appearance when asked."""

    def __init__(self, settings: Settings, add: bool, problems: list[Any]) -> None:
        self.stages = settings.stage_matcher
        self.add = add
        self.unknown: dict[str, tuple[str, list[tuple[int, int]]]] = {}
        self.problems = problems  # holds each unknown's key where its first cell is
        self.headings: dict[str, tuple[int, int]] = {}  # headings that are no stage
        self.known: dict[str, str | None] = {}  # cell text -> its stage

    def heading_warning(self, table: Table) -> list[str]:
        if not self.headings:
            return []
        names = list(self.headings)
        shown = ", ".join(repr(n) for n in names[:5]) + (
            f" and {len(names) - 5} more" if len(names) > 5 else ""
        )
        return [
            f"{table.where(*self.headings[names[0]])}: section headings {shown} are not "
            "the roadmap's stages: the rows under them are Unassigned (pass --add-stages "
            "to add them as stages)"
        ]

    def resolve(
        self, text: str | None, row: int, column: int, *, heading: bool = False
    ) -> str | None:
        if text is None:
            return None
        if text in self.known:  # a sheet repeats a few stage names thousands of times
            return self.known[text]
        try:
            found = self.known[text] = self.stages.parse(text)
        except ValueError:
            found = self.stages.find(_NUMBERING.sub("", text)) if heading else None
            if found is None and heading and not self.add:
                # A heading is read from the sheet's shape: one that is no stage leaves
                # its rows Unassigned (said once) rather than refusing the file.
                self.headings.setdefault(text, (row, column))
                return None
            if found is None:
                key = normalise_word(text)
                if key not in self.unknown:
                    self.problems.append(key)  # replaced by the message once all are seen
                first, cells = self.unknown.setdefault(key, (text, []))
                cells.append((row, column))
                return first
        return found

    @property
    def new_names(self) -> list[str]:
        return [text for text, _ in self.unknown.values()]

    def settle(self, table: Table) -> list[Problem]:
        """The problems, each unknown stage said once at its first cell (none when the
        unknown stages are to be added)."""
        found = []
        said = False  # the stages and the way out are spelled out once
        for item in self.problems:
            if not isinstance(item, str):
                found.append(item)
            elif not self.add:
                text, cells = self.unknown[item]
                row, column = cells[0]
                where = f" in {cell_ranges(cells)}" if len(cells) > 1 else ""
                found.append(
                    Problem(
                        table.where(row, column),
                        (
                            f"unknown stage {text!r}{where} (expected one of: "
                            f"{'; '.join(self.stages.names)}); pass --add-stages to add it, or "
                            "change the stages with 'roadmap settings --stages'"
                        )
                        if not said
                        else f"unknown stage {text!r}{where} (--add-stages adds it too)",
                    )
                )
                said = True
        return found


def interpret_requirements(
    table: Table,
    settings: Settings,
    mapping: dict[str, str] | None = None,
    *,
    add_stages: bool = False,
) -> Interpreted:
    """Validate every row; InputError carries every problem of the sheet at once.

    With ``add_stages`` stage names the roadmap lacks are returned in ``new_stages``
    instead of refused.
    """

    def header_cell(column: int) -> str:
        return table.where(table.header_row, column)

    warnings: list[str] = list(table.warnings)
    columns = match_columns(
        table.header,
        REQUIREMENT_HEADERS,
        mapping or {},
        header_cell,
        describe=True,
        fits=_fitter(table, settings, warnings, add_stages),
    )
    fields = columns.fields
    header_place = table.where(table.header_row)
    repeats, varying = _repeated_headers(table)
    for column in varying:  # its header names a chapter, not a field: it holds one
        if column in fields.values():
            continue
        name = "title" if "title" not in fields else "id" if "id" not in fields else None
        if name is not None:
            fields[name] = column
            columns.others = [(c, n) for c, n in columns.others if c != column]
    unlabelled = _unlabelled_title(table, columns) if "title" not in fields else None
    if unlabelled is not None:
        fields["title"] = unlabelled
    elif "title" not in fields and "description" in fields:
        fields["title"] = fields.pop("description")
        warnings.append(
            f"{header_cell(fields['title'])}: no title column: titles are taken from "
            f"{header_text(table.header[fields['title']])!r} (use --map 'Column=title' "
            "to name another)"
        )
    if "id" not in fields:
        warnings.append(
            f"{header_place}: no id column: ids are derived from titles, so renaming a title "
            "will look like retiring one requirement and adding another"
        )
    notes = [f"columns: {describe_columns(table.header, fields, header_cell)}"]
    if "title" not in fields:
        raise InputError(
            [
                Problem(
                    header_place,
                    (
                        "no title column (a column named Title, Feature, Requirement, "
                        "Capability or Name); use --map 'Column=title' "
                        f"(columns: {column_names(table.header)})"
                    ),
                )
            ],
            warnings=warnings,
            notes=notes,
        )
    fill_merged(table, {fields[name] for name in _SHARED_FIELDS if name in fields})
    kept = [
        (column, name)
        for column, name in columns.others
        if not any(
            w.startswith(f"{header_cell(column)}: column {name!r} is not the") for w in warnings
        )
    ]
    if len(kept) == 1:
        ((column, name),) = kept
        warnings.append(
            f"{header_cell(column)}: column {name!r} is not a requirement field; its "
            f"values are kept in notes (use --map '{name}=FIELD' or --map '{name}=ignore')"
        )
    elif kept:
        names = ", ".join(f"{name!r} ({column_letter(column)})" for column, name in kept)
        warnings.append(
            f"{header_place}: columns {names} are not requirement fields; their values are "
            "kept in notes (use --map 'Column=FIELD' or --map 'Column=ignore')"
        )
    width = max((len(row.values) for row in table.rows), default=0)
    unnamed = [
        column
        for column in range(width)
        if not header_text(table.header[column] if column < len(table.header) else None)
        and column != fields["title"]
        and any(cell_text(row.values[column]) for row in table.rows if column < len(row.values))
    ]
    for column in unnamed:
        warnings.append(
            f"{header_cell(column)}: this column has values but no header; they "
            "are ignored (give it a header to keep them in notes)"
        )
    use_bold = "tier" not in fields
    if use_bold and table.rows and table.rows[0].bold is None:
        warnings.append(
            f"{header_place}: no tier column and no bold titles to go by (a CSV file has "
            "none): every requirement is table-stakes (add a Tier column to say otherwise)"
        )

    # A sheet repeats a few words thousands of times: parse each distinct cell once
    # (typed, so 1, 1.0 and True stay apart; errors are not cached and so still raise).
    memo = functools.partial(functools.lru_cache, maxsize=None, typed=True)
    parse_tier = memo()(Tier.parse)
    parse_priority_cell = memo()(parse_priority)
    parse_target_cell = memo()(functools.partial(parse_target, start_month=settings.start))
    problems: list[Any] = []  # Problems, and unknown stages' keys (see _StageNames.settle)
    stages = _StageNames(settings, add_stages, problems)
    stage_col = fields.get("stage")
    # Without a stage column, a row holding one text cell is a section heading naming
    # the stage of the rows below it (on a sheet whose rows fill two cells or more).
    # Cells under no header are ignored, so they make no row more or less a heading.
    named = {c for c, v in enumerate(table.header) if header_text(v)} | set(fields.values())
    fills = sorted(
        sum(1 for c, v in enumerate(row.values) if c in named and _filled(v))
        for row in table.rows[:SAMPLE_ROWS]
    )
    typical_fill = fills[len(fills) // 2] if fills else 0
    headings = stage_col is None and not repeats and typical_fill >= 2
    heading: tuple[str, int, int] | None = None  # text, row, column
    if stage_col is None and varying:  # the header's own chapter cell, then each repeat's
        heading = (header_text(table.header[varying[0]]), table.header_row, varying[0])
    heading_stage: str | None = None
    heading_used = heading is None
    last_row = table.header_row  # the last row that was not blank
    seen: dict[str, int] = {}  # id -> sheet row of its first use
    skipped: list[tuple[int, int]] = []  # rows with neither id nor title
    untitled: list[tuple[int, int]] = []  # rows with an id but no title
    unnumbered: list[tuple[int, int]] = []  # id cells left empty: derived from the title
    requirements: list[Requirement] = []
    title_col = fields["title"]
    # Each field's column, or an index past any row's end when the sheet has none: the
    # loop below runs once per row, so it looks cells up inline, without calls.
    (
        c_id,
        c_stage,
        c_tier,
        c_priority,
        c_target,
        c_status,
        c_owner,
        c_requested,
        c_description,
        c_notes,
    ) = (
        fields.get(name, _ABSENT)
        for name in (
            "id",
            "stage",
            "tier",
            "priority",
            "target",
            "status",
            "owner",
            "requested_by",
            "description",
            "notes",
        )
    )
    status_of = memo()(lambda text: (text or ACTIVE).lower())
    others = columns.others
    id_col = c_id if "id" in fields else title_col
    for row in table.rows:
        values = row.values
        number = row.number
        width = len(values)
        raw_title = values[title_col] if title_col < width else None
        gap = number - last_row > TABLE_GAP
        filled: list[tuple[int, object]] = []
        if headings or gap:
            filled = [(c, v) for c, v in enumerate(values) if c in named and _filled(v)]
            if not filled:
                continue
            if gap and len(filled) == 1 and _looks_like_heading(filled[0][1]):
                warnings.append(
                    f"{table.where(number, filled[0][0])}: {cell_text(filled[0][1])!r} "
                    f"below {number - last_row - 1} blank rows starts another table: it "
                    "and the rows under it are not read (remove the blank rows to read them)"
                )
                break
        elif raw_title is None and not any(map(_filled, values)):
            continue  # a blank row (a row with a title is none: no need to look)
        last_row = number
        if repeats and number in repeats:
            if stage_col is None and varying:
                text = cell_text(values[varying[0]]) if varying[0] < width else None
                heading, heading_used = (str(text), number, varying[0]) if text else None, not text
            continue
        if headings:
            # One text cell; or a code and a name, both bold, on a sheet whose rows
            # fill more (``V1 | Architecture, design and threat modelling``).
            if (
                len(filled) == 1
                or len(filled) == 2 < typical_fill
                and row.bold
                and all(c < len(row.bold) and row.bold[c] for c, _ in filled)
            ) and _looks_like_heading(filled[-1][1]):
                heading, heading_used = (
                    (str(cell_text(filled[-1][1])), number, filled[-1][0]),
                    False,
                )
                continue
        title = cell_text(raw_title)
        raw_id = cell_text(values[c_id]) if c_id < width else None
        if title is None:
            if "id" in fields and raw_id is None:
                if any(cell_text(v) for v in values):  # a sub-header or a note: no field
                    skipped.append((number, title_col))
            elif any(cell_text(v) for v in values):  # a heading item, or a title to add
                untitled.append((number, title_col))
            continue
        derived = "id" not in fields
        rid = raw_id if not derived else derived_id(title)
        if not rid:  # a sub-item under an item with an id, most often
            rid = derived_id(title)
            unnumbered.append((number, c_id))
        if rid in seen:  # reported, and the rest of the row is still checked
            where_id = id_col
            first = table.where(seen[rid], id_col)
            if derived:
                why = (
                    f"two titles give the id {rid!r} (first at {first}); without an id "
                    "column titles must differ: add an ID column, or --map 'Column=id'"
                )
            elif unnumbered and unnumbered[-1][0] == number:
                where_id = title_col
                first = table.where(seen[rid], title_col)
                why = (
                    f"no id, and the title gives the id {rid!r} of {first}: fill in the "
                    "row's id, or add an ID column that gives every row one "
                    "(or --map 'Column=id')"
                )
            else:
                why = f"duplicate id {rid!r} (first at {first})"
            problems.append(Problem(table.where(number, where_id), why))
        else:
            seen[rid] = number  # its cell is only spelled out for a duplicate

        if stage_col is not None:
            stage = stages.resolve(
                cell_text(values[stage_col]) if stage_col < width else None, number, stage_col
            )
        else:
            if heading is not None and not heading_used:
                heading_stage = stages.resolve(heading[0], heading[1], heading[2], heading=True)
                heading_used = True
            stage = heading_stage
        tier: Tier | None
        if use_bold:
            bold = row.bold[title_col] if row.bold and title_col < len(row.bold) else False
            tier = Tier.BEST_IN_CLASS if bold else Tier.TABLE_STAKES
        else:
            try:
                tier = parse_tier((cell_text(values[c_tier]) if c_tier < width else None) or "")
            except ValueError as exc:
                problems.append(Problem(table.where(number, c_tier), str(exc)))
                tier = None
        try:
            target = parse_target_cell(values[c_target] if c_target < width else None)
        except ValueError as exc:
            problems.append(Problem(table.where(number, c_target), str(exc)))
            target = None
        try:
            priority = parse_priority_cell(values[c_priority] if c_priority < width else None)
        except ValueError as exc:
            problems.append(Problem(table.where(number, c_priority), str(exc)))
            priority = None
        notes_text = cell_text(values[c_notes]) if c_notes < width else None
        if others:
            extra = [
                f"{name}: {text}"
                for column, name in others
                if column < width and (text := cell_text(values[column]))
            ]
            if extra:
                notes_text = "\n".join(([notes_text] if notes_text else []) + extra)
        if tier is None:
            continue
        requirements.append(
            Requirement(
                rid,
                title,
                stage,
                tier,
                priority,
                target,
                status_of(cell_text(values[c_status]) if c_status < width else None),
                cell_text(values[c_owner]) if c_owner < width else None,
                cell_text(values[c_requested]) if c_requested < width else None,
                cell_text(values[c_description]) if c_description < width else None,
                notes_text,
            )
        )
    if skipped:
        warnings.append(
            f"{table.where(skipped[0][0], skipped[0][1])}: rows with no id and no "
            f"title are skipped ({cell_ranges(skipped)})"
        )
    if untitled:
        warnings.append(
            f"{table.where(*untitled[0])}: rows with no title are skipped "
            f"({cell_ranges(untitled)}); fill in their titles to import them"
        )
    if unnumbered:
        warnings.append(
            f"{table.where(*unnumbered[0])}: no id in {cell_ranges(unnumbered)}: "
            "those ids are derived from the titles"
        )
    warnings += stages.heading_warning(table)
    found = stages.settle(table)
    if found:
        raise InputError(found, warnings=warnings)
    if not requirements:
        raise InputError("no requirements below the header row", header_place)
    from_headings = stage_col is None and any(r.stage for r in requirements)
    return Interpreted(
        requirements,
        warnings,
        stages.new_names,
        describe_columns(
            table.header,
            fields,
            lambda c: table.where(table.header_row, c),
            stage_from="the section-heading rows" if from_headings else "",
        ),
    )


def derived_id(title: str) -> str:
    """An id from a title: its slug (letters of any script kept), else a short stable
    hash for a title of symbols alone."""
    return slug(title) or "r-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def plan_sync(current: dict[str, Requirement], incoming: list[Requirement]) -> SyncPlan:
    """Added, changed (field by field) and retired requirements; the rest unchanged."""
    plan = SyncPlan()
    incoming_ids = set()
    for new in incoming:
        incoming_ids.add(new.id)
        old = current.get(new.id)
        if old is None:
            plan.added.append(new)
            continue
        changed = [name for name in REQUIREMENT_FIELDS if getattr(old, name) != getattr(new, name)]
        if changed:
            plan.changed.append((old, new, changed))
        else:
            plan.unchanged += 1
    for rid, old in current.items():
        if rid not in incoming_ids and old.status != RETIRED:
            plan.retired.append(replace(old, status=RETIRED))
    return plan


def has_tier_column(header: tuple[object, ...], user_map: dict[str, str]) -> bool:
    """Whether the tier is settled by the header alone (``--map``, or a column named
    Tier); else bold titles may mark the best-in-class requirements, so they are read."""
    for value in header:
        text = header_text(value)
        if user_map.get(text) == "tier" or any(
            normalise_word(column) == normalise_word(text) and field_name == "tier"
            for column, field_name in user_map.items()
        ):
            return True
    return any(normalise_word(header_text(v)) == "tier" for v in header)


# ``sagemaker_2020-12.xlsx``, ``roadmap 2021-11-15.csv``: a name's last part as a date.
FILE_NAME_DATE = re.compile(r"^(?:(?P<prefix>.*?)[_\-\s]+)?(?P<date>\d{4}-\d{1,2}(?:-\d{1,2})?)$")
_AS_OF_LABELS = ("asof", "date", "snapshotdate", "effective", "effectivedate")


def said_date(table: Table, path: str, as_of: str | None) -> tuple[str, str] | None:
    """The date a file is as of, and where that was said: ``as_of``, else an ``As of:``
    cell above the header, else a date ending the file name."""
    if as_of:
        return as_of, "--as-of"
    labels = {normalise_word(label): value for label, value in table.labels.items()}
    for word in _AS_OF_LABELS:
        if word in labels and cell_text(labels[word][0]):
            return labels[word]  # type: ignore[return-value]
    found = FILE_NAME_DATE.match(os.path.splitext(os.path.basename(str(path)))[0].strip())
    return (found.group("date"), table.file) if found else None


def last_import_of(
    store: Store,
    action: str,
    path: str,
    sha: str,
    options: dict[str, object],
    invalidated_by: tuple[str, ...],
) -> Event | None:
    """The last ``action`` event, when it read these very bytes (``sha``) with these
    options and no event of ``invalidated_by`` came after it: importing the file again
    would change nothing, so it need not be read (the ``roadmap log`` says "unchanged"
    for both imports this way). None when that cannot be told."""
    if not sha:
        return None
    event = store.last_import(action, invalidated_by)
    said = event.summary.get("options") if event else None
    if event is None or not isinstance(said, dict) or event.sha256 != sha:
        return None
    return event if {k: said.get(k) for k in options} == options else None


def _unchanged_since(
    store: Store, path: str, sha: str, options: dict[str, object], as_of: str | None
) -> Event | None:
    """The last requirements import, when it read this very file with these options and
    no settings (stages) changed since; its date may not be later than ``as_of``."""
    event = last_import_of(store, "import requirements", path, sha, options, ("settings",))
    if event is None or not event.as_of:
        return None
    if as_of is not None:  # an earlier date is refused by the full import
        try:
            day = parse_date(as_of).isoformat()
        except ValueError:
            return None
        return event if day >= event.as_of else None
    # Same bytes and name: the same As-of cell or file-name date, else today.
    same_name = os.path.basename(str(event.file)) == os.path.basename(str(path))
    return event if same_name else None


@collector_paused()
def import_requirements(
    store: Store,
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    mapping: Sequence[str] = (),
    as_of: DayLike | None = None,
    add_stages: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Sync the store's requirements with a spreadsheet, in one transaction.

    ``as_of`` (a date) says when this version of the roadmap took effect, for
    back-filling history; else an ``As of:`` cell above the header, else a date in the
    file name (``roadmap_2021-11.xlsx``), else today. It may not precede an earlier
    import. ``add_stages`` adds stage names the roadmap lacks, in order of first
    appearance, instead of refusing them. The file last imported, unchanged, with the
    same options and no settings change since, is told unchanged from the log unread.

    :param path: the spreadsheet (xlsx, xlsm, xls, ods or CSV), as text or a ``Path``.
    :param sheet: the sheet's name (``--sheet``); default the one named Requirements,
        else the first visible one.
    :param mapping: ``"Column=field"`` options (``--map``) in a list or tuple, one alone,
        or a ``{"Column": "field"}`` dict.
    :param as_of: the day (``"2021-11"`` is 2021-11-01; ``"2021-11-02"``; a ``date``).
    :param dry_run: say what would change and write nothing.
    :param progress: ``progress(done, total)`` now and then while reading.
    :returns: an ``ImportResult``: the plan (``added``, ``changed``, ``retired``),
        ``warnings``, whether it was ``written``, the stages added and the day used.
    :raises InputError: a file or cell that is wrong (every problem located);
        ``UsageError``: a bad argument; ``StoreError``: the store failed.
    """
    path, mapping = input_path(path), map_options(mapping)
    sheet = optional_text(sheet, "sheet")
    as_of = None if as_of is None else to_day(as_of, "as_of").isoformat()
    settings = store.settings()
    user_map = parse_map_options(mapping, list(REQUIREMENT_FIELDS))
    options: dict[str, object] = {
        "sheet": sheet,
        "map": list(mapping),
        "add_stages": add_stages,
        "reader": READER_VERSION,
    }
    sha = regular_file_sha256(path)  # before reading: an unchanged file is not read
    if sha and not dry_run:
        known = _unchanged_since(store, path, sha, options, as_of)
        if known is not None:
            return ImportResult(
                SyncPlan(unchanged=known.summary["options"]["rows"]),
                list(known.summary["options"]["warnings"]),
                False,
                str(path),
                sha,
                as_of=known.as_of or "",
            )
    table = read_table(
        path,
        with_mapped_columns(requirement_header_score, user_map),
        sheet=sheet,
        preferred_sheet="Requirements",
        needs_bold=lambda header: not has_tier_column(header, user_map),
        progress=progress,
    )
    said = said_date(table, path, as_of)
    try:
        day = (parse_date(said[0]) if said else dt.date.today()).isoformat()
    except ValueError as exc:
        raise InputError(str(exc), said[1] if said else "--as-of") from None
    latest = store.latest_requirements_as_of()
    if latest and day < latest:
        where = "" if not said or said[1] == "--as-of" else f" (from {said[1]})"
        raise InputError(
            f"--as-of {day}{where} is before the last requirements import ({latest}); "
            f"history only moves forward: pass --as-of {latest} or later"
        )
    interpreted = interpret_requirements(table, settings, user_map, add_stages=add_stages)
    del table  # its rows are no longer needed: a big sheet's are most of the memory
    sha = sha or file_sha256(path)
    written = False
    if dry_run:
        plan = plan_sync(store.requirements(), interpreted.requirements)
    else:
        plan, written = _apply(store, interpreted, options, day, str(path), sha)
    return ImportResult(
        plan,
        interpreted.warnings,
        written,
        str(path),
        sha,
        interpreted.new_stages,
        interpreted.columns,
        day,
    )


def _apply(
    store: Store,
    interpreted: Interpreted,
    options: dict[str, object],
    day: str,
    path: str,
    sha: str,
) -> tuple[SyncPlan, bool]:
    """The sync in one transaction: the plan, and whether anything was written."""
    written = False
    with store.transaction():
        # Planned under the write lock, so an import that ran meanwhile is not applied twice.
        plan = plan_sync(store.requirements(), interpreted.requirements)
        if not plan.is_empty or interpreted.new_stages:
            summary = plan.summary()
            summary["options"] = {
                **options,
                "rows": len(interpreted.requirements),
                "warnings": interpreted.warnings,
            }
            if interpreted.new_stages:
                summary["stages_added"] = interpreted.new_stages
                store.add_stages(interpreted.new_stages)
            event = store.add_event(
                "import requirements", summary, as_of=day, file=path, sha256=sha
            )
            store.write_requirement_versions(
                event, plan.added + [new for _, new, _ in plan.changed] + plan.retired
            )
            written = True
    return plan, written
