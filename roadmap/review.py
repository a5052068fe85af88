"""The periodic review as data: coverage, changes since the last review, gaps, timeline.

``build_review`` loads what a review at one date needs from the store once
(``load_review``), then ``review_of`` evaluates it without touching the store;
``review_workbook`` only formats what it returns. The review is recorded
(``record_review``) so the next one can say what changed since.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace

from .collector import collector_paused
from .errors import InputError
from .evaluate import (
    Coverage,
    FirstGa,
    ParityRow,
    RoadmapAt,
    best_covered,
    caveats,
    coverage,
    first_ga_months,
    is_stale,
    load_at,
    parity_rows,
)
from .model import PRIORITIES, REQUIREMENT_FIELDS, Level, Requirement, Snapshot, Stages, Vendor
from .months import DayLike, Month, day_or_today, iso_day
from .schedule import cadence_between, check_settings, next_review_date
from .stacks import Recommendation, Stack, combine, recommend, stack_key, stack_members
from .store import Event, ReviewRecord, Settings, Store

DONE = "done"  # a requirement status that takes it off the gap list
# Gap actions in the order a reader meets them (gap_action says which one applies).
ACTIONS = ("assess", "buy", "glue", "wait", "build")
NEXT_STEPS = 8  # how many gaps the Summary's next steps list


# -- the review -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequirementChange:
    """A requirement ``added``, ``changed`` or ``retired`` since the previous review."""

    change: str
    requirement: str
    title: str
    fields: tuple[tuple[str, object, object], ...] = ()  # (field, old, new) when changed


@dataclass(frozen=True, slots=True)
class LevelMove:
    """One vendor's level for one requirement, then (previous review) and now."""

    vendor: str
    requirement: str
    title: str
    old: Level
    new: Level
    old_as_of: str  # the snapshot the previous review used
    new_as_of: str

    @property
    def change(self) -> str:
        """``upgraded``/``downgraded`` only between two assessed levels; ``assessed`` when
        the old one was ``unknown``, ``unassessed`` when the new one is."""
        if self.old is Level.UNKNOWN:
            return "assessed"
        if self.new is Level.UNKNOWN:
            return "unassessed"
        return "upgraded" if self.new.strength > self.old.strength else "downgraded"


@dataclass(frozen=True)
class NewVendor:
    """A vendor the previous review did not see: its snapshot is its first assessment,
    counted once (``levels``: how many requirements at each level), not as upgrades."""

    vendor: str
    as_of: str
    levels: dict[Level, int]

    @property
    def assessed(self) -> int:
        return sum(n for level, n in self.levels.items() if level is not Level.UNKNOWN)

    def describe(self) -> str:
        """``40 of 50 assessed: 12 ga, 3 preview, …, 10 unknown``."""
        total = sum(self.levels.values())
        counts = ", ".join(f"{n} {level.value}" for level, n in self.levels.items() if n)
        return f"first assessment: {self.assessed} of {total} assessed ({counts})"


CHANGE_KINDS = (
    "added",
    "changed",
    "retired",
    "new vendor",
    "assessed",
    "upgraded",
    "downgraded",
    "unassessed",
)


@dataclass(frozen=True)
class Changes:
    """Everything that moved since ``previous`` (None: no earlier review recorded)."""

    previous: ReviewRecord | None
    requirements: list[RequirementChange]
    levels: list[LevelMove]
    new_vendors: list[NewVendor] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """One count per kind in ``CHANGE_KINDS`` (a new vendor counts once)."""
        kinds = (
            [c.change for c in self.requirements]
            + [m.change for m in self.levels]
            + ["new vendor"] * len(self.new_vendors)
        )
        return {kind: kinds.count(kind) for kind in CHANGE_KINDS}


@dataclass(frozen=True, slots=True)
class Gap:
    """A requirement due in the window that the primary vendor lacks at ``ga``.

    ``vendors`` are the keys behind the ``action``: who has it at ``ga`` (buy), as
    ``partner`` (glue), in ``preview`` or ``planned`` (wait), who is still ``unknown``
    (assess); empty for ``build``.
    """

    requirement: Requirement
    overdue: bool
    primary_level: Level
    action: str
    vendors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """Where a requirement's target falls: ``before``, ``in`` or ``after`` the window."""

    requirement: Requirement
    place: str | None  # None: no target
    column: int | None  # 0-based month of the window when ``in``
    overdue: bool


