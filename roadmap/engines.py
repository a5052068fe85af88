"""The two engines under the store: an SQLite file, or a PostgreSQL database by URL.

The store speaks SQLite's SQL. On PostgreSQL a thin dialect rewrites the few places
where the two differ, so a new store method written in plain SQL works on both:

- ``?`` placeholders become ``%s``; ``INSERT OR IGNORE/REPLACE`` become ``ON CONFLICT``;
  an ``INSERT`` into a table keyed by ``id`` gets ``RETURNING id`` for ``lastrowid``;
  ``LIKE`` ignores case (``ILIKE``) and ``IFNULL`` is ``COALESCE``, as in SQLite.
- In ``CREATE TABLE``/``ALTER TABLE``: ``REAL`` is ``DOUBLE PRECISION``, ``TEXT`` sorts
  by code point (``COLLATE "C"``, as SQLite compares), foreign keys can be deferred (for
  ``copy-store``), and an ``INTEGER PRIMARY KEY`` left out of an ``INSERT`` gets the
  largest id plus one, as SQLite gives, so ids (shown by ``log``) are the same on both
  engines, with no gaps after a rolled-back write.
- ``BEGIN IMMEDIATE`` takes a transaction-wide advisory lock: writers from any machine
  go one at a time; one that waits says so after ``QUIET_WAIT`` seconds and gives up
  ``BUSY_SECONDS`` later saying what to do, as on SQLite.

Every failure of either engine becomes a one-line ``StoreError`` naming the cause, with
the same ``reason`` (busy, full, read-only, damaged, cannot open, i/o, other) on both;
a URL is shown with its password masked. The driver (psycopg 3) is imported only here, only
when a URL asks for it.
"""

from __future__ import annotations

import glob
import re
import sqlite3
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from .errors import InputError, RoadmapError, StoreError, UsageError, shorten

T = TypeVar("T")
# How long a command waits for another writer to finish: quietly for QUIET_WAIT seconds,
# then saying so (``on_wait``) for up to BUSY_SECONDS more.
QUIET_WAIT = 1.0
BUSY_SECONDS = 30.0
# The advisory lock every writer of one store takes: ('road' in ASCII, its schema), so
# stores in two schemas of one database (and copy-store between them) do not contend.
_WRITE_LOCK = "1919906148, hashtext(current_schema())"


class Cursor(Protocol):
    lastrowid: int | None
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store uses of a connection: sqlite3's API plus a few engine facts."""

    kind: str  # "sqlite" or "postgresql"

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...

    def close(self) -> None: ...

    def table_names(self) -> list[str]: ...

    def holds_roadmap(self) -> bool: ...

    def defer_foreign_keys(self) -> None: ...

    def patiently(self, run: Callable[[], T]) -> T: ...

    @property
    def in_transaction(self) -> bool: ...


def is_url(target: str) -> bool:
    """True when ``--db`` names a PostgreSQL database rather than an SQLite file."""
    return target.startswith(("postgresql://", "postgres://"))


def display_name(target: str) -> str:
    """The store as shown to people: a URL with its password masked."""
    if not is_url(target):
        return target
    parts = urllib.parse.urlsplit(target)
    netloc = parts.netloc
    if "@" in netloc:
        login, _, host = netloc.rpartition("@")
        if ":" in login:
            netloc = f"{login.split(':', 1)[0]}:***@{host}"
    query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


# -- SQLite ----------------------------------------------------------------------------


class SQLiteConnection(sqlite3.Connection):
    """sqlite3's connection, raising StoreError (the cause in words) instead of its own,
    plus the engine facts the store asks for."""

    kind = "sqlite"
    store_path = ""  # the store as named in messages (not its temporary file)
    on_wait: Callable[[str], None] | None = None

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _Cursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        with _sqlite_errors(self.store_path):
            return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        with _sqlite_errors(self.store_path):
            return super().executemany(sql, parameters)

    def table_names(self) -> list[str]:
        return sorted(
            r[0]
            for r in self.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            )
        )

    def holds_roadmap(self) -> bool:
        return "meta" in self.table_names()

    def defer_foreign_keys(self) -> None:
        self.execute("PRAGMA defer_foreign_keys = ON")

    def patiently(self, run: Callable[[], T]) -> T:
        """``run()``, waiting for another writer: quietly at first, then saying so."""
        self.execute(f"PRAGMA busy_timeout = {int(QUIET_WAIT * 1000)}")
        try:
            return run()
        except StoreError as error:
            if error.reason != "busy":
                raise
        finally:
            self.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
        if self.on_wait:
            self.on_wait(waiting(self.store_path))
        return run()


