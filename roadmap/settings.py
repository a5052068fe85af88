"""A roadmap's settings checked, and changed after ``init``: name, horizon, cadence,
stages, weights.

``checked_settings`` is the one check of a whole set of settings, for ``Store.create``
and every change; a wrong value is a ``UsageError`` naming it. Every change is checked
whole before anything is written, then written in one
transaction and logged as a ``settings`` event. A renamed stage keeps its requirements
and their history: stored versions are never rewritten, the store remembers the former
name and reads it under the new one (and the importer still accepts the old name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .errors import InputError, Problem, UsageError
from .model import DEFAULT_WEIGHTS, RETIRED, UNASSIGNED, Level, normalise_word

if TYPE_CHECKING:
    from .store import Settings, Store

# The ranges ``roadmap init --help`` and ``roadmap settings --help`` accept.
HORIZON_RANGE = (1, 120)
CADENCE_RANGE = (1, 24)
WEIGHT_RANGE = (0.0, 1000.0)


def parse_stage_names(text: str, option: str = "--stages") -> list[str]:
    """``"a; b"`` -> ``["a", "b"]``; a name given twice (case and punctuation aside), a
    name with no letters or digits, or the reserved ``Unassigned`` is refused."""
    names = [part.strip() for part in text.split(";") if part.strip()]
    problems = stage_problems(names, option)
    if not names and not problems:
        problems.append(Problem(option, 'no stage names; write them as "Stage one;Stage two"'))
    if problems:
        raise UsageError(problems)
    return names


def stage_problems(names: list[str], location: str) -> list[Problem]:
    """What is wrong with a stage list: a name twice (case and punctuation aside), one
    with no letters or digits, the reserved ``Unassigned``, one no workbook can hold."""
    from .xlsx import text_problem

    problems = []
    seen: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            problems.append(Problem(location, f"stage {name!r} is not text"))
            continue
        folded = normalise_word(name)
        unwritable = text_problem(name, one_line=True)
        if unwritable:
            problems.append(Problem(location, f"stage {name!r}: {unwritable}"))
        elif not folded:
            problems.append(Problem(location, f"stage {name!r} has no letters or digits"))
        elif folded == normalise_word(UNASSIGNED):
            problems.append(
                Problem(
                    location,
                    f"{UNASSIGNED!r} is where requirements with no "
                    "stage are listed; name the stage otherwise",
                )
            )
        elif folded in seen:
            problems.append(
                Problem(location, f"stage {name!r} is named twice (also as {seen[folded]!r})")
            )
        else:
            seen[folded] = name
    return problems


def parse_weights(text: str) -> dict[str, float]:
    """``'high=3,medium=2'`` -> ``{'high': 3.0, 'medium': 2.0}``; keys as DEFAULT_WEIGHTS."""
    weights: dict[str, float] = {}
    problems = []
    expected = ", ".join(DEFAULT_WEIGHTS)
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower().replace("_", "-").replace(" ", "-")
        if not sep:
            problems.append(Problem("--weights", f"{part!r} is not 'name=number'"))
        elif key not in DEFAULT_WEIGHTS:
            problems.append(
                Problem("--weights", f"unknown weight {key!r} (expected one of: {expected})")
            )
        else:
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not WEIGHT_RANGE[0] <= number <= WEIGHT_RANGE[1]:
                problems.append(
                    Problem("--weights", f"{key}={value.strip()!r} is not a number from 0 to 1000")
                )
            else:
                weights[key] = number
    if not weights and not problems:
        problems.append(Problem("--weights", "no weights; write them as 'high=3,medium=2'"))
    if problems:
        raise UsageError(problems)
    return weights


def parse_renames(options: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``('Old=New',)`` -> ``{'Old': 'New'}``."""
    renames: dict[str, str] = {}
    problems = []
    for option in options:
        old, sep, new = option.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            problems.append(Problem("--rename-stage", f"{option!r} is not 'Old name=New name'"))
        elif old in renames:
            problems.append(Problem("--rename-stage", f"stage {old!r} is renamed twice"))
        else:
            renames[old] = new
    if problems:
        raise UsageError(problems)
    return renames


