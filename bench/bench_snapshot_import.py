"""How fast ``roadmap import snapshot`` of a wide comparison table is next to
python-calamine (and openpyxl) reading the same file, and its unchanged re-import.

Run by hand, not by pytest::

    python bench/bench_snapshot_import.py                 # 20,000 rows x 6 vendors, best of 3
    python bench/bench_snapshot_import.py --runs 5 --clock cpu

It fills a store with ``--rows`` requirements (through the library, from a CSV), writes a
wide snapshot workbook (ID, Title, one level column per vendor) with XlsxWriter (shared
strings, as Excel writes them), then times as whole processes (best of N, interleaved):
the CLI import into a copy of that store, the same file imported again (told unchanged
from the log, unread), a bare python-calamine read of every row and a bare openpyxl
read-only pass, with each one's peak memory; and the floor of any safe, durable
import: roadmap's safety checks, calamine's read and one SQLite transaction of an entry
per requirement and vendor column, nothing interpreted.
Goal: import / calamine process <= 2, as for requirements (the re-import, which reads
nothing, is shown beside it). Exits 1 when it is missed.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sys
import tempfile
import time

import bench_import  # bench/bench_import.py, beside this script
from bench_import import CALAMINE_PASS, OPENPYXL_PASS, PEAKS, command_env, cpu_seconds
from common import roadmap_command

IMPORT_GOAL = 2.0
VENDORS = (
    "Amazon SageMaker",
    "Google Vertex AI",
    "Azure ML",
    "Databricks",
    "Seldon",
    "MLflow",
    "Kubeflow",
    "Feast",
    "Weights & Biases",
    "Tecton",
)
WORDS = (
    "ga",
    "GA",
    "yes",
    "✓",
    "preview",
    "beta",
    "partial",
    "partner",
    "planned",
    "no",
    "-",
    "?",
    None,
)


# What no safe, durable snapshot import can skip: roadmap's safety checks, calamine's
# read, and one SQLite transaction storing an entry per requirement and vendor column.
ENTRIES_FLOOR_PASS = """
import sqlite3, sys
from python_calamine import CalamineWorkbook
from roadmap.reader import check_zip, scan_sheet
path, db = sys.argv[1:]
check_zip(path, path)
book = CalamineWorkbook.from_path(path)
scan_sheet(path, path, book.sheet_names[0])
header, *rows = [tuple(row) for row in book.get_sheet_by_index(0).iter_rows()]
connection = sqlite3.connect(db, isolation_level=None)
connection.execute(
    "CREATE TABLE entries (snapshot INTEGER, requirement TEXT, level TEXT, "
    "PRIMARY KEY (snapshot, requirement))"
)
connection.execute("BEGIN IMMEDIATE")
for column in range(2, len(header)):
    connection.executemany(
        "INSERT INTO entries VALUES (?, ?, ?)", ((column, r[0], r[column]) for r in rows)
    )
