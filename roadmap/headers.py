"""Matching a sheet's column headers to fields, through synonyms and ``--map``."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import Problem, RoadmapError
from .model import normalise_word

REQUIREMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "key", "req id", "requirement id", "req", "reqid", "#", "no", "number",
           "ref", "reference", "feature id"),
    "title": ("title", "feature", "requirement", "capability", "name", "feature name",
              "summary", "requirement title"),
    "stage": ("stage", "phase", "area", "mlops stage", "lifecycle stage", "step"),
    "tier": ("tier", "class", "category", "level of need", "type"),
    "priority": ("priority", "prio", "importance", "moscow"),
    "target": ("target", "due", "when", "quarter", "target date", "due date", "deadline",
               "target month", "eta", "by"),
    "status": ("status", "state"),
    "owner": ("owner", "assignee", "responsible", "dri"),
    "requested_by": ("requested by", "requester", "requestor", "requested", "customer",
                     "stakeholder", "team", "asked by"),
    "description": ("description", "details", "detail", "what", "user story", "why"),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
}

SNAPSHOT_HEADERS: dict[str, tuple[str, ...]] = {
    "requirement": ("requirement id", "req id", "id", "key", "#", "requirement", "ref"),
    "title": ("title", "feature", "capability", "name", "requirement title"),
    "level": ("level", "support", "availability", "status", "offered", "coverage"),
    "product": ("product", "service", "offering", "product name"),
    "evidence": ("evidence", "evidence url", "url", "link", "source url", "docs", "reference"),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
    "vendor": ("vendor", "platform", "provider", "vendor key"),
    "vendor_name": ("vendor name", "platform name", "provider name"),
    "kind": ("kind", "vendor kind"),
    "as_of": ("as of", "as_of", "date", "asof", "snapshot date"),
    "source": ("source", "snapshot source"),
}

# Level synonyms that are also requirement fields: such a column is the level only on a
# sheet with no would-be vendor column beside it (else it is a comparison table's Status).
WEAK_LEVEL_HEADERS = frozenset({normalise_word("status")})


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for name, words in synonyms.items():
        table[normalise_word(name)] = name
        for word in words:
            table.setdefault(normalise_word(word), name)
    table.pop("", None)
    return table


_REQUIREMENT_LOOKUP = _lookup(REQUIREMENT_HEADERS)
_SNAPSHOT_LOOKUP = _lookup(SNAPSHOT_HEADERS)
_SNAPSHOT_LOOKUP["#"] = "requirement"
_REQUIREMENT_LOOKUP["#"] = "id"  # normalise_word folds "#" away to ""


def header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _fold(value: object) -> str:
    text = header_text(value)
    return "#" if text == "#" else normalise_word(text)


def requirement_header_score(values: tuple) -> int:
    """Requirement fields a row names; ``Owner: | Priya`` above the table is a label, not one."""
    return len({_REQUIREMENT_LOOKUP[f] for v in values
                if not header_text(v).endswith(":") and (f := _fold(v)) in _REQUIREMENT_LOOKUP})


def snapshot_header_score(values: tuple) -> int:
    """Snapshot fields, plus requirement fields a wide sheet carries (Stage, Tier…).

    A cell ending in ``:`` is a label (``Vendor:``, ``As of:``), never a header.
    """
    found = set()
    for value in values:
        if header_text(value).endswith(":"):
            continue
        folded = _fold(value)
        name = snapshot_field(value) or (
            f"requirement {_REQUIREMENT_LOOKUP[folded]}" if folded in _REQUIREMENT_LOOKUP else None)
        if name:
            found.add(name)
    return len(found)


def snapshot_field(value: object) -> str | None:
    """The snapshot field a header cell names, or None."""
    return _SNAPSHOT_LOOKUP.get(_fold(value))


def requirement_field(value: object) -> str | None:
    """The requirement field a header cell names, or None."""
    return _REQUIREMENT_LOOKUP.get(_fold(value))


def with_mapped_columns(score: Callable[[tuple], int],
                        user_map: dict[str, str]) -> Callable[[tuple], int]:
    """A header score that also counts the columns ``--map`` names, so they find the header."""
    mapped = {_fold(column) or column for column in user_map}
    return lambda values: score(values) + sum(
        1 for v in values if (_fold(v) or header_text(v)) in mapped)


@dataclass
class Columns:
    """Which column holds which field, and the columns no field claimed."""

    fields: dict[str, int] = field(default_factory=dict)
    others: list[tuple[int, str]] = field(default_factory=list)


def parse_map_options(options: tuple[str, ...] | list[str], valid: list[str]) -> dict[str, str]:
    """``('Feature Name=title',)`` -> ``{'Feature Name': 'title'}``; RoadmapError on bad ones."""
    mapping: dict[str, str] = {}
    problems = []
    for option in options:
        column, sep, name = option.rpartition("=")
        name = name.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not column.strip():
            problems.append(Problem("--map", f"{option!r} is not 'Column=field'"))
        elif name not in valid and name != "ignore":
            problems.append(Problem(
                "--map", f"unknown field {name!r} in {option!r} "
                f"(expected one of: {', '.join(valid)}, or ignore)"))
        else:
            mapping[column.strip()] = name
    if problems:
        raise RoadmapError(problems)
    return mapping


def match_columns(
    header: tuple,
    synonyms: dict[str, tuple[str, ...]],
    user_map: dict[str, str],
    where,
) -> Columns:
    """Assign header cells to fields; two columns claiming one field is an error."""
    lookup = _REQUIREMENT_LOOKUP if synonyms is REQUIREMENT_HEADERS else _SNAPSHOT_LOOKUP
    columns = Columns()
    problems = []
    # Columns in --map match headers as synonyms do: case, spaces and punctuation aside.
    by_fold = {(_fold(column) or column): column for column in user_map}
    unused_map = dict(user_map)
    for index, value in enumerate(header):
        text = header_text(value)
        if not text:
            continue
        folded = _fold(value)
        mapped = by_fold.get(folded) or (text if text in user_map else None)
        name = user_map[mapped] if mapped is not None else None
        if mapped is not None:
            unused_map.pop(mapped, None)
        else:
            name = lookup.get(folded)
        if name == "ignore":
            continue
        if name is None:
            columns.others.append((index, text))
        elif name in columns.fields:
            first = columns.fields[name]
            problems.append(Problem(
                where(index),
                f"columns {header_text(header[first])!r} and {text!r} both mean {name!r}; "
                f"use --map '{text}=ignore' or map one to another field"))
        else:
            columns.fields[name] = index
    for column in unused_map:
        problems.append(Problem("--map", f"no column named {column!r} in the header row"))
    if problems:
        raise RoadmapError(problems)
    return columns
