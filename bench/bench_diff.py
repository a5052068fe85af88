"""How fast ``roadmap diff`` is next to openpyxl reading one snapshot file, and to daff.

Run by hand, not by pytest::

    python bench/bench_diff.py              # two 20,000-entry snapshots, best of 3
    python bench/bench_diff.py --entries 5000 --runs 5

It stores 20,000 requirements, writes two long-form snapshot workbooks of one vendor
(the second moves about one entry in ten: levels up and down, products and notes,
some entries added and removed), imports both, then times (best of N):
``roadmap diff`` as a subprocess, the library's diff alone, one bare openpyxl read-only
pass over one snapshot workbook, and, when the ``daff`` command is installed,
``daff diff --id`` over the same rows as CSV. Then the highlighted workbook
(``roadmap diff --output``, library and CLI) against XlsxWriter writing as many styled
cells (and openpyxl, for reference). Goals: diff/openpyxl <= 1.5, and ``roadmap diff``
at least 5x faster than daff.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

from common import (  # bench/common.py, beside this script
    count_cells,
    openpyxl_floor,
    roadmap_command,
    xlsxwriter_floor,
)

RATIO_GOAL = 1.5
DAFF_GOAL = 5.0
HEADER = ("Requirement ID", "Level", "Product", "Evidence", "Notes")
LEVELS = ("ga", "preview", "partial", "partner", "planned", "none", "unknown")
PRODUCTS = (
    "Feature Store",
    "Pipelines",
    "Model Registry",
    "Endpoints",
    "Notebooks",
    "Experiments",
    "Labeling",
    "Data Wrangler",
    "Monitor",
    "Clarify",
)


def requirement_id(number: int) -> str:
    return f"REQ-{number:05d}"


def first_snapshot(entries: int, rng: random.Random) -> list[tuple]:
    return [
        (
            requirement_id(n),
            rng.choice(LEVELS),
            f"Bench {rng.choice(PRODUCTS)}",
            f"https://example.com/releases/{n}",
            "approximate date" if n % 7 == 0 else None,
        )
        for n in range(1, entries + 1)
    ]


def second_snapshot(rows: list[tuple], rng: random.Random) -> list[tuple]:
    """About 10% of entries moved: 6% levels, 2% details, 1% removed, plus 1% added."""
    moved = []
    for row in rows:
        roll = rng.random()
        if roll < 0.06:
            moved.append((row[0], rng.choice([lv for lv in LEVELS if lv != row[1]]), *row[2:]))
        elif roll < 0.08:
            moved.append((*row[:4], "see the 2021 release notes"))
        elif roll >= 0.09:  # between 0.08 and 0.09: removed
            moved.append(row)
    extra = len(rows) // 100
    moved += [
        (requirement_id(len(rows) + n), "ga", "Bench Endpoints", None, None)
        for n in range(1, extra + 1)
    ]
    return moved


def write_snapshot_xlsx(path: str, rows: list[tuple], as_of: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Snapshots")
    sheet.append(("Vendor:", "Bench Cloud"))
    sheet.append(("As of:", as_of))
    sheet.append(())
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path: str, rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


def build_store(folder: str, total: int, first: str, second: str) -> str:
    """A store with ``total`` requirements and both snapshots imported."""
    from roadmap.model import BIG_EIGHT, Requirement, Tier
    from roadmap.snapshots import import_snapshots
    from roadmap.store import Settings, Store

    path = os.path.join(folder, "bench.db")
    store = Store.create(path, Settings(start="2021-01"))
    try:
        with store.transaction():
            event = store.add_event("import requirements", {}, as_of="2021-01-01")
            store.write_requirement_versions(
                event,
                [
                    Requirement(
                        requirement_id(n),
                        f"Bench capability {n}",
                        BIG_EIGHT[n % len(BIG_EIGHT)],
                        Tier.TABLE_STAKES,
                    )
                    for n in range(1, total + 1)
                ],
            )
        for workbook in (first, second):
            start = time.perf_counter()
            import_snapshots(store, workbook)
            print(f"imported {os.path.basename(workbook)} in {time.perf_counter() - start:.2f} s")
    finally:
        store.close()
    return path


def best_of(runs: int, once) -> float:
    return min(once() for _ in range(runs))


def time_command(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_daff(command: list[str]) -> float:
    # daff exits 1 when the tables differ, which they do.
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_openpyxl(workbook: str) -> float:
    import openpyxl

    start = time.perf_counter()
    book = openpyxl.load_workbook(workbook, read_only=True)
    for _row in book.active.iter_rows(values_only=True):
        pass
    book.close()
    return time.perf_counter() - start


def time_library_diff(db: str) -> tuple[float, int]:
    from roadmap.diff import vendor_diff
    from roadmap.output import render
    from roadmap.snapshots import vendor_named
    from roadmap.store import Store

    start = time.perf_counter()
    store = Store.open(db)
    try:
        diff = vendor_diff(store, vendor_named(store, "bench"))
        render([row.as_dict() for row in diff.rows], "csv")
    finally:
        store.close()
    return time.perf_counter() - start, len(diff.rows)


def time_diff_workbook(db: str, output: str) -> float:
    """Writing the highlighted workbook alone, from a diff computed beforehand."""
    from roadmap.diff import vendor_diff
    from roadmap.diff_workbook import write_diff_workbook
    from roadmap.snapshots import vendor_named
    from roadmap.store import Store

    store = Store.open(db)
    try:
        diff = vendor_diff(store, vendor_named(store, "bench"))
    finally:
        store.close()
    start = time.perf_counter()
    write_diff_workbook(diff, output)
    return time.perf_counter() - start


def daff_command() -> list[str] | None:
    script = os.path.join(os.path.dirname(sys.executable), "daff")
    if os.path.exists(script):
        return [script]
    found = shutil.which("daff")
    return [found] if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000, help="entries per snapshot")
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument("--daff-runs", type=int, default=1, help="best of N for daff (slow)")
    parser.add_argument("--keep", metavar="FOLDER", help="write files here and keep them")
    args = parser.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="roadmap-bench-diff-")
    os.makedirs(folder, exist_ok=True)
    try:
        rng = random.Random(2021)
        old_rows = first_snapshot(args.entries, rng)
        new_rows = second_snapshot(old_rows, rng)
        first = os.path.join(folder, "bench_2020-12-15.xlsx")
        second = os.path.join(folder, "bench_2021-12-15.xlsx")
        write_snapshot_xlsx(first, old_rows, "2020-12-15")
        write_snapshot_xlsx(second, new_rows, "2021-12-15")
        print(f"wrote two snapshots of {len(old_rows):,} and {len(new_rows):,} entries")
        db = build_store(folder, args.entries + args.entries // 100, first, second)

        import openpyxl  # noqa: F401  (imported once up front so no timing pays for it)

        cli = best_of(
            args.runs,
            lambda: time_command(
                roadmap_command() + ["--db", db, "diff", "bench", "--format", "csv"]
            ),
        )
        library, changes = min(time_library_diff(db) for _ in range(args.runs))
        bare = best_of(args.runs, lambda: time_openpyxl(first))
        rows = [
            ("roadmap diff (CLI, csv)", cli, cli / bare, RATIO_GOAL),
            ("roadmap diff (library)", library, library / bare, RATIO_GOAL),
            ("openpyxl read-only pass, one file", bare, None, None),
        ]
        daff = daff_command()
        daff_time = None
        if daff:
            old_csv, new_csv = os.path.join(folder, "old.csv"), os.path.join(folder, "new.csv")
            write_csv(old_csv, old_rows)
            write_csv(new_csv, new_rows)
            daff_time = best_of(
                args.daff_runs,
                lambda: time_daff(
                    daff + ["diff", "--id", "Requirement ID", "--no-color", old_csv, new_csv]
                ),
            )
            rows.append(("daff diff --id (CSV)", daff_time, None, None))

        print(f"\n{changes:,} changed rows between the two snapshots")
        print(f"{'what':36} {'best (s)':>9} {'ratio':>6} {'goal':>6}  verdict")
        for name, seconds, ratio, goal in rows:
            if ratio is None:
                print(f"{name:36} {seconds:9.3f}")
                continue
            verdict = "goal met" if ratio <= goal else "goal missed"
            print(f"{name:36} {seconds:9.3f} {ratio:6.2f} {goal:6.2f}  {verdict}")
        met = cli / bare <= RATIO_GOAL
        if daff_time is not None:
            speedup = daff_time / cli
            verdict = "goal met" if speedup >= DAFF_GOAL else "goal missed"
            print(
                f"roadmap diff is {speedup:.1f}x faster than daff (goal >= {DAFF_GOAL:g}x): "
                f"{verdict}"
            )
            met = met and speedup >= DAFF_GOAL
        else:
            print("daff is not installed (pip install daff): no comparison with it")
        workbook_ratios(db, folder, args.runs)
        print(
            f"\nbest of {args.runs} (daff: {args.daff_runs}); "
            f"CLI: {' '.join(roadmap_command())}; Python {sys.version.split()[0]}"
        )
        return 0 if met else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def workbook_ratios(db: str, folder: str, runs: int) -> None:
    """``roadmap diff --output`` against XlsxWriter (and openpyxl) writing as many cells."""
    output = os.path.join(folder, "diff.xlsx")
    time_diff_workbook(db, output)
    cells, _ = count_cells(output)
    floor = os.path.join(folder, "floor.xlsx")
    library, cli, bare, reference = (
        min(times)
        for times in zip(
            *(
                (
                    time_diff_workbook(db, output),
                    time_command(
                        roadmap_command()
                        + [
                            "--db",
                            db,
                            "diff",
                            "bench",
                            "--output",
                            os.path.join(folder, "diff-cli.xlsx"),
                        ]
                    ),
                    xlsxwriter_floor(cells, 0, floor, time.perf_counter),
                    openpyxl_floor(cells, floor, time.perf_counter),
                )
                for _ in range(runs)
            )
        )
    )
    print(f"\nthe diff workbook holds {cells:,} cells")
    print(f"{'what':36} {'best (s)':>9} {'/XlsxW':>7} {'/openpyxl':>9}")
    for name, seconds in (
        ("diff workbook, writing (library)", library),
        ("roadmap diff --output (CLI, process)", cli),
        (f"XlsxWriter: {cells:,} cells", bare),
        (f"openpyxl: {cells:,} cells", reference),
    ):
        print(f"{name:36} {seconds:9.3f} {seconds / bare:7.2f} {seconds / reference:9.2f}")


if __name__ == "__main__":
    sys.exit(main())
