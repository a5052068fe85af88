"""Evaluations of stored data: coverage, vendors side by side, first GA, parity, recommend.

A command loads what it needs from the store once (``load_at``: the requirements in
force, the snapshots chosen, vendors and settings) into a ``RoadmapAt``, then evaluates
that with pure functions that never touch the store. Dates are parsed where they enter
(``compare_at``, ``parity_at``, ``recommend_at``): inside, days are ``datetime.date``
and months are ``Month``. Renderers (terminal, JSON, workbooks) only format the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import InputError, UsageError
from .model import RETIRED, Entry, Level, Requirement, Snapshot, Tier, Vendor, stage_label
from .months import DayLike, Month, day_or_today, iso_day, to_day
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


def _as_date(day: dt.date | str) -> dt.date:
    return day if isinstance(day, dt.date) else iso_day(day)


def is_stale(as_of: dt.date | str, day: dt.date | str, cadence: int) -> bool:
    """Whether a snapshot dated ``as_of`` is older than two cadences at ``day`` (a date or
    a stored ``YYYY-MM-DD``): its day of the month counts, so 2021-06-15 is stale on
    2021-12-16, and 2021-06-30 is on 2021-12-31 (as if June had a 31st)."""
    snapshot, at = _as_date(as_of), _as_date(day)
    limit = Month.of(at) - STALE_CADENCES * cadence
    return (Month.of(snapshot), snapshot.day) < (limit, at.day)


def caveats(cover: Coverage, as_of: dt.date | str, day: dt.date | str, cadence: int) -> list[str]:
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


def coverage(
    requirements: list[Requirement], snapshot: Snapshot | None, settings: Settings
) -> Coverage:
    """How much of the requirements one snapshot covers, by the roadmap's scores."""

    def level(requirement: Requirement) -> Level:
        return snapshot.level(requirement.id) if snapshot else Level.UNKNOWN

    levels = [(r, level(r)) for r in requirements]
    scored = [(r, settings.scores[lvl]) for r, lvl in levels]
    by_label: dict[str, list[float]] = {}  # each requirement's stage label found once
    for r, s in scored:
        by_label.setdefault(stage_label(r.stage), []).append(s)
    return Coverage(
        overall=_mean([s for _, s in scored]),
        table_stakes=_mean([s for r, s in scored if r.tier is Tier.TABLE_STAKES]),
        best_in_class=_mean([s for r, s in scored if r.tier is Tier.BEST_IN_CLASS]),
        by_stage={
            stage: _mean(by_label.get(stage, []))
            for stage in settings.stage_matcher.labels(requirements)
        },
        assessed=_mean([0.0 if lvl is Level.UNKNOWN else 1.0 for _, lvl in levels]),
        weighted=weighted_coverage(requirements, snapshot, settings.scores, settings.weights),
    )


def best_covered(coverages: Mapping[str, Coverage]) -> str | None:
    """The vendor with the highest overall coverage; ties go to the first key."""
    ranked = sorted(coverages, key=lambda v: (-(coverages[v].overall or 0.0), v))
    return ranked[0] if ranked else None


def active(requirements: Mapping[str, Requirement] | Iterable[Requirement]) -> list[Requirement]:
    values = requirements.values() if isinstance(requirements, Mapping) else requirements
    return [r for r in values if r.status != RETIRED]


# -- loading once ---------------------------------------------------------------------


def vendor_in(vendors: Mapping[str, Vendor], aliases: Mapping[str, str], text: str) -> Vendor:
    """The vendor a user means by key, name or alias (case and punctuation aside); an
    ``InputError`` listing the stored keys when none. Every library call resolves
    vendors here."""
    from .snapshots import find_vendor

    if not isinstance(text, str):
        raise UsageError(f"{text!r} is not a vendor: pass its key, name or alias as text")
    found = find_vendor(dict(vendors), text, dict(aliases))
    if found is None:
        known = ", ".join(vendors) or "none yet; run 'roadmap import snapshot FILE'"
        raise InputError(f"unknown vendor {text!r} (stored vendors: {known})")
    return found


