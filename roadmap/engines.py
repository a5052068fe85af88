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
  go one at a time; one that waits says so after a second and gives up after
  ``WRITE_WAIT_SECONDS`` saying what to do.

Every PostgreSQL failure becomes a one-line ``StoreError`` naming the cause; the URL
is shown with its password masked. The driver (psycopg 3) is imported only here, only
when a URL asks for it.
"""
from __future__ import annotations

import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from .errors import RoadmapError

WRITE_WAIT_SECONDS = 30.0  # as long as SQLite's busy timeout
NOTICE_AFTER_SECONDS = 1.0
WAITING = "waiting for another roadmap command to finish…"
# The advisory lock every writer of one store takes: ('road' in ASCII, its schema), so
# stores in two schemas of one database (and copy-store between them) do not contend.
_WRITE_LOCK = "1919906148, hashtext(current_schema())"


class StoreError(RoadmapError):
    """The store's database failed (unreachable, refused, gone): one line, no traceback."""


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


class SQLiteConnection(sqlite3.Connection):
    """sqlite3's own connection, plus the engine facts the store asks for."""

    kind = "sqlite"

    def table_names(self) -> list[str]:
        return sorted(r[0] for r in self.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"))

    def holds_roadmap(self) -> bool:
        return "meta" in self.table_names()

    def defer_foreign_keys(self) -> None:
        self.execute("PRAGMA defer_foreign_keys = ON")


def connect_sqlite(path: str) -> SQLiteConnection:
    try:
        connection = sqlite3.connect(path, timeout=30, isolation_level=None,
                                     factory=SQLiteConnection)
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store ({exc})") from None
    return connection


# -- PostgreSQL ------------------------------------------------------------------------

def connect_postgres(url: str, on_wait: Callable[[str], None] | None = None) -> PostgresConnection:
    """A connection to the database the URL names (PGPASSWORD and ~/.pgpass apply)."""
    shown = display_name(url)
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            f"{shown}: a PostgreSQL store needs the psycopg driver; "
            "install it with: pip install 'roadmap[postgres]'") from None
    options: dict[str, Any] = {"autocommit": True, "application_name": "roadmap"}
    if "connect_timeout" not in url:
        options["connect_timeout"] = 10
    try:
        connection = psycopg.connect(url, **options)
    except psycopg.Error as exc:
        raise StoreError(f"{shown}: {_connect_failure(_one_line(exc, url))}") from None
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
        return (f"{detail}; create it first (createdb {name.group(1)})" if name
                else f"{detail}; create the database first")
    if any(word in lowered for word in (
            "password", "authentication", "role", "pg_hba", "permission denied")):
        return (f"the server refused the login ({detail}); check the user name, and the "
                "password in PGPASSWORD or ~/.pgpass")
    if any(word in lowered for word in (
            "refused", "resolve host", "translate host", "timeout", "no such file",
            "unreachable", "could not connect", "network")):
        return (f"the PostgreSQL server cannot be reached ({detail}); check the host and "
                "port in the URL, and that the server is running")
    return f"cannot connect to PostgreSQL ({detail})"


_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(\([^)]*\))?",
                     re.IGNORECASE)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)",
                           re.IGNORECASE)
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
        return re.sub(r"(\bREFERENCES\s+\w+\s*(?:\([^)]*\))?)", r"\1 DEFERRABLE", part,
                      flags=re.IGNORECASE)

    statements = [_outside_literals(statement, types)]
    table = _CREATE_TABLE.match(statement)
    if table:
        for column in re.findall(r"(\w+)\s+INTEGER\s+PRIMARY\s+KEY", statement, re.IGNORECASE):
            statements.append(_NEXT_ID_FUNCTION)
            statements.append(
                f"CREATE TRIGGER {table.group(1)}_next_{column} BEFORE INSERT ON "
                f"{table.group(1)} FOR EACH ROW EXECUTE FUNCTION roadmap_next_id('{column}')")
    return statements


class _Result:
    """A finished statement's rows, ``lastrowid`` and ``rowcount``, as sqlite3 gives them."""

    def __init__(self, rows: list[Any], lastrowid: int | None, rowcount: int,
                 description: list[tuple] | None = None) -> None:
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

    def __init__(self, connection: Any, url: str,
                 on_wait: Callable[[str], None] | None) -> None:
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
                raise StoreError(f"{display_name(self._url)}: {sql.strip()} is SQLite's own; "
                                 "PostgreSQL has no such statement")
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
        return _Result(rows, None, cursor.rowcount,
                       [(column.name,) + (None,) * 6 for column in cursor.description])

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

    # the dialect

    def _translate(self, sql: str, has_parameters: bool, want_id: bool = True
                   ) -> tuple[str, bool]:
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
        query = query[:len(query) - len(tail)]
        insert = _INSERT.match(query)
        returns_id = False
        if insert:
            conflict, table, named = insert.groups()
            if conflict:
                query = re.sub(r"\s+OR\s+(IGNORE|REPLACE)\s+", " ", query, count=1,
                               flags=re.IGNORECASE)
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
        return (f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in others))

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
                       ORDER BY c.relname, a.attnum""", None).fetchall():
                columns, key = catalog.setdefault(table, ([], []))
                columns.append(column)
                if in_key:
                    key.append(column)
            self._catalog = catalog
        return self._catalog

    # running statements

    def _run(self, query: str, parameters: tuple | None) -> Any:
        try:
            return self._connection.execute(query, parameters)
        except self._psycopg.Error as exc:
            raise self._failure(exc) from None

    def _failure(self, exc: Exception) -> StoreError:
        text = _one_line(exc, self._url)
        if isinstance(exc, self._psycopg.OperationalError) and self._connection.closed:
            text = f"the connection to the PostgreSQL server was lost ({text})"
        return StoreError(f"{display_name(self._url)}: {text}")

    def _begin_write(self) -> None:
        """BEGIN, then take the write lock: at once if free (one round trip), else wait,
        saying so after a second, and give up after WRITE_WAIT_SECONDS."""
        self._run("BEGIN", None)
        try:
            if self._run(f"SELECT pg_try_advisory_xact_lock({_WRITE_LOCK})", None).fetchone()[0]:
                return
            if self._write_lock(NOTICE_AFTER_SECONDS):
                return
            if self._on_wait is not None:
                self._on_wait(WAITING)
            self._run("BEGIN", None)
            if not self._write_lock(max(WRITE_WAIT_SECONDS - NOTICE_AFTER_SECONDS, 0.001)):
                raise StoreError(
                    f"{display_name(self._url)}: another roadmap command has been writing "
                    f"for over {WRITE_WAIT_SECONDS:g} s; nothing was written. Try again "
                    "when it has finished")
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
