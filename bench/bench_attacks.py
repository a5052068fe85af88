"""What each hostile file costs ``roadmap import requirements``: time and peak memory.

Run by hand, not by pytest::

    python bench/bench_attacks.py             # best of 3 per attack
    python bench/bench_attacks.py --runs 1 --keep /tmp/hostile

It builds the corpus of ``tests/test_hostile_files.py`` (billion laughs, zip bombs,
huge part counts, files that are not workbooks...) in a temporary folder, runs each
file through the real CLI in a child process, and prints the wall time and the peak
resident memory of that child (``ru_maxrss`` from ``os.wait4``), next to the limits
the tests enforce (5 s, 300 MB) and two baselines: ``roadmap --help`` and the import of
a good workbook. It exits 1 when an attack is not refused, or goes over a limit.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_hostile_files import (  # noqa: E402  (the corpus lives with its tests)
    MEGABYTES,
    SECONDS,
    hostile_files,
    run_cli,
    workbook_parts,
    write_zip,
)


def best_of(runs: int, args: list[str], folder: Path) -> tuple[int, float, float, str]:
    """Status and stderr of the last run; the least time and memory over ``runs``."""
    results = [run_cli(args, folder) for _ in range(runs)]
    status, _, _, stderr = results[-1]
    return (status, min(r[1] for r in results), min(r[2] for r in results), stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="best of N per attack")
    parser.add_argument("--keep", metavar="FOLDER", help="build the files here and keep them")
    args = parser.parse_args()

    folder = Path(args.keep or tempfile.mkdtemp(prefix="roadmap-attacks-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        attacks = hostile_files(folder)
        db = folder / "bench.db"
        if db.exists():
            db.unlink()
        write_zip(folder / "good.xlsx", workbook_parts())
        status, _, _, stderr = run_cli(["--db", str(db), "init", "--start", "2021-05"], folder)
        assert status == 0, stderr

        print(f"{'attack':32} {'file':>12} {'exit':>4} {'time (s)':>9} {'peak (MB)':>10}  verdict")
        failed = 0
        baselines = [("(roadmap --help)", ["--help"], None),
                     ("(a good workbook)", ["--db", str(db), "import", "requirements",
                                            "good.xlsx"], "good.xlsx")]
        for name, command, file in baselines:
            status, seconds, megabytes, _ = best_of(args.runs, command, folder)
            size = f"{os.path.getsize(folder / file):,}" if file else ""
            print(f"{name:32} {size:>12} {status:>4} {seconds:9.2f} {megabytes:10.1f}")
        for attack in attacks:
            command = ["--db", str(db), "import", "requirements", attack.file]
            status, seconds, megabytes, stderr = best_of(args.runs, command, folder)
            refused = status == 1 and stderr == attack.message + "\n"
            within = seconds < SECONDS and megabytes < MEGABYTES
            verdict = ("refused" if refused else "NOT REFUSED AS EXPECTED") + (
                "" if within else f", OVER {SECONDS} s / {MEGABYTES} MB")
            failed += not (refused and within)
            size = os.path.getsize(folder / attack.file)
            print(f"{attack.name:32} {size:12,} {status:>4} {seconds:9.2f} {megabytes:10.1f}"
                  f"  {verdict}")
            if not refused:
                lines = stderr.strip().splitlines() or ["(nothing)"]
                got = ("a traceback: " if "Traceback" in stderr else "") + lines[-1]
                print(f"    expected: {attack.message}\n    got:      {got}")
        print(f"\nbest of {args.runs}; limits {SECONDS} s and {MEGABYTES} MB per attack; "
              f"Python {sys.version.split()[0]}; files in {folder}")
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
