"""Importing vendor snapshots: rows -> validated snapshots -> the store.

Long form has a level column: one row per requirement, and optional vendor and as-of
columns make each (vendor, as-of) group its own snapshot. Wide form has none: it is a
comparison table, requirement rows x one column per vendor, all at one date. Which
vendor and date a sheet is about comes from the options, else from labelled cells
above the header (``Vendor:``, ``As of:``), else from the file name
(``sagemaker_2020-12.xlsx``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .collector import collector_paused
from .errors import InputError, Problem
from .headers import (
    WEAK_LEVEL_HEADERS,
    column_names,
    header_text,
    map_options,
    parse_map_options,
    requirement_field,
    snapshot_field,
    snapshot_header_score,
    with_mapped_columns,
)
from .model import (
    RETIRED,
    Entry,
    Level,
    Requirement,
    Snapshot,
    Vendor,
    accepted_level_words,
    normalise_word,
    parse_kind,
    slug,
)
from .months import DayLike, parse_date, to_day
from .reader import (
    READER_VERSION,
    Cells,
    Row,
    Table,
    cell_text,
    file_sha256,
    fill_merged,
    input_path,
    optional_text,
    read_table,
    regular_file_sha256,
)
from .requirements import FILE_NAME_DATE, last_import_of
from .store import Store

DEFAULT_KIND = "end-to-end"
Said = tuple[object, str] | None  # a cell's value and where it is, None when empty
# What --map may name in a snapshot sheet (besides ``ignore``).
SNAPSHOT_MAP_FIELDS = (
    "requirement",
    "title",
    "level",
    "product",
    "evidence",
    "notes",
    "vendor",
    "as_of",
)
_LABELS = {
    "vendor": ("vendor", "platform", "provider"),
    "as_of": ("asof", "date", "snapshotdate"),
    "source": ("source",),
    "kind": ("kind", "vendorkind"),
}


@dataclass
class ImportedSnapshot:
    """One snapshot a file holds, and what importing it does (``added``, ``replaced``,
    ``unchanged``).

    A file told unchanged from the log is not read: its snapshots carry their vendor,
    date and source, and ``counts`` from the store; their entries are as stored
    (``Store.snapshot``), not loaded.
    """

    vendor: Vendor
    snapshot: Snapshot
    place: str  # where its vendor was named, for messages
    new_vendor: bool = False
    status: str = "added"
    counts: tuple[int, int] | None = None  # (entries, ga) when the entries were not loaded

    @property
    def entries(self) -> int:
        return self.counts[0] if self.counts else len(self.snapshot.entries)

    @property
    def ga(self) -> int:
        if self.counts:
            return self.counts[1]
        return sum(e.level is Level.GA for e in self.snapshot.entries.values())


@dataclass
class Interpreted:
    snapshots: list[ImportedSnapshot]
    warnings: list[str] = field(default_factory=list)


@dataclass
class SnapshotImportResult:
    snapshots: list[ImportedSnapshot]
    warnings: list[str]
    written: bool
    file: str
    sha256: str


def fold_title(text: str) -> str:
    """Titles compare case-insensitively with runs of whitespace folded."""
    return " ".join(text.split()).casefold()


def find_vendor(
    vendors: dict[str, Vendor], text: str, aliases: dict[str, str] | None = None
) -> Vendor | None:
    """The stored vendor a user means by key, name or alias (case and punctuation aside)."""
    wanted = text.strip()
    if wanted in vendors:
        return vendors[wanted]
    for vendor in vendors.values():
        if vendor.key == slug(wanted) or fold_title(vendor.name) == fold_title(wanted):
            return vendor
    for alias, key in (aliases or {}).items():
        if key in vendors and (
            slug(alias) == slug(wanted) or fold_title(alias) == fold_title(wanted)
        ):
            return vendors[key]
    return None


def vendor_named(store: Store, text: str) -> Vendor:
    """``find_vendor`` over the store, or an InputError listing the stored keys."""
    from .evaluate import vendor_in  # where every vendor a user names is resolved

    return vendor_in(store.vendors(), store.vendor_aliases(), text)


CLOSE_NAMES = 0.75  # difflib ratio from which a new vendor's key looks like a stored one


def close_vendor(vendors: dict[str, Vendor], aliases: dict[str, str], text: str) -> Vendor | None:
    """A stored vendor whose key, name or alias is close to ``text`` (``vertex-ai`` and
    ``vertex``, ``google-vertex`` and ``Vertex AI``): probably the same one."""
    import difflib

    wanted = slug(text)
    names = [(vendor.key, vendor.key) for vendor in vendors.values()]
    names += [(slug(vendor.name), vendor.key) for vendor in vendors.values()]
    names += [(slug(alias), key) for alias, key in aliases.items() if key in vendors]
    best: tuple[float, str] | None = None
    for name, key in names:
        words, other = set(wanted.split("-")), set(name.split("-"))
        ratio = difflib.SequenceMatcher(None, wanted, name).ratio()
        if words <= other or other <= words:  # one name is the other's words plus some
            ratio = max(ratio, CLOSE_NAMES)
        if ratio >= CLOSE_NAMES and (best is None or ratio > best[0]):
            best = (ratio, key)
    return vendors[best[1]] if best else None


@dataclass(frozen=True)
class VendorMerge:
    """What ``merge_vendors`` did: snapshots moved, and clashing ones made history."""

    source: Vendor
    target: Vendor
    moved: int
    replaced: list[str]  # dates where one of two snapshots became history


def merge_vendors(store: Store, source: str, target: str, keep: str | None = None) -> VendorMerge:
    """Make ``source`` part of ``target`` in one transaction: its snapshots (history
    included) and review records move, and its key and name become aliases.

    Where both have a current snapshot at the same date, identical ones merge (the
    source's becomes history); different ones need ``keep`` (``"from"`` or ``"into"``:
    whose snapshot stays current; the other stays in history).
    """
    moving, into = vendor_named(store, source), vendor_named(store, target)
    if moving.key == into.key:
        raise InputError(f"{source!r} and {target!r} are the same vendor ({into.key})")
    with store.transaction():
        theirs = {i.as_of: i.id for i in store.snapshot_infos(moving.key)}
        ours = {i.as_of: i.id for i in store.snapshot_infos(into.key)}
        replaced: dict[int, int] = {}
        clashes = []
        for day in sorted(set(theirs) & set(ours)):
            if store.snapshot(theirs[day]).entries == store.snapshot(ours[day]).entries:
                replaced[theirs[day]] = ours[day]
            elif keep == "from":
                replaced[ours[day]] = theirs[day]
            elif keep == "into":
                replaced[theirs[day]] = ours[day]
            else:
                clashes.append(day)
        if clashes:
            raise InputError(
                f"{moving.key} and {into.key} both have a different snapshot at "
                f"{', '.join(clashes)}; pass --keep into to keep {into.key}'s or --keep from "
                f"to keep {moving.key}'s (the other stays in history), then merge again"
            )
        moved = len(store.snapshot_infos(moving.key, include_replaced=True))
        store.merge_vendor(moving.key, into.key, replaced)
        store.add_event(
            "vendors merge",
            {
                "text": f"merged {moving.key} ({moving.name}) into {into.key} ({into.name}): "
                f"{moved} snapshot{'' if moved == 1 else 's'} moved",
                "from": moving.key,
                "into": into.key,
                "moved": moved,
            },
        )
    days = sorted(day for day in set(theirs) & set(ours))
    return VendorMerge(moving, into, moved, days)


def rename_vendor(store: Store, key: str, name: str) -> tuple[Vendor, Vendor]:
    """Change a vendor's display name (the old one stays an alias); (old, new)."""
    vendor = vendor_named(store, key)
    name = " ".join(name.split())
    if not name:
        raise InputError("--name: a vendor's name cannot be empty")
    other = find_vendor(store.vendors(), name)
    if other is not None and other.key != vendor.key:
        raise InputError(
            f"--name: {name!r} is already vendor {other.key}; to make them one, "
            f"run 'roadmap vendors merge {vendor.key} {other.key}'"
        )
    with store.transaction():
        store.rename_vendor(vendor.key, name)
        store.add_event(
            "vendors rename",
            {"text": f"renamed {vendor.key}: {vendor.name} -> {name}", "vendor": vendor.key},
        )
    return vendor, Vendor(vendor.key, name, vendor.kind)