def checked_settings(settings: Settings) -> Settings:
    """``settings`` with its start as ``YYYY-MM`` and its stage names trimmed, or a
    UsageError naming every wrong value (the ranges of ``roadmap init --help``)."""
    from .months import parse_month

    problems = []
    if not isinstance(settings.name, str) or not settings.name.strip():
        problems.append(Problem("name", f"{settings.name!r} is empty; give the roadmap a name"))
    else:
        from .xlsx import text_problem

        unwritable = text_problem(settings.name, one_line=True)
        if unwritable:
            problems.append(Problem("name", f"{settings.name!r}: {unwritable}"))
    start = settings.start
    try:
        start = parse_month(start) if isinstance(start, str) and start.strip() else ""
    except ValueError:
        start = ""
    if not start:
        problems.append(Problem("start", f"{settings.start!r} is not a month (use YYYY-MM)"))
    for key, (low, high) in (("horizon", HORIZON_RANGE), ("cadence", CADENCE_RANGE)):
        value = getattr(settings, key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(
                Problem(key, f"{value!r} is not a whole number of months from {low} to {high}")
            )
    stages = settings.stages
    if isinstance(stages, str) or not isinstance(stages, (list, tuple)):
        problems.append(Problem("stages", f"{stages!r} is not a list of stage names"))
        stages = []
    else:
        problems += stage_problems(list(stages), "stages")
        stages = [s.strip() if isinstance(s, str) else s for s in stages]
        if not stages:
            problems.append(Problem("stages", "no stages; a roadmap has at least one"))
    problems += _number_problems("weights", settings.weights, DEFAULT_WEIGHTS, WEIGHT_RANGE)
    problems += _number_problems(
        "scores", settings.scores, {level: 0 for level in Level}, (0.0, 1.0)
    )
    if problems:
        raise UsageError(problems)
    return replace(settings, start=start, stages=list(stages))


def _number_problems(
    location: str, given: object, known: dict[Any, Any], bounds: tuple[float, float]
) -> list[Problem]:
    """What is wrong with a ``weights`` or ``scores`` mapping: a key not in ``known``, a
    value that is not a number within ``bounds``."""
    if not isinstance(given, dict):
        return [Problem(location, f"{given!r} is not a mapping of names to numbers")]
    problems = []
    expected = ", ".join(k.value if isinstance(k, Level) else str(k) for k in known)
    for key, value in given.items():
        shown = key.value if isinstance(key, Level) else key
        if key not in known:
            problems.append(
                Problem(
                    location, f"unknown {location[:-1]} {shown!r} (expected one of: {expected})"
                )
            )
        elif (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not bounds[0] <= value <= bounds[1]
        ):
            problems.append(
                Problem(
                    location,
                    f"{shown}={value!r} is not a number from {bounds[0]:g} to {bounds[1]:g}",
                )
            )
    return problems


@dataclass
class SettingsChange:
    """What ``roadmap settings`` changed: ``field -> (old, new)`` as text, plus renames."""

    before: Settings
    after: Settings
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)


def _stage_text(stages: list[str]) -> str:
    return "; ".join(stages)


def _weights_text(weights: dict[str, float]) -> str:
    return ",".join(f"{k}={v:g}" for k, v in weights.items())


def settings_rows(settings: Settings) -> list[dict[str, object]]:
    """The settings as ``setting``/``value`` rows, for listing."""
    return [
        {"setting": "name", "value": settings.name},
        {"setting": "start", "value": settings.start},
        {"setting": "horizon", "value": settings.horizon},
        {"setting": "cadence", "value": settings.cadence},
        {"setting": "stages", "value": _stage_text(settings.stages)},
        {"setting": "weights", "value": _weights_text(settings.weights)},
    ]


