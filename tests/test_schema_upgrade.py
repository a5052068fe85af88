"""A store made by an older roadmap is upgraded in place, after a byte-for-byte backup.

Old stores are built here with sqlite3 and only the first migrations, as an older
release left them, with data in them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import roadmap.store
from roadmap.model import Level
from roadmap.store import MIGRATIONS, SCHEMA_VERSION, Store


def old_store(path: Path, version: int) -> bytes:
    """A store at schema ``version`` holding two requirements (and, from 2, a snapshot)."""
    connection = sqlite3.connect(path)
    for step in MIGRATIONS[:version]:
        connection.executescript(step)
    connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    connection.execute(
        "INSERT INTO roadmap (id, name, start_month, horizon, cadence, scores) "
        "VALUES (1, 'Acme ML', '2021-05', 18, 3, NULL)"
    )
    connection.executemany(
        "INSERT INTO stages VALUES (?, ?)", [(0, "feature engineering"), (1, "model training")]
    )
    connection.execute(
        "INSERT INTO events (action, at, as_of, file, sha256, summary) VALUES "
        "('import requirements', '2021-05-03T10:00:00+00:00', '2021-05-03', "
        "'reqs.xlsx', 'abc', '{\"added\": [\"FE-1\", \"MT-1\"]}')"
    )
    connection.executemany(
        "INSERT INTO requirement_versions VALUES (?, 1, ?, ?, ?, 'high', '2021-09', 'open', "
        "'Ana', NULL, NULL, ?)",
        [
            ("FE-1", "Feature store", "feature engineering", "best-in-class", "=not a formula"),
            ("MT-1", "Distributed training", "model training", "table-stakes", None),
        ],
    )
    if version >= 2:
        connection.execute(
            "INSERT INTO vendors VALUES ('sagemaker', 'Amazon SageMaker', 'end-to-end')"
        )
        connection.execute(
            "INSERT INTO snapshots (vendor, as_of, source, event) VALUES "
            "('sagemaker', '2020-12-15', 're:Invent 2020', 1)"
        )
        connection.execute(
            "INSERT INTO snapshot_entries VALUES (1, 'FE-1', 'ga', "
            "'SageMaker Feature Store', 'https://aws.amazon.com', NULL)"
        )
    connection.commit()
    connection.close()
    return path.read_bytes()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_old_store_is_upgraded_in_place_after_a_backup(version, tmp_path):
    db = tmp_path / "roadmap.db"
    old = old_store(db, version)
    store = Store.open(str(db))
    assert store.schema_version() == SCHEMA_VERSION
    assert {"vendors", "snapshots", "snapshot_entries", "reviews"} <= tables(db)
    requirements = store.requirements()
    assert sorted(requirements) == ["FE-1", "MT-1"]
    assert requirements["FE-1"].title == "Feature store"
    assert requirements["FE-1"].notes == "=not a formula"
    assert store.settings().stages == ["feature engineering", "model training"]
    assert [e.summary for e in store.events()] == [{"added": ["FE-1", "MT-1"]}]
    if version >= 2:
        (info,) = store.snapshot_infos()
        assert store.snapshot(info.id).level("FE-1") is Level.GA
    store.close()
    backup = tmp_path / f"roadmap.db.schema{version}.bak"
    assert backup.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roadmap.db", backup.name]


def test_any_command_upgrades_an_old_store(tmp_path, invoke, db):
    old = old_store(db, 1)
    result = invoke("requirements", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in json.loads(result.stdout)] == ["FE-1", "MT-1"]
    assert (tmp_path / "roadmap.db.schema1.bak").read_bytes() == old
    assert Store.open(str(db)).schema_version() == SCHEMA_VERSION


def test_an_upgraded_store_is_not_backed_up_or_changed_again(tmp_path):
    db = tmp_path / "roadmap.db"
    old_store(db, 1)
    Store.open(str(db)).close()
    upgraded = db.read_bytes()
    Store.open(str(db)).close()
    assert db.read_bytes() == upgraded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roadmap.db", "roadmap.db.schema1.bak"]


def test_a_failed_upgrade_leaves_the_store_at_its_old_version(tmp_path, monkeypatch, invoke, db):
    old = old_store(db, 1)
    broken = [*MIGRATIONS, "CREATE TABLE notes (id INTEGER); CREATE TABLE notes (id INTEGER)"]
    monkeypatch.setattr(roadmap.store, "MIGRATIONS", broken)
    monkeypatch.setattr(roadmap.store, "SCHEMA_VERSION", len(broken))
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {db}: cannot upgrade the store from schema 1 to {len(broken)} (table notes "
        "already exists); it was left as it was. Please report this to roadmap's "
        "maintainers\n"
    )
    assert db.read_bytes() == old
    assert "vendors" not in tables(db)


def test_a_store_from_a_newer_roadmap_is_refused_untouched(invoke, db):
    old_store(db, SCHEMA_VERSION)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    before = db.read_bytes()
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == f"error: {db}: made by a newer roadmap (schema 99); upgrade roadmap\n"
    assert db.read_bytes() == before


def test_a_file_that_is_not_a_store_is_refused_untouched(invoke, db):
    db.write_bytes(b"ID,Title\nR1,Feature store\n")
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == f"error: {db}: not a roadmap store (not an SQLite file)\n"
    assert db.read_bytes() == b"ID,Title\nR1,Feature store\n"