@dataclass(frozen=True)
class ReviewMark:
    """A review date inside the window: ``this review``, ``reviewed``, ``next`` or ``planned``."""

    date: dt.date
    kind: str


@dataclass(frozen=True)
class HistoryPoint:
    """One review's overall coverage per vendor, for the coverage-over-time chart."""

    as_of: dt.date
    coverage: dict[str, float | None]


@dataclass
class Review:
    """The roadmap evaluated at ``as_of``; everything the workbook shows."""

    settings: Settings
    as_of: dt.date
    window: list[Month]  # the horizon's months, from the review's month
    next_review: dt.date
    requirements: list[Requirement]  # active at as_of, in stage order then id
    vendors: list[Vendor]  # with a snapshot at as_of: the primary first, then by key
    snapshots: dict[str, tuple[int, Snapshot]]
    primary: str | None
    coverage: dict[str, Coverage]
    changes: Changes
    gaps: list[Gap]
    parity: list[ParityRow]
    timeline: list[TimelineRow]
    marks: dict[Month, ReviewMark]  # month -> the review date marked in it
    history: list[HistoryPoint]
    requirements_as_of: dt.date | None  # the date of the requirements import in force
    # Requirement imports dated after the review: not used by it (see requirements_note).
    ignored_imports: list[Event] = field(default_factory=list)
    # ``--stack``: the primary and the tools beside it, scored beside the vendors; the
    # gaps are the stack's. ``recommendation``: recommend's first step from the primary
    # (or the stack), for the Summary's next steps.
    stack: Stack | None = None
    stack_coverage: Coverage | None = None
    recommendation: Recommendation | None = None

    @property
    def window_start(self) -> Month:
        return self.window[0]

    @property
    def window_end(self) -> Month:
        return self.window[-1]

    def vendor_name(self, key: str) -> str:
        if self.stack is not None and key == self.stack.key:
            return " + ".join(self.vendor_name(m) for m in self.stack.members)
        return next((v.name for v in self.vendors if v.key == key), key)

    def snapshot_date(self, key: str) -> str:
        return self.snapshots[key][1].as_of

    def is_stale(self, key: str) -> bool:
        """The vendor's snapshot is older than two cadences at the review date."""
        return is_stale(self.snapshot_date(key), self.as_of, self.settings.cadence)

    def caveats(self, key: str) -> list[str]:
        """Why a vendor's coverage may mislead: few cells assessed, an old snapshot."""
        return caveats(
            self.coverage[key], self.snapshot_date(key), self.as_of, self.settings.cadence
        )

    def action_counts(self) -> dict[str, int]:
        actions = [g.action for g in self.gaps]
        return {action: actions.count(action) for action in ACTIONS}

    def overdue(self) -> int:
        return sum(g.overdue for g in self.gaps)

    def next_steps(self, limit: int = NEXT_STEPS) -> list[Gap]:
        """The most important gaps: by priority (high first, none last), then target."""
        rank = {p: i for i, p in enumerate(PRIORITIES)}
        return sorted(
            self.gaps,
            key=lambda g: (
                rank.get(g.requirement.priority or "", len(rank)),
                g.requirement.target or "",
                g.requirement.id,
            ),
        )[:limit]

    def headline(self) -> str:
        """One sentence for the top of the Summary: the primary's coverage, gaps by
        action, overdue."""
        counts = self.action_counts()
        actions = ", ".join(f"{counts[a]} {a}" for a in ACTIONS if counts[a]) or "none"
        gaps = (
            f"{_plural(len(self.gaps), 'gap')} due by {self.window_end} "
            f"({actions}), {self.overdue()} overdue"
        )
        if self.primary is None:
            return (
                f"No vendor is assessed yet: {_plural(len(self.requirements), 'requirement')}"
                f", {gaps}."
            )
        cover = self.stack_coverage or self.coverage[self.primary]  # the gaps' owner
        assessed = (
            ""
            if cover.assessed is None or cover.assessed >= 1
            else f", assessed on {cover.assessed:.0%}"
        )
        return (
            f"{self.vendor_name(self.gaps_at or self.primary)} covers "
            f"{_percent(cover.overall)} of "
            f"{_plural(len(self.requirements), 'requirement')}{assessed}; {gaps}."
        )

    def requirements_note(self) -> str | None:
        """When imports dated after the review are left out: which, and how to date them."""
        if not self.ignored_imports:
            return None
        files = "; ".join(
            f"{e.file or 'an import'} (dated {e.as_of})" for e in self.ignored_imports
        )
        used = self.requirements_as_of
        said = (
            f"this review uses the requirements imported as of {used}"
            if used and used <= self.as_of
            else f"no import is dated on or before {self.as_of}, so this review uses the "
            f"first import (dated {used})"
        )
        return (
            f"{_plural(len(self.ignored_imports), 'requirements import')} dated after "
            f"{self.as_of} not used: {files}; {said}. If one of them describes the "
            "roadmap as it stood earlier, date it: re-import it with "
            "'roadmap import requirements FILE --as-of YYYY-MM-DD', or put the date in "
            "the file name (requirements_2021-11.xlsx) or an 'As of:' cell."
        )

    @property
    def gaps_at(self) -> str | None:
        """Whose gaps the review lists: the stack's when there is one, else the primary's."""
        return self.stack.key if self.stack is not None else self.primary

    def recorded_requirements(self) -> str:
        """The requirements as a review records them: JSON, id -> requirement dict, keys
        sorted (``json.dumps(..., sort_keys=True)``), made one requirement at a time:
        the dicts of 100,000 requirements at once are about 50 MB."""
        return (
            "{"
            + ", ".join(
                f"{json.dumps(r.id)}: {json.dumps(r.as_dict(), sort_keys=True)}"
                for r in sorted(self.requirements, key=lambda r: r.id)
            )
            + "}"
        )

    def recorded_snapshots(self) -> dict[str, int]:
        return {vendor: sid for vendor, (sid, _) in sorted(self.snapshots.items())}

    def scores(self) -> dict[str, dict[str, float | None]]:
        return {
            vendor: {
                "coverage": c.overall,
                "table_stakes": c.table_stakes,
                "best_in_class": c.best_in_class,
            }
            for vendor, c in sorted(self.coverage.items())
        }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun if count == 1 else noun + 's'}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def gap_action(levels: dict[str, Level], primary: str | None) -> tuple[str, tuple[str, ...]]:
    """The README's order of gap actions, with the vendors behind the action: ``assess``
    when the primary's level is unknown; else ``buy`` (another vendor at ga), ``glue`` (partner),
    ``wait`` (preview or planned); else ``assess`` while any vendor is unknown; else
    ``build`` (every vendor assessed, none offers it)."""

    def having(*wanted: Level, others_only: bool = False) -> tuple[str, ...]:
        return tuple(
            sorted(
                v
                for v, level in levels.items()
                if level in wanted and not (others_only and v == primary)
            )
        )

    if primary is None or levels.get(primary, Level.UNKNOWN) is Level.UNKNOWN:
        return "assess", (primary,) if primary else ()
    for action, wanted, others_only in (
        ("buy", (Level.GA,), True),
        ("glue", (Level.PARTNER,), False),
        ("wait", (Level.PREVIEW, Level.PLANNED), False),
        ("assess", (Level.UNKNOWN,), False),
    ):
        vendors = having(*wanted, others_only=others_only)
        if vendors:
            return action, vendors
    return "build", ()


