"""The store: one SQLite file or one PostgreSQL database, versioned schema, every
write one transaction. The SQL is SQLite's; ``engines`` runs it on PostgreSQL too.

Nothing here is ever overwritten: requirements keep one row per version, replaced
snapshots stay with a pointer to their successor, and every import and review is an
event in the log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from .engines import (
    Connection,
    backup_hint,
    connect_postgres,
    damaged,
    display_name,
    engine_error,
    is_url,
)
from .engines import connect_sqlite as _connect
from .errors import InputError, StoreError, UsageError
from .model import (
    BIG_EIGHT,
    DEFAULT_SCORES,
    DEFAULT_WEIGHTS,
    REQUIREMENT_FIELDS,
    Entry,
    Level,
    Requirement,
    Snapshot,
    Stages,
    Tier,
    Vendor,
)
from .settings import checked_settings

# A requirement's id is the column ``requirement``; every other field a column of its name.
_REQUIREMENT_COLUMNS = REQUIREMENT_FIELDS[1:]
_column_values = attrgetter(*_REQUIREMENT_COLUMNS)
_TIER_COLUMN = _REQUIREMENT_COLUMNS.index("tier")

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
    start: str = field(default_factory=lambda: dt.date.today().strftime("%Y-%m"))  # YYYY-MM
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
    summary: dict[str, Any]


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
    requirements: dict[str, dict[str, Any]]  # id -> requirement dict, as the review saw them
    snapshots: dict[str, int]  # vendor -> snapshot id
    scores: dict[str, Any]


def _store_path(path: object) -> str:
    """A store's path or URL as text no file system refuses outright (a ``pathlib.Path``
    is its text)."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise UsageError(f"{path!r} is not a store's path or URL", "--db")
    if "\x00" in path:
        raise UsageError(f"{path!r}: a path cannot hold the character U+0000", "--db")
    return path


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _inserted_id(cursor: Any) -> int:
    """The rowid of the row a successful INSERT just made (always set after one)."""
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


