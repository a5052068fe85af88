"""Evaluations of stored data: coverage, vendors side by side, first GA, parity.

Pure functions of requirements and snapshots (plus thin loaders from the store);
renderers (terminal, JSON, workbooks) only format what these return.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import RETIRED, Level, Requirement, Snapshot, Tier
from .months import months_between
from .store import Settings, Store


@dataclass(frozen=True)
class Coverage:
    """Scored support as fractions 0-1; None where there is nothing to score."""

    overall: float | None
    table_stakes: float | None
    best_in_class: float | None
    by_stage: dict[str, float | None]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def coverage(requirements: list[Requirement], snapshot: Snapshot | None,
             settings: Settings) -> Coverage:
    """How much of the requirements one snapshot covers, by the roadmap's scores."""
    def score(requirement: Requirement) -> float:
        level = snapshot.level(requirement.id) if snapshot else Level.UNKNOWN
        return settings.scores[level]

    scored = [(r, score(r)) for r in requirements]
    return Coverage(
        overall=_mean([s for _, s in scored]),
        table_stakes=_mean([s for r, s in scored if r.tier is Tier.TABLE_STAKES]),
        best_in_class=_mean([s for r, s in scored if r.tier is Tier.BEST_IN_CLASS]),
        by_stage={stage: _mean([s for r, s in scored if r.stage == stage])
                  for stage in settings.stages},
    )


def active(requirements: dict[str, Requirement] | list[Requirement]) -> list[Requirement]:
    values = requirements.values() if isinstance(requirements, dict) else requirements
    return [r for r in values if r.status != RETIRED]


def requirements_at(store: Store, day: str) -> dict[str, Requirement]:
    """The roadmap as it stood on ``day`` (retired rows included, their status says so)."""
    event = store.requirements_event_as_of(day)
    return store.requirements(event) if event is not None else {}


def snapshots_at(store: Store, day: str, vendors: list[str] | None = None
                 ) -> dict[str, tuple[int, Snapshot]]:
    """Each vendor's latest current snapshot on or before ``day``: vendor -> (id, snapshot)."""
    chosen: dict[str, int] = {}
    for info in store.snapshot_infos():
        if info.as_of <= day and (vendors is None or info.vendor in vendors):
            chosen[info.vendor] = info.id  # infos come in date order per vendor
    return {vendor: (sid, store.snapshot(sid)) for vendor, sid in sorted(chosen.items())}


def compare_rows(requirements: list[Requirement], snapshots: dict[str, Snapshot],
                 settings: Settings) -> list[dict]:
    """The spec's ``compare`` rows: one per vendor, best covered first."""
    rows = []
    for vendor, snapshot in snapshots.items():
        result = coverage(requirements, snapshot, settings)
        row: dict = {"vendor": vendor, "coverage": result.overall,
                     "table_stakes": result.table_stakes, "best_in_class": result.best_in_class}
        row.update(result.by_stage)
        rows.append(row)
    rows.sort(key=lambda r: (-(r["coverage"] or 0), r["vendor"]))
    return rows


def first_ga_months(store: Store, until: str | None = None) -> dict[str, dict[str, str]]:
    """requirement -> vendor -> the month of the first current snapshot showing ``ga``.

    ``until`` (YYYY-MM-DD) leaves out snapshots after that day, as a past review saw it.
    """
    seen: dict[str, dict[str, str]] = {}
    for info in store.snapshot_infos():  # vendor, then date order
        if until is not None and info.as_of > until:
            continue
        for rid, entry in store.snapshot(info.id).entries.items():
            if entry.level is Level.GA:
                seen.setdefault(rid, {}).setdefault(info.vendor, info.as_of[:7])
    return seen


def parity_rows(requirements: list[Requirement], first_ga: dict[str, dict[str, str]],
                vendors: list[str]) -> list[dict]:
    """The spec's ``parity`` rows, longest lag first.

    The leader is the vendor first seen at ``ga`` (ties broken by key); the lag runs
    from the leader to the last vendor that reached ``ga``, and is None unless two did.
    """
    rows: list[dict] = []
    for requirement in requirements:
        months = first_ga.get(requirement.id, {})
        reached = sorted((month, vendor) for vendor, month in months.items() if vendor in vendors)
        lag = months_between(reached[0][0], reached[-1][0]) if len(reached) >= 2 else None
        rows.append({
            "requirement": requirement.id,
            "title": requirement.title,
            "first_ga": {vendor: months.get(vendor) for vendor in vendors},
            "leader": reached[0][1] if reached else None,
            "lag_months": lag,
        })
    rows.sort(key=lambda r: (-(r["lag_months"] if r["lag_months"] is not None else -1),
                             r["requirement"]))
    return rows


@dataclass(frozen=True)
class Comparison:
    """``compare`` at one date: its rows and the snapshot date used per vendor."""

    day: str
    rows: list[dict]
    used: dict[str, str]  # vendor -> as_of of the snapshot scored
    requirements: int


def compare_at(store: Store, day: str, vendors: list[str] | None = None) -> Comparison:
    """Vendors side by side over the requirements active on ``day``."""
    requirements = active(requirements_at(store, day))
    chosen = snapshots_at(store, day, vendors)
    snapshots = {vendor: snapshot for vendor, (_, snapshot) in chosen.items()}
    return Comparison(day, compare_rows(requirements, snapshots, store.settings()),
                      {vendor: s.as_of for vendor, s in snapshots.items()}, len(requirements))


def parity_at(store: Store) -> tuple[list[dict], list[str]]:
    """Parity rows over today's active requirements, and the vendors they cover (by key)."""
    vendors = sorted({info.vendor for info in store.snapshot_infos()})
    requirements = store.settings().stage_matcher.in_order(active(store.requirements()))
    return parity_rows(requirements, first_ga_months(store), vendors), vendors