class _Requirements:
    """Matches a snapshot row to a requirement: by id (any ever stored), else latest title."""

    def __init__(self, requirements: Mapping[str, Requirement | tuple[str, str]]) -> None:
        self.ids = {rid.casefold(): rid for rid in requirements}
        named = [
            (rid, (r.title, r.status) if isinstance(r, Requirement) else r)
            for rid, r in requirements.items()
        ]
        self.titles: dict[str, str] = {}
        # Retired first, so an active requirement wins a title that a retired one shared.
        for rid, (title, _) in sorted(named, key=lambda item: item[1][1] != RETIRED):
            self.titles[fold_title(title)] = rid

    def match(self, text: str) -> str | None:
        return self.ids.get(text.casefold()) or self.titles.get(fold_title(text))


@dataclass
class _Defaults:
    """What the file as a whole says: (value, where it was said) per field."""

    vendor: tuple[str, str] | None = None
    vendor_key: str | None = None  # a file-name vendor keys a vendor named by a label
    vendor_name: str | None = None  # a label names a vendor keyed by --vendor
    as_of: tuple[str, str] | None = None
    bad_date: bool = False  # a date was said but is not one: already reported, not "no date"
    source: tuple[str, str] | None = None
    kind: tuple[str, str] | None = None


def _labels(table: Table) -> dict[str, tuple[object, str]]:
    folded = {normalise_word(label): value for label, value in table.labels.items()}
    found = {}
    for name, words in _LABELS.items():
        for word in words:
            if word in folded and cell_text(folded[word][0]):
                found[name] = folded[word]
                break
    return found


