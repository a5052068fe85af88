"""``roadmap export``: the store as one workbook that the importers read back unchanged."""
from __future__ import annotations

from .model import Requirement
from .store import Store
from .templates import REQUIREMENT_COLUMNS
from .xlsx import new_workbook, save_atomic, write_table


def requirements_sheet(book, requirements: list[Requirement]) -> None:
    """The ``Requirements`` sheet: canonical headers, one row per requirement."""
    sheet = book.create_sheet("Requirements")
    rows = [
        (r.id, r.title, r.stage, r.tier.value, r.priority, r.target, r.status, r.owner,
         r.requested_by, r.description, r.notes)
        for r in requirements
    ]
    write_table(sheet, REQUIREMENT_COLUMNS, rows, widths={"B": 45, "J": 60, "K": 40})


def sorted_requirements(store: Store) -> list[Requirement]:
    stages = store.settings().stage_matcher
    return sorted(store.requirements().values(), key=lambda r: (stages.index(r.stage), r.id))


def write_export(store: Store, path: str) -> None:
    """Every requirement (retired included) in a workbook ``import requirements`` reads."""
    book = new_workbook()
    requirements_sheet(book, sorted_requirements(store))
    save_atomic(book, path)
