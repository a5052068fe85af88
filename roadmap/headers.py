"""Matching a sheet's column headers to fields, through synonyms and ``--map``."""
from __future__ import annotations

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
    "vendor": ("vendor", "platform", "provider"),
    "as_of": ("as of", "as_of", "date", "asof", "snapshot date"),
}

# Requirement columns that a wide snapshot sheet may carry beside its vendor columns.
WIDE_NON_VENDOR = {normalise_word(w) for words in REQUIREMENT_HEADERS.values() for w in words}


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


def header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _fold(value: object) -> str:
    text = header_text(value)
    return "#" if text == "#" else normalise_word(text)


def requirement_header_score(values: tuple) -> int:
    return len({_REQUIREMENT_LOOKUP[f] for v in values if (f := _fold(v)) in _REQUIREMENT_LOOKUP})


def snapshot_header_score(values: tuple) -> int:
    return len({_SNAPSHOT_LOOKUP[f] for v in values if (f := _fold(v)) in _SNAPSHOT_LOOKUP})


@dataclass
class Columns:
    """Which column holds which field, and the columns no field claimed."""

    fields: dict[str, int] = field(default_factory=dict)
    others: list[tuple[int, str]] = field(default_factory=list)


def parse_map_options(options: tuple[str, ...] | list[str], valid: list[str]) -> dict[str, str]:
    """``('Feature Name=title',)`` -> ``{'featurename': 'title'}``; RoadmapError on bad ones."""
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
            mapping[normalise_word(column) or column.strip()] = name
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
    unused_map = dict(user_map)
    for index, value in enumerate(header):
        text = header_text(value)
        if not text:
            continue
        folded = _fold(value)
        name = user_map.get(folded) or user_map.get(text)
        if name is not None:
            unused_map.pop(folded, None)
            unused_map.pop(text, None)
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