def find_gaps(
    requirements: list[Requirement],
    snapshots: dict[str, Snapshot],
    primary: str | None,
    window_start: Month,
    window_end: Month,
) -> list[Gap]:
    """Requirements due by the window's last month, not ``done``, not ``ga`` at the primary.

    Requirements without a target are not gaps. Overdue: a target before the window
    (the review's month). Soonest target first.
    """
    gaps = []
    for requirement in requirements:
        if requirement.target is None:
            continue
        target = Month.iso(requirement.target)
        if target > window_end:
            continue
        if (requirement.status or "").lower() == DONE:
            continue
        levels = {vendor: s.level(requirement.id) for vendor, s in snapshots.items()}
        primary_level = levels.get(primary, Level.UNKNOWN) if primary else Level.UNKNOWN
        if primary_level is Level.GA:
            continue
        action, vendors = gap_action(levels, primary)
        gaps.append(Gap(requirement, target < window_start, primary_level, action, vendors))
    gaps.sort(key=lambda g: g.requirement.target or "")  # stable: stage order within a month
    return gaps


def requirement_changes(
    previous: dict[str, dict[str, object]], now: list[Requirement]
) -> list[RequirementChange]:
    """Added, changed (field by field) and retired, between two recorded requirement sets."""
    changes = []
    current: set[str] = set()
    for requirement in now:  # one as_dict at a time: 100,000 of them are not held at once
        rid = requirement.id
        current.add(rid)
        old = previous.get(rid)
        if old is None:
            changes.append(RequirementChange("added", rid, requirement.title))
            continue
        row = requirement.as_dict()
        moved = tuple(
            (name, old.get(name), row[name])
            for name in REQUIREMENT_FIELDS
            if name != "id" and old.get(name) != row[name]
        )
        if moved:
            changes.append(RequirementChange("changed", rid, str(row["title"]), moved))
    for rid, old in sorted(previous.items()):
        if rid not in current:
            changes.append(RequirementChange("retired", rid, str(old.get("title"))))
    order = {"added": 0, "changed": 1, "retired": 2}
    return sorted(changes, key=lambda c: (order[c.change], c.requirement))


