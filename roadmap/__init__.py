"""Keep an ML platform roadmap, compare vendors against it, and review it over time.

Every command of the ``roadmap`` CLI is a call here; each takes the values a user
types (a date as ``"2021-12-15"``, ``"2021-12"`` meaning 2021-12-01 as ``--as-of``
reads it, or a ``datetime.date``; a vendor by key, name or alias) and returns a typed
result whose ``as_rows()`` (or ``as_dict()``) is the command's JSON::

    import roadmap

    store = roadmap.Store.open("roadmap.db")       # or Store.create(path, Settings(...))
    roadmap.import_requirements(store, "requirements.xlsx")
    roadmap.import_snapshots(store, "sagemaker_2021-12-15.xlsx")
    comparison = roadmap.compare_at(store, "2021-12", ["sagemaker+seldon", "Vertex AI"])
    review = roadmap.build_review(store, "2021-12-15", primary="sagemaker")
    roadmap.write_review(review, "review.xlsx")
    roadmap.record_review(store, review, "review.xlsx")

The calls:

- ``Store.open(path_or_url)``: an existing store (an SQLite file or a PostgreSQL URL);
  ``Store.create(path_or_url, Settings(name=..., start="2025-01", ...))`` a new one.
- ``import_requirements(store, path, *, sheet=None, mapping=(), as_of=None,
  add_stages=False, dry_run=False)``: sync the requirements with a spreadsheet; returns
  what was added, changed and retired.
- ``import_snapshots(store, path, *, vendor=None, as_of=None, source=None, sheet=None,
  mapping=(), replace=False, dry_run=False)``: store the vendor snapshots a file holds.
- ``compare_at(store, as_of=None, vendors=None) -> Comparison``;
  ``parity_at(store, as_of=None) -> Parity``;
  ``recommend_at(store, as_of=None, primary=None, max_steps=3) -> Recommendation``.
- ``build_review(store, as_of=None, primary=None, stack=None) -> Review``;
  ``write_review(review, path, *, force=False)`` writes its workbook;
  ``record_review(store, review, output=None) -> bool`` records it (False when an
  identical one is recorded); ``write_and_record`` does both, all or nothing.
- ``vendor_diff(store, vendor, start=None, end=None, *, levels_only=False) -> VendorDiff``.
- ``store_schedule(store) -> list[ScheduledReview]``.
- ``write_export(store, path, *, force=False)``: everything, readable back.

Errors are ``RoadmapError`` and its kinds (``InputError``, ``StoreError``,
``OutputError``, ``UsageError``), each carrying located ``problems``; no exception of
the database engine or a spreadsheet library escapes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .diff import DiffRow, VendorDiff, vendor_diff
    from .errors import InputError, OutputError, Problem, RoadmapError, StoreError, UsageError
    from .evaluate import (
        CompareRow,
        Comparison,
        Coverage,
        Parity,
        ParityRow,
        compare_at,
        parity_at,
        recommend_at,
    )
    from .export import write_export
    from .model import Entry, Level, Requirement, Snapshot, Tier, Vendor
    from .months import Month
    from .requirements import import_requirements
    from .review import Review, build_review
    from .review_workbook import record_review, write_and_record, write_review
    from .schedule import ScheduledReview, store_schedule
    from .snapshots import import_snapshots
    from .stacks import Recommendation, Step
    from .store import Settings, Store

__version__ = "0.1.0"

# Where each name lives. Loaded on first use, so ``roadmap --help`` (which needs only
# __version__) does not pay for the store, the evaluation or any spreadsheet library.
_HOME = {
    **dict.fromkeys(("DiffRow", "VendorDiff", "vendor_diff"), "diff"),
    **dict.fromkeys(
        ("InputError", "OutputError", "Problem", "RoadmapError", "StoreError", "UsageError"),
        "errors",
    ),
    **dict.fromkeys(
        (
            "CompareRow",
            "Comparison",
            "Coverage",
            "Parity",
            "ParityRow",
            "compare_at",
            "parity_at",
            "recommend_at",
        ),
        "evaluate",
    ),
    "write_export": "export",
    **dict.fromkeys(("Entry", "Level", "Requirement", "Snapshot", "Tier", "Vendor"), "model"),
    "Month": "months",
    "import_requirements": "requirements",
    **dict.fromkeys(("Review", "build_review"), "review"),
    **dict.fromkeys(("record_review", "write_and_record", "write_review"), "review_workbook"),
    **dict.fromkeys(("ScheduledReview", "store_schedule"), "schedule"),
    "import_snapshots": "snapshots",
    **dict.fromkeys(("Recommendation", "Step"), "stacks"),
    **dict.fromkeys(("Settings", "Store"), "store"),
}

__all__ = [
    "CompareRow",
    "Comparison",
    "Coverage",
    "DiffRow",
    "Entry",
    "InputError",
    "Level",
    "Month",
    "OutputError",
    "Parity",
    "ParityRow",
    "Problem",
    "Recommendation",
    "Requirement",
    "Review",
    "RoadmapError",
    "ScheduledReview",
    "Settings",
    "Snapshot",
    "Step",
    "Store",
    "StoreError",
    "Tier",
    "UsageError",
    "Vendor",
    "VendorDiff",
    "__version__",
    "build_review",
    "compare_at",
    "import_requirements",
    "import_snapshots",
    "parity_at",
    "recommend_at",
    "record_review",
    "store_schedule",
    "vendor_diff",
    "write_and_record",
    "write_export",
    "write_review",
]


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
