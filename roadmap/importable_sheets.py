"""The Requirements and Snapshots sheets that ``import`` reads back unchanged.

``roadmap export`` writes the whole store as these sheets, and the review workbook ends
with the ones it used, so both go through here: canonical headers, one row per
requirement or snapshot entry, real date cells. Long ones are streamed (see
``xlsx.Book.create_sheet``): a store's snapshots are its longest sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice

from .errors import OutputError
from .model import Requirement, Snapshot, Vendor
from .templates import REQUIREMENT_COLUMNS
from .xlsx import (
    DATE_FORMAT,
    MAX_ROWS,
    MONTH_FORMAT,
    Book,
    Sheet,
    day_date,
    month_date,
    write_table,
)

SNAPSHOT_SHEET_COLUMNS = [
    "Vendor",
    "Vendor name",
    "Kind",
    "As of",
    "Source",
    "Requirement ID",
    "Title",
    "Level",
    "Product",
    "Evidence",
    "Notes",
]
ROWS_PER_SHEET = MAX_ROWS - 1  # below the header row


def requirements_sheet(
    book: Book, requirements: Sequence[Requirement], *, name: str = "Requirements"
) -> Sheet:
    """One row per requirement, under the headers ``import requirements`` knows first."""
    if len(requirements) > ROWS_PER_SHEET:
        raise OutputError(
            f"{len(requirements):,} requirements do not fit on one sheet (it "
            f"holds {ROWS_PER_SHEET:,} rows below its header)"
        )
    sheet = book.create_sheet(name, rows=len(requirements))
    rows = (
        tuple(
            month_date(r.target) if name == "target" else value  # a date cell
            for name, value in r.as_dict().items()
        )
        for r in requirements
    )
    write_table(
        sheet,
        REQUIREMENT_COLUMNS,
        rows,
        widths={"B": 45, "J": 60, "K": 40},
        formats={"Target": MONTH_FORMAT},
    )
    return sheet


def snapshots_sheet(
    book: Book,
    snapshots: Iterable[tuple[Vendor, Snapshot]],
    titles: Mapping[str, str] | None = None,
    *,
    sizes: Sequence[int] | None = None,
    name: str = "Snapshots",
) -> list[Sheet]:
    """Many snapshots in long form that ``import snapshot`` reads back; returns the sheets.

    Each row carries its vendor (key, name, kind), date and source, so every
    (vendor, date) group becomes its own snapshot again. Entries follow ``titles``
    order (the roadmap's), then id. More entries than a sheet holds continue on
    ``Snapshots 2``, ``Snapshots 3``… (``import snapshot --sheet``), each snapshot whole
    on one sheet: a row past a sheet's last is never cut off. ``snapshots`` may be a
    generator loading one at a time; ``sizes`` then gives each one's entry count.
    """
    if sizes is None:
        snapshots = list(snapshots)
        sizes = [len(snapshot.entries) for _, snapshot in snapshots]
    unread = iter(snapshots)
    sheets = []
    for number, group in enumerate(_sheetfuls(sizes), start=1):
        sheet = book.create_sheet(name if number == 1 else f"{name} {number}", rows=sum(group))
        write_table(
            sheet,
            SNAPSHOT_SHEET_COLUMNS,
            _snapshot_rows(islice(unread, len(group)), titles or {}),
            formats={"As of": DATE_FORMAT},
            widths={"E": 40, "G": 40, "J": 40, "K": 40},
        )
        sheets.append(sheet)
    return sheets


def _sheetfuls(sizes: Sequence[int]) -> list[list[int]]:
    """Consecutive snapshots' sizes grouped so that each group fits on one sheet (at
    least one group, so an empty store still gets its sheet)."""
    groups: list[list[int]] = [[]]
    used = 0
    for size in sizes:
        if size > ROWS_PER_SHEET:
            raise OutputError(
                f"a snapshot of {size:,} entries does not fit on one sheet (it "
                f"holds {ROWS_PER_SHEET:,} rows below its header)"
            )
        if groups[-1] and used + size > ROWS_PER_SHEET:
            groups.append([])
            used = 0
        groups[-1].append(size)
        used += size
    return groups


def _snapshot_rows(
    snapshots: Iterable[tuple[Vendor, Snapshot]], titles: Mapping[str, str]
) -> Iterator[tuple[object, ...]]:
    """The rows one at a time: 600,000 entries are not held twice."""
    order = {rid: index for index, rid in enumerate(titles)}
    for vendor, snapshot in snapshots:
        day = day_date(snapshot.as_of)
        for rid in sorted(snapshot.entries, key=lambda r: (order.get(r, len(order)), r)):
            entry = snapshot.entries[rid]
            yield (
                vendor.key,
                vendor.name,
                vendor.kind,
                day,
                snapshot.source,
                rid,
                titles.get(rid),
                entry.level.value,
                entry.product,
                entry.evidence,
                entry.notes,
            )
