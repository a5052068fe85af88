"""How fast ``roadmap review`` is next to openpyxl writing as many styled cells.

Run by hand, not by pytest::

    python bench/bench_review.py                  # 2,000 requirements x 6 vendors x 2 snapshots
    python bench/bench_review.py --requirements 500 --runs 5 --profile

It builds a store in a temporary folder (requirements, then two snapshots per vendor,
then a recorded review of the first date so the Changes sheet has content), and times
(best of N) the review of the second date: through the library (``build_review`` and
``write_review``) and as a ``roadmap review --no-record`` subprocess. The floor is
XlsxWriter writing and saving as many cells as the review workbook holds, each with a
font and a fill, and as many comments; openpyxl doing the same (without the comments)
is shown for reference. Goal: review/XlsxWriter <= 1.5.
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

from common import print_profile, roadmap_command  # bench/common.py, beside this script

REVIEW_GOAL = 1.5
FIRST, SECOND = "2021-06-01", "2021-12-01"
REVIEW_DATE = "2021-12-15"
VENDORS = (("sagemaker", "Amazon SageMaker", "end-to-end"),
           ("vertex", "Google Vertex AI", "end-to-end"),
           ("azureml", "Azure Machine Learning", "end-to-end"),
           ("databricks", "Databricks", "end-to-end"),
           ("seldon", "Seldon Core", "open-source"),
           ("kubeflow", "Kubeflow", "open-source"))
LEVEL_WEIGHTS = {"ga": 40, "preview": 10, "partial": 10, "partner": 8, "planned": 7,
                 "none": 15, "unknown": 10}
STAGE_WORDS = ("Connector for", "Versioned datasets of", "Feature store entries for",
               "Labeling queues for", "Experiment tracking for", "Distributed training on",
               "Quantization of", "Canary rollouts of")


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
        rows.append(Requirement(
            id=f"REQ-{number:05d}", title=f"{STAGE_WORDS[stage]} workload #{number}",
            stage=BIG_EIGHT[stage],
            tier=Tier.BEST_IN_CLASS if rng.random() < 0.3 else Tier.TABLE_STAKES,
            priority=rng.choice(("high", "medium", "low")),
            target=f"{rng.choice((2021, 2022, 2023))}-{rng.randint(1, 12):02d}",
            status=rng.choice(("open", "open", "in progress", "done")),
            owner=rng.choice(("Ana", "Ben", "Chen", None)),
            description=f"Teams need {STAGE_WORDS[stage].lower()} workload #{number}."))
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
                        requirement.id, Level(level), f"{name} {requirement.stage}",
                        f"https://docs.example.com/{key}/{requirement.id}" if url
                        else f"{name} release notes {day}",
                        "approximate date" if rng.random() < 0.2 else None)
                store.add_snapshot(Snapshot(key, day, f"{name} docs", entries),
                                   store.add_event("import snapshot", {}, as_of=day))
    record_review(store, build_review(store, "2021-06-30"))
    store.close()


def time_library_review(db: str, output: str) -> float:
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review
    from roadmap.store import Store

    store = Store.open(db)
    gc.collect()
    try:
        start = time.perf_counter()
        write_review(build_review(store, REVIEW_DATE), output)
        return time.perf_counter() - start
    finally:
        store.close()



def time_cli_review(db: str, output: str) -> float:
    start = time.perf_counter()
    subprocess.run(roadmap_command() + ["--db", db, "review", "--output", output, "--as-of",
                                        REVIEW_DATE, "--no-record"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def count_cells(path: str) -> tuple[int, int]:
    """Cells holding a value, and cells with a comment, in a written workbook."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    cells = comments = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cells += cell.value is not None
                comments += cell.comment is not None
    return cells, comments


