"""``roadmap export``: the store as one workbook that the importers read back unchanged."""
from __future__ import annotations

from .importable_sheets import requirements_sheet, snapshots_sheet
from .model import Requirement, Snapshot, Vendor
from .store import Store
from .xlsx import new_workbook, save_atomic


def current_snapshots(store: Store) -> list[tuple[Vendor, Snapshot]]:
    """Every current snapshot (replaced ones are history), by vendor then date."""
    vendors = store.vendors()
    return [(vendors[info.vendor], store.snapshot(info.id)) for info in store.snapshot_infos()]


def sorted_requirements(store: Store) -> list[Requirement]:
    """Every requirement, retired included, in the roadmap's stage order."""
    return store.settings().stage_matcher.in_order(store.requirements().values())


def write_export(store: Store, path: str, *, force: bool = False) -> None:
    """Every requirement (retired included) and every current snapshot with its vendor,
    in a workbook that ``import requirements`` and ``import snapshot`` read back."""
    book = new_workbook()
    requirements = sorted_requirements(store)
    requirements_sheet(book, requirements)
    snapshots_sheet(book, current_snapshots(store), {r.id: r.title for r in requirements})
    save_atomic(book, path, force=force)
