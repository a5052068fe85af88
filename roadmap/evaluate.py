"""Evaluations of stored data: coverage, vendors side by side, first GA, parity.

Pure functions of requirements and snapshots (plus thin loaders from the store);
renderers (terminal, JSON, workbooks) only format what these return.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .model import RETIRED, Entry, Level, Requirement, Snapshot, Tier, stage_label
from .months import add_months, months_between
from .stacks import (
    DEFAULT_MAX_STEPS,
    Recommendation,
    combine,
    recommend,
    stack_key,
    stack_members,
    weighted_coverage,
)
from .store import Settings, SnapshotInfo, Store

# A vendor assessed on fewer than this share of the requirements has a coverage that
# rests mostly on cells nobody looked at: every place that shows it says so.
LOW_ASSESSED = 0.5
# A snapshot older than this many review cadences at a date is flagged stale.
STALE_CADENCES = 2


@dataclass(frozen=True)
class Coverage:
    """Scored support as fractions 0-1; None where there is nothing to score.

    ``assessed`` is the share of the requirements whose level is not ``unknown``.
    """

    overall: float | None
    table_stakes: float | None
    best_in_class: float | None
    by_stage: dict[str, float | None]
    assessed: float | None = None
    weighted: float | None = None  # each requirement weighing its priority × tier weight

    @property
    def low_assessed(self) -> bool:
        """Assessed on fewer than half the requirements (no requirements: not low)."""
        return self.assessed is not None and self.assessed < LOW_ASSESSED


def is_stale(as_of: str, day: str, cadence: int) -> bool:
    """Whether a snapshot dated ``as_of`` is older than two cadences at ``day`` (both
    YYYY-MM-DD): its day of the month counts, so 2021-06-15 is stale on 2021-12-16."""
    limit = add_months(day[:7], -STALE_CADENCES * cadence) + day[7:]
    return as_of < limit


def caveats(cover: Coverage, as_of: str, day: str, cadence: int) -> list[str]:
    """What a reader must know before trusting a vendor's coverage, in words."""
    notes = []
    if cover.low_assessed:
        notes.append(f"assessed on {_percent(cover.assessed)} of requirements only")
    if is_stale(as_of, day, cadence):
        notes.append(f"stale: snapshot of {as_of}, older than {STALE_CADENCES} cadences")
    return notes


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def coverage(requirements: list[Requirement], snapshot: Snapshot | None,
             settings: Settings) -> Coverage:
    """How much of the requirements one snapshot covers, by the roadmap's scores."""
    def score(requirement: Requirement) -> float:
        level = snapshot.level(requirement.id) if snapshot else Level.UNKNOWN
        return settings.scores[level]

    scored = [(r, score(r)) for r in requirements]
    assessed = [0.0 if snapshot is None or snapshot.level(r.id) is Level.UNKNOWN else 1.0
                for r in requirements]
    return Coverage(
        overall=_mean([s for _, s in scored]),
        table_stakes=_mean([s for r, s in scored if r.tier is Tier.TABLE_STAKES]),
        best_in_class=_mean([s for r, s in scored if r.tier is Tier.BEST_IN_CLASS]),
        by_stage={stage: _mean([s for r, s in scored if stage_label(r.stage) == stage])
                  for stage in settings.stage_matcher.labels(requirements)},
        assessed=_mean(assessed),
        weighted=weighted_coverage(requirements, snapshot, settings.scores, settings.weights),
    )


def active(requirements: dict[str, Requirement] | list[Requirement]) -> list[Requirement]:
    values = requirements.values() if isinstance(requirements, dict) else requirements
    return [r for r in values if r.status != RETIRED]


def requirements_at(store: Store, day: str) -> dict[str, Requirement]:
    """The roadmap as it stood on ``day`` (retired rows included, their status says so)."""
    event = store.requirements_event_as_of(day)
    return store.requirements(event) if event is not None else {}


def _chosen_at(store: Store, day: str, vendors: list[str] | None) -> list[SnapshotInfo]:
    """Each vendor's latest current snapshot on or before ``day``, by vendor."""
    chosen: dict[str, SnapshotInfo] = {}
    for info in store.snapshot_infos():
        if info.as_of <= day and (vendors is None or info.vendor in vendors):
            chosen[info.vendor] = info  # infos come in date order per vendor
    return [chosen[vendor] for vendor in sorted(chosen)]


def snapshots_at(store: Store, day: str, vendors: list[str] | None = None
                 ) -> dict[str, tuple[int, Snapshot]]:
    """Each vendor's latest current snapshot on or before ``day``: vendor -> (id, snapshot)."""
    return {info.vendor: (info.id, store.snapshot(info.id))
            for info in _chosen_at(store, day, vendors)}


