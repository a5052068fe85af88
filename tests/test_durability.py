"""Nothing is lost: a failed or killed import leaves the store as it was, two imports at
once are serialised, and a failed workbook write leaves the existing file as it was.

Crashes are made deterministic, not timed: a child process runs the real CLI with one
library call wrapped (write half the rows, then SIGKILL itself; or say "about to take
the write lock" and go on), so the test knows exactly where it stopped.
"""

from __future__ import annotations

import errno
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadmap.cli import cli
from roadmap.errors import RoadmapError
from roadmap.requirements import import_requirements
from roadmap.store import MIGRATIONS, Settings, Store

HEADER = ["ID", "Title", "Stage", "Tier", "Priority", "Target", "Owner", "Notes"]
STAGES = ["data collection", "feature engineering", "model training", "model deployment"]

# Runs ``roadmap ARGS`` with one library call wrapped; argv: HOOK PATH ARGS...
CHILD = r"""
import os, signal, sys
from contextlib import contextmanager
from pathlib import Path

from roadmap.store import Store

hook, path, *args = sys.argv[1:]
if hook == "die-after-half-the-rows":
    write = Store.write_requirement_versions

    def write_half_then_die(self, event, versions):
        self.db.execute("PRAGMA cache_size = 10")  # spill the new pages into the store file
        write(self, event, versions[: len(versions) // 2])
        Path(path).write_text(str(len(versions) // 2))
        os.kill(os.getpid(), signal.SIGKILL)

    Store.write_requirement_versions = write_half_then_die
elif hook == "announce-the-write-lock":
    transaction = Store.transaction

    @contextmanager
    def announced(self):
        Path(path).touch()
        with transaction(self):
            yield

    Store.transaction = announced
    # Upgrading an old store takes a lock of its own first (for its backup copy).
    import roadmap.store
    upgrade_lock = roadmap.store._upgrade_lock

    @contextmanager
    def announced_upgrade(store_path):
        Path(path).touch()
        with upgrade_lock(store_path) as locked:
            yield locked

    roadmap.store._upgrade_lock = announced_upgrade
elif hook == "die-while-saving":
    from xlsxwriter.worksheet import Worksheet

    def die(self):
        Path(path).touch()
        os.kill(os.getpid(), signal.SIGKILL)

    Worksheet._assemble_xml_file = die

from roadmap.cli import cli
cli(args, prog_name="roadmap")
"""


