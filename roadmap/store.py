"""The SQLite store: one file, versioned schema, every write one transaction.

Nothing here is ever overwritten: requirements keep one row per version, replaced
snapshots stay with a pointer to their successor, and every import and review is an
event in the log.
"""
from __future__ import annotations

import datetime as dt
import glob
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import InputError, RoadmapError, StoreError, shorten
from .model import (
    BIG_EIGHT,
    DEFAULT_SCORES,
    DEFAULT_WEIGHTS,
    Entry,
    Level,
    Requirement,
    Snapshot,
    Stages,
    Tier,
    Vendor,
)

_REQUIREMENT_COLUMNS = (
    "title", "stage", "tier", "priority", "target", "status", "owner", "requested_by",
    "description", "notes",
)

# Each step upgrades the schema by one version; a store is upgraded in place after a backup.
MIGRATIONS = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE roadmap (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL, start_month TEXT NOT NULL,
        horizon INTEGER NOT NULL, cadence INTEGER NOT NULL, scores TEXT);
    CREATE TABLE stages (position INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY, action TEXT NOT NULL, at TEXT NOT NULL, as_of TEXT,
        file TEXT, sha256 TEXT, summary TEXT NOT NULL);
    CREATE TABLE requirement_versions (
        requirement TEXT NOT NULL, event INTEGER NOT NULL REFERENCES events(id),
        title TEXT NOT NULL, stage TEXT NOT NULL, tier TEXT NOT NULL, priority TEXT,
        target TEXT, status TEXT NOT NULL, owner TEXT, requested_by TEXT,
        description TEXT, notes TEXT,
        PRIMARY KEY (requirement, event));
    """,
    """
    CREATE TABLE vendors (key TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY, vendor TEXT NOT NULL REFERENCES vendors(key),
        as_of TEXT NOT NULL, source TEXT, event INTEGER NOT NULL REFERENCES events(id),
        replaced_by INTEGER REFERENCES snapshots(id));
    CREATE UNIQUE INDEX current_snapshot ON snapshots (vendor, as_of) WHERE replaced_by IS NULL;
    CREATE TABLE snapshot_entries (
        snapshot INTEGER NOT NULL REFERENCES snapshots(id), requirement TEXT NOT NULL,
        level TEXT NOT NULL, product TEXT, evidence TEXT, notes TEXT,
        PRIMARY KEY (snapshot, requirement));
    """,
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY, event INTEGER NOT NULL REFERENCES events(id),
        as_of TEXT NOT NULL, primary_vendor TEXT, requirements TEXT NOT NULL,
        snapshots TEXT NOT NULL, scores TEXT NOT NULL);
    """,
    """
    CREATE TABLE vendor_aliases (
        alias TEXT PRIMARY KEY, vendor TEXT NOT NULL REFERENCES vendors(key));
    """,
    # A requirement may have no stage; weights are settings; a renamed stage keeps its
    # former name here, so stored versions and recorded reviews are never rewritten.
    # SQLite cannot drop a NOT NULL: the table is rebuilt.
    """
    CREATE TABLE requirement_versions_new (
        requirement TEXT NOT NULL, event INTEGER NOT NULL REFERENCES events(id),
        title TEXT NOT NULL, stage TEXT, tier TEXT NOT NULL, priority TEXT,
        target TEXT, status TEXT NOT NULL, owner TEXT, requested_by TEXT,
        description TEXT, notes TEXT,
        PRIMARY KEY (requirement, event));
    INSERT INTO requirement_versions_new SELECT * FROM requirement_versions;
    DROP TABLE requirement_versions;
    ALTER TABLE requirement_versions_new RENAME TO requirement_versions;
    ALTER TABLE roadmap ADD COLUMN weights TEXT;
    CREATE TABLE stage_renames (former TEXT PRIMARY KEY, name TEXT NOT NULL);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class Settings:
    """The roadmap's own settings, as ``roadmap init`` stored them."""

    name: str = "ML platform roadmap"
    start: str = ""  # YYYY-MM
    horizon: int = 18
    cadence: int = 3
    stages: list[str] = field(default_factory=lambda: list(BIG_EIGHT))
    scores: dict[Level, float] = field(default_factory=lambda: dict(DEFAULT_SCORES))
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # Former stage names -> current ones (``roadmap settings --rename-stage``).
    former_stages: dict[str, str] = field(default_factory=dict)

    @property
    def stage_matcher(self) -> Stages:
        return Stages(self.stages, self.former_stages)