def stack_in(
    vendors: Mapping[str, Vendor], aliases: Mapping[str, str], text: str | Sequence[str]
) -> str:
    """A vendor's key, or a stack's ``a+b`` of keys, from keys, names or aliases as typed
    (a list or tuple of them is the stack of its members, in order)."""
    if isinstance(text, (list, tuple)) and all(isinstance(m, str) for m in text):
        text = stack_key(text)
    if not isinstance(text, str):
        raise UsageError(
            f"{text!r} is not a vendor or a stack: pass 'sagemaker', "
            "'sagemaker+seldon' or ['sagemaker', 'seldon']"
        )
    try:
        names = stack_members(text)
    except ValueError as error:
        raise InputError(str(error)) from None
    keys = [vendor_in(vendors, aliases, name).key for name in names]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InputError(f"the stack {text!r} names {', '.join(twice)} twice")
    return stack_key(keys)


@dataclass(frozen=True, slots=True)
class FirstGa:
    """When a vendor was first seen at ``ga`` for one requirement.

    ``censored``: no earlier snapshot of that vendor assessed the requirement, so the
    month only says "ga by then" (it may have been ga long before).
    """

    month: Month
    censored: bool


@dataclass(frozen=True)
class RoadmapAt:
    """What an evaluation at ``day`` reads from a store, loaded once by ``load_at``.

    ``snapshots`` are each vendor's latest current snapshot on or before ``day`` (levels
    only unless loaded with ``entries``), by key; ``requirements`` those in force on
    ``day``, retired ones left out, in stage order.
    """

    day: dt.date
    settings: Settings
    requirements: list[Requirement]
    snapshots: dict[str, Snapshot]
    snapshot_ids: dict[str, int]
    vendors: dict[str, Vendor]
    aliases: dict[str, str]

    def vendor(self, text: str) -> Vendor:
        return vendor_in(self.vendors, self.aliases, text)

    def stack(self, text: str | Sequence[str]) -> str:
        return stack_in(self.vendors, self.aliases, text)


def requirements_at(store: Store, day: dt.date) -> dict[str, Requirement]:
    """The roadmap as it stood on ``day`` (retired rows included, their status says so)."""
    event = store.requirements_event_as_of(day.isoformat())
    return store.requirements(event) if event is not None else {}


def chosen_at(
    infos: Iterable[SnapshotInfo], day: dt.date, vendors: Collection[str] | None = None
) -> list[SnapshotInfo]:
    """Each vendor's latest current snapshot on or before ``day``, by vendor key."""
    chosen: dict[str, SnapshotInfo] = {}
    for info in infos:
        if iso_day(info.as_of) <= day and (vendors is None or info.vendor in vendors):
            chosen[info.vendor] = info  # infos come in date order per vendor
    return [chosen[vendor] for vendor in sorted(chosen)]


def load_snapshots(
    store: Store, chosen: list[SnapshotInfo], *, entries: bool
) -> dict[str, Snapshot]:
    """The chosen snapshots by vendor: whole (``entries``), or levels only: enough for
    coverage, and far less to load."""
    if entries:
        return {info.vendor: store.snapshot(info.id) for info in chosen}
    levels = store.snapshot_levels([info.id for info in chosen])
    return {
        info.vendor: Snapshot(
            info.vendor,
            info.as_of,
            info.source,
            {rid: Entry(rid, level) for rid, level in levels[info.id].items()},
        )
        for info in chosen
    }