class Store:
    """One roadmap in one SQLite file or PostgreSQL database (``--db`` a path or a URL).

    Open with ``Store.open`` or ``Store.create``; ``path`` is the store as shown to
    people (a URL with its password masked). Every failure of the store is a
    ``StoreError`` naming its cause (a folder, a damaged file, another writer, a full
    disk, a read-only file, an unreachable server); no engine's own error escapes.
    ``on_wait(message)`` is called once when a command has to wait for another writer.
    """

    def __init__(self, path: str, connection: Connection) -> None:
        self.path = path
        self.db = connection

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        settings: Settings | Store,
        *,
        on_wait: Callable[[str], None] | None = None,
    ) -> Store:
        """A new store; refuses to touch an existing file (of two at once, one wins), or a
        database holding a roadmap.

        Given a ``Store`` instead of settings, the new one is its copy (see ``copy_store``).
        Settings are checked first (``UsageError`` naming each wrong value).

        :param path: an SQLite file (text or a ``Path``) or a PostgreSQL URL.
        :param settings: the roadmap's ``Settings`` (name, start month, horizon,
            cadence, stages, scores, weights).
        :returns: the new store, open; close it with ``close()`` or a ``with`` block.
        :raises StoreError: a store is already there, or its folder is missing.
        """
        path = _store_path(path)
        if isinstance(settings, Settings):
            settings = checked_settings(settings)
        elif not isinstance(settings, Store):
            raise UsageError(f"{settings!r} is not a Settings (nor a Store to copy)", "settings")
        if is_url(path):
            return cls._create_in_database(path, settings, on_wait)
        if os.path.isdir(path):
            raise StoreError(f"{path} is a folder; pass --db {os.path.join(path, 'roadmap.db')}")
        if os.path.lexists(path):
            raise StoreError(f"{path}: a store already exists here; pass --db PATH for another")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise StoreError(f"{path}: folder {folder} does not exist")
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=os.path.basename(path) + ".", suffix=".creating", dir=folder
            )
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the store ({exc.strerror})") from None
        os.close(handle)  # SQLite makes an empty file a new database
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as SQLite would make it, not mkstemp's 0600
        connection = _connect(temporary, on_wait)
        connection.store_path = path  # messages name the store, not its temporary file
        try:
            store = cls(path, connection)
            with store.transaction():
                store._initialise(settings)
            connection.close()
            _link_unless_there(temporary, path)
        finally:
            connection.close()
            _remove_if_there(temporary)
        return cls.open(path, on_wait=on_wait)

    @staticmethod
    def exists(path: str | os.PathLike[str]) -> bool:
        """Whether there is a store at ``path`` (for a URL: a roadmap in that database)."""
        path = _store_path(path)
        if not is_url(path):
            return os.path.exists(path)
        connection = connect_postgres(path)
        try:
            return connection.holds_roadmap()
        finally:
            connection.close()

    @classmethod
    def _create_in_database(
        cls, url: str, settings: Settings | Store, on_wait: Callable[[str], None] | None
    ) -> Store:
        store = cls(display_name(url), connect_postgres(url, on_wait))
        try:
            # PostgreSQL's DDL is transactional: a failed init leaves the database empty;
            # of two inits at once, the second waits for the write lock, then finds a store.
            with store.transaction():
                if store.db.holds_roadmap():
                    raise StoreError(
                        f"{store.path}: a store already exists here; pass --db URL for another"
                    )
                encoding = store.db.execute("SHOW server_encoding").fetchone()[0]
                if encoding.upper() not in ("UTF8", "UTF-8"):
                    raise StoreError(
                        f"{store.path}: the database's encoding is {encoding}; create it "
                        "with ENCODING 'UTF8' (createdb -E UTF8 -T template0 NAME)"
                    )
                store._initialise(settings)
        except BaseException:
            store.close()
            raise
        return store

    def _initialise(self, settings: Settings | Store) -> None:
        self._migrate(0)
        if isinstance(settings, Store):
            self._copy_rows(settings)
            return
        self.db.execute(
            "INSERT INTO roadmap (id, name, start_month, horizon, cadence, scores, "
            "weights) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                settings.name,
                settings.start,
                settings.horizon,
                settings.cadence,
                json.dumps({k.value: v for k, v in settings.scores.items()}),
                json.dumps(settings.weights, sort_keys=True),
            ),
        )
        self.db.executemany("INSERT INTO stages VALUES (?, ?)", list(enumerate(settings.stages)))

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, on_wait: Callable[[str], None] | None = None
    ) -> Store:
        """An existing store, upgraded to the current schema (after a backup copy).

        :param path: an SQLite file (text or a ``Path``) or a PostgreSQL URL.
        :returns: the store, open; close it with ``close()`` or a ``with`` block.
        :raises StoreError: no store there, a folder, a damaged file or a busy store.
        """
        path = _store_path(path)
        if is_url(path):
            store = cls(display_name(path), connect_postgres(path, on_wait))
            try:
                holds_roadmap = store.db.holds_roadmap()
            except BaseException:
                store.close()
                raise
            if not holds_roadmap:
                store.close()
                raise StoreError(
                    f"{store.path}: no store here; run 'roadmap init' first, or pass --db URL"
                )
            return store._upgraded()
        if os.path.isdir(path):
            raise StoreError(
                f"{path} is a folder, not a store; pass --db {os.path.join(path, 'roadmap.db')}"
            )
        if not os.path.exists(path):
            raise StoreError(f"{path}: no store here; run 'roadmap init' first, or pass --db PATH")
        try:
            with open(path, "rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the store ({exc.strerror})") from None
        if head != b"SQLite format 3\x00":
            raise StoreError(f"{path}: not a roadmap store (not an SQLite file)")
        return cls(path, _connect(path, on_wait))._upgraded()

    def _upgraded(self) -> Store:
        """This store at the current schema; refuses one made by a newer roadmap, or one
        whose settings are missing. Closed on failure."""
        try:
            version = self.db.patiently(self._stored_schema_version)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: made by a newer roadmap (schema {version}); upgrade roadmap"
                )
            if version < SCHEMA_VERSION:
                try:
                    self._upgrade()
                except StoreError as error:
                    if error.reason != "other":
                        raise
                    raise StoreError(
                        f"{self.path}: cannot upgrade the store from schema {version} to "
                        f"{SCHEMA_VERSION} ({error.detail}); it was left as it was. Please "
                        "report this to roadmap's maintainers"
                    ) from None
            if self.db.execute("SELECT COUNT(*) FROM roadmap").fetchone()[0] != 1:
                raise StoreError(
                    f"{self.path}: the store is damaged (its roadmap settings "
                    f"are missing){backup_hint(self.path)}"
                )
        except BaseException:
            self.db.close()
            raise
        return self

    def _stored_schema_version(self) -> int:
        """The schema version, or StoreError when this store is not a roadmap store."""
        if not {"meta", "roadmap"} <= set(self.db.table_names()):
            raise StoreError(f"{self.path}: not a roadmap store (no roadmap tables)")
        try:
            return self.schema_version()
        except ValueError:
            raise StoreError(
                f"{self.path}: not a roadmap store (its schema version is not a number)"
            ) from None

    def _upgrade(self) -> None:
        """Back up, then migrate; a second process waiting its turn finds it done.

        On POSIX, closing any descriptor of the database file drops every SQLite lock
        this process holds on it, so there the backup is copied under a lock of its own
        (``flock``, which SQLite's ``fcntl`` locks ignore), outside any transaction.
        """
        if self.db.kind != "sqlite":
            # No file to copy; PostgreSQL's DDL is transactional, so a failed step
            # leaves the store as it was.
            with self.transaction():
                version = self.schema_version()
                if version < SCHEMA_VERSION:
                    self._migrate(version)
            return
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
            raise StoreError(
                f"{self.path}: cannot write the backup {backup} before upgrading the "
                f"store ({exc.strerror}); nothing was changed"
            ) from None

    def close(self) -> None:
        """Close the connection; a call on the store afterwards is a ``StoreError``."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        """``with Store.open(path) as store:`` closes it at the end of the block."""
        self.close()

    def _copy_rows(self, origin: Store) -> None:
        """Every row of ``origin`` (same schema version), ids kept, inside our transaction."""
        tables = [t for t in origin.db.table_names() if t != "meta"]
        missing = sorted(set(tables) - set(self.db.table_names()))
        if missing:
            raise StoreError(f"{self.path}: has no table {', '.join(missing)} to copy into")
        # Rows may point at rows copied after them (a replaced snapshot at its successor).
        self.db.defer_foreign_keys()
        for table in tables:
            cursor = origin.db.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            self.db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                cursor.fetchall(),
            )

    def row_counts(self) -> dict[str, int]:
        """Rows per table (the schema's ``meta`` left out): what ``copy-store`` checks."""
        return {
            t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in self.db.table_names()
            if t != "meta"
        }

    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self, version: int) -> None:
        for step in MIGRATIONS[version:]:
            for statement in step.split(";"):
                if statement.strip():
                    self.db.execute(statement)
        self.db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; ``BEGIN IMMEDIATE`` makes a second writer wait its turn.

        Any failure inside, the commit's included, rolls back and raises; an engine error
        becomes the StoreError that names its cause.
        """
        self.db.patiently(lambda: self.db.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self.db.patiently(lambda: self.db.execute("COMMIT"))
        except BaseException as exc:
            # A full disk or an I/O error may have rolled back already: a second ROLLBACK
            # would hide the real cause behind "cannot rollback".
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except StoreError:
                    pass
            translated = engine_error(exc, self.path)
            if translated is not None and translated is not exc:
                raise translated from None
            raise

    @contextmanager
    def _stored_values(self, what: str) -> Iterator[None]:
        """Rows only a damaged store holds (text that is not JSON, a level or tier no
        roadmap writes) as the StoreError saying so, not the decoder's own error."""
        try:
            yield
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise damaged(self.path, f"{what}: {exc}") from None

    # -- settings and log ---------------------------------------------------------------

    def settings(self) -> Settings:
        name, start, horizon, cadence, scores, weights = self.db.execute(
            "SELECT name, start_month, horizon, cadence, scores, weights FROM roadmap"
        ).fetchone()
        stages = [r[0] for r in self.db.execute("SELECT name FROM stages ORDER BY position")]
        score_map = dict(DEFAULT_SCORES)
        weight_map = dict(DEFAULT_WEIGHTS)
        with self._stored_values("its roadmap settings"):
            for key, value in json.loads(scores or "{}").items():
                score_map[Level(key)] = float(value)
            weight_map.update({k: float(v) for k, v in json.loads(weights or "{}").items()})
        return Settings(
            name, start, horizon, cadence, stages, score_map, weight_map, self.former_stages()
        )

    def former_stages(self) -> dict[str, str]:
        """Stage names as once stored -> the stage's name now."""
        return dict(self.db.execute("SELECT former, name FROM stage_renames").fetchall())

    def write_settings(self, settings: Settings, renames: dict[str, str]) -> None:
        """Replace the name, horizon, cadence, weights and stage list; ``renames`` (old ->
        new) are remembered so stored versions read under the new names. Call inside a
        transaction."""
        self.db.execute(
            "UPDATE roadmap SET name = ?, horizon = ?, cadence = ?, weights = ? WHERE id = 1",
            (
                settings.name,
                settings.horizon,
                settings.cadence,
                json.dumps(settings.weights, sort_keys=True),
            ),
        )
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
        self.db.executemany(
            "INSERT INTO stages VALUES (?, ?)",
            [(last + 1 + i, name) for i, name in enumerate(names)],
        )

    def add_event(
        self,
        action: str,
        summary: dict[str, Any],
        *,
        as_of: str | None = None,
        file: str | os.PathLike[str] | None = None,
        sha256: str | None = None,
    ) -> int:
        if isinstance(file, os.PathLike):
            file = os.fspath(file)
        if file is not None and not isinstance(file, str):
            raise UsageError(
                f"{file!r} is not a file's path: pass text or a pathlib.Path", "output"
            )
        cursor = self.db.execute(
            "INSERT INTO events (action, at, as_of, file, sha256, summary) VALUES (?,?,?,?,?,?)",
            (action, now_utc(), as_of, file, sha256, json.dumps(summary, sort_keys=True)),
        )
        return _inserted_id(cursor)

    def events(self) -> list[Event]:
        with self._stored_values("its log"):
            return [
                Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))
                for r in self.db.execute(
                    "SELECT id, action, at, as_of, file, sha256, summary FROM events ORDER BY id"
                )
            ]

    # -- requirements -------------------------------------------------------------------

    def requirements(self, event: int | None = None) -> dict[str, Requirement]:
        """Every requirement (retired included) as of an event; default: now."""
        limit = event if event is not None else 1 << 62
        rows = self.db.execute(
            f"""SELECT v.requirement, {", ".join("v." + c for c in _REQUIREMENT_COLUMNS)}
                FROM requirement_versions v
                JOIN (SELECT requirement, MAX(event) AS event FROM requirement_versions
                      WHERE event <= ? GROUP BY requirement) latest
                  ON latest.requirement = v.requirement AND latest.event = v.event
                ORDER BY v.requirement""",
            (limit,),
        )
        former = self.former_stages()
        with self._stored_values("its requirements"):
            return {row[0]: _requirement(row, former) for row in rows}

    def requirement_titles(self) -> dict[str, tuple[str, str]]:
        """Every requirement's id -> (title, status) in its latest version: what a
        snapshot row is matched by, without building whole requirements."""
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                """SELECT v.requirement, v.title, v.status FROM requirement_versions v
               JOIN (SELECT requirement, MAX(event) AS event FROM requirement_versions
                     GROUP BY requirement) latest
                 ON latest.requirement = v.requirement AND latest.event = v.event"""
            )
        }

    def requirements_event_as_of(self, day: str) -> int | None:
        """The requirements import in force on ``day``: the last on or before it, else the first."""
        row = self.db.execute(
            "SELECT MAX(id) FROM events WHERE action = 'import requirements' AND as_of <= ?", (day,)
        ).fetchone()
        if row[0] is None:
            row = self.db.execute(
                "SELECT MIN(id) FROM events WHERE action = 'import requirements'"
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def latest_requirements_as_of(self) -> str | None:
        row = self.db.execute(
            "SELECT MAX(as_of) FROM events WHERE action = 'import requirements'"
        ).fetchone()
        return None if row[0] is None else str(row[0])

    def write_requirement_versions(self, event: int, versions: list[Requirement]) -> None:
        self.db.executemany(
            f"INSERT INTO requirement_versions (requirement, event, "
            f"{', '.join(_REQUIREMENT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * (2 + len(_REQUIREMENT_COLUMNS)))})",
            [_version_row(r, event) for r in versions],
        )

    def requirement_history(self, requirement: str) -> list[tuple[Event, Requirement]]:
        events = {e.id: e for e in self.events()}
        rows = self.db.execute(
            f"SELECT requirement, {', '.join(_REQUIREMENT_COLUMNS)}, event "
            "FROM requirement_versions WHERE requirement = ? ORDER BY event",
            (requirement,),
        )
        former = self.former_stages()
        with self._stored_values("its requirements"):
            return [(events[row[-1]], _requirement(row[:-1], former)) for row in rows]

    # -- vendors and snapshots ------------------------------------------------------------

    def vendors(self) -> dict[str, Vendor]:
        return {
            r[0]: Vendor(*r)
            for r in self.db.execute("SELECT key, name, kind FROM vendors ORDER BY key")
        }

    def add_vendor(self, vendor: Vendor) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO vendors VALUES (?, ?, ?)", (vendor.key, vendor.name, vendor.kind)
        )

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
            "SELECT id, primary_vendor, snapshots, scores FROM reviews"
        ).fetchall():
            moved_snapshots, moved_scores = json.loads(snapshots), json.loads(scores)
            for record in (moved_snapshots, moved_scores):
                if source in record:
                    value = record.pop(source)
                    record.setdefault(target, value)
            self.db.execute(
                "UPDATE reviews SET primary_vendor = ?, snapshots = ?, scores = ? WHERE id = ?",
                (
                    target if primary == source else primary,
                    json.dumps(moved_snapshots, sort_keys=True),
                    json.dumps(moved_scores, sort_keys=True),
                    review_id,
                ),
            )
        name = self.db.execute("SELECT name FROM vendors WHERE key = ?", (source,)).fetchone()
        self.db.execute("UPDATE vendor_aliases SET vendor = ? WHERE vendor = ?", (target, source))
        self.db.execute("DELETE FROM vendors WHERE key = ?", (source,))
        self.add_vendor_alias(source, target)
        if name:
            self.add_vendor_alias(name[0], target)

    def snapshot_infos(
        self, vendor: str | None = None, include_replaced: bool = False
    ) -> list[SnapshotInfo]:
        """Snapshots by vendor then date; replaced ones only when asked."""
        where = [] if include_replaced else ["s.replaced_by IS NULL"]
        params: list[str] = []
        if vendor is not None:
            where.append("s.vendor = ?")
            params.append(vendor)
        rows = self.db.execute(
            f"""SELECT s.id, s.vendor, s.as_of, s.source,
                       COUNT(e.requirement),
                       COALESCE(SUM(CASE WHEN e.level = 'ga' THEN 1 ELSE 0 END), 0),
                       s.replaced_by
                FROM snapshots s LEFT JOIN snapshot_entries e ON e.snapshot = s.id
                {"WHERE " + " AND ".join(where) if where else ""}
                GROUP BY s.id, s.vendor, s.as_of, s.source, s.replaced_by
                ORDER BY s.vendor, s.as_of, s.id""",
            params,
        )
        return [SnapshotInfo(*row) for row in rows]

    def snapshot(self, snapshot_id: int) -> Snapshot:
        """The snapshot with this id (``snapshot_infos`` lists them); InputError if none."""
        row = self.db.execute(
            "SELECT vendor, as_of, source FROM snapshots WHERE id = ?", (snapshot_id,)
        ).fetchone()
        if row is None:
            raise InputError(
                f"no snapshot with id {snapshot_id!r} in {self.path}; "
                "'roadmap snapshots' lists them"
            )
        vendor, as_of, source = row
        named = {level.value: level for level in Level}
        entries: dict[str, Entry] = {}
        with self._stored_values("its snapshots"):
            for row in self.db.execute(
                "SELECT requirement, level, product, evidence, notes FROM snapshot_entries "
                "WHERE snapshot = ? ORDER BY requirement",
                (snapshot_id,),
            ):
                # Ids, products and notes recur (an id in each snapshot, a product in
                # many entries): each is held once (a review of 100,000 requirements
                # loads 600,000 entries). Evidence is mostly a unique address.
                rid = sys.intern(row[0])
                entries[rid] = Entry(rid, named[row[1]], *_shared_texts(row[2:], keep=1))
        return Snapshot(vendor, as_of, source, entries)

    def current_snapshot_id(self, vendor: str, as_of: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM snapshots WHERE vendor = ? AND as_of = ? AND replaced_by IS NULL",
            (vendor, as_of),
        ).fetchone()
        return row[0] if row else None

    def add_snapshot(self, snapshot: Snapshot, event: int) -> int:
        """Store a snapshot; an earlier one for the same vendor and date is marked replaced."""
        previous = self.current_snapshot_id(snapshot.vendor, snapshot.as_of)
        if previous is not None:
            # Point at itself until the successor exists; the unique index allows one current.
            self.db.execute("UPDATE snapshots SET replaced_by = id WHERE id = ?", (previous,))
        cursor = self.db.execute(
            "INSERT INTO snapshots (vendor, as_of, source, event) VALUES (?, ?, ?, ?)",
            (snapshot.vendor, snapshot.as_of, snapshot.source, event),
        )
        new_id = _inserted_id(cursor)
        if previous is not None:
            self.db.execute("UPDATE snapshots SET replaced_by = ? WHERE id = ?", (new_id, previous))
        self.db.executemany(
            "INSERT INTO snapshot_entries VALUES (?, ?, ?, ?, ?, ?)",
            # ``_value_``, not ``value``: Enum's property costs 0.5 s on 120,000 entries.
            [
                (new_id, e.requirement, e.level._value_, e.product, e.evidence, e.notes)
                for e in snapshot.entries.values()
            ],
        )
        return new_id

    # -- reviews -------------------------------------------------------------------------

    def add_review(
        self,
        event: int,
        as_of: str,
        primary: str | None,
        requirements: dict[str, Any] | str,
        snapshots: dict[str, int],
        scores: dict[str, Any],
    ) -> int:
        """Record a review (``requirements`` as a dict, or as its JSON text); a
        ``UsageError`` when its snapshots are not this store's (a review built on
        another store)."""
        stored = {info.id: info.vendor for info in self.snapshot_infos(include_replaced=True)}
        foreign = sorted(
            f"{vendor} #{i}" for vendor, i in snapshots.items() if stored.get(int(i)) != vendor
        )
        if foreign:
            raise UsageError(
                f"the review's snapshots {', '.join(foreign)} are not in {self.path}: it was "
                "built on another store; build it with build_review on this store"
            )
        cursor = self.db.execute(
            "INSERT INTO reviews (event, as_of, primary_vendor, requirements, snapshots, scores)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                event,
                as_of,
                primary,
                requirements
                if isinstance(requirements, str)
                else json.dumps(requirements, sort_keys=True),
                json.dumps(snapshots, sort_keys=True),
                json.dumps(scores, sort_keys=True),
            ),
        )
        return _inserted_id(cursor)

    def reviews(self, *, requirements: bool = True) -> list[ReviewRecord]:
        """Recorded reviews in date order (recording order breaks ties); stages renamed
        since are read under their new names. ``requirements=False`` leaves each
        record's ``requirements`` empty: a review of 100,000 requirements holds about
        50 MB of them, and most callers need only dates, snapshots and scores (see
        ``review_requirements``)."""
        columns = "requirements" if requirements else "NULL"
        records = []
        with self._stored_values("its recorded reviews"):
            for r in self.db.execute(
                f"SELECT id, as_of, primary_vendor, {columns}, "
                "snapshots, scores FROM reviews ORDER BY as_of, id"
            ):
                records.append(
                    ReviewRecord(
                        r[0],
                        r[1],
                        r[2],
                        self._review_requirements(r[3]) if requirements else {},
                        json.loads(r[4]),
                        json.loads(r[5]),
                    )
                )
        return records

    def review_requirements(self, review: int) -> dict[str, dict[str, Any]]:
        """The requirements one recorded review saw (id -> requirement dict)."""
        with self._stored_values("its recorded reviews"):
            row = self.db.execute(
                "SELECT requirements FROM reviews WHERE id = ?", (review,)
            ).fetchone()
            return self._review_requirements(row[0]) if row else {}

    def _review_requirements(self, text: str) -> dict[str, dict[str, Any]]:
        # Texts shared with the requirements loaded (most are unchanged since): a review
        # of 100,000 requirements would hold them all twice.
        requirements: dict[str, dict[str, Any]] = json.loads(text, object_hook=_texts_shared)
        former = self.former_stages()
        for requirement in requirements.values():
            stage = requirement.get("stage")
            requirement["stage"] = former.get(stage, stage) if stage else stage
        return requirements

    def last_import(self, action: str, invalidated_by: tuple[str, ...]) -> Event | None:
        """The last ``action`` event, unless an event of ``invalidated_by`` came after it
        (a re-import of the same file with the same options can then only change nothing)."""
        marks = ", ".join("?" * len(invalidated_by)) or "NULL"
        row = self.db.execute(
            f"""SELECT id, action, at, as_of, file, sha256, summary FROM events
               WHERE id = (SELECT MAX(id) FROM events WHERE action = ?)
                 AND NOT EXISTS (SELECT 1 FROM events newer
                                 WHERE newer.action IN ({marks}) AND newer.id > events.id)""",
            (action, *invalidated_by),
        ).fetchone()
        if row is None:
            return None
        with self._stored_values("its log"):
            return Event(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))

    def first_ga_dates(self, until: str | None = None) -> Iterator[tuple[str, str, str, str]]:
        """(requirement, vendor, first date at ``ga``, first date at a known level) over
        current snapshots on or before ``until``, for each pair that reached ``ga``: one
        row at a time (100,000 requirements x 6 vendors make 300,000 rows), the texts
        that recur held once."""
        found = self.db.execute(
            """SELECT e.requirement, s.vendor,
                      MIN(CASE WHEN e.level = 'ga' THEN s.as_of END),
                      MIN(CASE WHEN e.level <> 'unknown' THEN s.as_of END)
               FROM snapshot_entries e JOIN snapshots s ON s.id = e.snapshot
               WHERE s.replaced_by IS NULL AND s.as_of <= ?
               GROUP BY e.requirement, s.vendor
               HAVING MIN(CASE WHEN e.level = 'ga' THEN s.as_of END) IS NOT NULL
               ORDER BY s.vendor, 3, e.requirement""",
            (until if until is not None else "9999-12-31",),
        )
        for row in found:
            yield sys.intern(row[0]), sys.intern(row[1]), row[2], row[3]

    def snapshot_levels(self, snapshot_ids: list[int]) -> dict[int, dict[str, Level]]:
        """snapshot id -> requirement -> level: all that coverage needs of a snapshot."""
        levels: dict[int, dict[str, Level]] = {sid: {} for sid in snapshot_ids}
        if not snapshot_ids:
            return levels
        named = {level.value: level for level in Level}
        with self._stored_values("its snapshots"):
            for sid, rid, level in self.db.execute(
                "SELECT snapshot, requirement, level FROM snapshot_entries WHERE snapshot IN "
                f"({', '.join('?' * len(snapshot_ids))})",
                list(snapshot_ids),
            ):
                levels[sid][sys.intern(rid)] = named[level]  # ids held once (Store.snapshot)
        return levels

    def snapshot_dates(self, snapshot_ids: list[int]) -> dict[int, str]:
        """snapshot id -> its date (YYYY-MM-DD)."""
        if not snapshot_ids:
            return {}
        rows = self.db.execute(
            f"SELECT id, as_of FROM snapshots WHERE id IN ({', '.join('?' * len(snapshot_ids))})",
            list(snapshot_ids),
        )
        return {sid: as_of for sid, as_of in rows}


