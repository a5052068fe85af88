"""How fast ``roadmap review`` and ``roadmap export`` are next to XlsxWriter (and openpyxl)
writing as many styled cells.

Run by hand, not by pytest::

    python bench/bench_review.py                  # 2,000 requirements x 6 vendors x 2 snapshots
    python bench/bench_review.py --requirements 500 --runs 5 --clock cpu --profile
    python bench/bench_review.py --requirements 100000 --runs 1 --no-floors  # peak memory

It builds a store in a temporary folder (requirements, then two snapshots per vendor,
then a recorded review of the first date so the Changes sheet has content), and times
(best of N) the review of the second date: through the library (``build_review`` and
``write_review``) and as a ``roadmap review --no-record`` subprocess (with ``--no-floors``,
then once recorded too, as a user runs it: the memory goal is for both). The floor is
XlsxWriter writing and saving as many cells as the review workbook holds, each with a
font and a fill, and as many comments; openpyxl doing the same (without the comments)
is shown for reference. The CLI is compared with the floor run as a whole process too
(each pays for starting Python and importing its writer). ``roadmap export`` of the
same store is measured the same way (its floor: as many cells, no comments). Peak
memory is measured through a launcher, as bench_import.py does. Goals: CLI
review/XlsxWriter <= 1.5; the CLI review of 100,000 requirements in <= 500 MB.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sys
import tempfile
import time

from common import (  # bench/common.py, beside this script
    compile_roadmap,
    count_cells,
    cpu_seconds,
    openpyxl_floor,
    print_profile,
    roadmap_command,
    run_measured,
    xlsxwriter_floor,
)

REVIEW_GOAL = 1.5
MEMORY_GOAL_MB = 500  # the CLI review at 100,000 requirements
FIRST, SECOND = "2021-06-01", "2021-12-01"
REVIEW_DATE = "2021-12-15"
VENDORS = (
    ("sagemaker", "Amazon SageMaker", "end-to-end"),
    ("vertex", "Google Vertex AI", "end-to-end"),
    ("azureml", "Azure Machine Learning", "end-to-end"),
    ("databricks", "Databricks", "end-to-end"),
    ("seldon", "Seldon Core", "open-source"),
    ("kubeflow", "Kubeflow", "open-source"),
)
LEVEL_WEIGHTS = {
    "ga": 40,
    "preview": 10,
    "partial": 10,
    "partner": 8,
    "planned": 7,
    "none": 15,
    "unknown": 10,
}
STAGE_WORDS = (
    "Connector for",
    "Versioned datasets of",
    "Feature store entries for",
    "Labeling queues for",
    "Experiment tracking for",
    "Distributed training on",
    "Quantization of",
    "Canary rollouts of",
)


def build_store(path: str, requirements: int, seed: int = 2021) -> None:
    """Requirements, two snapshots per vendor (levels drift between them), one review."""
    from roadmap.model import BIG_EIGHT, Entry, Level, Requirement, Snapshot, Tier, Vendor
    from roadmap.review import build_review
    from roadmap.review_workbook import record_review
    from roadmap.store import Settings, Store

    rng = random.Random(seed)
    store = Store.create(path, Settings(name="Benchmark roadmap", start="2021-01"))
    rows = []
    for number in range(1, requirements + 1):
        stage = number % len(BIG_EIGHT)
        rows.append(
            Requirement(
                id=f"REQ-{number:05d}",
                title=f"{STAGE_WORDS[stage]} workload #{number}",
                stage=BIG_EIGHT[stage],
                tier=Tier.BEST_IN_CLASS if rng.random() < 0.3 else Tier.TABLE_STAKES,
                priority=rng.choice(("high", "medium", "low")),
                target=f"{rng.choice((2021, 2022, 2023))}-{rng.randint(1, 12):02d}",
                status=rng.choice(("open", "open", "in progress", "done")),
                owner=rng.choice(("Ana", "Ben", "Chen", None)),
                description=f"Teams need {STAGE_WORDS[stage].lower()} workload #{number}.",
            )
        )
    levels, weights = list(LEVEL_WEIGHTS), list(LEVEL_WEIGHTS.values())
    with store.transaction():
        event = store.add_event("import requirements", {"added": len(rows)}, as_of="2021-01-01")
        store.write_requirement_versions(event, rows)
        for key, name, kind in VENDORS:
            store.add_vendor(Vendor(key, name, kind))
            before: dict[str, str] = {}
            for day in (FIRST, SECOND):
                entries = {}
                for requirement in rows:
                    level = before.get(requirement.id)
                    if level is None or rng.random() < 0.15:
                        level = rng.choices(levels, weights)[0]
                    before[requirement.id] = level
                    url = rng.random() < 0.7
                    entries[requirement.id] = Entry(
                        requirement.id,
                        Level(level),
                        f"{name} {requirement.stage}",
                        f"https://docs.example.com/{key}/{requirement.id}"
                        if url
                        else f"{name} release notes {day}",
                        "approximate date" if rng.random() < 0.2 else None,
                    )
                store.add_snapshot(
                    Snapshot(key, day, f"{name} docs", entries),
                    store.add_event("import snapshot", {}, as_of=day),
                )
    record_review(store, build_review(store, "2021-06-30"))
    store.close()


clock = time.perf_counter  # main() switches to cpu_seconds for --clock cpu


def time_library_review(db: str, output: str) -> float:
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review
    from roadmap.store import Store

    store = Store.open(db)
    gc.collect()
    try:
        start = clock()
        write_review(build_review(store, REVIEW_DATE), output)
        return clock() - start
    finally:
        store.close()


def time_library_export(db: str, output: str) -> float:
    from roadmap.export import write_export
    from roadmap.store import Store

    store = Store.open(db)
    gc.collect()
    try:
        start = clock()
        write_export(store, output)
        return clock() - start
    finally:
        store.close()


PEAKS: dict[str, float] = {}  # peak resident MB of each CLI command, by its name


def time_cli(name: str, arguments: list[str]) -> float:
    """A ``roadmap`` command as a whole process (through the launcher: its peak memory)."""
    return time_process(name, roadmap_command() + arguments)


def time_process(name: str, command: list[str]) -> float:
    seconds, peak = run_measured(command, "cpu" if clock is cpu_seconds else "wall")
    PEAKS[name] = min(PEAKS.get(name, float("inf")), peak)
    return seconds


def time_floor_process(cells: int, comments: int, output: str) -> float:
    """The XlsxWriter floor as a whole process, which pays for starting Python and
    importing its writer as ``roadmap`` does."""
    common = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common.py")
    return time_process(
        f"floor {comments}", [sys.executable, common, str(cells), str(comments), output]
    )


def profile_review(db: str, output: str, lines: int) -> None:
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review
    from roadmap.store import Store

    store = Store.open(db)
    try:
        print_profile(lambda: write_review(build_review(store, REVIEW_DATE), output), lines)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument("--profile", action="store_true", help="also cProfile one review")
    parser.add_argument("--keep", metavar="FOLDER", help="write files here and keep them")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock seconds, or CPU seconds (steadier when the machine is busy)",
    )
    parser.add_argument(
        "--no-floors",
        action="store_true",
        help="only the CLI's time and peak memory (a large --requirements)",
    )
    args = parser.parse_args()
    global clock
    clock = cpu_seconds if args.clock == "cpu" else time.perf_counter

    compile_roadmap()
    folder = args.keep or tempfile.mkdtemp(prefix="roadmap-bench-")
    os.makedirs(folder, exist_ok=True)
    try:
        db = os.path.join(folder, "bench.db")
        if os.path.exists(db):
            os.remove(db)
        start = time.perf_counter()
        build_store(db, args.requirements)
        print(
            f"built {db}: {args.requirements:,} requirements x {len(VENDORS)} vendors x 2 "
            f"snapshots in {time.perf_counter() - start:.2f} s"
        )
        review_cli = [
            "--db",
            db,
            "review",
            "--output",
            os.path.join(folder, "review-cli.xlsx"),
            "--as-of",
            REVIEW_DATE,
            "--no-record",
        ]
        export_cli = ["--db", db, "export", os.path.join(folder, "export-cli.xlsx")]
        if args.no_floors:
            # Last, once: the review as a user runs it, recorded (a second run would find
            # it recorded already and record nothing).
            recorded_cli = review_cli[:-1]
            recorded_cli[4] = os.path.join(folder, "review-recorded.xlsx")
            for name, arguments, runs in (
                ("review", review_cli, args.runs),
                ("export", export_cli, args.runs),
                ("review, recorded", recorded_cli, 1),
            ):
                seconds = min(time_cli(name, arguments) for _ in range(runs))
                print(
                    f"roadmap {name} (CLI): {seconds:.3f} s, peak {PEAKS[name]:.1f} MB", flush=True
                )
            return memory_verdict(args.requirements)
        review_path = os.path.join(folder, "review.xlsx")
        export_path = os.path.join(folder, "export.xlsx")
        time_library_review(db, review_path)  # warm up imports, and size the floors
        time_library_export(db, export_path)
        cells, comments = count_cells(review_path)
        export_cells, _ = count_cells(export_path)
        print(
            f"the review workbook holds {cells:,} cells ({comments:,} with a comment), "
            f"{os.path.getsize(review_path):,} bytes; the export {export_cells:,} cells"
        )

        # Interleaved, so a burst of load on the machine hits every measure alike.
        floors = os.path.join(folder, "floor.xlsx")
        (
            library,
            cli,
            bare,
            bare_process,
            openpyxl,
            export_library,
            export_cli_time,
            export_bare,
            export_bare_process,
            export_openpyxl,
        ) = (
            min(times)
            for times in zip(
                *(
                    (
                        time_library_review(db, review_path),
                        time_cli("review", review_cli),
                        xlsxwriter_floor(cells, comments, floors, clock),
                        time_floor_process(cells, comments, floors),
                        openpyxl_floor(cells, floors, clock),
                        time_library_export(db, export_path),
                        time_cli("export", export_cli),
                        xlsxwriter_floor(export_cells, 0, floors, clock),
                        time_floor_process(export_cells, 0, floors),
                        openpyxl_floor(export_cells, floors, clock),
                    )
                    for _ in range(args.runs)
                )
            )
        )
        floor_peak = f"floor {comments}"
        rows = [
            ("review (library)", library, bare, openpyxl, REVIEW_GOAL, ""),
            ("roadmap review (CLI, process)", cli, bare_process, openpyxl, REVIEW_GOAL, "review"),
            (f"XlsxWriter: {cells:,} cells + comments", bare, None, openpyxl, None, ""),
            ("  the same, as a process", bare_process, None, openpyxl, None, floor_peak),
            (f"openpyxl: {cells:,} cells, no comments", openpyxl, None, None, None, ""),
            ("export (library)", export_library, export_bare, export_openpyxl, None, ""),
            (
                "roadmap export (CLI, process)",
                export_cli_time,
                export_bare_process,
                export_openpyxl,
                None,
                "export",
            ),
            (f"XlsxWriter: {export_cells:,} cells", export_bare, None, export_openpyxl, None, ""),
            (
                "  the same, as a process",
                export_bare_process,
                None,
                export_openpyxl,
                None,
                "floor 0",
            ),
            (f"openpyxl: {export_cells:,} cells", export_openpyxl, None, None, None, ""),
        ]
        print(
            f"\n{'what':40} {'best (s)':>9} {'peak MB':>8} {'/XlsxW':>7} {'/openpyxl':>9} "
            f"{'goal':>5}  verdict"
        )
        met = True
        for name, seconds, fastest, reference, goal, peak in rows:
            memory = f"{PEAKS[peak]:8.1f}" if peak else f"{'':8}"
            ratio = f"{seconds / fastest:7.2f}" if fastest else f"{'':7}"
            versus = f"{seconds / reference:9.2f}" if reference else f"{'':9}"
            verdict = ""
            if goal and fastest:
                ok = seconds / fastest <= goal
                met = met and (ok or name.endswith("(library)"))
                verdict = "goal met" if ok else "goal missed"
            print(f"{name:40} {seconds:9.3f} {memory} {ratio} {versus} {goal or '':>5}  {verdict}")
        print(
            f"\n{args.clock} seconds, best of {args.runs}, interleaved; /XlsxW: in-process "
            "to in-process, a process to a process (openpyxl in-process: a reference); CLI: "
            f"{' '.join(roadmap_command())}, its modules compiled first as pip install "
            f"does; Python {sys.version.split()[0]}"
        )
        if args.profile:
            profile_review(db, review_path, 25)
        return 0 if met and memory_verdict(args.requirements) == 0 else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def memory_verdict(requirements: int) -> int:
    """At 100,000 requirements the CLI review's peak memory has a goal."""
    if requirements < 100_000:
        return 0
    peak = max(PEAKS["review"], PEAKS.get("review, recorded", 0))
    ok = peak <= MEMORY_GOAL_MB
    print(
        f"peak memory of the CLI review: {peak:.1f} MB (goal <= "
        f"{MEMORY_GOAL_MB} MB at 100,000 requirements): {'goal met' if ok else 'goal missed'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