connection.execute("COMMIT")
"""


def fill_store(folder: str, rows: int) -> str:
    """A store holding ``rows`` requirements REQ-00001…, imported from a CSV."""
    from roadmap.requirements import import_requirements
    from roadmap.store import Settings, Store

    source = os.path.join(folder, "requirements.csv")
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("ID", "Title", "Stage", "Tier"))
        for number in range(1, rows + 1):
            writer.writerow(
                (
                    f"REQ-{number:05d}",
                    f"Capability number {number}",
                    "Model training",
                    "table-stakes",
                )
            )
    path = os.path.join(folder, "base.db")
    store = Store.create(path, Settings(start="2021-01"))
    try:
        import_requirements(store, source, as_of="2021-01-01")
    finally:
        store.close()
    return path


def write_comparison(path: str, rows: int, vendors: int, seed: int = 2021) -> None:
    import xlsxwriter

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Snapshots")
    sheet.write_row(0, 0, ("ID", "Title", *VENDORS[:vendors]))
    for number in range(1, rows + 1):
        sheet.write_row(
            number,
            0,
            (
                f"REQ-{number:05d}",
                f"Capability number {number}",
                *(rng.choice(WORDS) for _ in range(vendors)),
            ),
        )
    book.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="requirements (table rows)")
    parser.add_argument(
        "--vendors",
        type=int,
        default=6,
        choices=range(1, len(VENDORS) + 1),
        metavar=f"1-{len(VENDORS)}",
        help="vendor columns",
    )
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall-clock seconds, or CPU seconds (steadier on a busy machine)",
    )
    args = parser.parse_args()
    bench_import.clock = cpu_seconds if args.clock == "cpu" else time.perf_counter

    folder = tempfile.mkdtemp(prefix="roadmap-bench-snapshot-")
    try:
        base = fill_store(folder, args.rows)
        workbook = os.path.join(folder, "comparison.xlsx")
        write_comparison(workbook, args.rows, args.vendors)
        print(
            f"{args.rows:,} requirements x {args.vendors} vendors: {workbook} "
            f"({os.path.getsize(workbook):,} bytes)"
        )
        env = command_env(folder)
        roadmap = roadmap_command()
        db = os.path.join(folder, "cli.db")
        command = [*roadmap, "--db", db, "import", "snapshot", workbook, "--as-of", "2021-06-01"]
        bench_import.time_command([*roadmap, "--help"], env)  # bytecode cached first

        def first_import() -> float:
            shutil.copyfile(base, db)
            return bench_import.time_command(command, env, "import")

        def entries_floor() -> float:
            floor_db = os.path.join(folder, "floor.db")
            if os.path.exists(floor_db):
                os.remove(floor_db)
            return bench_import.time_command(
                [sys.executable, "-c", ENTRIES_FLOOR_PASS, workbook, floor_db], env, "floor"
            )

        imported, again, calamine, openpyxl, floor = (
            min(times)
            for times in zip(
                *(
                    (
                        first_import(),
                        bench_import.time_command(command, env, "reimport"),
                        bench_import.time_command(
                            [sys.executable, "-c", CALAMINE_PASS, workbook], env, "calamine"
                        ),
                        bench_import.time_command(
                            [sys.executable, "-c", OPENPYXL_PASS, workbook], env, "openpyxl"
                        ),
                        entries_floor(),
                    )
                    for _ in range(args.runs)
                )
            )
        )
        print(
            f"\n{'what':36} {'best (s)':>9} {'peak MB':>8} {'/fast':>6} {'/openpyxl':>9} "
            f"{'goal':>5}  verdict"
        )
        met = True
        for name, seconds, peak, goal in (
            ("import snapshot, CLI (process)", imported, "import", IMPORT_GOAL),
            ("re-import unchanged, CLI (process)", again, "reimport", None),
            ("calamine read (process)", calamine, "calamine", None),
            ("openpyxl pass (process)", openpyxl, "openpyxl", None),
            ("scan + calamine + SQLite (process)", floor, "floor", None),
        ):
            verdict = ""
            if goal:
                ok = seconds / calamine <= goal
                met = met and ok
                verdict = "goal met" if ok else "goal missed"
            print(
                f"{name:36} {seconds:9.3f} {PEAKS[peak]:8.1f} {seconds / calamine:6.2f} "
                f"{seconds / openpyxl:9.2f} {goal or '':>5}  {verdict}"
            )
        print(
            f"the CLI import takes {imported / floor:.2f}x the floor of a safe, durable "
            "import (the safety checks, calamine's read and one SQLite transaction of an "
            f"entry per requirement and vendor, nothing interpreted), which itself takes "
            f"{floor / calamine:.2f}x calamine's read"
        )
        print(
            f"\n{args.clock} seconds, best of {args.runs}; /fast is to calamine's read, "
            f"/openpyxl to openpyxl's; Python {sys.version.split()[0]}"
        )
        return 0 if met else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