def new_vendors(
    previous: ReviewRecord,
    snapshots: dict[str, tuple[int, Snapshot]],
    requirements: list[Requirement],
) -> list[NewVendor]:
    """Vendors the previous review did not see, with their levels counted once."""
    found = []
    for vendor, (_, snapshot) in snapshots.items():
        if vendor in previous.snapshots:
            continue
        levels = [snapshot.level(r.id) for r in requirements]
        found.append(
            NewVendor(vendor, snapshot.as_of, {level: levels.count(level) for level in Level})
        )
    return found


def level_moves(
    previous: ReviewRecord,
    earlier: dict[int, tuple[str, dict[str, Level]]],
    snapshots: dict[str, tuple[int, Snapshot]],
    requirements: list[Requirement],
) -> list[LevelMove]:
    """Every level that differs between the snapshot the previous review used and this one's,
    in the review's order.

    A requirement a snapshot leaves out counts as ``unknown``; a vendor the previous review
    did not see is left to ``new_vendors`` (a first assessment is no list of upgrades).
    ``earlier`` holds the date and levels of the snapshots the previous review used, by id.
    """
    moves = []
    for vendor, (sid, snapshot) in snapshots.items():
        old_id = previous.snapshots.get(vendor)
        if old_id is None or old_id == sid:
            continue
        old_as_of, old = earlier[int(old_id)]
        for requirement in requirements:  # one pass: two lookups a requirement
            before = old.get(requirement.id, Level.UNKNOWN)
            after = snapshot.level(requirement.id)
            if before is not after:
                moves.append(
                    LevelMove(
                        vendor,
                        requirement.id,
                        requirement.title,
                        before,
                        after,
                        old_as_of,
                        snapshot.as_of,
                    )
                )
    return moves


def _timeline(
    requirements: list[Requirement], window: list[Month], stages: Stages
) -> list[TimelineRow]:
    rows = []
    for requirement in requirements:
        target = None if requirement.target is None else Month.iso(requirement.target)
        if target is None:
            rows.append(TimelineRow(requirement, None, None, False))
        elif target < window[0]:
            rows.append(
                TimelineRow(requirement, "before", None, (requirement.status or "").lower() != DONE)
            )
        elif target > window[-1]:
            rows.append(TimelineRow(requirement, "after", None, False))
        else:
            rows.append(TimelineRow(requirement, "in", target - window[0], False))
    return sorted(
        rows,
        key=lambda t: (
            t.requirement.target or "9999-99",
            stages.index(t.requirement.stage),
            t.requirement.id,
        ),
    )


def _marks(
    settings: Settings,
    as_of: dt.date,
    window: list[Month],
    next_review: dt.date,
    recorded: list[ReviewRecord],
) -> dict[Month, ReviewMark]:
    """One review date per month of the window; this review, then recorded, then planned."""
    marks: dict[Month, ReviewMark] = {}
    for day in cadence_between(
        settings, window[0].first_day, (window[-1] + 1).first_day - dt.timedelta(days=1)
    ):
        marks[Month.of(day)] = ReviewMark(day, "next" if day == next_review else "planned")
    for record in recorded:
        day = iso_day(record.as_of)
        if window[0] <= Month.of(day) <= window[-1] and day > as_of:
            marks[Month.of(day)] = ReviewMark(day, "reviewed")
    marks[Month.of(as_of)] = ReviewMark(as_of, "this review")
    return marks