def change_settings(
    store: Store,
    *,
    name: str | None = None,
    horizon: int | None = None,
    cadence: int | None = None,
    stages: list[str] | None = None,
    renames: dict[str, str] | None = None,
    weights: dict[str, float] | None = None,
) -> SettingsChange:
    """Apply the changes given (None: keep) in one transaction, logged as an event.

    Renames apply first, so ``stages`` (the whole new list, in order) names stages by
    their new names; a stage written in another case is that stage, renamed. A stage
    that a requirement still has cannot be dropped. Nothing is written when nothing
    changes.
    """
    with store.transaction():
        before = store.settings()
        # The values given, each checked on its own first (a list of stages named
        # twice is wrong whatever the store holds).
        given_weights = (
            before.weights
            if weights is None
            else ({**before.weights, **weights} if isinstance(weights, dict) else weights)
        )
        checked_settings(
            replace(
                before,
                name=name if name is not None else before.name,
                horizon=horizon if horizon is not None else before.horizon,
                cadence=cadence if cadence is not None else before.cadence,
                stages=stages if stages is not None else before.stages,
                weights=given_weights,
            )
        )
        if not isinstance(renames, (dict, type(None))):
            raise UsageError(f"{renames!r} is not a mapping of old to new stage names", "renames")
        renames = dict(renames or {})
        current, renames = _renamed(before.stages, renames)
        if stages is not None:
            current, implicit = _reordered(current, stages)
            for old, new in implicit.items():
                original = next((o for o, n in renames.items() if n == old), old)
                renames[original] = new
        renames = {old: new for old, new in renames.items() if old != new}
        # Stored versions still say a renamed stage's former name: giving that name to
        # another stage would move them there.
        former = {normalise_word(old): name for old, name in before.former_stages.items()}
        taken = [
            (name, final)
            for name in current
            if (was := former.get(normalise_word(name))) is not None
            and (final := renames.get(was, was)) != name
        ]
        if taken:
            raise InputError(
                [
                    Problem(
                        "--rename-stage" if name in renames.values() else "--stages",
                        f"{name!r} is the former name of stage "
                        f"{final!r} (its requirements' history says it); pick another name",
                    )
                    for name, final in taken
                ]
            )
        in_use = {
            r.stage
            for r in store.requirements().values()
            if r.status != RETIRED and r.stage is not None
        }
        dropped = [s for s in before.stages if renames.get(s, s) not in current and s in in_use]
        if dropped:
            raise InputError(
                [
                    Problem(
                        "--stages",
                        f"stage {s!r} still has requirements; "
                        f"keep it in --stages, rename it with --rename-stage "
                        f"'{s}=New name', or move its requirements first",
                    )
                    for s in dropped
                ]
            )
        after = replace(
            before,
            name=name if name is not None else before.name,
            horizon=horizon if horizon is not None else before.horizon,
            cadence=cadence if cadence is not None else before.cadence,
            stages=current,
            weights={**before.weights, **(weights or {})},
        )
        after = checked_settings(after)
        change = SettingsChange(before, after, renames=renames)
        for key, text in (
            ("name", str),
            ("horizon", str),
            ("cadence", str),
            ("stages", _stage_text),
            ("weights", _weights_text),
        ):
            old, new = text(getattr(before, key)), text(getattr(after, key))
            if old != new:
                change.changes[key] = (old, new)
        if change.changes:
            summary = {
                "changes": {k: list(v) for k, v in change.changes.items()},
                "renamed": renames,
                "text": "; ".join(f"{k}: {o} -> {n}" for k, (o, n) in change.changes.items()),
            }
            store.add_event("settings", summary)
            store.write_settings(after, renames)
    return change


def _renamed(stages: list[str], renames: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The stage list after renames, and the renames keyed by the stored names.

    A new name wrong in itself is a UsageError; one that does not fit this roadmap (no
    such stage, a name another stage has) an InputError.
    """
    by_fold = {normalise_word(s): s for s in stages}
    result = list(stages)
    keyed: dict[str, str] = {}
    wrong: list[Problem] = []
    misfits: list[Problem] = []
    renamed_away = {by_fold.get(normalise_word(old)) for old in renames}
    for old, new in renames.items():
        stored = by_fold.get(normalise_word(old))
        if stored is None:
            misfits.append(
                Problem("--rename-stage", f"no stage named {old!r} (stages: {_stage_text(stages)})")
            )
            continue
        names = [new.strip()] if isinstance(new, str) and new.strip() else [new]
        found = stage_problems(names, "--rename-stage")
        if found or ";" in names[0]:
            wrong += found or [
                Problem(
                    "--rename-stage",
                    f"{new!r} is more than one stage name; rename one stage at a time",
                )
            ]
            continue
        new = names[0]
        clash = by_fold.get(normalise_word(new))
        if clash is not None and clash != stored and clash not in renamed_away:
            misfits.append(
                Problem(
                    "--rename-stage",
                    f"cannot rename {old!r} to {new!r}: stage {clash!r} already has that name",
                )
            )
            continue
        keyed[stored] = new
        result[result.index(stored)] = new
    if not wrong and not misfits and len({normalise_word(s) for s in result}) != len(result):
        misfits.append(Problem("--rename-stage", "two stages would have the same name"))
    if misfits:
        raise InputError(misfits + wrong)
    if wrong:
        raise UsageError(wrong)
    return result, keyed


def _reordered(stages: list[str], wanted: list[str]) -> tuple[list[str], dict[str, str]]:
    """``wanted`` as the new list; a name equal to a stage but for case respells it."""
    by_fold = {normalise_word(s): s for s in stages}
    respelled = {}
    for name in wanted:
        existing = by_fold.get(normalise_word(name))
        if existing is not None and existing != name:
            respelled[existing] = name
    return list(wanted), respelled