def _defaults(
    table: Table,
    file_name: str,
    vendor: str | None,
    as_of: str | None,
    source: str | None,
    problems: list[Problem],
) -> _Defaults:
    labels = _labels(table)
    stem = os.path.splitext(os.path.basename(file_name))[0]
    from_name = FILE_NAME_DATE.match(stem.strip())
    name_vendor = from_name.group("prefix") if from_name and from_name.group("prefix") else None
    defaults = _Defaults()
    if vendor:
        defaults.vendor = (vendor, "--vendor")
        if "vendor" in labels:
            defaults.vendor_name = cell_text(labels["vendor"][0])
    elif "vendor" in labels:
        value, place = labels["vendor"]
        defaults.vendor = (str(cell_text(value)), place)
        defaults.vendor_key = slug(name_vendor) if name_vendor and slug(name_vendor) else None
    elif name_vendor and slug(name_vendor):
        defaults.vendor = (name_vendor, table.file)

    date_said = (
        (as_of, "--as-of")
        if as_of
        else labels.get("as_of") or ((from_name.group("date"), table.file) if from_name else None)
    )
    if date_said is not None:
        value, place = date_said
        try:
            defaults.as_of = (parse_date(value).isoformat(), place)
        except ValueError as exc:
            problems.append(Problem(place, str(exc)))
            defaults.bad_date = True
    if source:
        defaults.source = (source, "--source")
    elif "source" in labels:
        value, place = labels["source"]
        defaults.source = (str(cell_text(value)), place)
    if "kind" in labels:
        value, place = labels["kind"]
        try:
            defaults.kind = (parse_kind(cell_text(value)), place)
        except ValueError as exc:
            problems.append(Problem(place, str(exc)))
    return defaults


class _Vendors:
    """Stored vendors plus those this file introduces; a name, key or alias already stored
    is reused, otherwise the key is the slug of the name. A new vendor close to a stored
    one is remembered in ``close`` (new key -> stored vendor) for a "did you mean"."""

    def __init__(self, stored: dict[str, Vendor], aliases: dict[str, str] | None = None) -> None:
        self.stored = dict(stored)
        self.aliases = dict(aliases or {})
        self.known = dict(stored)
        self.new: set[str] = set()
        self.close: dict[str, Vendor] = {}

    def resolve(
        self, text: str, *, key: str | None = None, name: str | None = None, kind: str | None = None
    ) -> Vendor | None:
        found = find_vendor(self.known, text, self.aliases) or (
            find_vendor(self.known, key, self.aliases) if key else None
        )
        if found is not None:
            return found
        key = key or slug(text)
        if not key:
            return None
        vendor = Vendor(key, name or text.strip(), kind or DEFAULT_KIND)
        self.known[key] = vendor
        self.new.add(key)
        near = close_vendor(self.stored, self.aliases, name or text) or close_vendor(
            self.stored, self.aliases, key
        )
        if near is not None:
            self.close[key] = near
        return vendor

    def warnings(self) -> list[str]:
        return [
            f"new vendor {key} ({self.known[key].name}) is close to the stored "
            f"{near.key} ({near.name}); if they are one, run "
            f"'roadmap vendors merge {key} {near.key}' after this import"
            for key, near in sorted(self.close.items())
        ]


@dataclass
class _Group:
    vendor: Vendor
    as_of: str
    place: str
    source: tuple[str, str] | None
    entries: dict[str, Entry] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    source_from_cell: bool = False


def _classify(
    table: Table, problems: list[Problem], user_map: dict[str, str] | None = None
) -> tuple[dict[str, int], list[int]]:
    """Columns of known fields, and the rest; an ID and a Requirement column are id + title.

    A column ``--map`` names is that field (``ignore``: no field, no vendor, no notes).
    """
    fields: dict[str, int] = {}
    others = []
    user_map = user_map or {}
    by_fold = {normalise_word(column) or column: column for column in user_map}
    unused = dict(user_map)
    mapped: set[str] = set()
    for index, value in enumerate(table.header):
        text = header_text(value)
        if not text:
            continue
        said = by_fold.get(normalise_word(text) or text)
        if said is not None:
            unused.pop(said, None)
            name: str | None = user_map[said]
            if name == "ignore":
                continue
            mapped.add(str(name))
        else:
            name = snapshot_field(value)
        if name == "requirement" and "requirement" in fields and "title" not in fields:
            name = "title"
        if name is None:
            others.append(index)
        elif name in fields:
            problems.append(
                Problem(
                    table.where(table.header_row, index),
                    f"columns {header_text(table.header[fields[name]])!r} and "
                    f"{header_text(value)!r} both mean {name!r}; rename one, or "
                    f"--map '{text}=ignore'",
                )
            )
        else:
            fields[name] = index
    for column in unused:
        problems.append(
            Problem(
                "--map",
                f"no column named {column!r} in the header row "
                f"(columns: {column_names(table.header)})",
            )
        )
    level = fields.get("level")
    if (
        level is not None
        and "level" not in mapped
        and normalise_word(header_text(table.header[level])) in WEAK_LEVEL_HEADERS
        and any(requirement_field(table.header[c]) is None for c in others)
    ):
        del fields["level"]  # a comparison table's Status column: a requirement field
        others = sorted([*others, level])
    return fields, others


