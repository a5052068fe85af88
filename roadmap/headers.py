"""Matching a sheet's column headers to fields, through synonyms and ``--map``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import InputError, Problem
from .model import normalise_word

# Every word a header may use for a field, in one place (compared with case, spaces and
# punctuation folded away). A header is only a first guess: the importer checks the
# column's cells before taking it for a field whose values are constrained.
REQUIREMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "key",
        "req id",
        "requirement id",
        "req",
        "reqid",
        "#",
        "no",
        "number",
        "ref",
        "reference",
        "feature id",
        "uid",
        "req no",
        "requirement no",
        "requirement number",
        "identifier",
        "item id",
        "issue key",
        "issue id",
        "ref id",
        "control id",
        "story id",
    ),
    "title": (
        "title",
        "feature",
        "requirement",
        "capability",
        "name",
        "feature name",
        "summary",
        "requirement title",
        "requirement name",
        "item",
        "epic",
        "user story title",
        "control",
        "control name",
    ),
    "stage": (
        "stage",
        "phase",
        "area",
        "mlops stage",
        "lifecycle stage",
        "step",
        "chapter",
        "section",
        "group",
        "theme",
        "domain",
    ),
    "tier": ("tier", "class", "category", "level of need", "type"),
    "priority": (
        "priority",
        "prio",
        "importance",
        "moscow",
        "criticality",
        "moscow priority",
        "must should could",
    ),
    "target": (
        "target",
        "due",
        "when",
        "quarter",
        "target date",
        "due date",
        "deadline",
        "target month",
        "eta",
        "by",
        "release",
        "milestone",
        "timeline",
    ),
    "status": ("status", "state"),
    "owner": ("owner", "assignee", "responsible", "dri", "assigned to"),
    "requested_by": (
        "requested by",
        "requester",
        "requestor",
        "requested",
        "customer",
        "stakeholder",
        "team",
        "asked by",
    ),
    "description": (
        "description",
        "details",
        "detail",
        "what",
        "user story",
        "why",
        "statement",
        "text",
        "requirement text",
        "requirement statement",
        "requirement description",
        "body",
        "definition",
        "rationale",
    ),
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
    """A header as one line: a header cell holding line breaks reads as the words of it."""
    return "" if value is None else " ".join(str(value).split())


def _fold(value: object) -> str:
    text = header_text(value)
    return "#" if text == "#" else normalise_word(text)


def requirement_header_score(values: tuple[object, ...]) -> int:
    """Requirement fields a row names, whole (``Title``) or within (``Control Identifier``);
    ``Owner: | Priya`` above the table is a label, not one."""
    found: set[str] = set()
    for value in values:
        text = header_text(value)
        if not text or text.endswith(":") or len(text) > 80:
            continue
        folded = _fold(value)
        if folded in _REQUIREMENT_LOOKUP:
            found.add(_REQUIREMENT_LOOKUP[folded])
        elif not isinstance(value, (int, float)):
            found.update(_guesses(text, _REQUIREMENT_LOOKUP)[:1])
    return len(found)


# Stage headers that say so; a Chapter, Section or Group column is a stage only when few
# values repeat over many rows (a chapter per requirement is an outline, not stages).
STRONG_STAGE_HEADERS = frozenset(
    normalise_word(w) for w in ("stage", "phase", "area", "mlops stage", "lifecycle stage")
)


def snapshot_header_score(values: tuple[object, ...]) -> int:
    """Snapshot fields, plus requirement fields a wide sheet carries (Stage, Tier…).

    A cell ending in ``:`` is a label (``Vendor:``, ``As of:``), never a header.
    """
    found = set()
    for value in values:
        if header_text(value).endswith(":"):
            continue
        folded = _fold(value)
        name = snapshot_field(value) or (
            f"requirement {_REQUIREMENT_LOOKUP[folded]}" if folded in _REQUIREMENT_LOOKUP else None
        )
        if name:
            found.add(name)
    return len(found)


def snapshot_field(value: object) -> str | None:
    """The snapshot field a header cell names, or None."""
    return _SNAPSHOT_LOOKUP.get(_fold(value))


def requirement_field(value: object) -> str | None:
    """The requirement field a header cell names, or None."""
    return _REQUIREMENT_LOOKUP.get(_fold(value))


def with_mapped_columns(
    score: Callable[[tuple[object, ...]], int], user_map: dict[str, str]
) -> Callable[[tuple[object, ...]], int]:
    """A header score that also counts the columns ``--map`` names, so they find the header."""
    mapped = {_fold(column) or column for column in user_map}
    return lambda values: (
        score(values) + sum(1 for v in values if (_fold(v) or header_text(v)) in mapped)
    )


@dataclass
class Columns:
    """Which column holds which field, and the columns no field claimed."""

    fields: dict[str, int] = field(default_factory=dict)
    others: list[tuple[int, str]] = field(default_factory=list)
    mapped: set[str] = field(default_factory=set)  # fields --map chose: taken as said


def column_names(header: tuple[object, ...]) -> str:
    """The sheet's column names as a user reads them, for messages."""
    return ", ".join(repr(t) for v in header if (t := header_text(v))) or "none"