class _Cursor(sqlite3.Cursor):
    """Rows are read page by page as they are fetched: a damaged page shows up here."""

    def __iter__(self) -> Any:
        # In batches: as fast as sqlite3's own iteration, which a __next__ in Python is not.
        while True:
            batch = self.fetchmany(512)
            if not batch:
                return
            yield from batch

    def _path(self) -> str:
        return getattr(self.connection, "store_path", "")

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        with _sqlite_errors(self._path()):
            return super().fetchmany(size)

    def fetchone(self) -> Any:
        with _sqlite_errors(self._path()):
            return super().fetchone()

    def fetchall(self) -> list[Any]:
        with _sqlite_errors(self._path()):
            return super().fetchall()


@contextmanager
def _sqlite_errors(path: str) -> Iterator[None]:
    """sqlite3's errors as the library's: the one place they are translated."""
    try:
        yield
    except sqlite3.Error as exc:
        if "binding parameter" in str(exc).lower():  # a value of a type no column holds
            raise UsageError(f"{path}: cannot store or look up that value ({exc})") from None
        raise _store_error(exc, path) from None
    except OverflowError as exc:  # a number no SQLite INTEGER holds
        raise UsageError(f"{path}: cannot store or look up that number ({exc})") from None
    except UnicodeEncodeError as exc:
        raise _not_utf8(exc, path) from None


def connect_sqlite(path: str, on_wait: Callable[[str], None] | None = None) -> SQLiteConnection:
    """A connection to the SQLite file at ``path`` (made if missing)."""
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_SECONDS, isolation_level=None, factory=SQLiteConnection
        )
        connection.store_path = path
        connection.on_wait = on_wait
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise _store_error(exc, path) from None
    return connection


def _not_utf8(exc: UnicodeEncodeError, path: str) -> InputError:
    text = exc.object if isinstance(exc.object, str) else repr(exc.object)
    return InputError(
        f"{path}: cannot store the text {shorten(text, 60)!r}: it holds bytes that are not "
        "UTF-8 (a file name or option in another encoding?); nothing was written"
    )


def _store_error(exc: sqlite3.Error, path: str) -> StoreError:
    """One line naming what went wrong and what to do, whatever SQLite called it."""
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+
    text = str(exc)

    def said(code: str, *words: str) -> bool:
        return name.startswith(code) or any(w in text for w in words)

    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        return _failure(
            path,
            "closed",
            text,
            (f"{path}: the store was closed; open it again with Store.open({path!r})"),
        )
    if said("SQLITE_BUSY", "database is locked") or said("SQLITE_LOCKED", "table is locked"):
        return _failure(path, "busy", text, gave_up(path))
    if said("SQLITE_FULL", "disk is full"):
        return _failure(path, "full", text)
    if said("SQLITE_READONLY", "readonly database"):
        return _failure(
            path,
            "read-only",
            text,
            (
                f"{path}: the store is read-only ({text}); nothing was written. Make it and "
                f"its folder writable (chmod u+w {path}), or work on a copy"
            ),
        )
    if said("SQLITE_CORRUPT", "malformed") or said("SQLITE_NOTADB", "not a database"):
        return _failure(path, "damaged", text)
    if said("SQLITE_CANTOPEN", "unable to open"):
        return _failure(
            path,
            "cannot open",
            text,
            (
                f"{path}: cannot open the store or its journal beside it ({text}); check that "
                "its folder exists and that you may write there"
            ),
        )
    if said("SQLITE_IOERR", "disk I/O error"):
        return _failure(path, "i/o", text)
    return _failure(
        path,
        "other",
        text,
        (
            f"{path}: the store failed ({text}); nothing was written. If it was changed by "
            "another program, restore it from a backup"
        ),
    )


