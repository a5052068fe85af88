"""A vendor diff as a highlighted workbook, in the spirit of daff's highlighter format.

An action column says what happened to each requirement, a changed cell reads
``old → new``, and colours mark up, down, added and removed rows.
"""

from __future__ import annotations

from .diff import DETAIL_FIELDS, VendorDiff
from .model import Entry
from .xlsx import Style, new_workbook, print_landscape, put, save_atomic, write_table

DIFF_COLOURS = {
    "upgraded": "C6EFCE",  # green: stronger support
    "downgraded": "FFC7CE",  # red: weaker support
    "added": "BDD7EE",  # blue: newly assessed
    "removed": "D9D9D9",  # grey: no longer assessed
    "changed": "FFEB9C",  # yellow: same level, other details moved
}
HEADERS = ["Change", "Requirement", "Title", "Level", "Product", "Evidence", "Notes"]
ARROW = " → "


def _cell(
    old: Entry | None, new: Entry | None, name: str, compared: tuple[str, ...]
) -> tuple[str | None, bool]:
    """The cell's text and whether it changed; a field one side does not state shows what
    the other says, unchanged."""

    def value(entry: Entry | None) -> str | None:
        if entry is None:
            return None
        return entry.level.value if name == "level" else getattr(entry, name)

    before, after = value(old), value(new)
    if name != "level" and name not in compared:
        return (after if after is not None else before), False
    if old is None or new is None:
        return (after if new is not None else before), False
    if before == after:
        return after, False
    return f"{before or '(empty)'}{ARROW}{after or '(empty)'}", True


def write_diff_workbook(diff: VendorDiff, path: str, *, force: bool = False) -> None:
    """One ``Diff`` sheet: a title line, then a frozen, filtered table of changed rows,
    each cell written once with its colour (the sheet is streamed: a diff of any size)."""
    book = new_workbook()
    sheet = book.create_sheet("Diff", rows=len(diff.rows))
    vendor = diff.vendor
    put(
        sheet,
        1,
        1,
        f"{vendor.name} ({vendor.key}): {diff.old.as_of}{ARROW}{diff.new.as_of}",
        bold=True,
    )
    counts = [
        f"{sum(r.change == c for r in diff.rows)} {c}"
        for c in DIFF_COLOURS
        if any(r.change == c for r in diff.rows)
    ]
    put(sheet, 2, 1, ", ".join(counts) or "no changes")
    rows: list[list[object]] = []
    coloured: list[dict[int, Style]] = []  # by row: the cells on the change's colour
    for row in diff.rows:
        cells = [_cell(row.old, row.new, name, row.compared) for name in ("level", *DETAIL_FIELDS)]
        rows.append([row.change, row.requirement, row.title, *(text for text, _ in cells)])
        fill: Style = {"fill": DIFF_COLOURS[row.change]}
        whole_row = row.change in ("added", "removed")
        coloured.append(
            {
                column: fill
                for column in range(1, len(HEADERS) + 1)
                if column == 1 or whole_row or (column >= 4 and cells[column - 4][1])
            }
        )
    write_table(
        sheet,
        HEADERS,
        rows,
        start_row=4,
        styles=lambda index, _v: coloured[index],
        widths={"A": 12, "B": 13, "C": 42, "D": 20, "E": 32, "F": 42, "G": 42},
    )
    print_landscape(sheet)
    save_atomic(book, path, force=force)
