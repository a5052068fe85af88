"""What each hostile file costs ``roadmap import requirements``: time and peak memory.

Run by hand, not by pytest::

    python bench/bench_attacks.py             # best of 3 per attack
    python bench/bench_attacks.py --runs 1 --keep /tmp/hostile
    python bench/bench_attacks.py --runs 1 --timeout 30 --memory 4096   # a reader that runs away

It builds the corpus of ``tests/test_hostile_files.py`` (billion laughs, zip bombs,
huge part counts, files that are not workbooks, then the files that ask a parser for
gigabytes: far-apart cells, element floods in every kind of part, millions of strings,
huge and endless CSV) in a temporary folder, runs each file through the real CLI in a
child process, and prints the wall time and the peak resident memory of that child
(``ru_maxrss`` from ``os.wait4``), next to the limits the tests enforce (5 s, 300 MB)
and two baselines: ``roadmap --help`` and the import of a good workbook. ``--timeout``
kills a child after that many seconds and ``--memory`` caps its address space, so a
version without the bounds can be measured too. Exits 1 when an attack is not refused
(or read, for the few a reader may read), or goes over a limit.
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
    expansion_attacks,
    hostile_files,
    run_cli,
    workbook_parts,
    write_zip,
)


def best_of(runs: int, args: list[str], folder: Path, **bounds) -> tuple[int, float, float, str]:
    """Status and stderr of the last run; the least time and memory over ``runs``."""
    results = [run_cli(args, folder, **bounds) for _ in range(runs)]
    status, _, _, stderr = results[-1]
    return (status, min(r[1] for r in results), min(r[2] for r in results), stderr)


def main() -> int:
    import random

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="best of N per attack")
    parser.add_argument("--keep", metavar="FOLDER", help="build the files here and keep them")
    parser.add_argument("--timeout", type=float, default=0, help="kill a run after N seconds")
    parser.add_argument("--memory", type=int, default=0, help="cap a run's address space (MB)")
    parser.add_argument("--only", nargs="*", help="attack names to run (default: all)")
    args = parser.parse_args()
    bounds = {"timeout": args.timeout, "megabytes": args.memory}

    folder = Path(args.keep or tempfile.mkdtemp(prefix="roadmap-attacks-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        attacks = hostile_files(folder) + expansion_attacks(folder, random.Random(12))
        if args.only:
            attacks = [a for a in attacks if a.name in args.only]
        db = folder / "bench.db"
        if db.exists():
            db.unlink()
        write_zip(folder / "good.xlsx", workbook_parts())
        status, _, _, stderr = run_cli(["--db", str(db), "init", "--start", "2021-05"], folder)
        assert status == 0, stderr

        print(f"{'attack':32} {'file':>12} {'exit':>4} {'time (s)':>9} {'peak (MB)':>10}  verdict")
        failed = 0
        baselines = [
            ("(roadmap --help)", ["--help"], None),
            (
                "(a good workbook)",
                ["--db", str(db), "import", "requirements", "good.xlsx", "--dry-run"],
                "good.xlsx",
            ),
        ]
        for name, command, file in baselines:
            status, seconds, megabytes, _ = best_of(args.runs, command, folder)
            size = f"{os.path.getsize(folder / file):,}" if file else ""
            print(f"{name:32} {size:>12} {status:>4} {seconds:9.2f} {megabytes:10.1f}")
        for attack in attacks:
            command = ["--db", str(db), "import", "requirements", attack.file, "--dry-run"]
            status, seconds, megabytes, stderr = best_of(args.runs, command, folder, **bounds)
            if attack.message is None:
                refused = status == 0
                verdict = "read" if refused else "NOT READ AS EXPECTED"
            else:
                refused = status == 1 and stderr == attack.message + "\n"
                verdict = "refused" if refused else "NOT REFUSED AS EXPECTED"
            if status == -9:
                verdict += f" (killed after {args.timeout:g} s)"
            within = seconds < SECONDS and megabytes < MEGABYTES
            verdict += "" if within else f", OVER {SECONDS} s / {MEGABYTES} MB"
            failed += not (refused and within)
            path = Path(attack.file) if attack.file.startswith("/") else folder / attack.file
            size = f"{os.path.getsize(path):12,}" if path.is_file() else f"{'(stream)':>12}"
            print(
                f"{attack.name:32} {size} {status:>4} {seconds:9.2f} {megabytes:10.1f}  {verdict}"
            )
            if not refused:
                lines = stderr.strip().splitlines() or ["(nothing)"]
                got = ("a traceback: " if "Traceback" in stderr else "") + lines[-1][:200]
                print(f"    expected: {attack.message or 'exit 0'}\n    got:      {got}")
        print(
            f"\nbest of {args.runs}; limits {SECONDS} s and {MEGABYTES} MB per attack; "
            f"Python {sys.version.split()[0]}; files in {folder}"
        )
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