def _mostly_levels(table: Table, column: int) -> bool | None:
    """Whether most filled cells of a column are level words; None when it is empty."""
    values = [
        text
        for row in table.rows[:500]
        if column < len(row.values) and (text := cell_text(row.values[column]))
    ]
    if not values:
        return None
    levels = 0
    for value in values:
        try:
            Level.parse(value)
            levels += 1
        except ValueError:
            pass
    return levels * 2 >= len(values)


class _UnknownLevels:
    """Level cells parsed; a cell that is no level is an error at that cell, the accepted
    words listed once (a table with many such cells would repeat them on every line)."""

    def __init__(self, problems: list[Any]) -> None:  # Problems, and level cells to settle
        self.problems = problems
        # A sheet repeats a few level words: each distinct cell is parsed once.
        self.known: dict[str | None, Level] = {}

    def parse(self, text: str | None, row: int, column: int) -> Level | None:
        try:
            found = self.known[text] = Level.parse(text)
            return found
        except ValueError:
            self.problems.append(("level", str(text).strip(), row, column))
            return None

    def settle(self, table: Table) -> list[Problem]:
        found = []
        said = False
        for item in self.problems:
            if isinstance(item, Problem):
                found.append(item)
                continue
            _, text, row, column = item
            found.append(
                Problem(
                    table.where(row, column),
                    (
                        f"unknown level {text!r} (expected one of: {accepted_level_words()})"
                        if not said
                        else f"unknown level {text!r} (not a level word either)"
                    ),
                )
            )
            said = True
        return found


def interpret_snapshots(
    table: Table,
    requirements: Mapping[str, Requirement | tuple[str, str]],
    vendors: dict[str, Vendor],
    *,
    vendor: str | None = None,
    as_of: str | None = None,
    source: str | None = None,
    file_name: str | None = None,
    aliases: dict[str, str] | None = None,
    mapping: dict[str, str] | None = None,
) -> Interpreted:
    """Validate every row into snapshots; InputError carries every problem at once.

    ``requirements`` are all ever stored (retired included: ids match any of them,
    titles the latest ones), as requirements or as (title, status) pairs
    (``Store.requirement_titles``, which builds no requirement); ``vendors`` the
    stored ones, reused by name or key.
    """
    problems: list[Problem] = []
    warnings: list[str] = list(table.warnings)
    defaults = _defaults(table, file_name or table.file, vendor, as_of, source, problems)
    fields, others = _classify(table, problems, mapping)
    # A level, vendor or date merged down over rows is each one's; a requirement is not.
    own = {fields[name] for name in ("requirement", "title", "evidence", "notes") if name in fields}
    fill_merged(table, set(range(len(table.header))) - own)
    if "requirement" not in fields and "title" not in fields:
        problems.append(
            Problem(
                table.where(table.header_row),
                "no requirement column (a column named Requirement ID, ID, Feature or Title)",
            )
        )
        raise InputError(problems)
    if not requirements:
        problems.append(
            Problem(
                "",
                "the store has no requirements yet; run 'roadmap import requirements FILE' first",
            )
        )
        raise InputError(problems)
    known = _Vendors(vendors, aliases)
    matcher = _Requirements(requirements)
    levels = _UnknownLevels(problems)
    form = _long_form if "level" in fields else _wide_form
    groups = form(table, fields, others, defaults, known, matcher, problems, warnings, levels)
    problems = levels.settle(table)
    if not groups and not problems:
        problems.append(
            Problem(table.where(table.header_row), "no snapshot rows below the header row")
        )
    if problems:
        raise InputError(problems, warnings=warnings)
    warnings.extend(known.warnings())
    snapshots = []
    announced: set[str] = set()  # a new vendor is new on its first snapshot only
    for group in groups:
        key = group.vendor.key
        found = ImportedSnapshot(
            group.vendor,
            Snapshot(key, group.as_of, group.source[0] if group.source else None, group.entries),
            group.place,
            new_vendor=key in known.new and key not in announced,
        )
        announced.add(key)
        snapshots.append(found)
    if defaults.kind:
        for key in dict.fromkeys(found.vendor.key for found in snapshots):
            stored = vendors.get(key)
            if stored is not None and stored.kind != defaults.kind[0]:
                warnings.append(
                    f"{defaults.kind[1]}: {stored.key} is stored as {stored.kind!r}; "
                    f"the kind {defaults.kind[0]!r} is ignored"
                )
    return Interpreted(snapshots, warnings)


