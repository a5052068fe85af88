"""The shared store on PostgreSQL next to the SQLite file, on the same machine.

Run by hand, not by pytest::

    python bench/bench_postgres.py                 # 20,000-row import, 2,000 x 6 review, 8 writers
    python bench/bench_postgres.py --runs 1 --rows 5000 --writes 10

The server is ``ROADMAP_BENCH_POSTGRES`` (a URL on a server where the user may create
databases), else a throw-away cluster started for the run (``tests/pgcluster.py``) with
its durability on (fsync, synchronous commit), as SQLite's is. Times are best of N:

- import: ``import_requirements`` of bench_import's 20,000-row workbook into a fresh store;
- review: ``build_review`` + ``write_review`` of bench_review's 2,000 requirements x 6
  vendors x 2 snapshots;
- writers: 8 processes at once, each importing ``--writes`` small snapshots (one write
  transaction each); the throughput is all writes over the wall-clock time of the lot.

Goals: import and review on PostgreSQL <= 2x SQLite; 8 writers lose nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "tests")]

from bench_import import write_workbook  # noqa: E402
from bench_review import REVIEW_DATE, build_store  # noqa: E402

WRITER = """
import os, sys, time
from roadmap.snapshots import import_snapshots
from roadmap.store import Store

target, vendor, writes, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
store = Store.open(target)
while not os.path.exists(go):
    time.sleep(0.005)
for number in range(1, writes + 1):
    import_snapshots(store, f"{vendor}.csv", vendor=vendor, as_of=f"2021-{1 + number // 28:02d}-"
                     f"{1 + number % 28:02d}")
store.close()
"""


def new_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def fresh(engine: str, server: str, folder: str, name: str) -> str:
    """An empty place for a store: a new file name, or a new database."""
    if engine == "postgresql":
        return new_database(server, f"bench_{name}")
    path = os.path.join(folder, f"{name}.db")
    for leftover in (path, f"{path}-journal"):
        if os.path.exists(leftover):
            os.remove(leftover)
    return path


def time_import(target: str, workbook: str) -> float:
    from roadmap.requirements import import_requirements
    from roadmap.store import Settings, Store

    store = Store.create(target, Settings(start="2021-01"))
    try:
        start = time.perf_counter()
        result = import_requirements(store, workbook, as_of="2021-06-01")
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    assert result.plan.added, "the import wrote nothing"
    return elapsed


def time_review(target: str, output: str) -> float:
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review
    from roadmap.store import Store

    store = Store.open(target)
    try:
        start = time.perf_counter()
        write_review(build_review(store, REVIEW_DATE), output)
        return time.perf_counter() - start
    finally:
        store.close()


def time_writers(target: str, folder: str, writers: int, writes: int) -> float:
    """Seconds for ``writers`` processes to make ``writes`` snapshots each, all at once."""
    from roadmap.requirements import import_requirements
    from roadmap.store import Settings, Store

    requirements = os.path.join(folder, "writers.csv")
    with open(requirements, "w") as handle:
        handle.write("ID,Title,Stage,Tier\n")
        handle.writelines(f"R-{n},Thing {n},Model training,table-stakes\n" for n in range(200))
    store = Store.create(target, Settings(start="2021-01"))
    import_requirements(store, requirements, as_of="2021-01-01")
    store.close()
    for number in range(writers):
        with open(os.path.join(folder, f"w{number}.csv"), "w") as handle:
            handle.write("Requirement ID,Level,Product\n")
            handle.writelines(
                f"R-{n},{'ga' if n % (number + 2) else 'none'},Thing {n}\n" for n in range(200)
            )
    go = os.path.join(folder, f"go-{os.getpid()}-{time.monotonic_ns()}")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, target, f"w{n}", str(writes), go],
            cwd=folder,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    time.sleep(3)  # every child started and connected
    start = time.perf_counter()
    open(go, "w").close()
    errors = [child.communicate()[1] for child in children]
    elapsed = time.perf_counter() - start
    assert all(child.returncode == 0 for child in children), errors
    store = Store.open(target)
    try:
        made = len(store.snapshot_infos())
    finally:
        store.close()
    assert made == writers * writes, f"{made} snapshots, expected {writers * writes}"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="requirements to import")
    parser.add_argument("--requirements", type=int, default=2_000, help="in the review")
    parser.add_argument("--runs", type=int, default=3, help="best of N")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=20, help="snapshots per writer")
    args = parser.parse_args()

    import pgcluster

    with tempfile.TemporaryDirectory() as folder:
        server, cluster = os.environ.get("ROADMAP_BENCH_POSTGRES"), None
        if not server:
            cluster = tempfile.mkdtemp(prefix="roadmap-bench-pg-")
            server = pgcluster.start(cluster, durable=True)
        try:
            workbook = os.path.join(folder, "requirements.xlsx")
            write_workbook(workbook, args.rows)
            times: dict[tuple[str, str], float] = {}
            engines = ("sqlite", "postgresql")
            for _ in range(args.runs):  # interleaved, so a burst of load hits both alike
                for engine in engines:
                    elapsed = time_import(fresh(engine, server, folder, "import"), workbook)
                    times[engine, "import"] = min(times.get((engine, "import"), 1e9), elapsed)
            stores = {}
            for engine in engines:
                stores[engine] = fresh(engine, server, folder, "review")
                build_store(stores[engine], args.requirements)
            for _ in range(args.runs):
                for engine in engines:
                    elapsed = time_review(stores[engine], os.path.join(folder, "r.xlsx"))
                    times[engine, "review"] = min(times.get((engine, "review"), 1e9), elapsed)
            for engine in engines:
                times[engine, "writers"] = time_writers(
                    fresh(engine, server, folder, "writers"), folder, args.writers, args.writes
                )
        finally:
            if cluster:
                pgcluster.stop(cluster)

    writes = args.writers * args.writes
    print(f"{'':34} {'SQLite':>9} {'PostgreSQL':>11} {'ratio':>7}")
    for step, label in (
        ("import", f"import {args.rows:,} requirements"),
        ("review", f"review {args.requirements:,} x 6"),
    ):
        sqlite, postgres = times["sqlite", step], times["postgresql", step]
        print(f"{label:34} {sqlite:8.2f}s {postgres:10.2f}s {postgres / sqlite:7.2f}")
    label = f"{args.writers} writers, {writes} writes"
    sqlite, postgres = times["sqlite", "writers"], times["postgresql", "writers"]
    print(f"{label:34} {sqlite:8.2f}s {postgres:10.2f}s {postgres / sqlite:7.2f}")
    print(f"{'  throughput (writes/s)':34} {writes / sqlite:9.1f} {writes / postgres:11.1f}")
    missed = [
        step
        for step in ("import", "review")
        if times["postgresql", step] > 2 * times["sqlite", step]
    ]
    if missed:
        print(f"goal missed: {', '.join(missed)} on PostgreSQL over 2x SQLite")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