def start_child(hook: str, path: Path, *args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, hook, str(path), *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(*paths: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not all(p.exists() for p in paths):
        assert time.monotonic() < deadline, f"children never reached the lock: {paths}"
        time.sleep(0.02)


def write_requirements(
    path: Path, count: int, *, title: str = "Capability", first: int = 1
) -> Path:
    """``count`` requirements R00001… in a workbook written row by row (fast for 20,000)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Requirements")
    sheet.append(HEADER)
    for number in range(first, first + count):
        sheet.append(
            [
                f"R{number:05d}",
                f"{title} {number}",
                STAGES[number % len(STAGES)],
                "best-in-class" if number % 3 == 0 else "table-stakes",
                "high",
                "2022-06",
                "Ana Ruiz",
                f"note {number}",
            ]
        )
    book.save(path)
    return path


def state(db: Path) -> tuple[dict, list]:
    """What a user can see in the store: the requirements and the log."""
    store = Store.open(str(db))
    try:
        return store.requirements(), [(e.action, e.file, e.summary) for e in store.events()]
    finally:
        store.close()


def version_count(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT COUNT(*) FROM requirement_versions").fetchone()[0]


@pytest.fixture
def started(db, store, tmp_path) -> Path:
    """A store holding three requirements from one earlier import."""
    import_requirements(
        store, str(write_requirements(tmp_path / "first.xlsx", 3)), as_of="2021-06-01"
    )
    return db


def test_a_failure_after_half_the_rows_leaves_the_store_as_it_was(
    started, tmp_path, invoke, monkeypatch
):
    write_requirements(tmp_path / "big.xlsx", 2000, title="Renamed")
    before, before_bytes = state(started), started.read_bytes()
    write = Store.write_requirement_versions

    def write_half_then_fail(self, event, versions):
        write(self, event, versions[: len(versions) // 2])
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "write_requirement_versions", write_half_then_fail)
    result = invoke("import", "requirements", "big.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {started}: the disk is full (database or disk is full); nothing was "
        "written. Free some space and run the command again\n"
    )
    assert state(started) == before
    assert started.read_bytes() == before_bytes


@pytest.mark.slow
def test_an_import_killed_half_way_leaves_the_store_as_it_was(started, tmp_path):
    write_requirements(tmp_path / "big.xlsx", 20_000, title="Renamed")
    before, before_bytes = state(started), started.read_bytes()
    written = tmp_path / "written"
    child = start_child(
        "die-after-half-the-rows",
        written,
        "--db",
        started,
        "import",
        "requirements",
        "big.xlsx",
        cwd=tmp_path,
    )
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert written.read_text() == "10000"
    # Killed inside the transaction: a hot journal, and new pages already in the file.
    assert Path(f"{started}-journal").exists()
    assert started.read_bytes() != before_bytes

    assert state(started) == before  # the next open rolls the journal back
    assert started.read_bytes() == before_bytes
    with sqlite3.connect(started) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "roadmap",
            "--db",
            str(started),
            "import",
            "requirements",
            "big.xlsx",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.endswith(
        "Imported big.xlsx: 19997 added, 3 changed, 0 retired, 0 unchanged.\n"
    )


def race(db: Path, folder: Path, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Run the commands at once, all held at the write lock until every one has reached it."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        children = []
        for number, args in enumerate(commands):
            ready = folder / f"ready-{number}"
            children.append(
                (
                    ready,
                    start_child("announce-the-write-lock", ready, "--db", db, *args, cwd=folder),
                )
            )
        wait_for(*(ready for ready, _ in children))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    results = []
    for _, child in children:
        stdout, stderr = child.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr))
    return results


@pytest.mark.slow
def test_the_same_import_twice_at_once_is_applied_once(started, tmp_path):
    write_requirements(tmp_path / "reqs.xlsx", 3000)
    first, second = race(
        started,
        tmp_path,
        ["import", "requirements", "reqs.xlsx"],
        ["import", "requirements", "reqs.xlsx"],
    )
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    outputs = sorted([first.stdout.splitlines()[-1], second.stdout.splitlines()[-1]])
    assert outputs == [
        "Imported reqs.xlsx: 2997 added, 0 changed, 0 retired, 3 unchanged.",
        "No changes (3000 unchanged); nothing was written.",
    ]
    requirements, log = state(started)
    assert len(requirements) == 3000
    assert len(log) == 2
    assert version_count(started) == 3000


@pytest.mark.slow
def test_two_different_imports_at_once_end_as_if_run_one_after_the_other(started, tmp_path):
    write_requirements(tmp_path / "a.xlsx", 3000)
    write_requirements(tmp_path / "b.xlsx", 3500, title="Renamed")
    results = race(
        started,
        tmp_path,
        ["import", "requirements", "a.xlsx"],
        ["import", "requirements", "b.xlsx"],
    )
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    requirements, log = state(started)
    order = [Path(file).name for _, file, _ in log[1:]]
    assert sorted(order) == ["a.xlsx", "b.xlsx"]

    # The same two imports, one after the other in the order the store recorded.
    reference_db = tmp_path / "reference.db"
    reference = Store.create(str(reference_db), Settings(start="2021-05"))
    for name in ["first.xlsx", *order]:
        import_requirements(reference, str(tmp_path / name))
    reference.close()
    assert requirements == state(reference_db)[0]
    assert version_count(started) == version_count(reference_db)


def test_an_import_that_cannot_get_the_lock_fails_cleanly(started, tmp_path, invoke, monkeypatch):
    import roadmap.engines

    monkeypatch.setattr(roadmap.engines, "QUIET_WAIT", 0.1)
    monkeypatch.setattr(roadmap.engines, "BUSY_SECONDS", 0.2)
    write_requirements(tmp_path / "reqs.xlsx", 10)
    before = state(started)
    holder = sqlite3.connect(started, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = invoke("import", "requirements", "reqs.xlsx")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr == (
        f"{started} is busy: another roadmap command is writing to it; waiting up to 0.2 s "
        "for it to finish…\n"
        f"error: {started} is busy: another roadmap command has been writing to it for 0.3 s; "
        "nothing was written. Try again when it has finished\n"
    )
    assert state(started) == before
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0


def test_two_commands_opening_an_old_store_at_once_upgrade_it_once(tmp_path):
    db = tmp_path / "old.db"
    connection = sqlite3.connect(db)
    connection.executescript(MIGRATIONS[0])
    connection.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    connection.execute("INSERT INTO roadmap VALUES (1, 'Old', '2021-01', 18, 3, NULL)")
    connection.execute("INSERT INTO stages VALUES (0, 'model training')")
    connection.commit()
    connection.close()
    old = db.read_bytes()
    results = race(
        db, tmp_path, ["requirements", "--format", "json"], ["requirements", "--format", "json"]
    )
    assert [(r.returncode, r.stderr) for r in results] == [(0, ""), (0, "")]
    assert [json.loads(r.stdout) for r in results] == [[], []]
    assert sorted(p.name for p in tmp_path.glob("old.db.*")) == ["old.db.schema1.bak"]
    assert (tmp_path / "old.db.schema1.bak").read_bytes() == old
    assert Store.open(str(db)).schema_version() == len(MIGRATIONS)


# -- workbooks ---------------------------------------------------------------------------


@pytest.fixture
def exported(started, tmp_path) -> Path:
    """An existing export.xlsx, as a previous run left it."""
    from roadmap.export import write_export

    store = Store.open(str(started))
    write_export(store, str(tmp_path / "export.xlsx"))
    store.close()
    return tmp_path / "export.xlsx"


def test_a_failed_workbook_write_leaves_the_existing_file_and_no_temporary_file(
    exported, started, tmp_path, monkeypatch
):
    from xlsxwriter.worksheet import Worksheet

    from roadmap.export import write_export

    before = exported.read_bytes()
    folder_before = sorted(p.name for p in tmp_path.iterdir())
    write = Worksheet._assemble_xml_file
    calls = []

    def fail_on_the_first_sheet(self):
        calls.append(self.name)
        write(self)  # the temporary file is open by now
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Worksheet, "_assemble_xml_file", fail_on_the_first_sheet)
    store = Store.open(str(started))
    with pytest.raises(RoadmapError) as error:
        write_export(store, str(exported))
    assert str(error.value) == (
        f"{exported}: cannot write (No space left on device); any existing file is unchanged"
    )
    store.close()
    assert calls == ["Requirements"]
    assert exported.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == folder_before


def test_a_workbook_write_killed_half_way_leaves_the_existing_file(exported, tmp_path):
    before = exported.read_bytes()
    reached = tmp_path / "reached"
    child = start_child(
        "die-while-saving", reached, "template", "requirements", "export.xlsx", cwd=tmp_path
    )
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert reached.exists()
    assert exported.read_bytes() == before
    # What a kill cannot clean up is a hidden part file beside it, never the output itself.
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert all(name.startswith(".roadmap-") for name in leftovers)


def test_a_successful_write_replaces_the_file_and_leaves_no_temporary_file(
    exported, tmp_path, runner, db
):
    folder_before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(cli, ["--db", str(db), "template", "requirements", "export.xlsx"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == folder_before
    from openpyxl import load_workbook

    assert load_workbook(exported).sheetnames[0] == "Requirements"
    assert "Instructions" in load_workbook(exported).sheetnames
