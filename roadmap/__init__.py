"""Keep an ML platform roadmap, compare vendors against it, and review it over time."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .errors import Problem, RoadmapError
    from .model import Entry, Level, Requirement, Snapshot, Tier, Vendor
    from .store import Settings, Store

__version__ = "0.1.0"

__all__ = [
    "Entry", "Level", "Problem", "Requirement", "RoadmapError", "Settings", "Snapshot",
    "Store", "Tier", "Vendor", "__version__",
]

# Loaded on first use, so ``roadmap --help`` (which needs only __version__) does not
# pay for the store and the model.
_HOME = {"Problem": "errors", "RoadmapError": "errors", "Settings": "store", "Store": "store"}


def __getattr__(name: str):
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME.get(name, 'model')}", __name__), name)
    globals()[name] = value
    return value
