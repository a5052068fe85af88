"""Keep an ML platform roadmap, compare vendors against it, and review it over time."""
from .errors import Problem, RoadmapError
from .model import Entry, Level, Requirement, Snapshot, Tier, Vendor
from .store import Settings, Store

__version__ = "0.1.0"

__all__ = [
    "Entry", "Level", "Problem", "Requirement", "RoadmapError", "Settings", "Snapshot",
    "Store", "Tier", "Vendor", "__version__",
]