def levels_at(store: Store, day: str, vendors: list[str] | None = None
              ) -> dict[str, Snapshot]:
    """As ``snapshots_at``, with levels only (no product, evidence or notes): enough
    for coverage, and far less to load."""
    chosen = _chosen_at(store, day, vendors)
    levels = store.snapshot_levels([info.id for info in chosen])
    return {info.vendor: Snapshot(info.vendor, info.as_of, info.source, {
        rid: Entry(rid, level) for rid, level in levels[info.id].items()})
        for info in chosen}


def compare_rows(requirements: list[Requirement], snapshots: dict[str, Snapshot],
                 settings: Settings) -> list[dict]:
    """The rows of ``roadmap compare``: one per vendor, best covered first."""
    rows = []
    for vendor, snapshot in snapshots.items():
        result = coverage(requirements, snapshot, settings)
        row: dict = {"vendor": vendor, "coverage": result.overall,
                     "table_stakes": result.table_stakes, "best_in_class": result.best_in_class,
                     "assessed": result.assessed, "weighted": result.weighted,
                     "as_of": snapshot.as_of}
        row.update(result.by_stage)
        rows.append(row)
    rows.sort(key=lambda r: (-(r["coverage"] or 0), r["vendor"]))
    return rows


@dataclass(frozen=True)
class FirstGa:
    """When a vendor was first seen at ``ga`` for one requirement.

    ``censored``: no earlier snapshot of that vendor assessed the requirement, so the
    month only says "ga by then" (it may have been ga long before).
    """

    month: str  # YYYY-MM
    censored: bool


def first_ga_months(store: Store, until: str | None = None) -> dict[str, dict[str, FirstGa]]:
    """requirement -> vendor -> the first current snapshot showing ``ga``.

    ``until`` (YYYY-MM-DD) leaves out snapshots after that day, as a past review saw it.
    """
    seen: dict[str, dict[str, FirstGa]] = {}
    for rid, vendor, ga, assessed in store.first_ga_dates(until):
        # Censored: the first snapshot that assessed it already said ga.
        seen.setdefault(rid, {})[vendor] = FirstGa(ga[:7], assessed >= ga)
    return seen


@dataclass(frozen=True)
class ParityRow:
    """One requirement's race to ``ga``: the keys of ``roadmap parity --format json``,
    plus the tie.

    ``leaders`` are every vendor first seen at ``ga`` in the earliest month, in the
    vendors' order (``leader`` is the first of them).
    """

    requirement: str
    title: str
    first_ga: dict[str, str | None]
    censored: tuple[str, ...]
    leaders: tuple[str, ...]
    lag_months: int | None
    lag_is_lower_bound: bool

    @property
    def leader(self) -> str | None:
        return self.leaders[0] if self.leaders else None

    def month_text(self, vendor: str) -> str | None:
        """``2021-06``, or ``≤ 2021-06`` when that is only "ga by then"."""
        month = self.first_ga.get(vendor)
        if month is None:
            return None
        return f"≤ {month}" if vendor in self.censored else month

    def leader_text(self) -> str | None:
        """The leader, or every tied leader joined by ``=`` (``sagemaker=vertex``)."""
        return "=".join(self.leaders) or None

    def lag_text(self) -> str | None:
        if self.lag_months is None:
            return None
        return f"≥ {self.lag_months}" if self.lag_is_lower_bound else str(self.lag_months)

    def terminal_row(self) -> dict:
        """For tables: one key per vendor (``≤`` marks "ga by then"), tied leaders joined."""
        return {"requirement": self.requirement, "title": self.title,
                **{v: self.month_text(v) for v in self.first_ga},
                "leader": self.leader_text(), "lag_months": self.lag_text()}

    def as_dict(self) -> dict:
        """The keys of ``roadmap parity --format json``, exactly."""
        return {"requirement": self.requirement, "title": self.title,
                "first_ga": dict(self.first_ga), "censored": list(self.censored),
                "leader": self.leader, "lag_months": self.lag_months,
                "lag_is_lower_bound": self.lag_is_lower_bound}


def parity_row(requirement: Requirement, first_ga: dict[str, FirstGa],
               vendors: list[str]) -> ParityRow:
    """Leader, lag and censoring for one requirement over ``vendors`` (in their order).

    The lag runs from the earliest month to the latest; it is None unless two vendors
    reached ``ga``, and None when every vendor at the latest month is censored (it may
    have been ga long before). A censored leader makes the lag a lower bound.
    """
    reached = {v: first_ga[v] for v in vendors if v in first_ga}
    censored = tuple(v for v, seen in reached.items() if seen.censored)
    leaders: tuple[str, ...] = ()
    lag = None
    lower_bound = False
    if reached:
        earliest = min(seen.month for seen in reached.values())
        latest = max(seen.month for seen in reached.values())
        leaders = tuple(v for v, seen in reached.items() if seen.month == earliest)
        last = [v for v, seen in reached.items() if seen.month == latest]
        if len(reached) >= 2 and not all(v in censored for v in last):
            lag = months_between(earliest, latest)
            lower_bound = any(v in censored for v in leaders)
    return ParityRow(requirement.id, requirement.title,
                     {v: reached[v].month if v in reached else None for v in vendors},
                     censored, leaders, lag, lower_bound)


