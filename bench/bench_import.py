"""How fast ``roadmap import requirements`` is next to python-calamine (and openpyxl)
reading the same file.

Run by hand, not by pytest::

    python bench/bench_import.py            # 20,000 rows, best of 3
    python bench/bench_import.py --rows 100000 --runs 1     # and the peak memory
    python bench/bench_import.py --rows 5000 --runs 5 --clock cpu --profile

It writes a requirements workbook in a temporary folder, then times (best of N) the
library's ``import_requirements`` into a fresh store and the same import as a
``roadmap`` subprocess, against a bare python-calamine read of every row (the fastest
well-kept reader, and the one roadmap uses) and a bare openpyxl read-only pass, each
in-process and as a whole process; peak memory (``ru_maxrss``) is given for the
processes. A third process gives the floor of any safe, durable import: roadmap's
safety checks, calamine's read and one SQLite transaction of the rows, nothing
interpreted. It also times ``roadmap --help`` against ``python -c "import click,
sqlite3"``, the floor for any click CLI over SQLite.
Goals: CLI import / calamine process <= 2, --help/floor <= 1.3, and the CLI's peak
memory <= 150 MB at 100,000 rows. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from common import LAUNCHER, print_profile, roadmap_command  # bench/common.py, beside this script

IMPORT_GOAL = 2.0  # against calamine's own read, as whole processes
HELP_GOAL = 1.3
MEMORY_GOAL_MB = 150  # at 100,000 rows

HEADER = (
    "ID",
    "Title",
    "Stage",
    "Tier",
    "Priority",
    "Target",
    "Status",
    "Owner",
    "Requested by",
    "Description",
    "Notes",
)

# A few real-sounding capabilities per Big Eight stage; titles combine them with a subject.
CAPABILITIES = {
    "data collection": (
        "Connector for",
        "Streaming ingestion from",
        "Scheduled pulls from",
        "Schema capture for",
        "Lineage of raw data from",
    ),
    "data processing": (
        "Data quality checks on",
        "Distributed transforms over",
        "Versioned datasets from",
        "PII masking in",
        "Backfills of",
    ),
    "feature engineering": (
        "Feature store entries for",
        "Point-in-time joins on",
        "Online features from",
        "Feature drift alerts on",
        "Reusable feature pipelines for",
    ),
    "data labeling": (
        "Labeling queues for",
        "Active learning over",
        "Consensus review of",
        "Weak supervision for",
        "Labeler quality scores on",
    ),
    "model design": (
        "Notebooks with access to",
        "Experiment tracking for",
        "AutoML baselines on",
        "Model templates for",
        "Reproducible runs on",
    ),
    "model training": (
        "Distributed training on",
        "GPU scheduling for",
        "Hyperparameter search on",
        "Spot-instance training for",
        "Checkpointing of",
    ),
    "model optimization": (
        "Quantization of",
        "Distillation of",
        "Pruning of",
        "Compilation for edge of",
        "Latency profiling of",
    ),
    "model deployment & monitoring": (
        "Canary rollouts of",
        "Batch scoring of",
        "Real-time endpoints for",
        "Prediction drift on",
        "Rollback of",
    ),
}
SUBJECTS = (
    "clickstream events",
    "CRM records",
    "IoT telemetry",
    "image archives",
    "support tickets",
    "transaction logs",
    "audio calls",
    "product catalogue",
    "ranking models",
    "fraud models",
    "forecasting models",
    "LLM fine-tunes",
    "vision models",
    "recommendation models",
    "churn models",
    "search logs",
)
PRIORITIES = ("high", "medium", "low", "P1", "P2", "must", "should", None)
STATUSES = ("open", "open", "open", "in progress", "done", "blocked")
OWNERS = (
    "Ana Ruiz",
    "Ben Okafor",
    "Chen Wei",
    "Dana Levi",
    "Elif Kaya",
    "Farid Haddad",
    "Grace Kim",
    None,
)
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
        sheet.append(
            (
                f"REQ-{number:05d}",
                title,
                stage,
                "best-in-class" if best else "table-stakes",
                rng.choice(PRIORITIES),
                target(rng),
                rng.choice(STATUSES),
                rng.choice(OWNERS),
                rng.choice(TEAMS),
                f"As a data scientist on the {rng.choice(TEAMS[:-1])} team I need "
                f"{title[0].lower()}{title[1:]} so that {stage} does not block releases.",
                "Raised at the quarterly review." if rng.random() < 0.2 else None,
            )
        )
    book.save(path)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: steadier on a busy machine."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


clock = time.perf_counter  # main() switches to cpu_seconds for --clock cpu


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
        start = clock()
        result = import_requirements(store, workbook, as_of="2021-06-01")
        elapsed = clock() - start
    finally:
        store.close()
    assert result.written and result.plan.added, "the import wrote nothing"
    return elapsed


OPENPYXL_PASS = """
import sys, openpyxl
book = openpyxl.load_workbook(sys.argv[1], read_only=True)
for _row in book.active.iter_rows(values_only=True):
    pass
