"""How fast ``roadmap import requirements`` is next to openpyxl reading the same file.

Run by hand, not by pytest::

    python bench/bench_import.py            # 20,000 rows, best of 3
    python bench/bench_import.py --rows 5000 --runs 5 --profile

It writes a requirements workbook in a temporary folder, then times (best of N):
the library's ``import_requirements`` into a fresh store, the same import as a
``roadmap`` subprocess, and a bare openpyxl read-only pass over the file. It also
times ``roadmap --help`` against ``python -c "import click, sqlite3"``, the floor for
any click CLI over SQLite. Goals: import/openpyxl <= 1.2, --help/floor <= 1.3.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time

IMPORT_GOAL = 1.2
HELP_GOAL = 1.3

HEADER = ("ID", "Title", "Stage", "Tier", "Priority", "Target", "Status", "Owner",
          "Requested by", "Description", "Notes")

# A few real-sounding capabilities per Big Eight stage; titles combine them with a subject.
CAPABILITIES = {
    "data collection": ("Connector for", "Streaming ingestion from", "Scheduled pulls from",
                        "Schema capture for", "Lineage of raw data from"),
    "data processing": ("Data quality checks on", "Distributed transforms over",
                        "Versioned datasets from", "PII masking in", "Backfills of"),
    "feature engineering": ("Feature store entries for", "Point-in-time joins on",
                            "Online features from", "Feature drift alerts on",
                            "Reusable feature pipelines for"),
    "data labeling": ("Labeling queues for", "Active learning over", "Consensus review of",
                      "Weak supervision for", "Labeler quality scores on"),
    "model design": ("Notebooks with access to", "Experiment tracking for",
                     "AutoML baselines on", "Model templates for", "Reproducible runs on"),
    "model training": ("Distributed training on", "GPU scheduling for",
                       "Hyperparameter search on", "Spot-instance training for",
                       "Checkpointing of"),
    "model optimization": ("Quantization of", "Distillation of", "Pruning of",
                           "Compilation for edge of", "Latency profiling of"),
    "model deployment & monitoring": ("Canary rollouts of", "Batch scoring of",
                                      "Real-time endpoints for", "Prediction drift on",
                                      "Rollback of"),
}
SUBJECTS = ("clickstream events", "CRM records", "IoT telemetry", "image archives",
            "support tickets", "transaction logs", "audio calls", "product catalogue",
            "ranking models", "fraud models", "forecasting models", "LLM fine-tunes",
            "vision models", "recommendation models", "churn models", "search logs")
PRIORITIES = ("high", "medium", "low", "P1", "P2", "must", "should", None)
STATUSES = ("open", "open", "open", "in progress", "done", "blocked")
OWNERS = ("Ana Ruiz", "Ben Okafor", "Chen Wei", "Dana Levi", "Elif Kaya", "Farid Haddad",
          "Grace Kim", None)
TEAMS = ("Fraud", "Search", "Growth", "Risk", "Ads", "Supply chain", "Customer care", None)


def target(rng: random.Random) -> str:
    """``2021-09`` or ``Q3 2021`` between 2021 and 2023, as roadmaps write them."""
    year = rng.choice((2021, 2022, 2023))
    if rng.random() < 0.5:
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"Q{rng.randint(1, 4)} {year}"


def write_workbook(path: str, rows: int, seed: int = 2021) -> None:
    """A one-sheet requirements workbook with ``rows`` requirements under a bold header.

    Written in openpyxl's normal mode, which (like Excel and LibreOffice) stores shared
    strings and a ``<dimension>``; write-only mode stores inline strings and no
    dimension, which makes every read-only reader parse the sheet twice.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rng = random.Random(seed)
    book = Workbook()
    sheet = book.active
    sheet.title = "Requirements"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    stages = list(CAPABILITIES)
    for number in range(1, rows + 1):
        stage = stages[number % len(stages)]
        subject = rng.choice(SUBJECTS)
        title = f"{rng.choice(CAPABILITIES[stage])} {subject} #{number}"
        best = rng.random() < 0.3
        sheet.append((
            f"REQ-{number:05d}", title, stage, "best-in-class" if best else "table-stakes",
            rng.choice(PRIORITIES), target(rng), rng.choice(STATUSES), rng.choice(OWNERS),
            rng.choice(TEAMS),
            f"As a data scientist on the {rng.choice(TEAMS[:-1])} team I need "
            f"{title[0].lower()}{title[1:]} so that {stage} does not block releases.",
            "Raised at the quarterly review." if rng.random() < 0.2 else None,
        ))
    book.save(path)