def _history(
    recorded: list[ReviewRecord], as_of: dt.date, coverages: dict[str, Coverage]
) -> list[HistoryPoint]:
    """Recorded reviews before ``as_of`` (the latest of each date), then this review."""
    by_date: dict[dt.date, ReviewRecord] = {}
    for record in recorded:
        day = iso_day(record.as_of)
        if day < as_of:
            by_date[day] = record  # reviews() come in date then recording order
    points = [
        HistoryPoint(day, {v: s.get("coverage") for v, s in record.scores.items()})
        for day, record in sorted(by_date.items())
    ]
    points.append(HistoryPoint(as_of, {v: c.overall for v, c in coverages.items()}))
    return points


@dataclass(frozen=True)
class ReviewInputs:
    """What a review at one date reads from the store, loaded once by ``load_review``.

    ``roadmap`` holds the requirements in force and each vendor's whole snapshot;
    ``earlier`` the date and levels of the snapshots the previous recorded review used
    (by id), for its level moves; ``first_ga`` the first ``ga`` months up to the date,
    for the Parity sheet.
    """

    roadmap: RoadmapAt
    reviews: list[ReviewRecord]
    events: list[Event]
    requirements_event: int | None
    first_ga: dict[str, dict[str, FirstGa]]
    earlier: dict[int, tuple[str, dict[str, Level]]]  # id -> (date, requirement -> level)

    @property
    def previous(self) -> ReviewRecord | None:
        """The latest review recorded before this one's date."""
        day = self.roadmap.day
        return next((r for r in reversed(self.reviews) if iso_day(r.as_of) < day), None)


def load_review(store: Store, day: dt.date) -> ReviewInputs:
    """Read everything a review at ``day`` needs, once."""
    roadmap, _ = load_at(store, day, entries=True)
    # Only the previous review's requirements are compared: the others' are not read.
    reviews = store.reviews(requirements=False)
    at = next((i for i in reversed(range(len(reviews))) if iso_day(reviews[i].as_of) < day), None)
    previous = None
    if at is not None:
        previous = reviews[at] = replace(
            reviews[at], requirements=store.review_requirements(reviews[at].id)
        )
    used = set(roadmap.snapshot_ids.values())
    old_ids = [
        int(old)
        for old in (previous.snapshots.values() if previous else ())
        if int(old) not in used
    ]
    dates = store.snapshot_dates(old_ids)
    # Only their levels are compared: no product, evidence or notes, no Entry objects.
    earlier = {sid: (dates[sid], levels) for sid, levels in store.snapshot_levels(old_ids).items()}
    return ReviewInputs(
        roadmap,
        reviews,
        store.events(),
        store.requirements_event_as_of(day.isoformat()),
        first_ga_months(store, until=day),
        earlier,
    )


def review_of(inputs: ReviewInputs, primary: str | None = None, stack: str | None = None) -> Review:
    """The review of ``inputs`` (see ``build_review``): a pure function of what was loaded."""
    roadmap = inputs.roadmap
    settings, day, requirements = roadmap.settings, roadmap.day, roadmap.requirements
    check_settings(settings)  # a window needs a horizon, the next review a cadence
    if not requirements:
        raise InputError(
            f"no requirements on {day}; import some first: roadmap import requirements FILE"
        )
    chosen = {v: (roadmap.snapshot_ids[v], s) for v, s in roadmap.snapshots.items()}
    snapshots = roadmap.snapshots
    coverages = {v: coverage(requirements, s, settings) for v, s in snapshots.items()}
    members = stack_members(roadmap.stack(stack)) if stack is not None else None
    if members:
        lacking = [m for m in members if m not in chosen]
        if lacking:
            raise InputError(
                f"--stack: {', '.join(lacking)} has no snapshot on or before {day} (vendors "
                f"with one: {', '.join(chosen) or 'none'}); import one or leave it out"
            )
        primary = primary or members[0]
    if primary is not None:
        key = roadmap.vendor(primary).key
        if key not in chosen:
            with_one = ", ".join(chosen) or "none"
            raise InputError(
                f"--primary: {key} has no snapshot on or before {day} "
                f"(vendors with one: {with_one}); import one or pick another vendor"
            )
        primary = key
    else:
        primary = best_covered(coverages)
    order = sorted(chosen, key=lambda v: (v != primary, v))
    window = [Month.of(day) + i for i in range(settings.horizon)]
    previous = inputs.previous
    changes = Changes(previous, [], [])
    if previous is not None:
        changes = Changes(
            previous,
            requirement_changes(previous.requirements, requirements),
            level_moves(previous, inputs.earlier, chosen, requirements),
            new_vendors(previous, chosen, requirements),
        )
    team = review_stack(members, primary, snapshots) if members else None
    next_review = next_review_date(settings, day)
    events = inputs.events
    used = next((e.as_of for e in events if e.id == inputs.requirements_event), None)
    return Review(
        settings=settings,
        as_of=day,
        window=window,
        next_review=next_review,
        requirements=requirements,
        vendors=[roadmap.vendors.get(v, Vendor(v, v)) for v in order],
        snapshots={v: chosen[v] for v in order},
        primary=primary,
        coverage={v: coverages[v] for v in order},
        changes=changes,
        gaps=stack_gaps(requirements, snapshots, team, window[0], window[-1])
        if team
        else find_gaps(requirements, snapshots, primary, window[0], window[-1]),
        parity=parity_rows(requirements, inputs.first_ga, order),
        timeline=_timeline(requirements, window, settings.stage_matcher),
        marks=_marks(settings, day, window, next_review, inputs.reviews),
        history=_history(inputs.reviews, day, {v: coverages[v] for v in order}),
        requirements_as_of=iso_day(used) if used else None,
        ignored_imports=[
            e
            for e in events
            if e.action == "import requirements" and e.as_of is not None and iso_day(e.as_of) > day
        ],
        stack=team,
        stack_coverage=coverage(requirements, team.snapshot, settings) if team else None,
        recommendation=recommend(
            requirements,
            snapshots,
            list(team.members) if team else primary,
            settings.scores,
            settings.weights,
            1,
        )
        if primary
        else None,
    )


