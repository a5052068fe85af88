"""How fast ``roadmap recommend`` and ``compare`` of a stack are next to ``compare`` of one
vendor, and how far greedy ``recommend`` is from an exact search.

Run by hand, not by pytest::

    python bench/bench_recommend.py                 # 2,000 requirements x 20 vendors
    python bench/bench_recommend.py --runs 5 --seeds 20 --exact-max 4 --clock cpu

It builds a store in a temporary folder: 2,000 requirements (priorities and tiers mixed)
and one snapshot for each of 20 vendors, 4 end-to-end platforms (broad, about half at
``ga``) and 16 best-of-breed or open-source tools (each strong in one or two stages,
mostly unassessed elsewhere). It times (best of N, library and CLI) ``compare`` of one
vendor and of all 20, ``compare`` of a three-vendor stack and ``recommend --max 3``, as
ratios to ``compare`` of one vendor (x one) and of all vendors (x all). Goals: the stack
<= 3 x one (it loads three snapshots), recommend <= 1.5 x all (it loads all of them).

Then, for ``--seeds`` such roadmaps, it runs greedy ``recommend`` and an exhaustive search
over every set of k added vendors (k = 1 … ``--exact-max``) for the best weighted coverage
of the stack, and prints how often greedy is below the best and by how much.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from common import print_profile, roadmap_command  # bench/common.py, beside this script

STACK_GOAL = 3.0  # compare of a three-vendor stack loads three snapshots
RECOMMEND_GOAL = 1.5  # recommend loads every vendor's snapshot, as compare of all does
DAY = "2021-12-15"
PLATFORMS = ("sagemaker", "vertex", "azureml", "databricks")
TOOLS = (
    "seldon",
    "kserve",
    "bentoml",
    "mlflow",
    "wandb",
    "comet",
    "feast",
    "tecton",
    "labelbox",
    "scale",
    "snorkel",
    "airflow",
    "dagster",
    "ray",
    "determined",
    "octoml",
)
PLATFORM_LEVELS = {
    "ga": 45,
    "preview": 10,
    "partial": 10,
    "partner": 8,
    "planned": 7,
    "none": 12,
    "unknown": 8,
}
TOOL_HOME_LEVELS = {
    "ga": 55,
    "preview": 10,
    "partial": 10,
    "partner": 5,
    "planned": 5,
    "none": 5,
    "unknown": 10,
}
TOOL_AWAY_LEVELS = {"ga": 2, "partner": 8, "none": 15, "unknown": 75}


def roadmap(requirements: int, seed: int):
    """Requirements and one snapshot per vendor, as model objects."""
    from roadmap.model import BIG_EIGHT, Entry, Level, Requirement, Snapshot, Tier

    rng = random.Random(seed)
    rows = [
        Requirement(
            id=f"REQ-{n:05d}",
            title=f"Capability #{n}",
            stage=BIG_EIGHT[n % len(BIG_EIGHT)],
            tier=Tier.BEST_IN_CLASS if rng.random() < 0.3 else Tier.TABLE_STAKES,
            priority=rng.choice(("high", "medium", "low", None)),
        )
        for n in range(1, requirements + 1)
    ]

    def pick(weights: dict[str, int]) -> Level:
        return Level(rng.choices(list(weights), list(weights.values()))[0])

    snapshots = {}
    for key in PLATFORMS + TOOLS:
        home = set(rng.sample(BIG_EIGHT, rng.choice((1, 2))))
        entries = {}
        for r in rows:
            if key in PLATFORMS:
                level = pick(PLATFORM_LEVELS)
            else:
                level = pick(TOOL_HOME_LEVELS if r.stage in home else TOOL_AWAY_LEVELS)
            entries[r.id] = Entry(r.id, level, f"{key} product")
        snapshots[key] = Snapshot(key, "2021-12-01", f"{key} docs", entries)
    return rows, snapshots


def build_store(path: str, requirements: int, seed: int = 2021) -> None:
    from roadmap.model import Vendor
    from roadmap.store import Settings, Store

    rows, snapshots = roadmap(requirements, seed)
    store = Store.create(path, Settings(name="Benchmark roadmap", start="2021-01"))
    with store.transaction():
        event = store.add_event("import requirements", {"added": len(rows)}, as_of="2021-01-01")
        store.write_requirement_versions(event, rows)
        for key, snapshot in snapshots.items():
            store.add_vendor(
                Vendor(key, key.title(), "end-to-end" if key in PLATFORMS else "best-of-breed")
            )
            store.add_snapshot(
                snapshot, store.add_event("import snapshot", {}, as_of=snapshot.as_of)
            )
    store.close()


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


clock = time.perf_counter  # main() switches to cpu_seconds for --clock cpu


def time_library(db: str, call) -> float:
    from roadmap.store import Store

    store = Store.open(db)
    gc.collect()
    try:
        start = clock()
        call(store)
        return clock() - start
    finally:
        store.close()


def time_cli(db: str, *args: str) -> float:
    start = clock()
    subprocess.run(
        roadmap_command() + ["--db", db, *args, "--as-of", DAY, "--format", "json"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return clock() - start


def exact_best(requirements, snapshots, primary: str, k: int, scores, weights) -> float:
    """The best weighted coverage of ``primary`` plus any k other vendors (exhaustive)."""
    from roadmap.stacks import requirement_weight

    weight = [requirement_weight(r, weights) for r in requirements]
    total = sum(weight)
    # A stack's level is its strongest member's; with the default scores its score is
    # then the members' best score, so each vendor is one vector of weighted scores.
    vectors = {
        v: [w * scores[s.level(r.id)] for w, r in zip(weight, requirements)]
        for v, s in snapshots.items()
    }
    base = vectors[primary]
    others = sorted(set(snapshots) - {primary})
    best = 0.0
    for chosen in itertools.combinations(others, k):
        columns = [base, *(vectors[v] for v in chosen)]
        best = max(best, sum(map(max, *columns)))
    return best / total


def greedy_vs_exact(requirements: int, seeds: int, exact_max: int) -> None:
    from roadmap.evaluate import best_covered, coverage
    from roadmap.model import DEFAULT_SCORES, DEFAULT_WEIGHTS
    from roadmap.stacks import recommend, weighted_coverage
    from roadmap.store import Settings

    settings = Settings()
    print(
        f"\ngreedy recommend vs exhaustive search, {seeds} roadmaps of {requirements:,} "
        f"requirements x {len(PLATFORMS) + len(TOOLS)} vendors (weighted coverage, "
        "percentage points)"
    )
    print(
        f"{'k':>2} {'greedy below best':>18} {'mean gap':>9} {'worst gap':>10} "
        f"{'worst as share of best gain':>28} {'exact (s)':>10}"
    )
    gaps: dict[int, list[tuple[float, float]]] = {k: [] for k in range(1, exact_max + 1)}
    seconds = dict.fromkeys(gaps, 0.0)
    for seed in range(seeds):
        rows, snapshots = roadmap(requirements, 1000 + seed)
        primary = best_covered({v: coverage(rows, s, settings) for v, s in snapshots.items()})
        assert primary is not None
        start_weighted = (
            weighted_coverage(rows, snapshots[primary], DEFAULT_SCORES, DEFAULT_WEIGHTS) or 0.0
        )
        steps = recommend(
            rows, snapshots, primary, DEFAULT_SCORES, DEFAULT_WEIGHTS, exact_max
        ).steps
        for k in gaps:
            greedy = steps[min(k, len(steps)) - 1].weighted if steps else start_weighted
            started = time.perf_counter()
            best = exact_best(rows, snapshots, primary, k, DEFAULT_SCORES, DEFAULT_WEIGHTS)
            seconds[k] += time.perf_counter() - started
            gaps[k].append((best - (greedy or 0.0), best - start_weighted))
    for k, found in gaps.items():
        below = sum(gap > 1e-12 for gap, _ in found)
        worst = max(found)
        share = worst[0] / worst[1] if worst[1] else 0.0
        mean = 100 * sum(gap for gap, _ in found) / len(found)
        print(
            f"{k:>2} {below:>10} of {len(found):<5} {mean:>8.2f} {100 * worst[0]:>10.2f} "
            f"{share:>27.1%} {seconds[k] / len(found):>10.2f}"
        )


def the_classic_trap() -> None:
    """Set cover's textbook case for greedy: a broad vendor closing a little more than
    each of two specialists, which together close everything."""
    from roadmap.model import (
        DEFAULT_SCORES,
        DEFAULT_WEIGHTS,
        Entry,
        Level,
        Requirement,
        Snapshot,
        Tier,
    )
    from roadmap.stacks import recommend

    def offer(key: str, ids) -> Snapshot:
        return Snapshot(key, DAY, None, {rid: Entry(rid, Level.GA) for rid in ids})

    features = [f"FE-{n:02d}" for n in range(10)]
    training = [f"MT-{n:02d}" for n in range(10)]
    rows = [
        Requirement(rid, rid, "model training", Tier.TABLE_STAKES, "medium")
        for rid in features + training
    ]
    snapshots = {
        "platform": offer("platform", []),
        "broad": offer("broad", features[:6] + training[:6]),
        "feast": offer("feast", features),
        "ray": offer("ray", training),
    }
    steps = recommend(rows, snapshots, "platform", DEFAULT_SCORES, DEFAULT_WEIGHTS, 3).steps
    print("\nthe textbook trap (20 gaps; broad closes 6+6, feast the 10 FE, ray the 10 MT):")
    for step in steps:
        print(
            f"  step {step.step}: add {step.add:<6} closes {len(step.closes):>2}, "
            f"stack at {step.weighted:.0%} weighted"
        )
    print(
        "  exact for --max 2: feast+ray, 100% weighted; greedy's 2 steps reach "
        f"{steps[1].weighted:.0%}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument("--seeds", type=int, default=10, help="roadmaps for greedy vs exact")
    parser.add_argument("--exact-max", type=int, default=3, help="largest k searched exactly")
    parser.add_argument("--profile", action="store_true", help="also cProfile one recommend")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock seconds, or CPU seconds (steadier when the machine is shared)",
    )
    args = parser.parse_args()
    global clock
    clock = cpu_seconds if args.clock == "cpu" else time.perf_counter

    from roadmap.evaluate import compare_at, recommend_at

    folder = tempfile.mkdtemp(prefix="roadmap-bench-")
    try:
        db = os.path.join(folder, "bench.db")
        start = time.perf_counter()
        build_store(db, args.requirements)
        print(
            f"built {db}: {args.requirements:,} requirements x "
            f"{len(PLATFORMS) + len(TOOLS)} vendors in {time.perf_counter() - start:.2f} s"
        )
        stack = "sagemaker+seldon+feast"
        # name -> (library call, CLI arguments, goal: (baseline, most times it))
        calls = {
            "compare sagemaker": (
                lambda s: compare_at(s, DAY, ["sagemaker"]),
                ("compare", "sagemaker"),
                None,
            ),
            "compare (all 20 vendors)": (lambda s: compare_at(s, DAY), ("compare",), None),
            f"compare {stack}": (
                lambda s: compare_at(s, DAY, [stack]),
                ("compare", stack),
                ("compare sagemaker", STACK_GOAL),
            ),
            "recommend --max 3": (
                lambda s: recommend_at(s, DAY, None, 3),
                ("recommend", "--max", "3"),
                ("compare (all 20 vendors)", RECOMMEND_GOAL),
            ),
        }
        for call, _, _ in calls.values():
            time_library(db, call)  # warm up imports and the page cache
        library: dict[str, list[float]] = {name: [] for name in calls}
        cli: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.runs):  # interleaved, so load on the machine hits all alike
            for name, (call, cli_args, _) in calls.items():
                library[name].append(time_library(db, call))
                cli[name].append(time_cli(db, *cli_args))
        print(f"\n{'what':42} {'best (s)':>9} {'x one':>6} {'x all':>6} {'goal':>10}  verdict")
        missed = False
        for how, times in (("library", library), ("CLI", cli)):
            one, every = min(times["compare sagemaker"]), min(times["compare (all 20 vendors)"])
            for name, (_, _, goal) in calls.items():
                seconds = min(times[name])
                verdict, target = "baseline", ""
                if goal is not None:
                    floor = min(times[goal[0]])
                    verdict = "goal met" if seconds <= goal[1] * floor else "goal missed"
                    target = f"{goal[1]:g} x {'one' if floor == one else 'all'}"
                    missed |= verdict == "goal missed"
                print(
                    f"{name + f' ({how})':42} {seconds:9.3f} {seconds / one:6.2f} "
                    f"{seconds / every:6.2f} {target:>10}  {verdict}"
                )
        print(
            f"\n{args.clock} seconds, best of {args.runs}; CLI: {' '.join(roadmap_command())}; "
            f"Python {sys.version.split()[0]}"
        )
        if args.profile:
            from roadmap.store import Store

            store = Store.open(db)
            print_profile(lambda: recommend_at(store, DAY, None, 3), 20)
            store.close()
        greedy_vs_exact(args.requirements, args.seeds, args.exact_max)
        the_classic_trap()
        return 1 if missed else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