def backup_hint(path: str) -> str:
    """What to do about a damaged store: the newest upgrade backup beside it, if any."""
    backups = (
        sorted(glob.glob(glob.escape(path) + ".schema*.bak"), key=lambda p: (len(p), p))
        if not is_url(path)
        else []
    )
    if not backups:
        return "; restore it from your own backup, or run 'roadmap init' for a new one"
    return (
        f"; {backups[-1]} is a copy from before its last upgrade (without later "
        f"changes): copy it over {path} to go back to it"
    )


# -- what both engines say -------------------------------------------------------------


def waiting(shown: str) -> str:
    """What ``on_wait`` is told when a write has to wait for another writer."""
    return (
        f"{shown} is busy: another roadmap command is writing to it; waiting up to "
        f"{BUSY_SECONDS:g} s for it to finish…"
    )


def gave_up(shown: str) -> str:
    return (
        f"{shown} is busy: another roadmap command has been writing to it for "
        f"{QUIET_WAIT + BUSY_SECONDS:g} s; nothing was written. Try again when it has "
        "finished"
    )


def _failure(shown: str, reason: str, detail: str, message: str = "") -> StoreError:
    """The StoreError for ``reason``, in the words both engines share unless ``message``."""
    if not message:
        message = {
            "full": (
                f"{shown}: the disk is full ({detail}); nothing was written. Free some "
                "space and run the command again"
            ),
            "damaged": f"{shown}: the store is damaged ({detail}){backup_hint(shown)}",
            "i/o": (
                f"{shown}: the disk could not be read or written ({detail}); nothing was "
                "written. Check the disk and free space, then run the command again"
            ),
        }.get(reason, f"{shown}: {detail}")
    error = StoreError(message)
    error.reason, error.detail = reason, detail
    return error


def damaged(shown: str, detail: str) -> StoreError:
    """The StoreError of a store holding what no roadmap writes (``detail`` says what)."""
    return _failure(shown, "damaged", detail)


def engine_error(exc: BaseException, path: str) -> RoadmapError | None:
    """``exc`` as the library's error when it came from a database engine, else None;
    a RoadmapError is returned as it is. psycopg is looked at only if already imported."""
    if isinstance(exc, RoadmapError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _store_error(exc, path)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return _postgres_error(exc, path)
    return None


# -- PostgreSQL ------------------------------------------------------------------------


def connect_postgres(url: str, on_wait: Callable[[str], None] | None = None) -> PostgresConnection:
    """A connection to the database the URL names (PGPASSWORD and ~/.pgpass apply)."""
    shown = display_name(url)
    try:
        import psycopg
    except ImportError:
        raise _failure(
            shown,
            "cannot open",
            "no psycopg driver",
            (
                f"{shown}: a PostgreSQL store needs the psycopg driver; "
                "install it with: pip install 'roadmap[postgres]'"
            ),
        ) from None
    options: dict[str, Any] = {"autocommit": True, "application_name": "roadmap"}
    if "connect_timeout" not in url:
        options["connect_timeout"] = 10
    try:
        connection = psycopg.connect(url, **options)
    except psycopg.Error as exc:
        raise _failure(
            shown,
            "cannot open",
            _one_line(exc, url),
            f"{shown}: {_connect_failure(_one_line(exc, url))}",
        ) from None
    _load_as_sqlite_does(connection)
    return PostgresConnection(connection, url, on_wait)


def _load_as_sqlite_does(connection: Any) -> None:
    """Values come back as sqlite3 gives them: numbers as float (not Decimal), truth as
    0 or 1; a bool parameter is sent as 0 or 1 too, so it fits an INTEGER column."""
    from psycopg.adapt import Dumper, Loader

    class FloatLoader(Loader):
        def load(self, data: Any) -> float:
            return float(bytes(data))

    class IntFromBoolLoader(Loader):
        def load(self, data: Any) -> int:
            return 1 if bytes(data) == b"t" else 0

    class BoolAsIntDumper(Dumper):
        oid = connection.adapters.types["int4"].oid

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    connection.adapters.register_loader("numeric", FloatLoader)
    connection.adapters.register_loader("bool", IntFromBoolLoader)
    connection.adapters.register_dumper(bool, BoolAsIntDumper)


def _one_line(exc: BaseException, url: str) -> str:
    """The error's first line (the cause; libpq's hints follow it), password masked."""
    text = " ".join((str(exc).strip().splitlines() or [type(exc).__name__])[0].split())
    password = urllib.parse.urlsplit(url).password if is_url(url) else None
    if password:
        text = text.replace(password, "***")
    return text.replace(url, display_name(url))


def _connect_failure(text: str) -> str:
    """libpq's message, cut to its cause and followed by what to check."""
    detail = re.sub(r"^connection failed: ", "", text)
    detail = re.sub(r"^connection to server .*? failed: FATAL: +", "", detail)
    lowered = detail.lower()
    if "database" in lowered and "does not exist" in lowered:
        name = re.search(r'database "([^"]*)"', detail)
        return (
            f"{detail}; create it first (createdb {name.group(1)})"
            if name
            else f"{detail}; create the database first"
        )
    if any(
        word in lowered
        for word in ("password", "authentication", "role", "pg_hba", "permission denied")
    ):
        return (
            f"the server refused the login ({detail}); check the user name, and the "
            "password in PGPASSWORD or ~/.pgpass"
        )
    if any(
        word in lowered
        for word in (
            "refused",
            "resolve host",
            "translate host",
            "timeout",
            "no such file",
            "unreachable",
            "could not connect",
            "network",
        )
    ):
        return (
            f"the PostgreSQL server cannot be reached ({detail}); check the host and "
            "port in the URL, and that the server is running"
        )
    return f"cannot connect to PostgreSQL ({detail})"


_INSERT = re.compile(
    r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(\([^)]*\))?", re.IGNORECASE
)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
_NEXT_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION roadmap_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE next_id BIGINT;
BEGIN
  IF to_jsonb(NEW) -> TG_ARGV[0] = 'null'::jsonb THEN
    EXECUTE format('SELECT COALESCE(MAX(%I), 0) + 1 FROM %I.%I',
                   TG_ARGV[0], TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO next_id;
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], next_id));
  END IF;
  RETURN NEW;