@dataclass(frozen=True)
class Event:
    id: int
    action: str
    at: str
    as_of: str | None
    file: str | None
    sha256: str | None
    summary: dict


@dataclass(frozen=True)
class SnapshotInfo:
    id: int
    vendor: str
    as_of: str
    source: str | None
    entries: int
    ga: int
    replaced_by: int | None = None


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    as_of: str
    primary: str | None
    requirements: dict  # id -> requirement dict, as the review saw them
    snapshots: dict  # vendor -> snapshot id
    scores: dict


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid of the row a successful INSERT just made (always set after one)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


T = TypeVar("T")
# How long a command waits for another writer to finish: quietly for QUIET_WAIT seconds,
# then saying so (``on_wait``) for up to BUSY_SECONDS more.
QUIET_WAIT = 1.0
BUSY_SECONDS = 30.0


class Store:
    """One roadmap in one SQLite file. Open with ``Store.open`` or ``Store.create``.

    Every failure of the store is a ``StoreError`` naming its cause (a folder, a damaged
    file, another writer, a full disk, a read-only file); no ``sqlite3`` error escapes.
    ``on_wait(message)`` is called once when a command has to wait for another writer.
    """

    def __init__(self, path: str, connection: sqlite3.Connection,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.db = connection
        self.on_wait = on_wait

    @classmethod
    def create(cls, path: str, settings: Settings, *,
               on_wait: Callable[[str], None] | None = None) -> Store:
        """A new store; refuses to touch an existing file (of two at once, one wins)."""
        if os.path.isdir(path):
            raise StoreError(f"{path} is a folder; pass --db {os.path.join(path, 'roadmap.db')}")
        if os.path.lexists(path):
            raise StoreError(f"{path}: a store already exists here; pass --db PATH for another")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise StoreError(f"{path}: folder {folder} does not exist")
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=os.path.basename(path) + ".", suffix=".creating", dir=folder)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None
        os.close(handle)  # SQLite makes an empty file a new database
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as SQLite would make it, not mkstemp's 0600
        connection = _connect(temporary)
        connection.store_path = path  # messages name the store, not its temporary file
        try:
            store = cls(path, connection)
            with store.transaction():
                store._migrate(0)
                store.db.execute(
                    "INSERT INTO roadmap (id, name, start_month, horizon, cadence, scores, "
                    "weights) VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (settings.name, settings.start, settings.horizon, settings.cadence,
                     json.dumps({k.value: v for k, v in settings.scores.items()}),
                     json.dumps(settings.weights, sort_keys=True)))
                store.db.executemany(
                    "INSERT INTO stages VALUES (?, ?)", list(enumerate(settings.stages)))
            connection.close()
            _link_unless_there(temporary, path)
        finally:
            connection.close()
            _remove_if_there(temporary)
        return cls.open(path, on_wait=on_wait)

    @classmethod
    def open(cls, path: str, *, on_wait: Callable[[str], None] | None = None) -> Store:
        """An existing store, upgraded to the current schema (after a backup copy)."""
        if os.path.isdir(path):
            raise StoreError(f"{path} is a folder, not a store; pass --db "
                             f"{os.path.join(path, 'roadmap.db')}")
        if not os.path.exists(path):
            raise StoreError(
                f"{path}: no store here; run 'roadmap init' first, or pass --db PATH")
        try:
            with open(path, "rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the store ({exc.strerror})") from None
        if head != b"SQLite format 3\x00":
            raise StoreError(f"{path}: not a roadmap store (not an SQLite file)")
        store = cls(path, _connect(path), on_wait)
        try:
            version = store._patiently(store._stored_schema_version)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path}: made by a newer roadmap (schema {version}); upgrade roadmap")
            if version < SCHEMA_VERSION:
                try:
                    store._upgrade()
                except StoreError as error:
                    if error.reason != "other":
                        raise
                    raise StoreError(
                        f"{path}: cannot upgrade the store from schema {version} to "
                        f"{SCHEMA_VERSION} ({error.detail}); it was left as it was. Please "
                        "report this to roadmap's maintainers") from None
            if store.db.execute("SELECT COUNT(*) FROM roadmap").fetchone()[0] != 1:
                raise StoreError(f"{path}: the store is damaged (its roadmap settings are "
                                 f"missing){_backup_hint(path)}")
        except BaseException:
            store.db.close()
            raise
        return store

    def _stored_schema_version(self) -> int:
        """The schema version, or StoreError when this SQLite file is not a roadmap store."""
        tables = {r[0] for r in self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"meta", "roadmap"} <= tables:
            raise StoreError(f"{self.path}: not a roadmap store (no roadmap tables)")
        try:
            return self.schema_version()
        except ValueError:
            raise StoreError(f"{self.path}: not a roadmap store (its schema version is not "
                             "a number)") from None

    def _patiently(self, run: Callable[[], T]) -> T:
        """``run()``, waiting for another writer: quietly at first, then saying so."""
        self.db.execute(f"PRAGMA busy_timeout = {int(QUIET_WAIT * 1000)}")
        try:
            return run()
        except StoreError as error:
            if error.reason != "busy":
                raise
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        if self.on_wait:
            self.on_wait(f"{self.path} is busy: another roadmap command is writing to it; "
                         f"waiting up to {BUSY_SECONDS:g} s for it to finish…")
        return run()

    def _upgrade(self) -> None:
        """Back up, then migrate; a second process waiting its turn finds it done.

        On POSIX, closing any descriptor of the database file drops every SQLite lock
        this process holds on it, so there the backup is copied under a lock of its own
        (``flock``, which SQLite's ``fcntl`` locks ignore), outside any transaction.
        """
        with _upgrade_lock(self.path) as copy_outside_transaction:
            if copy_outside_transaction:
                if self.schema_version() >= SCHEMA_VERSION:
                    return
                self._backup(self.schema_version())
            with self.transaction():
                version = self.schema_version()
                if version >= SCHEMA_VERSION:
                    return
                if not copy_outside_transaction:
                    self._backup(version)
                self._migrate(version)

    def _backup(self, version: int) -> None:
        backup = f"{self.path}.schema{version}.bak"
        try:
            shutil.copy2(self.path, backup)
        except OSError as exc:
            raise RoadmapError(
                f"{self.path}: cannot write the backup {backup} before upgrading the "
                f"store ({exc.strerror}); nothing was changed") from None

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, version: int) -> None:
        for step in MIGRATIONS[version:]:
            for statement in step.split(";"):
                if statement.strip():
                    self.db.execute(statement)
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; ``BEGIN IMMEDIATE`` makes a second writer wait its turn.

        Any failure inside, the commit's included, rolls back and raises; an engine error
        becomes the StoreError that names its cause.
        """
        self._patiently(lambda: self.db.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self._patiently(lambda: self.db.execute("COMMIT"))
        except BaseException as exc:
            # A full disk or an I/O error may have rolled back already: a second ROLLBACK
            # would hide the real cause behind "cannot rollback".
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except (StoreError, sqlite3.Error):
                    pass
            translated = engine_error(exc, self.path)
            if translated is not None and translated is not exc:
                raise translated from None
            raise

    # -- settings and log ---------------------------------------------------------------

    def settings(self) -> Settings:
        name, start, horizon, cadence, scores, weights = self.db.execute(
            "SELECT name, start_month, horizon, cadence, scores, weights FROM roadmap"
        ).fetchone()
        stages = [r[0] for r in self.db.execute("SELECT name FROM stages ORDER BY position")]
        score_map = dict(DEFAULT_SCORES)
        for key, value in json.loads(scores or "{}").items():
            score_map[Level(key)] = float(value)
        weight_map = dict(DEFAULT_WEIGHTS)
        weight_map.update({k: float(v) for k, v in json.loads(weights or "{}").items()})
        return Settings(name, start, horizon, cadence, stages, score_map, weight_map,
                        self.former_stages())

    def former_stages(self) -> dict[str, str]:
        """Stage names as once stored -> the stage's name now."""
        return dict(self.db.execute("SELECT former, name FROM stage_renames").fetchall())

    def write_settings(self, settings: Settings, renames: dict[str, str]) -> None:
        """Replace the name, horizon, cadence, weights and stage list; ``renames`` (old ->
        new) are remembered so stored versions read under the new names. Call inside a
        transaction."""
        self.db.execute(
            "UPDATE roadmap SET name = ?, horizon = ?, cadence = ?, weights = ? WHERE id = 1",
            (settings.name, settings.horizon, settings.cadence,
             json.dumps(settings.weights, sort_keys=True)))
        self.db.execute("DELETE FROM stages")
        self.db.executemany("INSERT INTO stages VALUES (?, ?)", list(enumerate(settings.stages)))
        for old, new in renames.items():
            # Names that led to the old one now lead to the new one; the new one is a
            # stage name again, not a former one.
            self.db.execute("UPDATE stage_renames SET name = ? WHERE name = ?", (new, old))
            self.db.execute("DELETE FROM stage_renames WHERE former = ?", (new,))
            self.db.execute("INSERT OR REPLACE INTO stage_renames VALUES (?, ?)", (old, new))

    def add_stages(self, names: list[str]) -> None:
        """Append stages after the existing ones. Call inside a transaction."""
        (last,) = self.db.execute("SELECT COALESCE(MAX(position), -1) FROM stages").fetchone()
        self.db.executemany("INSERT INTO stages VALUES (?, ?)",
                            [(last + 1 + i, name) for i, name in enumerate(names)])

    def add_event(self, action: str, summary: dict, *, as_of: str | None = None,
                  file: str | None = None, sha256: str | None = None) -> int:
        cursor = self.db.execute(
            "INSERT INTO events (action, at, as_of, file, sha256, summary) VALUES (?,?,?,?,?,?)",
            (action, now_utc(), as_of, file, sha256, json.dumps(summary, sort_keys=True)))
        return _inserted_id(cursor)

    def events(self) -> list[Event]:
        return [
            Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))
            for r in self.db.execute(
                "SELECT id, action, at, as_of, file, sha256, summary FROM events ORDER BY id")
        ]

    # -- requirements -------------------------------------------------------------------

    def requirements(self, event: int | None = None) -> dict[str, Requirement]:
        """Every requirement (retired included) as of an event; default: now."""
        limit = event if event is not None else 1 << 62
        rows = self.db.execute(
            f"""SELECT v.requirement, {', '.join('v.' + c for c in _REQUIREMENT_COLUMNS)}
                FROM requirement_versions v
                JOIN (SELECT requirement, MAX(event) AS event FROM requirement_versions
                      WHERE event <= ? GROUP BY requirement) latest
                  ON latest.requirement = v.requirement AND latest.event = v.event""",
            (limit,))
        former = self.former_stages()
        return {row[0]: _requirement(row, former) for row in rows}

    def requirements_event_as_of(self, day: str) -> int | None:
        """The requirements import in force on ``day``: the last on or before it, else the first."""
        row = self.db.execute(
            "SELECT MAX(id) FROM events WHERE action = 'import requirements' AND as_of <= ?",
            (day,)).fetchone()
        if row[0] is None:
            row = self.db.execute(
                "SELECT MIN(id) FROM events WHERE action = 'import requirements'").fetchone()
        return row[0]

    def latest_requirements_as_of(self) -> str | None:
        row = self.db.execute(
            "SELECT MAX(as_of) FROM events WHERE action = 'import requirements'").fetchone()
        return row[0]

    def write_requirement_versions(self, event: int, versions: list[Requirement]) -> None:
        self.db.executemany(
            f"INSERT INTO requirement_versions (requirement, event, "
            f"{', '.join(_REQUIREMENT_COLUMNS)}) VALUES ({', '.join('?' * 12)})",
            [(r.id, event, r.title, r.stage, r.tier.value, r.priority, r.target, r.status,
              r.owner, r.requested_by, r.description, r.notes) for r in versions])

    def requirement_history(self, requirement: str) -> list[tuple[Event, Requirement]]:
        events = {e.id: e for e in self.events()}
        rows = self.db.execute(
            f"SELECT requirement, {', '.join(_REQUIREMENT_COLUMNS)}, event "
            "FROM requirement_versions WHERE requirement = ? ORDER BY event", (requirement,))
        former = self.former_stages()
        return [(events[row[-1]], _requirement(row[:-1], former)) for row in rows]

    # -- vendors and snapshots ------------------------------------------------------------

    def vendors(self) -> dict[str, Vendor]:
        return {r[0]: Vendor(*r) for r in self.db.execute(
            "SELECT key, name, kind FROM vendors ORDER BY key")}

    def add_vendor(self, vendor: Vendor) -> None:
        self.db.execute("INSERT OR IGNORE INTO vendors VALUES (?, ?, ?)",
                        (vendor.key, vendor.name, vendor.kind))

    def vendor_aliases(self) -> dict[str, str]:
        """Other names and keys vendors are known by: alias -> vendor key."""
        return dict(self.db.execute("SELECT alias, vendor FROM vendor_aliases ORDER BY alias"))

    def add_vendor_alias(self, alias: str, vendor: str) -> None:
        """Point ``alias`` at ``vendor`` (an alias already taken moves to it)."""
        self.db.execute("DELETE FROM vendor_aliases WHERE alias = ?", (alias,))
        self.db.execute("INSERT INTO vendor_aliases VALUES (?, ?)", (alias, vendor))

    def rename_vendor(self, key: str, name: str) -> None:
        """A new display name; the old one stays an alias. Call inside a transaction."""
        old = self.db.execute("SELECT name FROM vendors WHERE key = ?", (key,)).fetchone()
        self.db.execute("UPDATE vendors SET name = ? WHERE key = ?", (name, key))
        if old and old[0] != name:
            self.add_vendor_alias(old[0], key)
        self.db.execute("DELETE FROM vendor_aliases WHERE alias = ?", (name,))

    def merge_vendor(self, source: str, target: str, replaced: dict[int, int]) -> None:
        """Move every snapshot (history included) and review record of ``source`` to
        ``target``, then keep ``source``'s key and name as aliases of ``target``.

        ``replaced`` maps a current snapshot that would clash (same date) to the one that
        replaces it. Call inside a transaction.
        """
        for loser, winner in replaced.items():
            self.db.execute("UPDATE snapshots SET replaced_by = ? WHERE id = ?", (winner, loser))
        self.db.execute("UPDATE snapshots SET vendor = ? WHERE vendor = ?", (target, source))
        for review_id, primary, snapshots, scores in self.db.execute(
                "SELECT id, primary_vendor, snapshots, scores FROM reviews").fetchall():
            moved_snapshots, moved_scores = json.loads(snapshots), json.loads(scores)
            for record in (moved_snapshots, moved_scores):
                if source in record:
                    value = record.pop(source)
                    record.setdefault(target, value)
            self.db.execute(
                "UPDATE reviews SET primary_vendor = ?, snapshots = ?, scores = ? WHERE id = ?",
                (target if primary == source else primary,
                 json.dumps(moved_snapshots, sort_keys=True),
                 json.dumps(moved_scores, sort_keys=True), review_id))
        name = self.db.execute("SELECT name FROM vendors WHERE key = ?", (source,)).fetchone()
        self.db.execute("UPDATE vendor_aliases SET vendor = ? WHERE vendor = ?", (target, source))
        self.db.execute("DELETE FROM vendors WHERE key = ?", (source,))
        self.add_vendor_alias(source, target)
        if name:
            self.add_vendor_alias(name[0], target)

    def snapshot_infos(self, vendor: str | None = None,
                       include_replaced: bool = False) -> list[SnapshotInfo]:
        """Snapshots by vendor then date; replaced ones only when asked."""
        where = [] if include_replaced else ["s.replaced_by IS NULL"]
        params: list = []
        if vendor is not None:
            where.append("s.vendor = ?")
            params.append(vendor)
        rows = self.db.execute(
            f"""SELECT s.id, s.vendor, s.as_of, s.source,
                       COUNT(e.requirement), COALESCE(SUM(e.level = 'ga'), 0), s.replaced_by
                FROM snapshots s LEFT JOIN snapshot_entries e ON e.snapshot = s.id
                {'WHERE ' + ' AND '.join(where) if where else ''}
                GROUP BY s.id ORDER BY s.vendor, s.as_of, s.id""", params)
        return [SnapshotInfo(*row) for row in rows]

    def snapshot(self, snapshot_id: int) -> Snapshot:
        vendor, as_of, source = self.db.execute(
            "SELECT vendor, as_of, source FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        entries = {
            r[0]: Entry(r[0], Level(r[1]), r[2], r[3], r[4])
            for r in self.db.execute(
                "SELECT requirement, level, product, evidence, notes FROM snapshot_entries "
                "WHERE snapshot = ?", (snapshot_id,))
        }
        return Snapshot(vendor, as_of, source, entries)

    def current_snapshot_id(self, vendor: str, as_of: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM snapshots WHERE vendor = ? AND as_of = ? AND replaced_by IS NULL",
            (vendor, as_of)).fetchone()
        return row[0] if row else None

    def add_snapshot(self, snapshot: Snapshot, event: int) -> int:
        """Store a snapshot; an earlier one for the same vendor and date is marked replaced."""
        previous = self.current_snapshot_id(snapshot.vendor, snapshot.as_of)
        if previous is not None:
            # Point at itself until the successor exists; the unique index allows one current.
            self.db.execute("UPDATE snapshots SET replaced_by = id WHERE id = ?", (previous,))
        cursor = self.db.execute(
            "INSERT INTO snapshots (vendor, as_of, source, event) VALUES (?, ?, ?, ?)",
            (snapshot.vendor, snapshot.as_of, snapshot.source, event))
        new_id = _inserted_id(cursor)
        if previous is not None:
            self.db.execute("UPDATE snapshots SET replaced_by = ? WHERE id = ?",
                            (new_id, previous))
        self.db.executemany(
            "INSERT INTO snapshot_entries VALUES (?, ?, ?, ?, ?, ?)",
            [(new_id, e.requirement, e.level.value, e.product, e.evidence, e.notes)
             for e in snapshot.entries.values()])
        return new_id

    # -- reviews -------------------------------------------------------------------------

    def add_review(self, event: int, as_of: str, primary: str | None, requirements: dict,
                   snapshots: dict, scores: dict) -> int:
        cursor = self.db.execute(
            "INSERT INTO reviews (event, as_of, primary_vendor, requirements, snapshots, scores)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event, as_of, primary, json.dumps(requirements, sort_keys=True),
             json.dumps(snapshots, sort_keys=True), json.dumps(scores, sort_keys=True)))
        return _inserted_id(cursor)

    def reviews(self) -> list[ReviewRecord]:
        """Recorded reviews in date order (recording order breaks ties); stages renamed
        since are read under their new names."""
        former = self.former_stages()
        records = []
        for r in self.db.execute("SELECT id, as_of, primary_vendor, requirements, snapshots, "
                                 "scores FROM reviews ORDER BY as_of, id"):
            requirements = json.loads(r[3])
            for requirement in requirements.values():
                stage = requirement.get("stage")
                requirement["stage"] = former.get(stage, stage) if stage else stage
            records.append(ReviewRecord(r[0], r[1], r[2], requirements, json.loads(r[4]),
                                        json.loads(r[5])))
        return records


