"""Importing requirements: rows -> validated requirements -> a sync plan -> the store."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import Problem, RoadmapError
from .headers import (
    REQUIREMENT_HEADERS,
    header_text,
    match_columns,
    parse_map_options,
    requirement_header_score,
    with_mapped_columns,
)
from .model import (
    ACTIVE,
    REQUIREMENT_FIELDS,
    RETIRED,
    Requirement,
    Tier,
    parse_priority,
    slug,
)
from .months import parse_date, parse_target
from .reader import Table, read_table
from .store import Settings, Store


@dataclass
class Interpreted:
    requirements: list[Requirement]
    warnings: list[str] = field(default_factory=list)


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

    def summary(self) -> dict:
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


def cell_text(value: object) -> str | None:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, blanks as None."""
    if value is None:
        return None
    if value.__class__ is str:  # nearly every cell: skip the checks below
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def interpret_requirements(table: Table, settings: Settings,
                           mapping: dict[str, str] | None = None) -> Interpreted:
    """Validate every row; RoadmapError carries every problem of the sheet at once."""
    def header_cell(column: int) -> str:
        return table.where(table.header_row, column)

    columns = match_columns(table.header, REQUIREMENT_HEADERS, mapping or {}, header_cell)
    fields = columns.fields
    warnings: list[str] = []
    header_place = table.where(table.header_row)
    if "title" not in fields:
        raise RoadmapError(
            "no title column (a column named Title, Feature, Requirement, Capability or "
            "Name); use --map 'Column=title'", header_place)
    if "stage" not in fields:
        raise RoadmapError(
            "no stage column (a column named Stage, Phase or Area); "
            "use --map 'Column=stage'", header_place)
    for column, name in columns.others:
        warnings.append(
            f"{header_cell(column)}: column {name!r} is not a requirement field; its values "
            f"are kept in notes (use --map '{name}=FIELD' or --map '{name}=ignore')")
    width = max((len(row.values) for row in table.rows), default=0)
    unnamed = [column for column in range(width) if not header_text(
                   table.header[column] if column < len(table.header) else None)
               and any(cell_text(row.values[column]) for row in table.rows
                       if column < len(row.values))]
    for column in unnamed:
        warnings.append(f"{header_cell(column)}: this column has values but no header; they "
                        "are ignored (give it a header to keep them in notes)")
    if "id" not in fields:
        warnings.append(
            f"{header_place}: no id column: ids are derived from titles, so renaming a title "
            "will look like retiring one requirement and adding another")
    use_bold = "tier" not in fields
    if use_bold and table.rows and table.rows[0].bold is None:
        warnings.append(
            f"{header_place}: no tier column and a CSV file has no bold titles: every "
            "requirement is table-stakes (add a Tier column to say otherwise)")

    # A sheet repeats a few words thousands of times: parse each distinct cell once
    # (typed, so 1, 1.0 and True stay apart; errors are not cached and so still raise).
    memo = functools.partial(functools.lru_cache, maxsize=None, typed=True)
    parse_stage = memo()(settings.stage_matcher.parse)
    parse_tier = memo()(Tier.parse)
    parse_priority_cell = memo()(parse_priority)
    parse_target_cell = memo()(functools.partial(parse_target, start_month=settings.start))
    problems: list[Problem] = []
    seen: dict[str, int] = {}  # id -> sheet row of its first use
    requirements: list[Requirement] = []
    title_col = fields["title"]
    for row in table.rows:
        values = row.values

        def get(name: str, values: tuple = values) -> object:
            column = fields.get(name)
            return values[column] if column is not None and column < len(values) else None

        def where(name: str, number: int = row.number) -> str:
            return table.where(number, fields[name])

        title = cell_text(get("title"))
        if title is None:
            if any(cell_text(v) for v in values):
                problems.append(Problem(where("title"), "empty title"))
            continue
        rid = cell_text(get("id")) if "id" in fields else slug(title)
        if not rid:
            if "id" in fields:
                problems.append(Problem(where("id"), f"empty id for {title!r}"))
            else:
                problems.append(Problem(where("title"), f"no id can be derived from {title!r} "
                                        "(it has no letters or digits); add an ID column"))
            continue
        id_col = fields.get("id", title_col)
        if rid in seen:  # reported, and the rest of the row is still checked
            problems.append(Problem(table.where(row.number, id_col), f"duplicate id {rid!r} "
                                    f"(first at {table.where(seen[rid], id_col)})"))
        else:
            seen[rid] = row.number  # its cell is only spelled out for a duplicate

        try:
            stage = parse_stage(cell_text(get("stage")) or "")
        except ValueError as exc:
            problems.append(Problem(where("stage"), str(exc)))
            stage = None
        if use_bold:
            bold = row.bold[title_col] if row.bold and title_col < len(row.bold) else False
            tier = Tier.BEST_IN_CLASS if bold else Tier.TABLE_STAKES
        else:
            try:
                tier = parse_tier(cell_text(get("tier")) or "")
            except ValueError as exc:
                problems.append(Problem(where("tier"), str(exc)))
                tier = None
        try:
            target = parse_target_cell(get("target"))
        except ValueError as exc:
            problems.append(Problem(where("target"), str(exc)))
            target = None
        try:
            priority = parse_priority_cell(get("priority"))
        except ValueError as exc:
            problems.append(Problem(where("priority"), str(exc)))
            priority = None
        notes = cell_text(get("notes"))
        extra = [
            f"{name}: {text}" for column, name in columns.others
            if column < len(values) and (text := cell_text(values[column]))
        ]
        if extra:
            notes = "\n".join(([notes] if notes else []) + extra)
        if stage is None or tier is None:
            continue
        requirements.append(Requirement(
            id=rid, title=title, stage=stage, tier=tier, priority=priority, target=target,
            status=(cell_text(get("status")) or ACTIVE).lower(),
            owner=cell_text(get("owner")), requested_by=cell_text(get("requested_by")),
            description=cell_text(get("description")), notes=notes,
        ))
    if problems:
        raise RoadmapError(problems)
    if not requirements:
        raise RoadmapError("no requirements below the header row", header_place)
    return Interpreted(requirements, warnings)


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


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def has_tier_column(header: tuple, user_map: dict[str, str]) -> bool:
    """Without one, bold titles mark the best-in-class requirements."""
    try:
        columns = match_columns(header, REQUIREMENT_HEADERS, user_map, str)
    except RoadmapError:
        return False  # interpret_requirements reports the header's problems, located
    return "tier" in columns.fields