def parity_rows(requirements: list[Requirement], first_ga: dict[str, dict[str, FirstGa]],
                vendors: list[str]) -> list[ParityRow]:
    """The rows of ``roadmap parity``, longest lag first (no lag last, then by id)."""
    rows = [parity_row(r, first_ga.get(r.id, {}), vendors) for r in requirements]
    rows.sort(key=lambda r: (-(r.lag_months if r.lag_months is not None else -1),
                             r.requirement))
    return rows


@dataclass(frozen=True)
class Comparison:
    """``compare`` at one date: its rows, the snapshot date used per vendor, and what a
    reader must know before trusting each vendor's numbers (``caveats``)."""

    day: str
    rows: list[dict]
    used: dict[str, str]  # vendor or stack -> as_of of the snapshot scored (a stack's oldest)
    requirements: int
    caveats: dict[str, list[str]]
    # vendor or stack asked for -> its members with no snapshot at the date (left out)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)


def compare_at(store: Store, day: str, vendors: list[str] | None = None) -> Comparison:
    """Vendors (keys) and stacks (``a+b`` of keys) side by side over the requirements
    active on ``day``; default every vendor with a snapshot then."""
    settings = store.settings()
    requirements = active(requirements_at(store, day))
    members = sorted({m for v in vendors for m in stack_members(v)}) if vendors else None
    chosen = levels_at(store, day, members)
    snapshots, missing = {}, {}
    for name in vendors or list(chosen):
        parts = stack_members(name)
        missing[name] = tuple(p for p in parts if p not in chosen)
        if not missing[name]:
            snapshots[name] = chosen.get(name) or combine({p: chosen[p] for p in parts}).snapshot
    notes = {vendor: caveats(coverage(requirements, s, settings), s.as_of, day,
                             settings.cadence) for vendor, s in snapshots.items()}
    return Comparison(day, compare_rows(requirements, snapshots, settings),
                      {vendor: s.as_of for vendor, s in snapshots.items()}, len(requirements),
                      notes, {name: left for name, left in missing.items() if left})


def stack_named(store: Store, text: str) -> str:
    """A vendor's key, or a stack's ``a+b`` of keys, from keys or names as typed."""
    from .errors import RoadmapError
    from .snapshots import vendor_named

    try:
        names = stack_members(text)
    except ValueError as error:
        raise RoadmapError(str(error)) from None
    keys = [vendor_named(store, name).key for name in names]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise RoadmapError(f"the stack {text!r} names {', '.join(twice)} twice")
    return stack_key(keys)


def parity_at(store: Store) -> tuple[list[ParityRow], list[str]]:
    """Parity rows over today's active requirements, and the vendors they cover (by key)."""
    vendors = sorted({info.vendor for info in store.snapshot_infos()})
    requirements = store.settings().stage_matcher.in_order(active(store.requirements()))
    return parity_rows(requirements, first_ga_months(store), vendors), vendors


def recommend_at(store: Store, day: str, primary: str | None = None,
                 max_steps: int = DEFAULT_MAX_STEPS) -> Recommendation:
    """``recommend`` over the requirements active on ``day`` and the vendors with a
    snapshot then, from ``primary`` (a vendor or stack, keys or names; default the best
    covered vendor, as the review picks it)."""
    from .errors import RoadmapError
    from .review import best_covered

    settings = store.settings()
    requirements = settings.stage_matcher.in_order(active(requirements_at(store, day)))
    if not requirements:
        raise RoadmapError(f"no requirements on {day}; import some first: "
                           "roadmap import requirements FILE")
    snapshots = {vendor: s for vendor, (_, s) in snapshots_at(store, day).items()}
    if primary is None:
        start = best_covered({v: coverage(requirements, s, settings)
                              for v, s in snapshots.items()})
        if start is None:
            raise RoadmapError(f"no vendor has a snapshot on or before {day}; import one "
                               "first: roadmap import snapshot FILE")
        members = [start]
    else:
        members = stack_members(stack_named(store, primary))
        lacking = [m for m in members if m not in snapshots]
        if lacking:
            with_one = ", ".join(snapshots) or "none"
            raise RoadmapError(
                f"--primary: {', '.join(lacking)} has no snapshot on or before {day} "
                f"(vendors with one: {with_one}); import one or pick another vendor")
    return recommend(requirements, snapshots, members, settings.scores, settings.weights,
                     max_steps)