@collector_paused()  # loading makes a million objects at 100,000 requirements, no cycles
def build_review(
    store: Store, as_of: DayLike | None = None, primary: str | None = None, stack: str | None = None
) -> Review:
    """``roadmap review``'s data: the roadmap at a date against each vendor's latest
    snapshot on or before it. Pure reads: nothing is written (``record_review`` records
    it; ``review_workbook.write_review`` writes the workbook).

    :param as_of: the review date (``"2021-12"`` is 2021-12-01, as ``--as-of`` reads it;
        ``"2021-12-15"``; a ``date``); default today.
    :param primary: the platform the team is on, by key, name or alias; default the
        stack's first member, else the best covered vendor.
    :param stack: ``"a+b"`` (keys or names): the primary and the tools run beside it;
        the gaps are the stack's.
    :returns: a ``Review``.
    :raises UsageError: a date that is none; ``InputError``: an unknown vendor, no
        requirements, or a vendor asked for with no snapshot at the date.
    """
    return review_of(load_review(store, day_or_today(as_of, "as_of")), primary, stack)


def review_stack(members: list[str], primary: str | None, snapshots: dict[str, Snapshot]) -> Stack:
    """``--stack`` at the review date (every member has a snapshot then): the primary
    among them, at least two of them (a stack of one is ``--primary``)."""
    text = stack_key(members)
    if len(members) < 2:
        raise InputError(
            f"--stack {text}: a stack is the primary and the tools beside "
            f"it, e.g. {text}+TOOL; for one vendor use --primary {text}"
        )
    if primary not in members:
        raise InputError(
            f"--primary {primary} is not in --stack {text}; put it first in "
            f"the stack ({primary}+{text}) or leave --primary out"
        )
    return combine({m: snapshots[m] for m in members})


def stack_gaps(
    requirements: list[Requirement],
    snapshots: dict[str, Snapshot],
    team: Stack,
    window_start: Month,
    window_end: Month,
) -> list[Gap]:
    """``find_gaps`` against the stack: what it lacks at ``ga``, with buy naming vendors
    outside it; where the stack's own level decides the action (its partner: glue, its
    preview: wait, unknown: assess), the member that gives that level is named instead."""
    outside = {v: s for v, s in snapshots.items() if v not in team.members}
    gaps = find_gaps(
        requirements, {**outside, team.key: team.snapshot}, team.key, window_start, window_end
    )

    def named(gap: Gap) -> tuple[str, ...]:
        given = team.given_by.get(gap.requirement.id)
        members = (given,) if given else team.members
        return tuple(
            dict.fromkeys(m for v in gap.vendors for m in (members if v == team.key else (v,)))
        )

    return [replace(gap, vendors=named(gap)) for gap in gaps]
