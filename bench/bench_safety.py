"""What the store and output failures cost, and what the user is told: time, peak memory,
exit status and the last line of stderr for each case, each in a child process.

Run by hand, not by pytest::

    python bench/bench_safety.py                      # this checkout
    python bench/bench_safety.py --tree /tmp/before   # another checkout, to compare

Cases marked (root) need a real full or read-only file system: they run the child under
``unshare -m`` with a small tmpfs, and are skipped where that is not allowed.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "roadmap" / "samples"


def run(
    args: list[str], cwd: Path, tree: Path, *, prefix: list[str] | None = None, timeout: float = 120
) -> tuple[int, float, float, str]:
    """Exit status, seconds, peak MB (``ru_maxrss`` via wait4) and stderr of one child."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [*(prefix or []), sys.executable, "-m", "roadmap", *args]
    started = time.perf_counter()
    with open(cwd / ".stderr", "w+b") as err:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        # Only the tail: a child's peak memory starts at this process's (fork), so this
        # process must stay small.
        err.seek(max(0, err.seek(0, os.SEEK_END) - 64 * 1024))
        stderr = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    return code, seconds, usage.ru_maxrss / 1024, stderr


def sample_store(folder: Path, tree: Path, name: str = "roadmap.db") -> Path:
    """A store holding the bundled samples (two roadmap versions, every snapshot)."""
    db = folder / name
    assert run(["--db", str(db), "init", "--start", "2021-05"], folder, tree)[0] == 0
    for csv_name, as_of in (
        ("requirements_2021-05.csv", "2021-05-01"),
        ("requirements_2021-11.csv", "2021-11-01"),
    ):
        assert (
            run(
                [
                    "--db",
                    str(db),
                    "import",
                    "requirements",
                    str(SAMPLES / csv_name),
                    "--as-of",
                    as_of,
                ],
                folder,
                tree,
            )[0]
            == 0
        )
    for snapshot in sorted((SAMPLES / "snapshots").glob("*.csv")):
        assert run(["--db", str(db), "import", "snapshot", str(snapshot)], folder, tree)[0] == 0
    return db


def last_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    if not lines:
        return ""
    if any(line.startswith("Traceback") for line in lines):
        return "TRACEBACK " + lines[-1]
    return lines[-1]


def can_unshare() -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


def in_tmpfs(mount: Path, setup: str, size: str = "2m") -> list[str]:
    """A prefix running the child in its own mount namespace with ``mount`` a tmpfs."""
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount -t tmpfs -o size={size} tmpfs {mount} && {setup} && exec "$@"',
        "sh",
    ]