def load_at(
    store: Store, day: dt.date, *, names: list[str] | None = None, entries: bool = False
) -> tuple[RoadmapAt, list[str] | None]:
    """Read once what an evaluation at ``day`` needs; with ``names`` (vendors or stacks
    as typed) only their members' snapshots, and the names resolved to keys."""
    settings = store.settings()
    vendors, aliases = store.vendors(), store.vendor_aliases()
    keys = [stack_in(vendors, aliases, name) for name in names] if names else None
    twice = sorted({k for k in keys if keys.count(k) > 1}) if keys else []
    if twice:
        raise InputError(f"{', '.join(twice)} named twice; name each vendor or stack once")
    members = sorted({m for k in keys for m in stack_members(k)}) if keys else None
    chosen = chosen_at(store.snapshot_infos(), day, members)
    requirements = settings.stage_matcher.in_order(active(requirements_at(store, day)))
    return RoadmapAt(
        day,
        settings,
        requirements,
        load_snapshots(store, chosen, entries=entries),
        {info.vendor: info.id for info in chosen},
        vendors,
        aliases,
    ), keys


def levels_at(store: Store, day: DayLike, vendors: list[str] | None = None) -> dict[str, Snapshot]:
    """Each vendor's latest current snapshot on or before ``day``, levels only."""
    chosen = chosen_at(store.snapshot_infos(), to_day(day, "day"), vendors)
    return load_snapshots(store, chosen, entries=False)


def first_ga_months(store: Store, until: DayLike | None = None) -> dict[str, dict[str, FirstGa]]:
    """requirement -> vendor -> the first current snapshot showing ``ga``, in one
    grouped query. ``until`` leaves out snapshots after that day, as a past review saw it.
    """
    last = None if until is None else to_day(until, "until").isoformat()
    seen: dict[str, dict[str, FirstGa]] = {}
    made: dict[tuple[str, bool], FirstGa] = {}  # one of each: a few dates, many requirements
    for rid, vendor, ga, assessed in store.first_ga_dates(last):
        # Censored: the first snapshot that assessed it already said ga.
        key = (ga, assessed >= ga)
        found = made.get(key)
        if found is None:
            found = made[key] = FirstGa(Month.of(iso_day(ga)), key[1])
        seen.setdefault(rid, {})[vendor] = found
    return seen


# -- compare --------------------------------------------------------------------------


@dataclass(frozen=True)
class CompareRow:
    """One vendor (or stack) in ``compare``: its coverage, and the snapshot date scored
    (a stack's oldest member's)."""

    vendor: str
    coverage: Coverage
    as_of: str  # YYYY-MM-DD
    caveats: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """``compare``'s JSON keys (``roadmap compare --help``): then one per stage."""
        cover = self.coverage
        return {
            "vendor": self.vendor,
            "coverage": cover.overall,
            "table_stakes": cover.table_stakes,
            "best_in_class": cover.best_in_class,
            "assessed": cover.assessed,
            "weighted": cover.weighted,
            "as_of": self.as_of,
            **cover.by_stage,
        }


@dataclass(frozen=True)
class Comparison:
    """``compare`` at one date: a row per vendor or stack, best covered first.

    ``missing``: each vendor or stack asked for that has a member with no snapshot at
    the date (it is left out of the rows), with those members.
    """

    day: dt.date
    rows: list[CompareRow]
    requirements: int
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def used(self) -> dict[str, str]:
        """vendor or stack -> as_of of the snapshot scored."""
        return {row.vendor: row.as_of for row in self.rows}

    @property
    def caveats(self) -> dict[str, list[str]]:
        """vendor or stack -> what a reader must know before trusting its numbers."""
        return {row.vendor: list(row.caveats) for row in self.rows}

    def as_rows(self) -> list[dict[str, object]]:
        return [row.as_dict() for row in self.rows]