def best_of(runs: int, once) -> float:
    """The fastest of ``runs`` calls of ``once()``, which returns the seconds it measured."""
    return min(once() for _ in range(runs))


def fresh_store(folder: str, name: str) -> str:
    from roadmap.store import Settings, Store

    path = os.path.join(folder, name)
    if os.path.exists(path):
        os.remove(path)
    Store.create(path, Settings(start="2021-01")).close()
    return path


def time_library_import(folder: str, workbook: str) -> float:
    from roadmap.requirements import import_requirements
    from roadmap.store import Store

    store = Store.open(fresh_store(folder, "library.db"))
    gc.collect()  # garbage left by earlier steps is not the import's to collect
    try:
        start = time.perf_counter()
        result = import_requirements(store, workbook, as_of="2021-06-01")
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    assert result.written and result.plan.added, "the import wrote nothing"
    return elapsed


def time_openpyxl(workbook: str) -> float:
    import openpyxl

    gc.collect()
    start = time.perf_counter()
    book = openpyxl.load_workbook(workbook, read_only=True)
    sheet = book.active
    for _row in sheet.iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - start


def roadmap_command() -> list[str]:
    """The installed ``roadmap`` script beside this Python, else ``python -m roadmap``."""
    script = os.path.join(os.path.dirname(sys.executable), "roadmap")
    if os.path.exists(script):
        return [script]
    found = shutil.which("roadmap")
    return [found] if found else [sys.executable, "-m", "roadmap"]


def time_command(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_cli_import(folder: str, workbook: str) -> float:
    db = fresh_store(folder, "cli.db")
    return time_command(roadmap_command() + ["--db", db, "import", "requirements", workbook,
                                             "--as-of", "2021-06-01"])


def profile_import(folder: str, workbook: str, lines: int) -> None:
    """cProfile of one library import, by cumulative then by own time."""
    from roadmap.requirements import import_requirements
    from roadmap.store import Store

    store = Store.open(fresh_store(folder, "profile.db"))
    profiler = cProfile.Profile()
    try:
        profiler.runcall(import_requirements, store, workbook, as_of="2021-06-01")
    finally:
        store.close()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="requirements to generate")
    parser.add_argument("--runs", type=int, default=3, help="best of N for the import timings")
    parser.add_argument("--help-runs", type=int, default=10, help="best of N for --help")
    parser.add_argument("--profile", action="store_true", help="also cProfile one import")
    parser.add_argument("--keep", metavar="FOLDER", help="write files here and keep them")
    args = parser.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="roadmap-bench-")
    os.makedirs(folder, exist_ok=True)
    try:
        workbook = os.path.join(folder, f"requirements_{args.rows}.xlsx")
        start = time.perf_counter()
        write_workbook(workbook, args.rows)
        print(f"wrote {workbook} ({args.rows:,} rows, {os.path.getsize(workbook):,} bytes) "
              f"in {time.perf_counter() - start:.2f} s")

        import openpyxl  # noqa: F401  (imported once up front so no timing pays for it)

        # Interleaved, so a burst of load on the machine hits every measure alike.
        library, bare, cli = (min(times) for times in zip(*(
            (time_library_import(folder, workbook), time_openpyxl(workbook),
             time_cli_import(folder, workbook)) for _ in range(args.runs))))
        help_time = best_of(args.help_runs, lambda: time_command(roadmap_command() + ["--help"]))
        floor = best_of(args.help_runs, lambda: time_command(
            [sys.executable, "-c", "import click, sqlite3"]))

        rows = [
            ("import (library)", library, library / bare, IMPORT_GOAL),
            ("import (roadmap CLI)", cli, cli / bare, IMPORT_GOAL),
            ("openpyxl read-only pass", bare, None, None),
            ("roadmap --help", help_time, help_time / floor, HELP_GOAL),
            ("python -c 'import click, sqlite3'", floor, None, None),
        ]
        print(f"\n{'what':36} {'best (s)':>9} {'ratio':>6} {'goal':>6}  verdict")
        for name, seconds, ratio, goal in rows:
            if ratio is None:
                print(f"{name:36} {seconds:9.3f}")
                continue
            verdict = "goal met" if ratio <= goal else "goal missed"
            print(f"{name:36} {seconds:9.3f} {ratio:6.2f} {goal:6.2f}  {verdict}")
        print(f"\nbest of {args.runs} (imports) and {args.help_runs} (--help); "
              f"CLI: {' '.join(roadmap_command())}; Python {sys.version.split()[0]}")

        if args.profile:
            profile_import(folder, workbook, 25)
        met = library / bare <= IMPORT_GOAL and help_time / floor <= HELP_GOAL
        return 0 if met else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