def map_options(mapping: object) -> tuple[str, ...]:
    """``--map`` as a caller passes it: ``"Column=field"`` options in a list or tuple,
    one alone, or a ``{"Column": "field"}`` dict; a ``UsageError`` for anything else."""
    from .errors import UsageError

    if isinstance(mapping, str):  # one option, not its letters
        mapping = [mapping]
    elif isinstance(mapping, dict):
        mapping = [f"{column}={name}" for column, name in mapping.items()]
    if not isinstance(mapping, (list, tuple)) or not all(isinstance(o, str) for o in mapping):
        raise UsageError(f"{mapping!r} is not a list of 'Column=field' options", "mapping")
    return tuple(mapping)


def parse_map_options(options: tuple[str, ...] | list[str], valid: list[str]) -> dict[str, str]:
    """``('Feature Name=title',)`` -> ``{'Feature Name': 'title'}``; InputError on bad ones."""
    mapping: dict[str, str] = {}
    problems = []
    for option in options:
        column, sep, name = option.rpartition("=")
        name = name.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not column.strip():
            problems.append(Problem("--map", f"{option!r} is not 'Column=field'"))
        elif name not in valid and name != "ignore":
            problems.append(
                Problem(
                    "--map",
                    f"unknown field {name!r} in {option!r} "
                    f"(expected one of: {', '.join(valid)}, or ignore)",
                )
            )
        else:
            mapping[column.strip()] = name
    if problems:
        raise InputError(problems)
    return mapping


def describe_columns(
    header: tuple[object, ...],
    fields: dict[str, int],
    where: Callable[[int], str],
    *,
    stage_from: str = "",
) -> str:
    """``id ← UID (B1), title ← Requirement (D1), stage ← none: …``: which column each
    requirement field was taken from, for --dry-run and header errors."""
    parts = []
    for name in REQUIREMENT_HEADERS:
        if name in fields:
            column = fields[name]
            text = header_text(header[column] if column < len(header) else None)
            cell = where(column).rpartition("!")[2].rpartition(":")[2]
            parts.append(f"{name} ← {text or 'the unnamed column'} ({cell})")
        elif name == "id":
            parts.append("id ← none: derived from titles")
        elif name == "stage":
            parts.append(f"stage ← {stage_from or 'none: requirements will be Unassigned'}")
        elif name == "tier":
            parts.append("tier ← none: bold titles are best-in-class")
    return ", ".join(parts)


