"""What changed in one vendor's capabilities between two snapshots: rows first.

A diff is a list of ``DiffRow``s, each carrying the full old and new entries, so
applying the rows to the old snapshot gives the new one (in levels, and in every
detail field both snapshots state: see ``stated_fields``). The terminal table, JSON,
CSV and the highlighted workbook (``diff_workbook.py``) only format these rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import RoadmapError
from .model import Entry, Snapshot, Vendor
from .months import parse_date, parse_month
from .store import SnapshotInfo, Store

CHANGES = ("added", "removed", "upgraded", "downgraded", "changed")
DETAIL_FIELDS = ("product", "evidence", "notes")


@dataclass(frozen=True)
class DiffRow:
    """One requirement whose entry differs between the two snapshots."""

    requirement: str
    title: str | None
    old: Entry | None  # None when the first snapshot has no entry
    new: Entry | None  # None when the second snapshot has no entry
    change: str  # one of CHANGES

    def as_dict(self) -> dict:
        """The keys of ``roadmap diff --format json``, exactly."""
        return {
            "requirement": self.requirement,
            "title": self.title,
            "from": self.old.level.value if self.old else None,
            "to": self.new.level.value if self.new else None,
            "change": self.change,
        }

    compared: tuple[str, ...] = DETAIL_FIELDS  # detail fields both snapshots state

    def moved(self) -> list[str]:
        """Product, evidence or notes that differ, when both snapshots have an entry and
        both state that field."""
        if self.old is None or self.new is None:
            return []
        return [name for name in self.compared
                if getattr(self.old, name) != getattr(self.new, name)]


LEVEL_CHANGES = ("added", "removed", "upgraded", "downgraded")


def stated_fields(snapshot: Snapshot) -> set[str]:
    """The detail fields a snapshot states at all: a comparison table (wide form) has no
    product, evidence or notes cells, so its silence on them says nothing."""
    return {name for name in DETAIL_FIELDS
            if any(getattr(e, name) is not None for e in snapshot.entries.values())}


def change_kind(old: Entry | None, new: Entry | None,
                compared: tuple[str, ...] = DETAIL_FIELDS) -> str | None:
    """``added``/``removed``/``upgraded``/``downgraded``/``changed``, None when equal
    (``changed`` only for a difference in a ``compared`` field)."""
    if old is None:
        return None if new is None else "added"
    if new is None:
        return "removed"
    if old.level is not new.level:
        return "upgraded" if new.level.strength > old.level.strength else "downgraded"
    differs = any(getattr(old, name) != getattr(new, name) for name in compared)
    return "changed" if differs else None


def diff_snapshots(old: Snapshot, new: Snapshot, titles: dict[str, str], *,
                   levels_only: bool = False) -> list[DiffRow]:
    """Rows for every requirement whose entry differs; unchanged ones left out.

    Product, evidence and notes are compared only where both snapshots state them (see
    ``stated_fields``); ``levels_only`` keeps the rows whose level moved. Rows follow the
    order of ``titles`` (the roadmap's order); ids it lacks come last.
    """
    order = {rid: index for index, rid in enumerate(titles)}
    ids = sorted(set(old.entries) | set(new.entries),
                 key=lambda rid: (order.get(rid, len(order)), rid))
    both = stated_fields(old) & stated_fields(new)
    compared = tuple(name for name in DETAIL_FIELDS if name in both)
    rows = []
    for rid in ids:
        before, after = old.entries.get(rid), new.entries.get(rid)
        change = change_kind(before, after, compared)
        if change and not (levels_only and change not in LEVEL_CHANGES):
            rows.append(DiffRow(rid, titles.get(rid), before, after, change, compared))
    return rows


def terminal_row(row: DiffRow) -> dict:
    """``as_dict`` plus what moved besides the level, for people reading a table."""
    details = "; ".join(f"{name}: {_text(getattr(row.old, name))} → "
                        f"{_text(getattr(row.new, name))}" for name in row.moved())
    return {**row.as_dict(), "details": details}


def _text(value: str | None) -> str:
    return "(empty)" if value is None else value


@dataclass(frozen=True)
class VendorDiff:
    vendor: Vendor
    old: SnapshotInfo
    new: SnapshotInfo
    rows: list[DiffRow]


def pick_snapshots(infos: list[SnapshotInfo], vendor: str, start: str | None,
                   end: str | None) -> tuple[SnapshotInfo, SnapshotInfo]:
    """The two snapshots to compare: by date (a month alone picks that month's one),
    else the latest and the one before it."""
    dates = ", ".join(i.as_of for i in infos)
    if len(infos) < 2:
        raise RoadmapError(
            f"{vendor} has {len(infos)} snapshot{'s' if len(infos) != 1 else ''}"
            f"{' (' + dates + ')' if infos else ''}; a diff needs two: import another "
            "with 'roadmap import snapshot FILE'")
    newer = _match(infos, vendor, end, "--to") if end else infos[-1]
    if start:
        older = _match(infos, vendor, start, "--from")
    else:
        before = [i for i in infos if i.as_of < newer.as_of]
        if not before:
            raise RoadmapError(f"no snapshot of {vendor} before {newer.as_of} "
                               f"(its snapshots: {dates}); pass --from DATE", "--to")
        older = before[-1]
    if older.as_of >= newer.as_of:
        said = "--from and --to" if end else "--from and the latest snapshot (the default --to)"
        raise RoadmapError(f"{said} must be in date order: {older.as_of} is not before "
                           f"{newer.as_of} (its snapshots: {dates})")
    return older, newer


def _match(infos: list[SnapshotInfo], vendor: str, text: str, option: str) -> SnapshotInfo:
    dates = ", ".join(i.as_of for i in infos)
    try:
        if re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", text):
            day = parse_date(text).isoformat()
            found = [i for i in infos if i.as_of == day]
            said = day
        else:
            said = parse_month(text)
            found = [i for i in infos if i.as_of[:7] == said]
    except ValueError as exc:
        raise RoadmapError(f"{exc} (use YYYY-MM-DD or YYYY-MM)", option) from None
    if not found:
        raise RoadmapError(f"no snapshot of {vendor} at {said} (its snapshots: {dates})", option)
    if len(found) > 1:
        raise RoadmapError(
            f"{len(found)} snapshots of {vendor} in {said} "
            f"({', '.join(i.as_of for i in found)}); give the full date", option)
    return found[0]


def vendor_diff(store: Store, vendor: Vendor, start: str | None = None,
                end: str | None = None, *, levels_only: bool = False) -> VendorDiff:
    """The diff of one vendor's stored snapshots (default: its two latest)."""
    older, newer = pick_snapshots(store.snapshot_infos(vendor.key), vendor.key, start, end)
    requirements = store.settings().stage_matcher.in_order(store.requirements().values())
    titles = {r.id: r.title for r in requirements}
    rows = diff_snapshots(store.snapshot(older.id), store.snapshot(newer.id), titles,
                          levels_only=levels_only)
    return VendorDiff(vendor, older, newer, rows)