def cases(folder: Path, tree: Path, root: bool):
    """(name, args, prefix, check) for each case; check() describes the outcome."""
    db = sample_store(folder, tree)
    review = folder / "review.xlsx"
    assert (
        run(
            ["--db", str(db), "review", "--output", str(review), "--as-of", "2021-12-15"],
            folder,
            tree,
        )[0]
        == 0
    )

    latin = "caf\udce9.csv"
    newer = folder / "newer.csv"
    rows = list(csv.reader(open(SAMPLES / "requirements_2021-11.csv", newline="")))
    with open(newer, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                *rows,
                [
                    "ZZ-99",
                    "A new capability",
                    "Model training",
                    "table-stakes",
                    *[""] * (len(rows[0]) - 4),
                ],
            ]
        )
    (folder / "a-folder").mkdir()
    yield "--db is a folder", ["--db", "a-folder", "requirements"], None, None

    damaged = folder / "damaged.db"
    shutil.copy(db, damaged)
    shutil.copy(db, folder / "damaged.db.schema2.bak")
    with sqlite3.connect(damaged) as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    with open(damaged, "r+b") as handle:  # every other page but the first
        for page in range(2, pages, 2):
            handle.seek(size * page)
            handle.write(b"\xff" * size)
    yield "damaged page", ["--db", str(damaged), "compare"], None, None

    locked = folder / "locked.db"
    shutil.copy(db, locked)
    yield (
        "busy: a writer holds the lock",
        ["--db", str(locked), "import", "requirements", str(newer), "--as-of", "2022-01-01"],
        ("hold", locked, "BEGIN IMMEDIATE"),
        None,
    )
    yield (
        "busy: a commit holds it (read)",
        ["--db", str(locked), "requirements"],
        ("hold", locked, "BEGIN EXCLUSIVE"),
        None,
    )

    shutil.copy(newer, os.fsencode(folder / latin))
    yield (
        "file name not UTF-8",
        ["--db", str(db), "import", "requirements", latin, "--as-of", "2022-02-01"],
        None,
        None,
    )

    shutil.copy(db, folder / "store.xlsx")
    yield (
        "review --output is the store",
        ["--db", "store.xlsx", "review", "--output", "store.xlsx", "--as-of", "2021-12-20"],
        None,
        lambda: (
            "store kept"
            if (folder / "store.xlsx").read_bytes()[:6] == b"SQLite"
            else "STORE REPLACED BY A WORKBOOK"
        ),
    )

    control = folder / "control.db"
    yield (
        "--name with a control char",
        ["--db", str(control), "init", "--name", "Acme\x07 ML"],
        None,
        lambda: "stored" if control.exists() else "refused",
    )
    odd = folder / "odd-name.db"
    shutil.copy(db, odd)
    with sqlite3.connect(odd) as connection:
        connection.execute("UPDATE roadmap SET name = 'Acme\x07 ML'")
    yield (
        "review, store name holds U+0007",
        ["--db", str(odd), "review", "--output", "odd.xlsx", "--as-of", "2021-12-15"],
        None,
        None,
    )
    yield (
        "--source with U+FFFE",
        [
            "--db",
            str(db),
            "import",
            "snapshot",
            str(SAMPLES / "snapshots" / sorted(os.listdir(SAMPLES / "snapshots"))[0]),
            "--source",
            "keynote \ufffe",
            "--replace",
        ],
        None,
        None,
    )

    private = folder / "private.xlsx"
    shutil.copy(review, private)
    os.chmod(private, 0o600)
    yield (
        "review over a 0600 file",
        ["--db", str(db), "review", "--output", "private.xlsx", "--as-of", "2021-12-16"],
        None,
        lambda: f"mode {stat.S_IMODE(private.stat().st_mode):o}",
    )

    (folder / "link.xlsx").symlink_to(review)
    yield (
        "review over a symlink",
        ["--db", str(db), "review", "--output", "link.xlsx", "--as-of", "2021-12-17"],
        None,
        lambda: "link kept" if (folder / "link.xlsx").is_symlink() else "LINK REPLACED",
    )

    filled = folder / "filled.xlsx"
    run(["template", "requirements", str(filled)], folder, tree)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from openpyxl import load_workbook; "
            "book = load_workbook(sys.argv[1]); book.worksheets[0].append(['FE-01', "
            "'Our feature store', 'Feature engineering']); book.save(sys.argv[1])",
            str(filled),
        ],
        check=True,
    )
    before = filled.read_bytes()
    yield (
        "template over a filled-in one",
        ["template", "requirements", "filled.xlsx"],
        None,
        lambda: "kept" if filled.read_bytes() == before else "REPLACED (user's rows lost)",
    )

    many = folder / "many-errors.csv"
    with open(many, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID", "Title", "Stage", "Tier", "Target"])
        for number in range(200_000):
            writer.writerow(
                [
                    f"R{number}",
                    "Capability",
                    "Model training",
                    "table-stakes",
                    f"someday {number} " + "x" * 200,
                ]
            )
    many_db = folder / "many.db"
    run(["--db", str(many_db), "init", "--start", "2021-05"], folder, tree)
    yield (
        "200,000 bad rows",
        ["--db", str(many_db), "import", "requirements", str(many), "--map", "Target=target"],
        None,
        lambda: _stderr_size(folder / ".stderr"),
    )

    long_db = folder / "long.db"
    run(["--db", str(long_db), "init", "--start", "2021-05"], folder, tree)
    long_csv = folder / "long.csv"
    with open(long_csv, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ["ID", "Title", "Stage", "Description"],
                ["R1", "Capability", "Model training", "d" * 40_000],
            ]
        )
    run(["--db", str(long_db), "import", "requirements", str(long_csv)], folder, tree)
    yield (
        "export of a 40,000-char cell",
        ["--db", str(long_db), "export", "long.xlsx"],
        None,
        lambda: _reimport(folder, tree, long_db),
    )

    def inits() -> str:
        wins = 0
        for attempt in range(10):
            target = folder / f"race-{attempt}.db"
            env = {**os.environ, "PYTHONPATH": str(tree)}
            children = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "roadmap",
                        "--db",
                        str(target),
                        "init",
                        "--name",
                        f"init {n}",
                    ],
                    cwd=folder,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for n in range(2)
            ]
            wins += sum(child.wait() == 0 for child in children)
        return f"{wins} successes in 10 races of 2 (want 10)"

    yield "two inits at once (x10)", None, None, inits

    if not root:
        return
    full = folder / "full"
    full.mkdir()
    big = folder / "big.csv"
    with open(big, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID", "Title", "Stage", "Tier"])
        for number in range(20_000):
            writer.writerow(
                [f"R{number}", f"Capability {number} " + "y" * 40, "Model training", "table-stakes"]
            )
    setup = f"cp {db} {full}/roadmap.db"
    yield (
        "(root) full disk during import",
        ["--db", str(full / "roadmap.db"), "import", "requirements", str(big)],
        in_tmpfs(full, setup, "1m"),
        None,
    )
    filler = (
        f"cp {db} {full}/roadmap.db && dd if=/dev/zero of={full}/filler bs=4k 2>/dev/null; true"
    )
    yield (
        "(root) full disk recording a review",
        [
            "--db",
            str(full / "roadmap.db"),
            "review",
            "--output",
            str(review),
            "--as-of",
            "2021-12-18",
        ],
        in_tmpfs(full, filler, "2m"),
        lambda: "old review kept" if _same_review(review) else "OLD REVIEW REPLACED",
    )
    readonly = f"cp {db} {full}/roadmap.db && mount -o remount,ro {full}"
    yield (
        "(root) read-only store",
        [
            "--db",
            str(full / "roadmap.db"),
            "import",
            "requirements",
            str(newer),
            "--as-of",
            "2022-03-01",
        ],
        in_tmpfs(full, readonly),
        None,
    )


_REVIEW_BYTES: dict[str, bytes] = {}


def _stderr_size(path: Path) -> str:
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return f"{lines} lines, {path.stat().st_size / 1e6:.1f} MB"


def _same_review(path: Path) -> bool:
    return path.read_bytes() == _REVIEW_BYTES.get(str(path))


def _reimport(folder: Path, tree: Path, db: Path) -> str:
    if not (folder / "long.xlsx").exists():
        return "not written"
    text = subprocess.run(
        [
            sys.executable,
            "-m",
            "roadmap",
            "--db",
            str(db),
            "import",
            "requirements",
            "long.xlsx",
            "--dry-run",
        ],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return f"written; re-import: {text[-1] if text else '?'}"


def hold_lock(db: Path, statement: str) -> subprocess.Popen:
    """Another process holding the store's lock until killed."""
    code = (
        f"import sqlite3, sys, time\nc = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        f"c.execute({statement!r})\nprint('held', flush=True)\ntime.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--keep", metavar="FOLDER", help="work here and keep the files")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="roadmap-safety-"))
    folder.mkdir(parents=True, exist_ok=True)
    root = can_unshare()
    print(f"{'case':36} {'exit':>4} {'time (s)':>8} {'peak (MB)':>9}  outcome")
    try:
        for name, argv, prefix, check in cases(folder, args.tree, root):
            _REVIEW_BYTES[str(folder / "review.xlsx")] = (folder / "review.xlsx").read_bytes()
            holder = None
            if isinstance(prefix, tuple):
                holder = hold_lock(prefix[1], prefix[2])
                prefix = None
            try:
                if argv is None:
                    started = time.perf_counter()
                    outcome = check()
                    print(
                        f"{name:36} {'':>4} {time.perf_counter() - started:8.2f} {'':>9}  {outcome}"
                    )
                    continue
                status, seconds, peak, stderr = run(argv, folder, args.tree, prefix=prefix)
            finally:
                if holder:
                    holder.kill()
                    holder.wait()
            outcome = last_line(stderr)
            if check:
                outcome = f"{check()}; {outcome}"
            print(f"{name:36} {status:>4} {seconds:8.2f} {peak:9.0f}  {outcome[:150]}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