def _requirement(row: tuple, former: dict[str, str]) -> Requirement:
    (rid, title, stage, tier, priority, target, status, owner, requested_by,
     description, notes) = row
    return Requirement(rid, title, former.get(stage, stage) if stage else None, Tier(tier),
                       priority, target, status, owner, requested_by, description, notes)


@contextmanager
def _upgrade_lock(path: str) -> Iterator[bool]:
    """One upgrader at a time: True while holding ``flock`` on the store (POSIX).

    Without ``fcntl`` (Windows) closing a file drops no SQLite lock, so the caller
    copies inside its ``BEGIN IMMEDIATE`` transaction instead (yields False).
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(descriptor)  # also releases the flock


def _connect(path: str) -> _Connection:
    try:
        connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None,
                                     factory=_Connection)
        connection.store_path = path
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise _store_error(exc, path) from None
    return connection


class _Connection(sqlite3.Connection):
    """sqlite3's connection, raising StoreError (the cause in words) instead of its own."""

    store_path = ""

    def cursor(self, factory=None):
        return super().cursor(factory or _Cursor)

    def execute(self, sql, parameters=(), /):
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.store_path) from None
        except UnicodeEncodeError as exc:
            raise _not_utf8(exc, self.store_path) from None

    def executemany(self, sql, parameters, /):
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.store_path) from None
        except UnicodeEncodeError as exc:
            raise _not_utf8(exc, self.store_path) from None