def _requirement_of(
    table: Table, row: Row, fields: dict[str, int], matcher: _Requirements, problems: list[Problem]
) -> str | None:
    """The requirement a row is about, or None (with a problem when it names an unknown one)."""
    values = row.values
    said = [
        (name, value)
        for name in ("requirement", "title")
        if name in fields
        and fields[name] < len(values)
        and (value := cell_text(values[fields[name]]))
    ]
    for _name, value in said:
        found = matcher.match(value)
        if found:
            return found
    if said:
        name, value = said[0]
        problems.append(
            Problem(
                table.where(row.number, fields[name]),
                f"unknown requirement {value!r} (no requirement has this id or title; "
                "import the requirements first or correct it)",
            )
        )
    elif any(cell_text(v) for v in values):
        column = fields.get("requirement", fields.get("title"))
        problems.append(Problem(table.where(row.number, column), "no requirement id or title"))
    return None


def _long_form(
    table: Table,
    fields: dict[str, int],
    others: list[int],
    defaults: _Defaults,
    known: _Vendors,
    matcher: _Requirements,
    problems: list[Problem],
    warnings: list[str],
    levels: _UnknownLevels,
) -> list[_Group]:
    header_place = table.where(table.header_row)
    ignored = []
    for column in others:
        name = header_text(table.header[column])
        if requirement_field(name) is None:
            ignored.append((column, name))
            warnings.append(
                f"{table.where(table.header_row, column)}: column {name!r} is not a snapshot "
                "field; its values are kept in notes"
            )
    if defaults.vendor and "vendor" in fields and defaults.vendor[1].startswith("--"):
        warnings.append("--vendor applies only to rows whose Vendor cell is empty")
    if defaults.as_of and "as_of" in fields and defaults.as_of[1].startswith("--"):
        warnings.append("--as-of applies only to rows whose As of cell is empty")
    groups: dict[tuple[str, str], _Group] = {}
    missing: set[str] = set()  # fields already reported as missing from the whole file
    for row in table.rows:
        values = row.values

        def cell(name: str, row: Row = row, values: Cells = values) -> Said:
            column = fields.get(name)
            if column is None:
                return None
            value = values[column] if column < len(values) else None
            return (value, table.where(row.number, column)) if cell_text(value) else None

        rid = _requirement_of(table, row, fields, matcher, problems)
        level_value = values[fields["level"]] if fields["level"] < len(values) else None
        level = levels.parse(cell_text(level_value), row.number, fields["level"])
        vendor = _row_vendor(cell, defaults, known, fields, table, row, problems, missing)
        day = _row_date(cell, defaults, fields, table, row, problems, missing, header_place)
        if rid is None or level is None or vendor is None or day is None:
            continue
        group = groups.get((vendor.key, day))
        if group is None:
            said_vendor = cell("vendor") or defaults.vendor
            assert said_vendor is not None  # _row_vendor found a vendor in the row or the file
            place = said_vendor[1]
            group = groups[(vendor.key, day)] = _Group(vendor, day, place, defaults.source)
        _row_source(cell("source"), group, defaults, problems)
        if rid in group.seen:
            problems.append(
                Problem(
                    table.where(row.number, fields.get("requirement", fields.get("title"))),
                    f"{rid} appears twice in the snapshot of {vendor.key} at {day} "
                    f"(first at {group.seen[rid]})",
                )
            )
            continue
        group.seen[rid] = table.where(row.number, fields.get("requirement", fields.get("title")))
        notes = _said_text(cell("notes"))
        extra = [
            f"{name}: {text}"
            for column, name in ignored
            if column < len(values) and (text := cell_text(values[column]))
        ]
        if extra:
            notes = "\n".join(([notes] if notes else []) + extra)
        group.entries[rid] = Entry(
            rid, level, _said_text(cell("product")), _said_text(cell("evidence")), notes
        )
    return list(groups.values())


def _said_text(said: tuple[object, str] | None) -> str | None:
    """The text of a (value, where) cell, None when the cell was not said."""
    return cell_text(said[0]) if said else None


