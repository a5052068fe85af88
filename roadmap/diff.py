"""What changed in one vendor's capabilities between two snapshots: rows first.

A diff is a list of ``DiffRow``s, each carrying the full old and new entries, so
applying the rows to the old snapshot gives the new one (in levels, and in every
detail field both snapshots state: see ``stated_fields``). The terminal table, JSON,
CSV and the highlighted workbook (``diff_workbook.py``) only format these rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import InputError, UsageError
from .model import Entry, Snapshot, Vendor
from .months import DayLike, Month, iso_day, parse_date
from .store import SnapshotInfo, Store

CHANGES = ("added", "removed", "upgraded", "downgraded", "changed")
DETAIL_FIELDS = ("product", "evidence", "notes")


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One requirement whose entry differs between the two snapshots."""

    requirement: str
    title: str | None
    old: Entry | None  # None when the first snapshot has no entry
    new: Entry | None  # None when the second snapshot has no entry
    change: str  # one of CHANGES

    def as_dict(self) -> dict[str, object]:
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
        return [
            name for name in self.compared if getattr(self.old, name) != getattr(self.new, name)
        ]


LEVEL_CHANGES = ("added", "removed", "upgraded", "downgraded")


def stated_fields(snapshot: Snapshot) -> set[str]:
    """The detail fields a snapshot states at all: a comparison table (wide form) has no
    product, evidence or notes cells, so its silence on them says nothing."""
    return {
        name
        for name in DETAIL_FIELDS
        if any(getattr(e, name) is not None for e in snapshot.entries.values())
    }


def change_kind(
    old: Entry | None, new: Entry | None, compared: tuple[str, ...] = DETAIL_FIELDS
) -> str | None:
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


def diff_snapshots(
    old: Snapshot, new: Snapshot, titles: dict[str, str], *, levels_only: bool = False
) -> list[DiffRow]:
    """Rows for every requirement whose entry differs; unchanged ones left out.

    Product, evidence and notes are compared only where both snapshots state them (see
    ``stated_fields``); ``levels_only`` keeps the rows whose level moved. Rows follow the
    order of ``titles`` (the roadmap's order); ids it lacks come last.
    """
    order = {rid: index for index, rid in enumerate(titles)}
    ids = sorted(
        set(old.entries) | set(new.entries), key=lambda rid: (order.get(rid, len(order)), rid)
    )
    both = stated_fields(old) & stated_fields(new)
    compared = tuple(name for name in DETAIL_FIELDS if name in both)
    rows = []
    for rid in ids:
        before, after = old.entries.get(rid), new.entries.get(rid)
        change = change_kind(before, after, compared)
        if change and not (levels_only and change not in LEVEL_CHANGES):
            rows.append(DiffRow(rid, titles.get(rid), before, after, change, compared))
    return rows


def terminal_row(row: DiffRow) -> dict[str, object]:
    """``as_dict`` plus what moved besides the level, for people reading a table."""
    details = "; ".join(
        f"{name}: {_text(getattr(row.old, name))} → {_text(getattr(row.new, name))}"
        for name in row.moved()
    )
    return {**row.as_dict(), "details": details}


def _text(value: str | None) -> str:
    return "(empty)" if value is None else value


@dataclass(frozen=True)
class VendorDiff:
    """One vendor's diff: the two snapshots compared (``old.as_of``, ``new.as_of``) and
    a row per requirement whose entry differs."""

    vendor: Vendor
    old: SnapshotInfo
    new: SnapshotInfo
    rows: list[DiffRow]

    def as_rows(self) -> list[dict[str, object]]:
        """``diff``'s JSON."""
        return [row.as_dict() for row in self.rows]


def pick_snapshots(
    infos: list[SnapshotInfo], vendor: str, start: DayLike | None, end: DayLike | None
) -> tuple[SnapshotInfo, SnapshotInfo]:
    """The two snapshots to compare: by date (a month alone picks that month's one),
    else the latest and the one before it."""
    dates = ", ".join(i.as_of for i in infos)
    if len(infos) < 2:
        raise InputError(
            f"{vendor} has {len(infos)} snapshot{'s' if len(infos) != 1 else ''}"
            f"{' (' + dates + ')' if infos else ''}; a diff needs two: import another "
            "with 'roadmap import snapshot FILE'"
        )
    newer = _match(infos, vendor, end, "--to") if end is not None else infos[-1]
    if start is not None:
        older = _match(infos, vendor, start, "--from")
    else:
        before = [i for i in infos if iso_day(i.as_of) < iso_day(newer.as_of)]
        if not before:
            raise InputError(
                f"no snapshot of {vendor} before {newer.as_of} "
                f"(its snapshots: {dates}); pass --from DATE",
                "--to",
            )
        older = before[-1]
    if iso_day(older.as_of) >= iso_day(newer.as_of):
        said = (
            "--from and --to"
            if end is not None
            else "--from and the latest snapshot (the default --to)"
        )
        raise InputError(
            f"{said} must be in date order: {older.as_of} is not before "
            f"{newer.as_of} (its snapshots: {dates})"
        )
    return older, newer


def _match(infos: list[SnapshotInfo], vendor: str, value: DayLike, option: str) -> SnapshotInfo:
    """The snapshot a ``--from``/``--to`` value names: a day (text or a date) exactly, a
    month alone the one snapshot in it."""
    found: list[SnapshotInfo]
    try:
        if isinstance(value, dt.date) or re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", value):
            day = parse_date(value)
            found = [i for i in infos if iso_day(i.as_of) == day]
            said = day.isoformat()
        else:
            month = Month.parse(value)
            found = [i for i in infos if Month.iso(i.as_of) == month]
            said = str(month)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{exc} (use YYYY-MM-DD or YYYY-MM)", option) from None
    if not found:
        dates = ", ".join(i.as_of for i in infos)
        raise InputError(f"no snapshot of {vendor} at {said} (its snapshots: {dates})", option)
    if len(found) > 1:
        raise InputError(
            f"{len(found)} snapshots of {vendor} in {said} "
            f"({', '.join(i.as_of for i in found)}); give the full date",
            option,
        )
    return found[0]


def vendor_diff(
    store: Store,
    vendor: str | Vendor,
    start: DayLike | None = None,
    end: DayLike | None = None,
    *,
    levels_only: bool = False,
) -> VendorDiff:
    """``roadmap diff``: what changed in one vendor's snapshots.

    :param vendor: its key, name or alias (or a ``Vendor``).
    :param start: the earlier snapshot's date (``--from``): a day (``"2021-12-15"``, a
        ``date``) picks that day's snapshot, a month (``"2021-12"``) that month's one;
        default the one before ``end``.
    :param end: the later snapshot's date (``--to``), the same way; default the latest.
    :param levels_only: only rows whose level moved.
    :returns: a ``VendorDiff``; ``as_rows()`` is ``diff``'s JSON.
    :raises UsageError: a date that is none; ``InputError``: an unknown vendor, or no
        snapshot at a date.
    """
    if not isinstance(vendor, Vendor):
        from .evaluate import vendor_in

        vendor = vendor_in(store.vendors(), store.vendor_aliases(), vendor)
    older, newer = pick_snapshots(store.snapshot_infos(vendor.key), vendor.key, start, end)
    requirements = store.settings().stage_matcher.in_order(store.requirements().values())
    titles = {r.id: r.title for r in requirements}
    rows = diff_snapshots(
        store.snapshot(older.id), store.snapshot(newer.id), titles, levels_only=levels_only
    )
    return VendorDiff(vendor, older, newer, rows)