def _shared_texts(values: Iterable[Any], keep: int = -1) -> Iterator[Any]:
    """``values`` with each text as the one copy of it in memory (``sys.intern``: freed
    with its last use), so a text loaded many times is held once; the one at index
    ``keep`` (text seldom repeated) as it is."""
    for index, value in enumerate(values):
        yield sys.intern(value) if type(value) is str and index != keep else value


def _texts_shared(row: dict[str, Any]) -> dict[str, Any]:
    """A recorded requirement (a JSON object) with its texts held once."""
    return dict(zip(row, _shared_texts(row.values())))


def _version_row(requirement: Requirement, event: int) -> tuple[Any, ...]:
    """A ``requirement_versions`` row: id, event, then the other fields (tier as its key)."""
    values = list(_column_values(requirement))
    values[_TIER_COLUMN] = requirement.tier.value
    return (requirement.id, event, *values)


def _requirement(row: tuple[Any, ...], former: dict[str, str]) -> Requirement:
    """A requirement from its id and columns, a renamed stage under its new name; its
    texts shared with the recorded reviews' (see ``Store.reviews``)."""
    found = dict(zip(REQUIREMENT_FIELDS, _shared_texts(row)))
    stage = found["stage"]
    found["stage"] = former.get(stage, stage) if stage else None
    found["tier"] = Tier(found["tier"])
    return Requirement(**found)


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