END $$"""


def _outside_literals(sql: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the parts of ``sql`` outside quotes ('text', "name")."""
    pieces = re.split(r"""('(?:[^']|'')*'|"[^"]*")""", sql)
    return "".join(p if i % 2 else change(p) for i, p in enumerate(pieces))


def translate_ddl(statement: str) -> list[str]:
    """One SQLite schema statement as the PostgreSQL statements that do the same."""

    def types(part: str) -> str:
        part = re.sub(r"\bAUTOINCREMENT\b", "", part, flags=re.IGNORECASE)
        part = re.sub(r"\bREAL\b", "DOUBLE PRECISION", part, flags=re.IGNORECASE)
        part = re.sub(r"\bBLOB\b", "BYTEA", part, flags=re.IGNORECASE)
        part = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', part, flags=re.IGNORECASE)
        return re.sub(
            r"(\bREFERENCES\s+\w+\s*(?:\([^)]*\))?)", r"\1 DEFERRABLE", part, flags=re.IGNORECASE
        )

    statements = [_outside_literals(statement, types)]
    table = _CREATE_TABLE.match(statement)
    if table:
        for column in re.findall(r"(\w+)\s+INTEGER\s+PRIMARY\s+KEY", statement, re.IGNORECASE):
            statements.append(_NEXT_ID_FUNCTION)
            statements.append(
                f"CREATE TRIGGER {table.group(1)}_next_{column} BEFORE INSERT ON "
                f"{table.group(1)} FOR EACH ROW EXECUTE FUNCTION roadmap_next_id('{column}')"
            )
    return statements


class _Result:
    """A finished statement's rows, ``lastrowid`` and ``rowcount``, as sqlite3 gives them."""

    def __init__(
        self,
        rows: list[Any],
        lastrowid: int | None,
        rowcount: int,
        description: list[tuple[Any, ...]] | None = None,
    ) -> None:
        self._rows = iter(rows)
        self.lastrowid = lastrowid
        self.rowcount = rowcount
        self.description = description

    def fetchone(self) -> Any:
        return next(self._rows, None)

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return self._rows