book.close()
"""


CALAMINE_PASS = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
for _row in book.get_sheet_by_index(0).iter_rows():
    pass
book.close()
"""


# What no safe, durable import can skip: the safety checks roadmap runs before any reader
# opens the file, calamine's read, and one transaction writing every row to SQLite.
SAFE_FLOOR_PASS = """
import sqlite3, sys
from python_calamine import CalamineWorkbook
from roadmap.reader import check_zip, scan_sheet
path, db = sys.argv[1:]
check_zip(path, path)
book = CalamineWorkbook.from_path(path)
scan_sheet(path, path, book.sheet_names[0])
rows = [tuple(row) for row in book.get_sheet_by_index(0).iter_rows()]
width = max(map(len, rows))
connection = sqlite3.connect(db, isolation_level=None)
columns = ", ".join(f"c{n}" for n in range(width))
connection.execute(f"CREATE TABLE t (event INTEGER, {columns}, PRIMARY KEY (c0, event))")
connection.execute("BEGIN IMMEDIATE")
connection.executemany(
    f"INSERT INTO t VALUES (1{', ?' * width})", (r + ('',) * (width - len(r)) for r in rows[1:])
)
connection.execute("COMMIT")
"""


def time_calamine(workbook: str) -> float:
    """The floor for any import: calamine reading every value once, nothing kept."""
    from python_calamine import CalamineWorkbook

    gc.collect()
    start = clock()
    book = CalamineWorkbook.from_path(workbook)
    for _row in book.get_sheet_by_index(0).iter_rows():
        pass
    book.close()
    return clock() - start


def time_openpyxl(workbook: str) -> float:
    """The floor for any import: openpyxl reading every value once, nothing kept."""
    import openpyxl

    gc.collect()
    start = clock()
    book = openpyxl.load_workbook(workbook, read_only=True)
    for _row in book.active.iter_rows(values_only=True):
        pass
    book.close()
    return clock() - start


def command_env(folder: str) -> dict[str, str]:
    """Subprocesses cache their bytecode (in ``folder``), as after any normal install.

    Without it (PYTHONDONTWRITEBYTECODE=1, as on some CI machines) every run compiles
    roadmap's modules again, which is most of the difference ``--help`` shows.
    """
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(folder, "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


PEAKS: dict[str, float] = {}  # peak resident memory (MB) of each command, by its name


def time_command(command: list[str], env: dict[str, str], name: str = "") -> float:
    """Seconds ``command`` takes; with a ``name``, its peak memory goes into PEAKS."""
    start = clock()
    if not name:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        return clock() - start
    which = "cpu" if clock is cpu_seconds else "wall"
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, which, *command],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed, kilobytes = launched.stdout.split()
    PEAKS[name] = min(PEAKS.get(name, float("inf")), int(kilobytes) / 1024)
    return float(elapsed)


def time_cli_import(folder: str, workbook: str, env: dict[str, str]) -> float:
    db = fresh_store(folder, "cli.db")
    return time_command(
        roadmap_command()
        + ["--db", db, "import", "requirements", workbook, "--as-of", "2021-06-01"],
        env,
        "cli",
    )


def time_safe_floor(folder: str, workbook: str, env: dict[str, str]) -> float:
    db = os.path.join(folder, "floor.db")
    if os.path.exists(db):
        os.remove(db)
    return time_command([sys.executable, "-c", SAFE_FLOOR_PASS, workbook, db], env, "floor")


def time_cli_reimport(folder: str, workbook: str, env: dict[str, str]) -> float:
    """The same file into the store ``time_cli_import`` just filled: nothing to do."""
    return time_command(
        roadmap_command()
        + ["--db", os.path.join(folder, "cli.db"), "import", "requirements", workbook],
        env,
        "reimport",
    )


