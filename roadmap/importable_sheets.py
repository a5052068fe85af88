"""The Requirements and Snapshots sheets that ``import`` reads back unchanged.

``roadmap export`` writes the whole store as these two sheets, and the review workbook
ends with the ones it used, so both go through here: canonical headers, one row per
requirement or snapshot entry, real date cells. Both are streamed (see
``xlsx.Book.create_sheet``): a store's snapshots are its longest sheet.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from .model import Requirement, Snapshot, Vendor
from .templates import REQUIREMENT_COLUMNS
from .xlsx import DATE_FORMAT, MONTH_FORMAT, Book, Sheet, day_date, month_date, write_table

SNAPSHOT_SHEET_COLUMNS = [
    "Vendor", "Vendor name", "Kind", "As of", "Source", "Requirement ID", "Title", "Level",
    "Product", "Evidence", "Notes",
]


def requirements_sheet(book: Book, requirements: Sequence[Requirement], *,
                       name: str = "Requirements") -> Sheet:
    """One row per requirement, under the headers ``import requirements`` knows first."""
    sheet = book.create_sheet(name, rows=len(requirements))
    rows = ((r.id, r.title, r.stage, r.tier.value, r.priority, month_date(r.target), r.status,
             r.owner, r.requested_by, r.description, r.notes) for r in requirements)
    write_table(sheet, REQUIREMENT_COLUMNS, rows, widths={"B": 45, "J": 60, "K": 40},
                formats={"Target": MONTH_FORMAT})
    return sheet


def snapshots_sheet(book: Book, snapshots: Sequence[tuple[Vendor, Snapshot]],
                    titles: Mapping[str, str] | None = None, *,
                    name: str = "Snapshots") -> Sheet:
    """Many snapshots on one long-form sheet that ``import snapshot`` reads back.

    Each row carries its vendor (key, name, kind), date and source, so every
    (vendor, date) group becomes its own snapshot again. Entries follow ``titles``
    order (the roadmap's), then id.
    """
    sheet = book.create_sheet(name, rows=sum(len(s.entries) for _, s in snapshots))
    write_table(sheet, SNAPSHOT_SHEET_COLUMNS, _snapshot_rows(snapshots, titles or {}),
                formats={"As of": DATE_FORMAT}, widths={"E": 40, "G": 40, "J": 40, "K": 40})
    return sheet


def _snapshot_rows(snapshots: Sequence[tuple[Vendor, Snapshot]],
                   titles: Mapping[str, str]) -> Iterator[tuple[object, ...]]:
    """The rows one at a time: 600,000 entries are not held twice."""
    order = {rid: index for index, rid in enumerate(titles)}
    for vendor, snapshot in snapshots:
        day = day_date(snapshot.as_of)
        for rid in sorted(snapshot.entries, key=lambda r: (order.get(r, len(order)), r)):
            entry = snapshot.entries[rid]
            yield (vendor.key, vendor.name, vendor.kind, day, snapshot.source, rid,
                   titles.get(rid), entry.level.value, entry.product, entry.evidence,
                   entry.notes)