class PostgresConnection:
    """A psycopg connection that takes the store's SQLite SQL (see the module's docstring)."""

    kind = "postgresql"

    def __init__(self, connection: Any, url: str, on_wait: Callable[[str], None] | None) -> None:
        import psycopg

        self._psycopg = psycopg
        self._connection = connection
        self._url = url
        self._on_wait = on_wait
        self._translated: dict[str, tuple[str, bool]] = {}
        self._catalog: dict[str, tuple[list[str], list[str]]] | None = None

    # sqlite3's API, as much of it as the store uses

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Result:
        command = sql.strip().upper()
        if command in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"):
            self._begin_write()
            return _Result([], None, -1)
        if command.startswith("PRAGMA"):
            if "DEFER_FOREIGN_KEYS" in command:
                self.defer_foreign_keys()
            elif "FOREIGN_KEYS" not in command:  # PostgreSQL always checks them
                raise StoreError(
                    f"{display_name(self._url)}: {sql.strip()} is SQLite's own; "
                    "PostgreSQL has no such statement"
                )
            return _Result([], None, -1)
        if _DDL.match(sql):
            for statement in translate_ddl(sql):
                self._run(statement, None)
            self._catalog = None
            self._translated.clear()
            return _Result([], None, -1)
        query, returns_id = self._translate(sql, bool(parameters))
        cursor = self._run(query, tuple(parameters) if parameters else None)
        if cursor.description is None:
            return _Result([], None, cursor.rowcount)
        rows = cursor.fetchall()
        if returns_id and rows:
            return _Result([], int(rows[0][0]), cursor.rowcount)
        return _Result(
            rows,
            None,
            cursor.rowcount,
            [(column.name,) + (None,) * 6 for column in cursor.description],
        )

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> _Result:
        rows = [tuple(p) for p in parameters]
        if not rows:
            return _Result([], None, 0)
        query, _ = self._translate(sql, True, want_id=False)
        try:
            with self._connection.cursor() as cursor:
                cursor.executemany(query, rows)
                return _Result([], None, cursor.rowcount)
        except self._psycopg.Error as exc:
            raise self._failure(exc) from None
        except UnicodeEncodeError as exc:
            raise _not_utf8(exc, display_name(self._url)) from None

    def close(self) -> None:
        try:
            self._connection.close()
        except self._psycopg.Error:
            pass

    # engine facts

    def table_names(self) -> list[str]:
        self._catalog = None  # another process may have made tables since
        return sorted(self._tables())

    def holds_roadmap(self) -> bool:
        return "meta" in self.table_names()

    def defer_foreign_keys(self) -> None:
        self._run("SET CONSTRAINTS ALL DEFERRED", None)

    def patiently(self, run: Callable[[], T]) -> T:
        return run()  # the write lock's wait (in BEGIN IMMEDIATE) says so itself

    @property
    def in_transaction(self) -> bool:
        return bool(
            self._connection.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE
        )

    # the dialect

    def _translate(self, sql: str, has_parameters: bool, want_id: bool = True) -> tuple[str, bool]:
        key = f"{has_parameters}{want_id}{sql}"
        if key not in self._translated:
            self._translated[key] = self._dialect(sql, has_parameters, want_id)
        return self._translated[key]

    def _dialect(self, sql: str, has_parameters: bool, want_id: bool) -> tuple[str, bool]:
        def rewrite(part: str) -> str:
            if has_parameters:
                part = part.replace("?", "%s")
            part = re.sub(r"\bLIKE\b", "ILIKE", part, flags=re.IGNORECASE)  # as SQLite's
            return re.sub(r"\bIFNULL\s*\(", "COALESCE(", part, flags=re.IGNORECASE)

        query = sql.strip().rstrip(";")
        returning = re.search(r"\s+RETURNING\s.*$", query, re.IGNORECASE | re.DOTALL)
        tail = returning.group(0) if returning else ""
        query = query[: len(query) - len(tail)]
        insert = _INSERT.match(query)
        returns_id = False
        if insert:
            conflict, table, named = insert.groups()
            if conflict:
                query = re.sub(
                    r"\s+OR\s+(IGNORE|REPLACE)\s+", " ", query, count=1, flags=re.IGNORECASE
                )
            if conflict and conflict.upper() == "IGNORE":
                query += " ON CONFLICT DO NOTHING"
            elif conflict:
                query += self._on_conflict_replace(table, named)
            key = self._tables().get(table, ([], []))[1]
            if want_id and key == ["id"] and not tail:
                tail = " RETURNING id"
                returns_id = True
        query += tail
        if has_parameters:  # psycopg reads every % as a placeholder, even in quotes
            query = query.replace("%", "%%")
        return _outside_literals(query, rewrite), returns_id

    def _on_conflict_replace(self, table: str, named: str | None) -> str:
        columns, key = self._tables().get(table, ([], []))
        if named:
            columns = [c.strip() for c in named.strip("()").split(",")]
        others = [c for c in columns if c not in key]
        if not key:
            return ""
        if not others:
            return f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
        return f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(
            f"{c} = EXCLUDED.{c}" for c in others
        )

    def _tables(self) -> dict[str, tuple[list[str], list[str]]]:
        """Each table of the current schema: its columns and its primary key, in order."""
        if self._catalog is None:
            catalog: dict[str, tuple[list[str], list[str]]] = {}
            for table, column, in_key in self._run(
                """SELECT c.relname, a.attname, COALESCE(a.attnum = ANY(i.indkey), false)
                       FROM pg_class c
                       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                                           AND NOT a.attisdropped
                       LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
                       WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
                       ORDER BY c.relname, a.attnum""",
                None,
            ).fetchall():
                columns, key = catalog.setdefault(table, ([], []))
                columns.append(column)
                if in_key:
                    key.append(column)
            self._catalog = catalog
        return self._catalog

    # running statements

    def _run(self, query: str, parameters: tuple[Any, ...] | None) -> Any:
        try:
            return self._connection.execute(query, parameters)
        except self._psycopg.Error as exc:
            raise self._failure(exc) from None
        except UnicodeEncodeError as exc:
            raise _not_utf8(exc, display_name(self._url)) from None

    def _failure(self, exc: Exception) -> StoreError:
        lost = isinstance(exc, self._psycopg.OperationalError) and self._connection.closed
        return _postgres_error(exc, self._url, lost)

    def _begin_write(self) -> None:
        """BEGIN, then take the write lock: at once if free (one round trip), else wait
        QUIET_WAIT s, then say so and wait up to BUSY_SECONDS more before giving up."""
        self._run("BEGIN", None)
        try:
            if self._run(f"SELECT pg_try_advisory_xact_lock({_WRITE_LOCK})", None).fetchone()[0]:
                return
            if self._write_lock(QUIET_WAIT):
                return
            shown = display_name(self._url)
            if self._on_wait is not None:
                self._on_wait(waiting(shown))
            self._run("BEGIN", None)
            if not self._write_lock(BUSY_SECONDS):
                raise _failure(shown, "busy", "the write lock was not free", gave_up(shown))
        except BaseException:
            self._rollback()
            raise

    def _write_lock(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the write lock; False (and no transaction) if not."""
        self._run(f"SET LOCAL lock_timeout = '{max(int(seconds * 1000), 1)}ms'", None)
        try:
            self._connection.execute(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")
        except self._psycopg.errors.LockNotAvailable:
            self._rollback()
            return False
        except self._psycopg.Error as exc:
            raise self._failure(exc) from None
        self._run("SET LOCAL lock_timeout = DEFAULT", None)
        return True

    def _rollback(self) -> None:
        try:
            self._connection.execute("ROLLBACK")
        except self._psycopg.Error:
            pass


# SQLSTATE (or its class, the first two characters) -> the StoreError reason it is.
_REASONS = {
    "55P03": "busy",
    "40001": "busy",
    "40P01": "busy",
    "57014": "busy",
    "53100": "full",
    "25006": "read-only",
    "42501": "read-only",
    "XX001": "damaged",
    "XX002": "damaged",
    "58030": "i/o",
    "08": "cannot open",
    "28": "cannot open",
    "3D": "cannot open",
    "57": "cannot open",
}


def _postgres_error(exc: BaseException, url: str, lost: bool = False) -> StoreError:
    """One line naming what PostgreSQL said, under the reason SQLite's would have."""
    shown = display_name(url)
    text = _one_line(exc, url)
    code = getattr(exc, "sqlstate", None) or ""
    reason = _REASONS.get(code) or _REASONS.get(code[:2], "other")
    if lost:
        reason = "cannot open"
        text = f"the connection to the PostgreSQL server was lost ({text})"
    message = {
        "busy": gave_up(shown),
        "read-only": (
            f"{shown}: the store is read-only for this login ({text}); nothing "
            "was written. Ask the database's owner for write access"
        ),
    }.get(reason, "")
    return _failure(
        shown,
        reason,
        text,
        message or ("" if reason in ("full", "damaged", "i/o") else f"{shown}: {text}"),
    )