def import_requirements(store: Store, path: str, *, sheet: str | None = None,
                        mapping: tuple[str, ...] = (), as_of: str | None = None,
                        dry_run: bool = False,
                        progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Sync the store's requirements with a spreadsheet, in one transaction.

    ``as_of`` (a date) says when this version of the roadmap took effect, for
    back-filling history; it defaults to today and may not precede an earlier import.
    """
    settings = store.settings()
    user_map = parse_map_options(mapping, list(REQUIREMENT_FIELDS))
    try:
        day = (parse_date(as_of) if as_of else dt.date.today()).isoformat()
    except ValueError as exc:
        raise RoadmapError(str(exc), "--as-of") from None
    latest = store.latest_requirements_as_of()
    if latest and day < latest:
        raise RoadmapError(
            f"--as-of {day} is before the last requirements import ({latest}); "
            f"history only moves forward: pass --as-of {latest} or later")
    table = read_table(path, with_mapped_columns(requirement_header_score, user_map),
                       sheet=sheet,
                       preferred_sheet="Requirements",
                       needs_bold=lambda header: not has_tier_column(header, user_map),
                       progress=progress)
    interpreted = interpret_requirements(table, settings, user_map)
    sha = file_sha256(path)
    written = False
    if dry_run:
        plan = plan_sync(store.requirements(), interpreted.requirements)
        return ImportResult(plan, interpreted.warnings, written, str(path), sha)
    with store.transaction():
        # Planned under the write lock, so an import that ran meanwhile is not applied twice.
        plan = plan_sync(store.requirements(), interpreted.requirements)
        if not plan.is_empty:
            event = store.add_event("import requirements", plan.summary(), as_of=day,
                                    file=str(path), sha256=sha)
            store.write_requirement_versions(
                event, plan.added + [new for _, new, _ in plan.changed] + plan.retired)
            written = True
    return ImportResult(plan, interpreted.warnings, written, str(path), sha)