def _row_source(said: Said, group: _Group, defaults: _Defaults, problems: list[Problem]) -> None:
    """A Source column beats a ``Source:`` label; --source beats both."""
    if not said or (defaults.source and defaults.source[1] == "--source"):
        return
    text = str(cell_text(said[0]))
    if not group.source_from_cell:
        group.source, group.source_from_cell = (text, said[1]), True
    elif group.source and group.source[0] != text:
        problems.append(
            Problem(
                said[1],
                f"source {text!r} differs from {group.source[0]!r} (at {group.source[1]}) "
                f"in the same snapshot of {group.vendor.key} at {group.as_of}",
            )
        )


def _row_vendor(
    cell: Callable[[str], Said],
    defaults: _Defaults,
    known: _Vendors,
    fields: dict[str, int],
    table: Table,
    row: Row,
    problems: list[Problem],
    missing: set[str],
) -> Vendor | None:
    said = cell("vendor")
    kind_said = cell("kind")
    kind = None
    if kind_said:
        try:
            kind = parse_kind(cell_text(kind_said[0]))
        except ValueError as exc:
            problems.append(Problem(kind_said[1], str(exc)))
    elif defaults.kind:
        kind = defaults.kind[0]
    if said:
        name = cell("vendor_name")
        text, place = str(cell_text(said[0])), said[1]
        vendor = known.resolve(text, name=cell_text(name[0]) if name else None, kind=kind)
    elif defaults.vendor:
        text, place = defaults.vendor
        vendor = known.resolve(text, key=defaults.vendor_key, name=defaults.vendor_name, kind=kind)
    else:
        if "vendor" in fields:
            problems.append(
                Problem(
                    table.where(row.number, fields["vendor"]),
                    "no vendor for this row: fill in the cell, or pass --vendor KEY",
                )
            )
        elif "vendor" not in missing:
            missing.add("vendor")
            problems.append(
                Problem(
                    table.where(table.header_row),
                    "no vendor: pass --vendor KEY, put 'Vendor: NAME' above the header, or name "
                    "the file like sagemaker_2021-05-18.xlsx",
                )
            )
        return None
    if vendor is None:
        problems.append(Problem(place, f"cannot make a vendor key from {text!r}; use letters"))
    return vendor


def _row_date(
    cell: Callable[[str], Said],
    defaults: _Defaults,
    fields: dict[str, int],
    table: Table,
    row: Row,
    problems: list[Problem],
    missing: set[str],
    header_place: str,
) -> str | None:
    said = cell("as_of")
    if said:
        try:
            return parse_date(said[0]).isoformat()
        except ValueError as exc:
            problems.append(Problem(said[1], str(exc)))
            return None
    if defaults.as_of:
        return defaults.as_of[0]
    if defaults.bad_date:
        return None
    if "as_of" in fields:
        problems.append(
            Problem(
                table.where(row.number, fields["as_of"]),
                "no date for this row: fill in the cell, or pass --as-of DATE",
            )
        )
    elif "as_of" not in missing:
        missing.add("as_of")
        problems.append(
            Problem(
                header_place,
                "no date: pass --as-of DATE, put 'As of: DATE' above the header, or name the "
                "file like sagemaker_2021-05-18.xlsx",
            )
        )
    return None


