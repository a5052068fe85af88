"""``roadmap export``: the store as one workbook that the importers read back unchanged."""
from __future__ import annotations

import datetime as dt

from .model import Requirement, Snapshot, Vendor
from .store import Store
from .templates import REQUIREMENT_COLUMNS
from .xlsx import DATE_FORMAT, MONTH_FORMAT, month_date, new_workbook, save_atomic, write_table


def requirements_sheet(book, requirements: list[Requirement]) -> None:
    """The ``Requirements`` sheet: canonical headers, one row per requirement."""
    sheet = book.create_sheet("Requirements")
    rows = [tuple(month_date(r.target) if name == "target" else value
                  for name, value in r.as_dict().items()) for r in requirements]
    write_table(sheet, REQUIREMENT_COLUMNS, rows, widths={"B": 45, "J": 60, "K": 40},
                formats={"Target": MONTH_FORMAT})


SNAPSHOT_SHEET_COLUMNS = [
    "Vendor", "Vendor name", "Kind", "As of", "Source", "Requirement ID", "Title", "Level",
    "Product", "Evidence", "Notes",
]


def snapshots_sheet(book, snapshots: list[tuple[Vendor, Snapshot]],
                    titles: dict[str, str] | None = None, *, name: str = "Snapshots") -> None:
    """Many snapshots on one long-form sheet that ``import snapshot`` reads back.

    Each row carries its vendor (key, name, kind), date and source, so every
    (vendor, date) group becomes its own snapshot again. Entries follow ``titles``
    order (the roadmap's), then id.
    """
    order = {rid: index for index, rid in enumerate(titles or {})}
    rows = []
    for vendor, snapshot in snapshots:
        day = dt.date.fromisoformat(snapshot.as_of)
        for rid in sorted(snapshot.entries, key=lambda r: (order.get(r, len(order)), r)):
            entry = snapshot.entries[rid]
            rows.append((vendor.key, vendor.name, vendor.kind, day, snapshot.source, rid,
                         (titles or {}).get(rid), entry.level.value, entry.product,
                         entry.evidence, entry.notes))
    sheet = book.create_sheet(name)
    write_table(sheet, SNAPSHOT_SHEET_COLUMNS, rows, formats={"As of": DATE_FORMAT},
                widths={"E": 40, "G": 40, "J": 40, "K": 40})


def current_snapshots(store: Store) -> list[tuple[Vendor, Snapshot]]:
    """Every current snapshot (replaced ones are history), by vendor then date."""
    vendors = store.vendors()
    return [(vendors[info.vendor], store.snapshot(info.id)) for info in store.snapshot_infos()]


def sorted_requirements(store: Store) -> list[Requirement]:
    return store.settings().stage_matcher.in_order(store.requirements().values())


def write_export(store: Store, path: str, *, force: bool = False) -> None:
    """Every requirement (retired included) and every current snapshot with its vendor,
    in a workbook that ``import requirements`` and ``import snapshot`` read back."""
    book = new_workbook()
    requirements = sorted_requirements(store)
    requirements_sheet(book, requirements)
    snapshots_sheet(book, current_snapshots(store), {r.id: r.title for r in requirements})
    save_atomic(book, path, force=force)
