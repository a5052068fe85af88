"""``roadmap export``: the store as one workbook that the importers read back unchanged."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .importable_sheets import requirements_sheet, snapshots_sheet
from .model import Requirement, Snapshot, Vendor
from .store import SnapshotInfo, Store
from .xlsx import check_output, new_workbook, output_path, save_atomic


def current_snapshots(store: Store, infos: list[SnapshotInfo]) -> Iterator[tuple[Vendor, Snapshot]]:
    """The snapshots of ``infos``, loaded one at a time as the sheet is written: a large
    store's entries are never all in memory at once."""
    vendors = store.vendors()
    for info in infos:
        yield vendors[info.vendor], store.snapshot(info.id)


def sorted_requirements(store: Store) -> list[Requirement]:
    """Every requirement, retired included, in the roadmap's stage order."""
    return store.settings().stage_matcher.in_order(store.requirements().values())


def write_export(store: Store, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write everything ``store`` holds to the workbook ``path`` (an ``.xlsx`` name, text
    or ``pathlib.Path``): every requirement (retired included) and every current
    snapshot with its vendor, which ``import requirements`` and ``import snapshot`` read
    back unchanged. A file roadmap did not write is replaced only with ``force``;
    OutputError says why a file cannot be written (any existing file is unchanged)."""
    path = output_path(path)
    check_output(path, force)  # before the work, not after it
    book = new_workbook()
    requirements = sorted_requirements(store)
    requirements_sheet(book, requirements)
    infos = store.snapshot_infos()  # the current ones: replaced snapshots are history
    snapshots_sheet(
        book,
        current_snapshots(store, infos),
        {r.id: r.title for r in requirements},
        sizes=[info.entries for info in infos],
    )
    save_atomic(book, path, force=force)