class _Cursor(sqlite3.Cursor):
    """Rows are read page by page as they are fetched: a damaged page shows up here."""

    def __iter__(self):
        # In batches: as fast as sqlite3's own iteration, which a __next__ in Python is not.
        while True:
            batch = self.fetchmany(512)
            if not batch:
                return
            yield from batch

    def fetchmany(self, size=1):
        try:
            return super().fetchmany(size)
        except sqlite3.Error as exc:
            raise _store_error(exc, self.connection.store_path) from None

    def fetchone(self):
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.connection.store_path) from None

    def fetchall(self):
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.connection.store_path) from None


def engine_error(exc: BaseException, path: str) -> RoadmapError | None:
    """``exc`` as the library's error when it came from the database engine, else None;
    a RoadmapError is returned as it is."""
    if isinstance(exc, RoadmapError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _store_error(exc, path)
    return None


def _not_utf8(exc: UnicodeEncodeError, path: str) -> InputError:
    text = exc.object if isinstance(exc.object, str) else repr(exc.object)
    return InputError(
        f"{path}: cannot store the text {shorten(text, 60)!r}: it holds bytes that are not "
        "UTF-8 (a file name or option in another encoding?); nothing was written")


def _store_error(exc: sqlite3.Error, path: str) -> StoreError:
    """One line naming what went wrong and what to do, whatever SQLite called it."""
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+
    text = str(exc)

    def said(code: str, *words: str) -> bool:
        return name.startswith(code) or any(w in text for w in words)

    if said("SQLITE_BUSY", "database is locked") or said("SQLITE_LOCKED", "table is locked"):
        reason = "busy"
        message = (f"{path} is busy: another roadmap command has been writing to it for "
                   f"{QUIET_WAIT + BUSY_SECONDS:g} s; nothing was written. Try again when "
                   "it has finished")
    elif said("SQLITE_FULL", "disk is full"):
        reason = "full"
        message = (f"{path}: the disk is full ({text}); nothing was written. Free some "
                   "space and run the command again")
    elif said("SQLITE_READONLY", "readonly database"):
        reason = "read-only"
        message = (f"{path}: the store is read-only ({text}); nothing was written. Make it "
                   f"and its folder writable (chmod u+w {path}), or work on a copy")
    elif said("SQLITE_CORRUPT", "malformed") or said("SQLITE_NOTADB", "not a database"):
        reason = "damaged"
        message = f"{path}: the store is damaged ({text}){_backup_hint(path)}"
    elif said("SQLITE_CANTOPEN", "unable to open"):
        reason = "cannot open"
        message = (f"{path}: cannot open the store or its journal beside it ({text}); "
                   "check that its folder exists and that you may write there")
    elif said("SQLITE_IOERR", "disk I/O error"):
        reason = "i/o"
        message = (f"{path}: the disk could not be read or written ({text}); nothing was "
                   "written. Check the disk and free space, then run the command again")
    else:
        reason = "other"
        message = (f"{path}: the store failed ({text}); nothing was written. If it was "
                   "changed by another program, restore it from a backup")
    error = StoreError(message)
    error.reason, error.detail = reason, text
    return error


def _backup_hint(path: str) -> str:
    """What to do about a damaged store: the newest upgrade backup beside it, if any."""
    backups = sorted(glob.glob(glob.escape(path) + ".schema*.bak"),
                     key=lambda p: (len(p), p))
    if not backups:
        return "; restore it from your own backup, or run 'roadmap init' for a new one"
    return (f"; {backups[-1]} is a copy from before its last upgrade (without later "
            f"changes): copy it over {path} to go back to it")


def _link_unless_there(temporary: str, path: str) -> None:
    """Give ``temporary`` the name ``path`` unless something took that name meanwhile."""
    try:
        os.link(temporary, path)
        return
    except FileExistsError:
        raise StoreError(
            f"{path}: a store already exists here; pass --db PATH for another") from None
    except OSError:
        pass  # a file system without hard links: claim the name, then fill it
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        raise StoreError(
            f"{path}: a store already exists here; pass --db PATH for another") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None
    try:
        os.replace(temporary, path)
    except OSError as exc:
        _remove_if_there(path)
        raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None


def _remove_if_there(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