def _wide_form(
    table: Table,
    fields: dict[str, int],
    others: list[int],
    defaults: _Defaults,
    known: _Vendors,
    matcher: _Requirements,
    problems: list[Problem],
    warnings: list[str],
    levels: _UnknownLevels,
) -> list[_Group]:
    header_place = table.where(table.header_row)
    columns = []
    for column in (c for c in others if requirement_field(table.header[c]) is None):
        mostly = _mostly_levels(table, column)
        name = header_text(table.header[column])
        if mostly:
            columns.append(column)
            continue
        why = "it is empty" if mostly is None else "most of its cells are not level words"
        warnings.append(
            f"{table.where(table.header_row, column)}: column {name!r} is "
            f"skipped, not a vendor ({why}); --map '{name}=ignore' says so"
        )
    if not columns and any(requirement_field(table.header[c]) is None for c in others):
        problems.append(
            Problem(
                header_place,
                "no vendor column holds level words (ga, preview, yes, ✓…); "
                "add a Level column, or one column of levels per vendor",
            )
        )
        return []
    if not columns:
        problems.append(
            Problem(
                header_place,
                "no level column (long form) and no vendor columns (wide form); "
                "add a Level column, or one column per vendor",
            )
        )
        return []
    for name, column in sorted(fields.items(), key=lambda item: item[1]):
        if name not in ("requirement", "title"):
            hint = (
                "; pass --as-of DATE to date its snapshots"
                if name == "as_of" and not (defaults.as_of and defaults.as_of[1] == "--as-of")
                else ""
            )
            warnings.append(
                f"{table.where(table.header_row, column)}: column "
                f"{header_text(table.header[column])!r} is ignored in a "
                f"comparison table{hint}"
            )
    if defaults.as_of is None:
        if not defaults.bad_date:
            problems.append(
                Problem(
                    header_place,
                    "no date: pass --as-of DATE, put 'As of: DATE' above the header, "
                    "or name the file like comparison_2021-05-18.xlsx",
                )
            )
        return []
    wanted = defaults.vendor[0] if defaults.vendor and defaults.vendor[1] == "--vendor" else None
    groups: dict[int, _Group] = {}
    claimed: dict[str, str] = {}
    for column in columns:
        name = header_text(table.header[column])
        place = table.where(table.header_row, column)
        if wanted is not None and not _same_vendor(known.known, name, wanted, known.aliases):
            continue
        vendor = known.resolve(name, kind=defaults.kind[0] if defaults.kind else None)
        if vendor is None:
            problems.append(Problem(place, f"cannot make a vendor key from {name!r}; use letters"))
            continue
        if vendor.key in claimed:
            problems.append(
                Problem(
                    place,
                    f"column {name!r} is vendor {vendor.key} again "
                    f"(first at {claimed[vendor.key]})",
                )
            )
            continue
        claimed[vendor.key] = place
        groups[column] = _Group(vendor, defaults.as_of[0], place, defaults.source)
    if wanted is not None and not groups:
        names = ", ".join(repr(header_text(table.header[c])) for c in columns)
        problems.append(
            Problem(
                "--vendor",
                f"no column for vendor {wanted!r} in this "
                f"comparison table (vendor columns: {names})",
            )
        )
    id_column = fields.get("requirement", fields.get("title"))
    seen: dict[str, int] = {}  # requirement -> its first row
    vendor_cells = [(column, group.entries) for column, group in groups.items()]
    parsed = levels.known
    for row in table.rows:
        rid = _requirement_of(table, row, fields, matcher, problems)
        if rid is None:
            continue
        if rid in seen:
            problems.append(
                Problem(
                    table.where(row.number, id_column),
                    f"{rid} appears twice (first at {table.where(seen[rid], id_column)})",
                )
            )
            continue
        seen[rid] = row.number
        values = row.values
        made: dict[str | None, Entry] = {}  # one Entry per word: vendors share equal ones
        for column, entries in vendor_cells:
            text = cell_text(values[column]) if column < len(values) else None
            entry = made.get(text)
            if entry is None:
                level = parsed.get(text) or levels.parse(text, row.number, column)
                if level is None:
                    continue
                entry = made[text] = Entry(rid, level)
            entries[rid] = entry
    return list(groups.values())


def _same_vendor(
    known: dict[str, Vendor], header: str, wanted: str, aliases: dict[str, str] | None = None
) -> bool:
    """Whether a wide sheet's column header names the vendor --vendor asks for."""
    if slug(header) == slug(wanted) or fold_title(header) == fold_title(wanted):
        return True
    column, asked = find_vendor(known, header, aliases), find_vendor(known, wanted, aliases)
    return column is not None and asked is not None and column.key == asked.key