def comparison(roadmap: RoadmapAt, keys: list[str] | None = None) -> Comparison:
    """Vendors and stacks (``a+b`` of keys) side by side over ``roadmap``; default every
    vendor with a snapshot. Each is scored once."""
    settings, chosen = roadmap.settings, roadmap.snapshots
    rows, missing = [], {}
    for name in keys or list(chosen):
        parts = stack_members(name)
        lacking = tuple(p for p in parts if p not in chosen)
        if lacking:
            missing[name] = lacking
            continue
        snapshot = chosen.get(name) or combine({p: chosen[p] for p in parts}).snapshot
        cover = coverage(roadmap.requirements, snapshot, settings)
        rows.append(
            CompareRow(
                name,
                cover,
                snapshot.as_of,
                tuple(caveats(cover, snapshot.as_of, roadmap.day, settings.cadence)),
            )
        )
    rows.sort(key=lambda r: (-(r.coverage.overall or 0), r.vendor))
    return Comparison(roadmap.day, rows, len(roadmap.requirements), missing)


def compare_at(
    store: Store, as_of: DayLike | None = None, vendors: str | Sequence[str] | None = None
) -> Comparison:
    """``roadmap compare``: vendors and stacks side by side at one date.

    :param as_of: the date (``"2021-12"`` is 2021-12-01, as ``--as-of`` reads it;
        ``"2021-12-31"``; a ``date``); default today.
    :param vendors: a list or tuple of vendors and stacks (``"sagemaker+seldon"``) by
        key, name or alias, or one of them alone; default (None or empty) every vendor
        with a snapshot on or before the date.
    :returns: a ``Comparison``; ``as_rows()`` is ``compare``'s JSON.
    :raises UsageError: a date that is none; ``InputError``: an unknown vendor.
    """
    if isinstance(vendors, str):  # one vendor or stack, not its letters
        vendors = [vendors]
    elif vendors is not None and not isinstance(vendors, (list, tuple)):
        raise UsageError(f"{vendors!r} is not a list of vendors or stacks", "vendors")
    roadmap, keys = load_at(
        store, day_or_today(as_of, "as_of"), names=list(vendors) if vendors else None
    )
    return comparison(roadmap, keys)


# -- parity ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParityRow:
    """One requirement's race to ``ga``: ``parity``'s JSON keys, plus the tie.

    ``leaders`` are every vendor first seen at ``ga`` in the earliest month, in the
    vendors' order (``leader`` is the first of them).
    """

    requirement: str
    title: str
    first_ga: dict[str, Month | None]
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
        return f"≤ {month}" if vendor in self.censored else str(month)

    def leader_text(self) -> str | None:
        """The leader, or every tied leader joined by ``=`` (``sagemaker=vertex``)."""
        return "=".join(self.leaders) or None

    def lag_text(self) -> str | None:
        if self.lag_months is None:
            return None
        return f"≥ {self.lag_months}" if self.lag_is_lower_bound else str(self.lag_months)

    def terminal_row(self) -> dict[str, object]:
        """For tables: one key per vendor (``≤`` marks "ga by then"), tied leaders joined."""
        return {
            "requirement": self.requirement,
            "title": self.title,
            **{v: self.month_text(v) for v in self.first_ga},
            "leader": self.leader_text(),
            "lag_months": self.lag_text(),
        }

    def as_dict(self) -> dict[str, object]:
        """``parity``'s JSON keys, exactly (months as ``YYYY-MM``)."""
        return {
            "requirement": self.requirement,
            "title": self.title,
            "first_ga": {v: None if m is None else str(m) for v, m in self.first_ga.items()},
            "censored": list(self.censored),
            "leader": self.leader,
            "lag_months": self.lag_months,
            "lag_is_lower_bound": self.lag_is_lower_bound,
        }


def parity_row(
    requirement: Requirement, first_ga: Mapping[str, FirstGa], vendors: list[str]
) -> ParityRow:
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
            lag = latest - earliest
            lower_bound = any(v in censored for v in leaders)
    return ParityRow(
        requirement.id,
        requirement.title,
        {v: reached[v].month if v in reached else None for v in vendors},
        censored,
        leaders,
        lag,
        lower_bound,
    )