def copy_store(
    source: str, target: str, *, on_wait: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Copy the whole store at ``source`` to a new one at ``target`` (a path or a URL),
    history included and ids kept; returns the rows copied per table.

    ``target`` must not hold a store yet. Writers of the source wait while it is read,
    so the copy is one consistent moment of it; the copy is one transaction.
    """
    origin = Store.open(source, on_wait=on_wait)
    try:
        with origin.transaction():
            copied = Store.create(target, origin, on_wait=on_wait)
            try:
                counts, expected = copied.row_counts(), origin.row_counts()
            finally:
                copied.close()
        if counts != expected:  # pragma: no cover - a copy that lost rows is a bug
            raise StoreError(
                f"{display_name(target)}: the copy has {counts} rows, the original {expected}"
            )
    finally:
        origin.close()
    return counts


def _link_unless_there(temporary: str, path: str) -> None:
    """Give ``temporary`` the name ``path`` unless something took that name meanwhile."""
    try:
        os.link(temporary, path)
        return
    except FileExistsError:
        raise StoreError(
            f"{path}: a store already exists here; pass --db PATH for another"
        ) from None
    except OSError:
        pass  # a file system without hard links: claim the name, then fill it
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        raise StoreError(
            f"{path}: a store already exists here; pass --db PATH for another"
        ) from None
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