@collector_paused()
def import_snapshots(
    store: Store,
    path: str | os.PathLike[str],
    *,
    vendor: str | None = None,
    as_of: DayLike | None = None,
    source: str | None = None,
    sheet: str | None = None,
    mapping: Sequence[str] = (),
    replace: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SnapshotImportResult:
    """Store the snapshots a file holds, all in one transaction.

    An identical snapshot already stored is left alone; a different one for the same
    vendor and date is refused unless ``replace`` (the old one then stays in history).

    :param path: the spreadsheet, as text or a ``Path``.
    :param vendor: the vendor's key, name or alias (``--vendor``) when the file does not
        say; a new key adds the vendor. Default: a ``Vendor:`` cell, else the file name.
    :param as_of: the snapshot's day (``"2021-12"`` is 2021-12-01; a ``date``); default
        an ``As of:`` cell, else a date in the file name.
    :param source: where the levels came from (a URL or a note).
    :param sheet: the sheet's name; default the one named Snapshots, else the first.
    :param mapping: ``"Column=field"`` options, as ``import_requirements`` takes them.
    :param replace: store it even when another snapshot of that vendor and day differs.
    :param dry_run: check and say what would be stored; write nothing.
    :returns: a ``SnapshotImportResult``: the ``snapshots`` (each with its vendor, day
        and whether it is new), ``warnings`` and whether anything was ``written``.
    :raises InputError: a file or cell that is wrong; ``UsageError``: a bad argument;
        ``StoreError``: the store failed.
    """
    path, mapping = input_path(path), map_options(mapping)
    vendor, source = optional_text(vendor, "vendor"), optional_text(source, "source")
    sheet = optional_text(sheet, "sheet")
    as_of = None if as_of is None else to_day(as_of, "as_of").isoformat()
    user_map = parse_map_options(mapping, list(SNAPSHOT_MAP_FIELDS))
    options: dict[str, object] = {
        "vendor": vendor,
        "as_of": as_of,
        "source": source,
        "sheet": sheet,
        "map": list(mapping),
        "replace": replace,
        "reader": READER_VERSION,
    }
    sha = regular_file_sha256(path)  # before reading: an unchanged file is not read
    if not dry_run:
        known = _unchanged(store, path, sha, options)
        if known is not None:
            return known
    table = read_table(
        path,
        with_mapped_columns(snapshot_header_score, user_map),
        sheet=sheet,
        preferred_sheet="Snapshots",
        progress=progress,
    )
    interpreted = interpret_snapshots(
        table,
        store.requirement_titles(),
        store.vendors(),
        vendor=vendor,
        as_of=as_of,
        source=source,
        file_name=os.path.basename(str(path)),
        aliases=store.vendor_aliases(),
        mapping=user_map,
    )
    sha = sha or file_sha256(path)
    written = False
    if dry_run:
        _settle(store, interpreted.snapshots, replace)
    else:
        with store.transaction():
            # Settled under the write lock, so a snapshot stored meanwhile is seen.
            changes = _settle(store, interpreted.snapshots, replace)
            if changes:
                summary = _summary(changes, len(interpreted.snapshots))
                summary["options"] = {
                    **options,
                    "warnings": interpreted.warnings,
                    "held": [f"{s.vendor.key} {s.snapshot.as_of}" for s in interpreted.snapshots],
                }
                event = store.add_event(
                    "import snapshot",
                    summary,
                    as_of=max(s.snapshot.as_of for s in changes),
                    file=str(path),
                    sha256=sha,
                )
                for found in changes:
                    if found.new_vendor:
                        store.add_vendor(found.vendor)
                    store.add_snapshot(found.snapshot, event)
                written = True
    return SnapshotImportResult(
        interpreted.snapshots, interpreted.warnings, written, str(path), sha
    )


# What can change the outcome of importing the same snapshot file again: the
# requirements it names, the vendors it resolves, a snapshot stored over its own.
_INVALIDATED_BY = (
    "import requirements",
    "import snapshot",
    "vendors merge",
    "vendors rename",
    "settings",
)


def _unchanged(
    store: Store, path: str, sha: str, options: dict[str, object]
) -> SnapshotImportResult | None:
    """The file last imported, unchanged, with the same options and nothing since that
    could change its outcome: each snapshot it holds is as stored, told from the log
    without reading the file. None when that cannot be told."""
    event = last_import_of(store, "import snapshot", path, sha, options, _INVALIDATED_BY)
    if event is None or os.path.basename(str(event.file)) != os.path.basename(str(path)):
        return None  # the vendor and the date may come from the file's name
    said = event.summary["options"]
    vendors = store.vendors()
    stored = {f"{info.vendor} {info.as_of}": info for info in store.snapshot_infos()}
    found = []
    for name in said.get("held", []):
        info = stored.get(str(name))
        if info is None or info.vendor not in vendors:
            return None
        found.append(
            ImportedSnapshot(
                vendors[info.vendor],
                Snapshot(info.vendor, info.as_of, info.source),
                str(path),
                status="unchanged",
                counts=(info.entries, info.ga),
            )
        )
    if not found:
        return None
    return SnapshotImportResult(found, list(said.get("warnings", [])), False, str(path), sha)


def _settle(
    store: Store, snapshots: list[ImportedSnapshot], replace: bool
) -> list[ImportedSnapshot]:
    """Mark each snapshot added, replaced or unchanged; refuse silent replacements."""
    problems = []
    for found in snapshots:
        current = store.current_snapshot_id(found.vendor.key, found.snapshot.as_of)
        if current is None:
            found.status = "added"
            continue
        stored = store.snapshot(current)
        if stored == found.snapshot:
            found.status = "unchanged"
        elif replace:
            found.status = "replaced"
        else:
            problems.append(
                Problem(
                    found.place,
                    f"{found.vendor.key} already has a different snapshot at {stored.as_of} "
                    f"({len(stored.entries)} entries); pass --replace to store this one "
                    "(the old one stays in history)",
                )
            )
    if problems:
        raise InputError(problems)
    return [s for s in snapshots if s.status != "unchanged"]


def _summary(changes: list[ImportedSnapshot], total: int) -> dict[str, Any]:
    """What the log keeps of an import: the snapshots it changes, out of ``total`` read."""
    return {
        "snapshots": [f"{s.vendor.key} {s.snapshot.as_of}" for s in changes],
        "replaced": [
            f"{s.vendor.key} {s.snapshot.as_of}" for s in changes if s.status == "replaced"
        ],
        "entries": sum(len(s.snapshot.entries) for s in changes),
        "unchanged": total - len(changes),
        "vendors": sorted({s.vendor.key for s in changes if s.new_vendor}),
    }