def parity_rows(
    requirements: list[Requirement],
    first_ga: Mapping[str, Mapping[str, FirstGa]],
    vendors: list[str],
) -> list[ParityRow]:
    """``parity``'s rows, longest lag first (no lag last, then by id)."""
    rows = [parity_row(r, first_ga.get(r.id, {}), vendors) for r in requirements]
    rows.sort(key=lambda r: (-(r.lag_months if r.lag_months is not None else -1), r.requirement))
    return rows


@dataclass(frozen=True)
class Parity:
    """``parity``: a row per requirement, over ``vendors`` (keys, in order)."""

    rows: list[ParityRow]
    vendors: list[str]

    def as_rows(self) -> list[dict[str, object]]:
        return [row.as_dict() for row in self.rows]


def parity_at(store: Store, as_of: DayLike | None = None) -> Parity:
    """``roadmap parity``: when each vendor first reached ``ga`` per requirement.

    :param as_of: leave out what came after this date (the requirements in force then,
        snapshots on or before it), as a review at that date sees it; default: now,
        over today's requirements and every current snapshot, as the command does.
    :returns: a ``Parity``; ``as_rows()`` is ``parity``'s JSON.
    """
    settings = store.settings()
    if as_of is None:
        vendors = sorted({info.vendor for info in store.snapshot_infos()})
        requirements = active(store.requirements())
        first_ga = first_ga_months(store)
    else:
        day = to_day(as_of, "as_of")
        vendors = [info.vendor for info in chosen_at(store.snapshot_infos(), day)]
        requirements = active(requirements_at(store, day))
        first_ga = first_ga_months(store, until=day)
    ordered = settings.stage_matcher.in_order(requirements)
    return Parity(parity_rows(ordered, first_ga, vendors), vendors)


# -- recommend ------------------------------------------------------------------------


def recommendation(
    roadmap: RoadmapAt, primary: str | None = None, max_steps: int = DEFAULT_MAX_STEPS
) -> Recommendation:
    """``recommend`` over ``roadmap`` from ``primary`` (a vendor or stack as typed;
    default the best covered vendor, as the review picks it)."""
    settings, snapshots, day = roadmap.settings, roadmap.snapshots, roadmap.day
    requirements = roadmap.requirements
    if not requirements:
        raise InputError(
            f"no requirements on {day}; import some first: roadmap import requirements FILE"
        )
    if primary is None:
        start = best_covered({v: coverage(requirements, s, settings) for v, s in snapshots.items()})
        if start is None:
            raise InputError(
                f"no vendor has a snapshot on or before {day}; import one "
                "first: roadmap import snapshot FILE"
            )
        members = [start]
    else:
        members = stack_members(roadmap.stack(primary))
        lacking = [m for m in members if m not in snapshots]
        if lacking:
            with_one = ", ".join(snapshots) or "none"
            raise InputError(
                f"--primary: {', '.join(lacking)} has no snapshot on or before {day} "
                f"(vendors with one: {with_one}); import one or pick another vendor"
            )
    return recommend(requirements, snapshots, members, settings.scores, settings.weights, max_steps)


def recommend_at(
    store: Store,
    as_of: DayLike | None = None,
    primary: str | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Recommendation:
    """``roadmap recommend``: which vendors to add to the primary, one at a time.

    :param as_of: the date (as ``--as-of`` reads it; a ``date``); default today.
    :param primary: a vendor or a stack it already runs, by key, name or alias; default
        the best covered vendor.
    :param max_steps: at most this many vendors to add.
    :returns: a ``Recommendation``; ``as_rows()`` is ``recommend``'s JSON.
    :raises UsageError: a date that is none; ``InputError``: an unknown vendor, no
        requirements or no snapshot at the date.
    """
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
        raise UsageError(f"max_steps must be a whole number from 1, not {max_steps!r}", "max_steps")
    roadmap, _ = load_at(store, day_or_today(as_of, "as_of"))
    return recommendation(roadmap, primary, max_steps)
