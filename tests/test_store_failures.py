"""When the store cannot be used: one line naming the real cause and what to do, exit 1,
nothing written; from Python a StoreError (never an sqlite3 error). And of two `init`s
at once, exactly one wins."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import roadmap.engines
import roadmap.store
from roadmap.cli import RoadmapGroup
from roadmap.errors import InputError, RoadmapError, StoreError, UsageError
from roadmap.requirements import import_requirements
from roadmap.store import MIGRATIONS, Settings, Store

ROWS = [
    ["ID", "Title", "Stage", "Tier"],
    ["FE-01", "Managed feature store", "feature engineering", "table-stakes"],
    ["MT-01", "Managed training jobs", "model training", "table-stakes"],
]


@pytest.fixture
def filled(store, make_csv) -> Path:
    """The store, closed, holding two requirements; then a CSV adding a third."""
    import_requirements(store, str(make_csv(ROWS, "first.csv")), as_of="2021-05-01")
    store.close()
    make_csv(
        [*ROWS, ["DM-01", "Real-time endpoints", "model deployment & monitoring", "table-stakes"]],
        "more.csv",
    )
    return Path(store.path)


def damage(db: Path) -> None:
    """Every page but the first (the schema) overwritten, as a bad disk sector would."""
    with sqlite3.connect(db) as connection:
        pages, size = (
            connection.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size")
        )
    with open(db, "r+b") as handle:
        for page in range(1, pages):
            handle.seek(page * size)
            handle.write(b"\xff" * size)


def test_a_folder_given_as_the_store(invoke, tmp_path, runner):
    from roadmap.cli import cli

    (tmp_path / "stores").mkdir()
    result = runner.invoke(cli, ["--db", "stores", "requirements"])
    assert result.exit_code == 1
    assert result.stderr == "error: stores is a folder, not a store; pass --db stores/roadmap.db\n"
    result = runner.invoke(cli, ["--db", "stores", "init"])
    assert result.exit_code == 1
    assert result.stderr == "error: stores is a folder; pass --db stores/roadmap.db\n"
    assert os.listdir(tmp_path / "stores") == []


def test_a_damaged_store_names_the_backup_to_go_back_to(filled, invoke):
    shutil.copy(filled, f"{filled}.schema2.bak")
    damage(filled)
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {filled}: the store is damaged (database disk image is malformed); "
        f"{filled}.schema2.bak is a copy from before its last upgrade (without later "
        f"changes): copy it over {filled} to go back to it\n"
    )


def test_a_damaged_store_without_a_backup(filled):
    damage(filled)
    with pytest.raises(StoreError) as error:
        Store.open(str(filled))
    assert error.value.reason == "damaged"
    assert str(error.value) == (
        f"{filled}: the store is damaged (database disk image is malformed); restore it "
        "from your own backup, or run 'roadmap init' for a new one"
    )


def test_damage_found_while_reading_is_a_store_error_too(filled):
    store = Store.open(str(filled))
    with sqlite3.connect(filled) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'requirement_versions'"
        ).fetchone()[0]
    with open(filled, "r+b") as handle:
        handle.seek((root - 1) * 4096)
        handle.write(b"\xff" * 4096)
    try:
        with pytest.raises(StoreError, match="the store is damaged"):
            store.requirements()
    finally:
        store.close()


@pytest.mark.parametrize(
    "change, message",
    [
        (
            "UPDATE meta SET value = 'three' WHERE key = 'schema_version'",
            "not a roadmap store (its schema version is not a number)",
        ),
        (
            "DELETE FROM roadmap",
            "the store is damaged (its roadmap settings are missing); restore it from your own "
            "backup, or run 'roadmap init' for a new one",
        ),
        ("DROP TABLE roadmap", "not a roadmap store (no roadmap tables)"),
    ],
)
def test_odd_store_contents_are_named(filled, invoke, change, message):
    with sqlite3.connect(filled) as connection:
        connection.execute(change)
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == f"error: {filled}: {message}\n"


@pytest.fixture
def patience(monkeypatch):
    """Waits for another writer cut short: 0.1 s quietly, then 0.3 s more."""
    monkeypatch.setattr(roadmap.engines, "QUIET_WAIT", 0.1)
    monkeypatch.setattr(roadmap.engines, "BUSY_SECONDS", 0.3)


def holding(db: Path, statement: str) -> sqlite3.Connection:
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute(statement)
    return holder


def test_a_store_locked_by_a_commit_is_busy_not_foreign(filled, invoke, patience):
    holder = holding(filled, "BEGIN EXCLUSIVE")
    try:
        result = invoke("requirements")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr == (
        f"{filled} is busy: another roadmap command is writing to it; waiting up to 0.3 s "
        "for it to finish…\n"
        f"error: {filled} is busy: another roadmap command has been writing to it for 0.4 s; "
        "nothing was written. Try again when it has finished\n"
    )


@pytest.mark.slow
def test_a_writer_that_finishes_while_we_wait_lets_the_import_through(filled, invoke, monkeypatch):
    monkeypatch.setattr(roadmap.engines, "QUIET_WAIT", 0.1)
    monkeypatch.setattr(roadmap.engines, "BUSY_SECONDS", 20)
    holder = holding(filled, "BEGIN IMMEDIATE")
    releaser = threading.Timer(1.0, lambda: (holder.execute("ROLLBACK"), holder.close()))
    releaser.start()
    try:
        result = invoke("import", "requirements", "more.csv")
    finally:
        releaser.join()
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"{filled} is busy: another roadmap command is writing to it; "
        "waiting up to 20 s for it to finish…\n"
    )
    assert result.stdout.endswith("1 added, 0 changed, 0 retired, 2 unchanged.\n")


def test_a_full_disk_says_so_and_leaves_the_store_as_it_was(filled, invoke, monkeypatch):
    before = filled.read_bytes()
    write = Store.write_requirement_versions

    def fill_the_disk(self, event, versions):
        write(self, event, versions)
        # SQLite rolls the transaction back itself on a full disk; a second ROLLBACK
        # would say "cannot rollback - no transaction is active" and hide the cause.
        self.db.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "write_requirement_versions", fill_the_disk)
    result = invoke("import", "requirements", "more.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {filled}: the disk is full (database or disk is full); nothing was "
        "written. Free some space and run the command again\n"
    )
    assert filled.read_bytes() == before


def test_a_read_only_store_says_so(filled, invoke, monkeypatch):
    connect = sqlite3.connect

    def read_only(path, *args, **kwargs):  # what a file without write permission gives
        return connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(roadmap.engines.sqlite3, "connect", read_only)
    before = filled.read_bytes()
    result = invoke("import", "requirements", "more.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {filled}: the store is read-only (attempt to write a readonly database); "
        f"nothing was written. Make it and its folder writable (chmod u+w {filled}), or "
        "work on a copy\n"
    )
    assert filled.read_bytes() == before
    assert invoke("requirements", "--format", "csv").exit_code == 0  # reading still works


def test_no_sqlite_error_escapes_the_library(filled, monkeypatch):
    store = Store.open(str(filled))
    execute = roadmap.engines.SQLiteConnection.execute

    def failing(self, sql, parameters=()):
        if sql.startswith("INSERT INTO events"):
            raise sqlite3.OperationalError("disk I/O error")
        return execute(self, sql, parameters)

    monkeypatch.setattr(roadmap.engines.SQLiteConnection, "execute", failing)
    with pytest.raises(StoreError) as error:
        import_requirements(store, str(filled.parent / "more.csv"))
    assert error.value.reason == "i/o"
    assert isinstance(error.value, RoadmapError)
    monkeypatch.undo()
    assert len(store.requirements()) == 2
    store.close()


def test_a_file_name_that_is_not_utf8_is_refused_by_name(filled, invoke, tmp_path):
    name = os.fsdecode(b"caf\xe9.csv")
    shutil.copy(tmp_path / "more.csv", tmp_path / name)
    result = invoke("import", "requirements", name)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Invalid value for 'FILE': 'caf\\\\xe9.csv' is not a UTF-8 file name, and roadmap "
        "keeps file names in its log; rename the file (e.g. with only ASCII letters)\n"
    )
    result = invoke("review", "--output", os.fsdecode(b"r\xe9view.xlsx"))
    assert result.exit_code == 2
    assert "is not a UTF-8 file name" in result.stderr


def test_from_python_a_file_name_that_is_not_utf8_is_an_input_error(filled, tmp_path):
    name = tmp_path / os.fsdecode(b"caf\xe9.csv")
    shutil.copy(tmp_path / "more.csv", name)
    store = Store.open(str(filled))
    with pytest.raises(InputError, match="holds bytes that are not UTF-8"):
        import_requirements(store, str(name))
    assert len(store.requirements()) == 2
    store.close()


def test_a_store_whose_own_name_is_not_utf8_works(tmp_path):
    # In a subprocess: a terminal prints such a name; CliRunner's strict UTF-8 cannot.
    db = os.fsdecode(b"caf\xe9.db")
    for args in (["init", "--start", "2021-05"], ["requirements", "--format", "json"]):
        result = subprocess.run(
            [sys.executable, "-m", "roadmap", "--db", db, *args], cwd=tmp_path, capture_output=True
        )
        assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == b"[]\n"


def test_an_init_that_loses_the_race_leaves_the_winner_alone(db, monkeypatch):
    migrate = Store._migrate

    def another_init_finishes_first(self, version):
        migrate(self, version)
        if not os.path.exists(db):
            monkeypatch.setattr(Store, "_migrate", migrate)
            Store.create(str(db), Settings(name="The winner", start="2021-05")).close()

    monkeypatch.setattr(Store, "_migrate", another_init_finishes_first)
    with pytest.raises(StoreError, match="a store already exists here"):
        Store.create(str(db), Settings(name="The loser", start="2021-05"))
    assert Store.open(str(db)).settings().name == "The winner"
    assert sorted(os.listdir(db.parent)) == ["roadmap.db"]


def test_without_hard_links_one_init_still_wins(db, monkeypatch):
    def no_links(source, target):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(roadmap.store.os, "link", no_links)
    Store.create(str(db), Settings(name="First", start="2021-05")).close()
    with pytest.raises(StoreError, match="a store already exists here"):
        Store.create(str(db), Settings(name="Second", start="2021-05"))
    assert Store.open(str(db)).settings().name == "First"


@pytest.mark.slow
def test_two_inits_at_once_exactly_one_succeeds(tmp_path):
    for attempt in range(5):
        db = tmp_path / f"race-{attempt}.db"
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "roadmap", "--db", str(db), "init", "--name", f"init {n}"],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        results = [(child.wait(timeout=60), child.stderr.read()) for child in children]
        assert sorted(code for code, _ in results) == [0, 1], results
        assert [err for code, err in results if code] == [
            f"error: {db}: a store already exists here; pass --db PATH for another\n"
        ]
        name = Store.open(str(db)).settings().name
        winner = [n for n, (code, _) in enumerate(results) if code == 0][0]
        assert name == f"init {winner}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"race-{n}.db" for n in range(5)]


def can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs unshare -m and tmpfs (root)")
def test_a_really_full_disk_is_named_and_the_store_kept(filled, tmp_path, make_csv):
    rows = [
        *ROWS,
        *[
            [f"R{n:05d}", f"Capability {n} " + "x" * 60, "model training", "table-stakes"]
            for n in range(20_000)
        ],
    ]
    make_csv(rows, "big.csv")
    small = tmp_path / "small"
    small.mkdir()
    script = (
        f"mount -t tmpfs -o size=512k tmpfs {small} && cp {filled} {small}/roadmap.db && "
        f"{sys.executable} -m roadmap --db {small}/roadmap.db import requirements big.csv"
        f"; status=$?; cp {small}/roadmap.db {tmp_path}/after.db; exit $status"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {small}/roadmap.db: the disk is full (database or disk is full); nothing "
        "was written. Free some space and run the command again\n"
    )
    after = Store.open(str(tmp_path / "after.db"))
    assert sorted(after.requirements()) == ["FE-01", "MT-01"]
    assert [e.action for e in after.events()] == ["import requirements"]
    after.close()


def test_each_kind_of_error_can_be_caught_and_usage_errors_exit_2():
    @click.group(cls=RoadmapGroup)
    def group():
        pass

    @group.command()
    @click.argument("kind")
    def fail(kind):
        raise {"usage": UsageError, "store": StoreError, "input": InputError}[kind](
            f"a {kind} problem"
        )

    assert issubclass(UsageError, RoadmapError) and issubclass(StoreError, RoadmapError)
    for kind, status in (("usage", 2), ("store", 1), ("input", 1)):
        result = CliRunner().invoke(group, ["fail", kind])
        assert (result.exit_code, result.stderr) == (status, f"error: a {kind} problem\n")


def test_an_old_store_is_still_upgraded_with_its_backup(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.executescript(MIGRATIONS[0])
        connection.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        connection.execute("INSERT INTO roadmap VALUES (1, 'Old', '2021-01', 18, 3, NULL)")
    started = time.monotonic()
    Store.open(str(db)).close()
    assert time.monotonic() - started < 5
    assert (tmp_path / "old.db.schema1.bak").exists()


def test_a_new_store_follows_the_umask(invoke, db):
    old = os.umask(0o002)
    try:
        assert invoke("init", "--start", "2021-05").exit_code == 0
    finally:
        os.umask(old)
    assert oct(db.stat().st_mode & 0o777) == oct(0o664)