def _guesses(value: object, lookup: dict[str, str]) -> list[str]:
    """Fields a header might mean when no synonym matches it whole: its part before a
    colon, bracket or line break (``Criticality: High, Medium, or Low``), then its last
    word (``req_description``, ``Test Name``), then its first for a stage only
    (``chapter_name``; a ``Team size`` is no requester)."""
    text = str(value)
    words = [w for w in re.split(r"[\W_]+", text) if w]
    names = [lookup.get(_fold(re.split(r"[:(\[\n]", text, maxsplit=1)[0]))]
    if len(words) > 1:
        names += [lookup.get(_fold(words[-1]))]
        names += [name for name in [lookup.get(_fold(words[0]))] if name == "stage"]
    return list(dict.fromkeys(name for name in names if name))


def match_columns(
    header: tuple[object, ...],
    synonyms: dict[str, tuple[str, ...]],
    user_map: dict[str, str],
    where: Callable[[int], str],
    *,
    describe: bool = False,
    fits: Callable[[str, int, bool], float] | None = None,
) -> Columns:
    """Assign header cells to fields; two columns claiming one field is an error.

    A column ``--map`` names is that field. Otherwise a header matching a synonym whole
    is taken first, then one that only contains one (see ``_guesses``); ``fits(field,
    column, whole)`` may turn a column down (0) when its cells cannot be that field (it
    then warns, for a whole match, as it sees fit); among guesses the highest score wins.
    ``describe``: an error notes which column each requirement field came from.
    """
    lookup = _REQUIREMENT_LOOKUP if synonyms is REQUIREMENT_HEADERS else _SNAPSHOT_LOOKUP
    columns = Columns()
    problems = []
    # Columns in --map match headers as synonyms do: case, spaces and punctuation aside.
    by_fold = {(_fold(column) or column): column for column in user_map}
    unused_map = dict(user_map)
    whole: dict[str, list[int]] = {}
    guessed: dict[str, list[int]] = {}
    claimed: set[int] = set()
    for index, value in enumerate(header):
        text = header_text(value)
        if not text:
            continue
        folded = _fold(value)
        mapped = by_fold.get(folded) or (text if text in user_map else None)
        if mapped is not None:
            unused_map.pop(mapped, None)
            name = user_map[mapped]
            claimed.add(index)
            if name == "ignore":
                continue
            if name in columns.fields:
                problems.append(
                    Problem(
                        where(index),
                        (
                            f"--map names two columns for {name!r}: "
                            f"{header_text(header[columns.fields[name]])!r} and {text!r}"
                        ),
                    )
                )
            columns.fields[name] = index
            columns.mapped.add(name)
        elif folded in lookup:
            whole.setdefault(lookup[folded], []).append(index)
        else:
            for name in _guesses(text, lookup):
                guessed.setdefault(name, []).append(index)
    for name in synonyms:
        if name in columns.fields:
            continue
        chosen = [
            c
            for c in whole.get(name, [])
            if c not in claimed and (fits is None or fits(name, c, True))
        ]
        for index in chosen[1:]:
            text = header_text(header[index])
            problems.append(
                Problem(
                    where(index),
                    f"columns {header_text(header[chosen[0]])!r} and {text!r} both mean "
                    f"{name!r}; keep one with --map '{text}=ignore' (or --map "
                    f"'{header_text(header[chosen[0]])}=ignore'), or map one to another field",
                )
            )
        if not chosen:
            scored = [
                (fits(name, c, False) if fits else 1.0, -c)
                for c in guessed.get(name, [])
                if c not in claimed
            ]
            best = max(scored, default=(0.0, 1))
            chosen = [-best[1] if best[0] > 0 else -1]
        if chosen[0] >= 0:
            columns.fields[name] = chosen[0]
            claimed.add(chosen[0])
    columns.others = [
        (i, header_text(v)) for i, v in enumerate(header) if header_text(v) and i not in claimed
    ]
    for column in unused_map:
        problems.append(
            Problem(
                "--map",
                f"no column named {column!r} in the header row (columns: {column_names(header)})",
            )
        )
    if problems:
        notes = [f"columns: {describe_columns(header, columns.fields, where)}"] if describe else []
        raise InputError(problems, notes=notes)
    return columns