def profile_import(folder: str, workbook: str, lines: int) -> None:
    """cProfile of one library import, by cumulative then by own time."""
    from roadmap.requirements import import_requirements
    from roadmap.store import Store

    store = Store.open(fresh_store(folder, "profile.db"))
    try:
        print_profile(lambda: import_requirements(store, workbook, as_of="2021-06-01"), lines)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="requirements to generate")
    parser.add_argument("--runs", type=int, default=3, help="best of N for the import timings")
    parser.add_argument("--help-runs", type=int, default=10, help="best of N for --help")
    parser.add_argument(
        "--workbook",
        metavar="FILE",
        help="time this requirements workbook instead of generating one",
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile one import")
    parser.add_argument("--keep", metavar="FOLDER", help="write files here and keep them")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock seconds, or CPU seconds (steadier when the machine "
        "is busy; leaves out waiting for the disk)",
    )
    args = parser.parse_args()
    global clock
    clock = cpu_seconds if args.clock == "cpu" else time.perf_counter

    folder = args.keep or tempfile.mkdtemp(prefix="roadmap-bench-")
    os.makedirs(folder, exist_ok=True)
    try:
        workbook = args.workbook
        if workbook is None:
            workbook = os.path.join(folder, f"requirements_{args.rows}.xlsx")
            start = time.perf_counter()
            write_workbook(workbook, args.rows)
            print(
                f"wrote {workbook} ({args.rows:,} rows, {os.path.getsize(workbook):,} "
                f"bytes) in {time.perf_counter() - start:.2f} s"
            )

        import openpyxl  # noqa: F401  (imported once up front so no timing pays for it)
        import python_calamine  # noqa: F401

        env = command_env(folder)
        roadmap = roadmap_command()
        floor_command = [sys.executable, "-c", "import click, sqlite3"]
        openpyxl_command = [sys.executable, "-c", OPENPYXL_PASS, workbook]
        calamine_command = [sys.executable, "-c", CALAMINE_PASS, workbook]
        for warm_up in (roadmap + ["--help"], floor_command):
            time_command(warm_up, env)

        # Interleaved, so a burst of load on the machine hits every measure alike.
        library, calamine, bare, cli, reimport, calamine_process, bare_process, safe = (
            min(times)
            for times in zip(
                *(
                    (
                        time_library_import(folder, workbook),
                        time_calamine(workbook),
                        time_openpyxl(workbook),
                        time_cli_import(folder, workbook, env),
                        time_cli_reimport(folder, workbook, env),
                        time_command(calamine_command, env, "calamine"),
                        time_command(openpyxl_command, env, "openpyxl"),
                        time_safe_floor(folder, workbook, env),
                    )
                    for _ in range(args.runs)
                )
            )
        )
        help_time, floor = (
            min(times)
            for times in zip(
                *(
                    (time_command(roadmap + ["--help"], env), time_command(floor_command, env))
                    for _ in range(args.help_runs)
                )
            )
        )

        rows = [
            ("import, library (in-process)", library, calamine, bare, None, ""),
            ("calamine read (in-process)", calamine, None, None, None, ""),
            ("openpyxl pass (in-process)", bare, None, None, None, ""),
            (
                "import, roadmap CLI (process)",
                cli,
                calamine_process,
                bare_process,
                IMPORT_GOAL,
                "cli",
            ),
            (
                "re-import unchanged, CLI (process)",
                reimport,
                calamine_process,
                bare_process,
                None,
                "reimport",
            ),
            ("calamine read (process)", calamine_process, None, None, None, "calamine"),
            ("openpyxl pass (process)", bare_process, None, None, None, "openpyxl"),
            ("scan + calamine + SQLite (process)", safe, calamine_process, None, None, "floor"),
            ("roadmap --help", help_time, floor, None, HELP_GOAL, ""),
            ("python -c 'import click, sqlite3'", floor, None, None, None, ""),
        ]
        print(
            f"\n{'what':34} {'best (s)':>9} {'peak MB':>8} {'/fast':>6} {'/openpyxl':>9} "
            f"{'goal':>5}  verdict"
        )
        met = True
        for name, seconds, fastest, reference, goal, peak in rows:
            memory = f"{PEAKS[peak]:8.1f}" if peak else f"{'':8}"
            ratio = f"{seconds / fastest:6.2f}" if fastest else f"{'':6}"
            versus = f"{seconds / reference:9.2f}" if reference else f"{'':9}"
            verdict = ""
            if goal:
                ok = seconds / fastest <= goal
                met = met and ok
                verdict = "goal met" if ok else "goal missed"
            print(f"{name:34} {seconds:9.3f} {memory} {ratio} {versus} {goal or '':>5}  {verdict}")
        if args.rows >= 100_000 and args.workbook is None:
            ok = PEAKS["cli"] <= MEMORY_GOAL_MB
            met = met and ok
            print(
                f"peak memory of the CLI import: {PEAKS['cli']:.1f} MB (goal "
                f"<= {MEMORY_GOAL_MB} MB at 100,000 rows): {'goal met' if ok else 'goal missed'}"
            )
        print(
            f"the CLI import takes {cli / safe:.2f}x the floor of a safe, durable import "
            "(the safety checks, calamine's read and one SQLite transaction of the rows, "
            f"nothing interpreted), which itself takes {safe / calamine_process:.2f}x "
            "calamine's read"
        )
        print(
            f"\n{args.clock} seconds, best of {args.runs} (imports) and {args.help_runs} "
            f"(--help); /fast is to calamine's read (to the floor for --help), /openpyxl "
            f"to openpyxl's; bytecode cached; CLI: {' '.join(roadmap)}; "
            f"Python {sys.version.split()[0]}"
        )

        if args.profile:
            profile_import(folder, workbook, 25)
        return 0 if met else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
