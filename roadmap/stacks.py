"""Stacks, weights and the build-or-glue recommendation: pure functions of snapshots.

A stack (``sagemaker+seldon``) is vendors used together: for each requirement its level
is the strongest among its members, given by the first member (in the order written)
that has it. A combined stack is an ordinary ``Snapshot`` keyed ``a+b``, so everything
that scores or lists a vendor scores and lists a stack the same way.

``recommend`` answers "the primary platform plus which tools?": greedy weighted set
cover, one vendor per step. What "closes a gap" means is the review's Gaps rule seen
from the stack: a requirement the stack lacks at ``ga`` is closed *to ga* when the added
vendor has it at ``ga`` (the Gaps sheet's ``buy``), and closed *as glue* when the stack
had nothing usable (``planned``, ``none`` or ``unknown``) and the added vendor has it as
``partner`` (the Gaps sheet's ``glue``). A step's weighted gain is what its closes add
to the stack's weighted coverage (weight × score rise, over the total weight); a preview
or partial offer the vendor brings raises the coverage after it too, but closes nothing.
Greedy, not exact: ``bench/bench_recommend.py`` measures how far that is from the best.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .model import DEFAULT_WEIGHTS, Entry, Level, Requirement, Snapshot, Tier

SEPARATOR = "+"
DEFAULT_MAX_STEPS = 3
# Levels a team cannot use today: a partner integration is an improvement on these.
UNUSABLE = (Level.PLANNED, Level.NONE, Level.UNKNOWN)


def stack_members(text: str) -> list[str]:
    """The members of ``a+b+c`` as written (spaces around them dropped); ValueError
    when a member is empty. One name without ``+`` is a stack of one."""
    members = [part.strip() for part in str(text).split(SEPARATOR)]
    if not all(members):
        raise ValueError(
            f"{text!r} is not a stack: write vendors joined by '+', e.g. sagemaker+seldon"
        )
    return members


def stack_key(members: Iterable[str]) -> str:
    """``a+b``: how a stack is named in every output."""
    return SEPARATOR.join(members)


@dataclass(frozen=True)
class Stack:
    """Vendors used together at one date: their combined levels and who gives each."""

    members: tuple[str, ...]
    snapshot: Snapshot  # vendor: the stack's key; as_of: the oldest member's
    given_by: dict[str, str]  # requirement -> the member whose level the stack has

    @property
    def key(self) -> str:
        return self.snapshot.vendor


def combine(members: Mapping[str, Snapshot]) -> Stack:
    """The stack of ``members`` (vendor key -> its snapshot, in the stack's order).

    Each requirement takes the strongest level among the members, with that member's
    entry (product, evidence); on equal levels the earlier member gives it. A
    requirement every member leaves ``unknown`` stays out, so it is ``unknown``.
    """
    if not members:
        raise ValueError("a stack needs at least one vendor")
    entries: dict[str, Entry] = {}
    given_by: dict[str, str] = {}
    for vendor, snapshot in members.items():
        for rid, entry in snapshot.entries.items():
            if entry.level is Level.UNKNOWN:
                continue
            held = entries.get(rid)
            if held is None or entry.level.strength > held.level.strength:
                entries[rid] = entry
                given_by[rid] = vendor
    key = stack_key(members)
    as_of = min(snapshot.as_of for snapshot in members.values())
    return Stack(tuple(members), Snapshot(key, as_of, None, entries), given_by)


# -- weights ----------------------------------------------------------------------------


def requirement_weight(requirement: Requirement, weights: Mapping[str, float]) -> float:
    """Priority weight × tier weight. No priority weighs as medium; a tier the weights
    do not name (table stakes, by default) weighs 1."""
    priority = weights.get(
        requirement.priority or "medium", weights.get("medium", DEFAULT_WEIGHTS["medium"])
    )
    return priority * weights.get(requirement.tier.value, 1.0)


def weighted_coverage(
    requirements: Iterable[Requirement],
    snapshot: Snapshot | None,
    scores: Mapping[Level, float],
    weights: Mapping[str, float],
) -> float | None:
    """The weighted mean score, 0-1; None when nothing weighs anything."""
    total = covered = 0.0
    # (priority, tier) -> weight: a few kinds, many rows
    known: dict[tuple[str | None, Tier], float] = {}
    for requirement in requirements:
        kind = (requirement.priority, requirement.tier)
        weight = known.get(kind)
        if weight is None:
            weight = known[kind] = requirement_weight(requirement, weights)
        level = snapshot.level(requirement.id) if snapshot else Level.UNKNOWN
        total += weight
        covered += weight * scores[level]
    return covered / total if total else None


# -- recommend --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One vendor added to the stack, and what that closes.

    ``to_ga`` and ``glue`` are the requirement ids closed to ``ga`` and as ``partner``
    (in requirement order); ``weighted_gain`` is what those closes add to weighted
    coverage (0-1); ``coverage`` and ``weighted`` are the stack's after the step.
    """

    step: int
    add: str
    to_ga: tuple[str, ...]
    glue: tuple[str, ...]
    weighted_gain: float
    coverage: float | None
    weighted: float | None
    stack: str

    @property
    def closes(self) -> tuple[str, ...]:
        return self.to_ga + self.glue

    def as_dict(self) -> dict[str, object]:
        """The keys ``roadmap recommend --help`` lists: ``glue`` says which of ``closes``
        are glue, ``weighted`` is the stack's weighted coverage after the step."""
        return {
            "step": self.step,
            "add": self.add,
            "closes": list(self.closes),
            "glue": list(self.glue),
            "weighted_gain": self.weighted_gain,
            "coverage": self.coverage,
            "weighted": self.weighted,
            "stack": self.stack,
        }


@dataclass(frozen=True)
class Recommendation:
    """The primary alone, then the steps; ``stopped`` says why there are no more."""

    primary: str  # a vendor key, or the stack started from
    coverage: float | None  # the primary's alone
    weighted: float | None
    steps: list[Step]
    stopped: str  # "max" (reached --max) or "nothing closes" (no vendor adds anything)

    def as_rows(self) -> list[dict[str, object]]:
        """``recommend``'s JSON: a row per step."""
        return [step.as_dict() for step in self.steps]


def closes(held: Level, offered: Level) -> str | None:
    """Whether a vendor offering ``offered`` closes a requirement the stack holds at
    ``held``: ``"ga"``, ``"glue"`` (to partner, where the stack had nothing usable) or None."""
    if offered is Level.GA and held is not Level.GA:
        return "ga"
    if offered is Level.PARTNER and held in UNUSABLE:
        return "glue"
    return None


class _Levels:
    """Levels as one list per vendor, in requirement order: a step compares 19 vendors
    over 2,000 requirements: list walks made recommend 4x faster than snapshot look-ups."""

    def __init__(
        self,
        requirements: list[Requirement],
        scores: Mapping[Level, float],
        weights: Mapping[str, float],
    ) -> None:
        self.ids = [r.id for r in requirements]
        self.weights = [requirement_weight(r, weights) for r in requirements]
        self.total = sum(self.weights)
        self.scores = scores

    def of(self, snapshot: Snapshot) -> list[Level]:
        return [snapshot.level(rid) for rid in self.ids]

    def coverage(self, levels: list[Level]) -> tuple[float | None, float | None]:
        """Plain and weighted coverage, as ``compare`` scores them."""
        if not levels:
            return None, None
        plain = sum(self.scores[level] for level in levels) / len(levels)
        weighted = sum(w * self.scores[level] for w, level in zip(self.weights, levels))
        return plain, weighted / self.total if self.total else None

    def gain(
        self, current: list[Level], offered: list[Level]
    ) -> tuple[float, list[str], list[str]]:
        """What adding a vendor closes: its weighted gain (weight × score rise, not yet
        over the total), the ids it closes to ga and those it closes as glue."""
        gain = 0.0
        to_ga: list[str] = []
        glue: list[str] = []
        scores = self.scores
        for rid, weight, held, level in zip(self.ids, self.weights, current, offered):
            if held is level or level is Level.UNKNOWN:
                continue
            kind = closes(held, level)
            if kind is not None:
                gain += weight * (scores[level] - scores[held])
                (to_ga if kind == "ga" else glue).append(rid)
        return gain, to_ga, glue


def recommend(
    requirements: list[Requirement],
    snapshots: Mapping[str, Snapshot],
    primary: str | Sequence[str],
    scores: Mapping[Level, float],
    weights: Mapping[str, float],
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Recommendation:
    """Add, one step at a time, the vendor of ``snapshots`` whose closes most raise the
    stack's weighted coverage; ties go to the one closing more to ``ga``, then to the
    first key. Stops after ``max_steps`` or when no vendor closes anything.

    ``snapshots`` are the vendors with a snapshot at the date; ``primary`` is one of
    them, or the members of the stack to start from. A step's coverage is the stack's
    as ``compare`` scores it.
    """
    start_members = [primary] if isinstance(primary, str) else list(primary)
    lacking = [m for m in start_members if m not in snapshots]
    if lacking or not start_members:
        raise ValueError(f"no snapshot for {', '.join(lacking) or 'an empty primary'}")
    table = _Levels(requirements, scores, weights)
    members = list(start_members)
    current = table.of(combine({m: snapshots[m] for m in members}).snapshot)
    offers = {v: table.of(s) for v, s in snapshots.items() if v not in members}
    start = table.coverage(current)
    steps: list[Step] = []
    while len(steps) < max_steps:
        best = None
        for vendor in sorted(offers):
            gain, to_ga, glue = table.gain(current, offers[vendor])
            if not to_ga and not glue:
                continue
            rank = (-gain, -len(to_ga), vendor)
            if best is None or rank < best[0]:
                best = (rank, vendor, to_ga, glue, gain)
        if best is None:
            break
        _, vendor, to_ga, glue, gain = best
        members.append(vendor)
        offered = offers.pop(vendor)
        current = [
            level if level.strength > held.strength else held
            for held, level in zip(current, offered)
        ]
        plain, weighted = table.coverage(current)
        steps.append(
            Step(
                len(steps) + 1,
                vendor,
                tuple(to_ga),
                tuple(glue),
                gain / table.total if table.total else 0.0,
                plain,
                weighted,
                stack_key(members),
            )
        )
    stopped = "max" if len(steps) == max_steps else "nothing closes"
    return Recommendation(stack_key(start_members), start[0], start[1], steps, stopped)