def time_openpyxl(cells: int, output: str, columns: int = 20) -> float:
    """openpyxl writing ``cells`` cells, each with a font and a fill, and saving them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    gc.collect()
    start = time.perf_counter()
    book = Workbook()
    sheet = book.active
    font = Font(name="Calibri", bold=True)
    fills = [PatternFill(fill_type="solid", start_color=c, end_color=c)
             for c in ("63BE7B", "FFE699", "F08080")]
    for index in range(cells):
        cell = sheet.cell(row=index // columns + 1, column=index % columns + 1,
                          value=f"text {index % 97}")
        cell.font = font
        cell.fill = fills[index % 3]
    book.save(output)
    return time.perf_counter() - start


def time_xlsxwriter(cells: int, comments: int, output: str, columns: int = 20) -> float:
    """XlsxWriter writing ``cells`` cells, each with a font and a fill, ``comments`` of
    them with a comment, and saving them."""
    import xlsxwriter

    gc.collect()
    start = time.perf_counter()
    book = xlsxwriter.Workbook(output, {"strings_to_formulas": False,
                                        "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet()
    formats = [book.add_format({"font_name": "Calibri", "bold": True, "pattern": 1,
                                "bg_color": f"#{c}"}) for c in ("63BE7B", "FFE699", "F08080")]
    every = max(1, cells // max(comments, 1))
    for index in range(cells):
        row, column = index // columns, index % columns
        sheet.write_string(row, column, f"text {index % 97}", formats[index % 3])
        if index % every == 0 and index // every < comments:
            sheet.write_comment(row, column, f"Product: p\nEvidence: e {index}",
                                {"author": "roadmap", "width": 320, "height": 60})
    book.close()
    return time.perf_counter() - start


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
    args = parser.parse_args()

    folder = args.keep or tempfile.mkdtemp(prefix="roadmap-bench-")
    os.makedirs(folder, exist_ok=True)
    try:
        db = os.path.join(folder, "bench.db")
        if os.path.exists(db):
            os.remove(db)
        start = time.perf_counter()
        build_store(db, args.requirements)
        print(f"built {db}: {args.requirements:,} requirements x {len(VENDORS)} vendors x 2 "
              f"snapshots in {time.perf_counter() - start:.2f} s")
        review_path = os.path.join(folder, "review.xlsx")
        time_library_review(db, review_path)  # warm up imports, and size the floor
        cells, comments = count_cells(review_path)
        print(f"the review workbook holds {cells:,} cells ({comments:,} with a comment), "
              f"{os.path.getsize(review_path):,} bytes")

        # Interleaved, so a burst of load on the machine hits every measure alike.
        library, cli, bare, openpyxl = (min(times) for times in zip(*(
            (time_library_review(db, review_path),
             time_cli_review(db, os.path.join(folder, "review-cli.xlsx")),
             time_xlsxwriter(cells, comments, os.path.join(folder, "floor.xlsx")),
             time_openpyxl(cells, os.path.join(folder, "openpyxl.xlsx")))
            for _ in range(args.runs))))
        rows = [("review (library)", library), ("roadmap review (CLI)", cli),
                (f"XlsxWriter: {cells:,} cells + comments", bare),
                (f"openpyxl: {cells:,} cells, no comments", openpyxl)]
        print(f"\n{'what':40} {'best (s)':>9} {'/XlsxW':>7} {'/openpyxl':>9} {'goal':>5}"
              "  verdict")
        for name, seconds in rows:
            ratio = seconds / bare
            verdict = ("goal met" if ratio <= REVIEW_GOAL else "goal missed") if name.startswith(
                ("review", "roadmap")) else ""
            print(f"{name:40} {seconds:9.3f} {ratio:7.2f} {seconds / openpyxl:9.2f} "
                  f"{REVIEW_GOAL:5.2f}  {verdict}")
        print(f"\nbest of {args.runs}; CLI: {' '.join(roadmap_command())}; "
              f"Python {sys.version.split()[0]}")
        if args.profile:
            profile_review(db, review_path, 25)
        return 0 if cli / bare <= REVIEW_GOAL else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
