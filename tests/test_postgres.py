"""A team's shared store on PostgreSQL: init, the same answers as SQLite, copy-store,
writers waiting their turn, and what a user sees when the server says no.

Each test gets an empty PostgreSQL store of its own (``postgres_database``); the tests
are skipped, with the reason, when no server can be started (see conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REVIEW_ROADMAP_MAY, REVIEW_ROADMAP_NOV, REVIEW_SNAPSHOTS

from roadmap import engines
from roadmap.cli import cli
from roadmap.demo import build_demo_store
from roadmap.store import Settings, Store

LISTINGS = (
    ["requirements"],
    ["vendors"],
    ["snapshots", "--history"],
    ["parity"],
    ["compare", "--as-of", "2022-06-30"],
    ["schedule"],
)


@pytest.fixture
def url(postgres_database, tmp_path, monkeypatch) -> str:
    monkeypatch.chdir(tmp_path)
    return postgres_database


def run(runner, target, *args):
    return runner.invoke(cli, ["--db", str(target), *map(str, args)])


def listings(runner, target) -> dict:
    """Every listing as JSON, and the log without its wall-clock times."""
    shown = {
        " ".join(args): json.loads(run(runner, target, *args, "--format", "json").stdout)
        for args in LISTINGS
    }
    shown["log"] = [
        {k: v for k, v in row.items() if k != "at"}
        for row in json.loads(run(runner, target, "log", "--format", "json").stdout)
    ]
    return shown


def build_review_store(runner, target, make_csv) -> None:
    """conftest's review store, built through the CLI, with one import that fails."""
    assert run(runner, target, "init", "--start", "2021-05").exit_code == 0
    for rows, name, day in (
        (REVIEW_ROADMAP_MAY, "may.csv", "2021-05-01"),
        (REVIEW_ROADMAP_NOV, "nov.csv", "2021-11-01"),
    ):
        result = run(runner, target, "import", "requirements", make_csv(rows, name), "--as-of", day)
        assert result.exit_code == 0, result.output
    bad = make_csv([["ID", "Title", "Stage"], ["X-1", "Thing", "no such stage"]], "bad.csv")
    assert run(runner, target, "import", "requirements", bad).exit_code == 1
    for key, (name, kind, dated) in REVIEW_SNAPSHOTS.items():
        for day, rows in dated.items():
            path = make_csv(
                [
                    ["Vendor:", name],
                    ["Kind:", kind],
                    ["As of:", day],
                    [],
                    ["Requirement ID", "Level", "Product", "Evidence", "Notes"],
                    *rows,
                ],
                f"{key}_{day}.csv",
            )
            assert run(runner, target, "import", "snapshot", path).exit_code == 0
    assert (
        run(runner, target, "review", "--output", "june.xlsx", "--as-of", "2021-06-30").exit_code
        == 0
    )


# -- init and open ------------------------------------------------------------------------


def test_init_makes_the_store_in_an_empty_database(runner, url):
    result = run(runner, url, "init", "--name", "Team roadmap", "--start", "2022-01")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Created {url}: Team roadmap, from 2022-01, 18-month horizon, "
        "reviews every 3 months, 8 stages.\n"
    )
    store = Store.open(url)
    assert store.settings().name == "Team roadmap"
    assert store.events() == []
    store.close()


def test_init_refuses_a_database_that_holds_a_roadmap(runner, url):
    assert run(runner, url, "init", "--name", "First").exit_code == 0
    result = run(runner, url, "init", "--name", "Second")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {url}: a store already exists here; pass --db URL for another\n"
    )
    assert Store.open(url).settings().name == "First"


def test_the_url_in_roadmap_db_names_the_store(runner, url, monkeypatch):
    monkeypatch.setenv("ROADMAP_DB", url)
    assert runner.invoke(cli, ["init", "--start", "2021-05"]).exit_code == 0
    result = runner.invoke(cli, ["requirements", "--format", "json"])
    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_a_database_without_a_roadmap_says_to_run_init(runner, url):
    result = run(runner, url, "vendors")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {url}: no store here; run 'roadmap init' first, or pass --db URL\n"
    )


def test_an_older_schema_is_upgraded_in_place(url):
    from roadmap.store import MIGRATIONS, SCHEMA_VERSION

    connection = engines.connect_postgres(url)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            connection.execute(statement)
    connection.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    connection.execute("INSERT INTO roadmap VALUES (1, 'Old', '2021-05', 18, 3, '{}')")
    connection.close()
    store = Store.open(url)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.vendors() == {} and store.reviews() == []
    assert store.settings().name == "Old"
    store.close()


# -- the same answers on both engines ----------------------------------------------------


@pytest.mark.engines
def test_a_store_method_in_plain_sqlite_sql_runs_on_both(store):
    """What another engineer's new store method or migration may write, on both engines."""
    db = store.db
    with store.transaction():
        db.execute(
            "CREATE TABLE aliases (id INTEGER PRIMARY KEY, alias TEXT NOT NULL UNIQUE, "
            "vendor TEXT NOT NULL, weight REAL, active INTEGER)"
        )
        first = db.execute(
            "INSERT INTO aliases (alias, vendor, weight, active) VALUES (?, ?, ?, ?)",
            ("Vertex AI", "vertex", 0.5, True),
        ).lastrowid
        db.execute(
            "INSERT OR IGNORE INTO aliases (alias, vendor) VALUES (?, ?)", ("Vertex AI", "other")
        )
        db.execute(
            "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?, ?)",
            (first, "Vertex AI", "vertex", 1.25, False),
        )
        db.executemany(
            "INSERT INTO aliases (alias, vendor) VALUES (?, ?)",
            [("100% Vertex", "vertex"), ("SageMaker", "sagemaker")],
        )
        # A table rebuild (how SQLite drops NOT NULL) keeps giving the next id.
        db.execute(
            "CREATE TABLE aliases_new (id INTEGER PRIMARY KEY, alias TEXT NOT NULL, "
            "vendor TEXT, weight REAL, active INTEGER)"
        )
        db.execute("INSERT INTO aliases_new SELECT * FROM aliases")
        db.execute("DROP TABLE aliases")
        db.execute("ALTER TABLE aliases_new RENAME TO aliases")
        db.execute("ALTER TABLE aliases ADD COLUMN note TEXT")
        last = db.execute("INSERT INTO aliases (alias) VALUES (?)", ("Azure ML",)).lastrowid
    assert (first, last) == (1, 4)
    assert db.execute(
        "SELECT id, alias, vendor, weight, active, note FROM aliases ORDER BY id"
    ).fetchall() == [
        (1, "Vertex AI", "vertex", 1.25, 0, None),
        (2, "100% Vertex", "vertex", None, None, None),
        (3, "SageMaker", "sagemaker", None, None, None),
        (4, "Azure ML", None, None, None, None),
    ]
    assert db.execute(
        "SELECT COUNT(*), SUM(id), AVG(id), IFNULL(MAX(note), '?') FROM aliases "
        "WHERE alias LIKE '%' || ? || '%'",
        ("vertex",),
    ).fetchone() == (2, 3, 1.5, "?")  # LIKE ignores case on both
    assert [r[0] for r in db.execute("SELECT alias FROM aliases ORDER BY alias")] == [
        "100% Vertex",
        "Azure ML",
        "SageMaker",
        "Vertex AI",
    ]


def test_the_dialect_rewrites_sqlite_schema_statements():
    assert engines.translate_ddl(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL DEFAULT 'TEXT', "
        "score REAL, event INTEGER REFERENCES events(id))"
    ) == [
        'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT COLLATE "C" NOT NULL DEFAULT '
        "'TEXT', score DOUBLE PRECISION, event INTEGER REFERENCES events(id) DEFERRABLE)",
        engines._NEXT_ID_FUNCTION,
        "CREATE TRIGGER notes_next_id BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION "
        "roadmap_next_id('id')",
    ]
    assert engines.translate_ddl("CREATE INDEX by_vendor ON snapshots (vendor)") == [
        "CREATE INDEX by_vendor ON snapshots (vendor)"
    ]


def test_every_listing_and_the_review_workbook_are_the_same_as_on_sqlite(
    runner, url, tmp_path, make_csv
):
    sqlite = tmp_path / "roadmap.db"
    for target in (sqlite, url):
        build_review_store(runner, target, make_csv)
    assert listings(runner, url) == listings(runner, sqlite)
    args = ("--as-of", "2021-12-15", "--primary", "alpha")
    for name, target in (("on-sqlite.xlsx", sqlite), ("on-postgres.xlsx", url)):
        result = run(runner, target, "review", "--output", name, *args)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "on-sqlite.xlsx").read_bytes() == (
        tmp_path / "on-postgres.xlsx"
    ).read_bytes()
    # The failed import took no id: the log's ids run 1, 2, 3… on both.
    assert [row["id"] for row in listings(runner, url)["log"]] == list(range(1, 10))


def test_text_sorts_by_code_point_as_on_sqlite(runner, url, tmp_path, make_csv):
    rows = [["ID", "Title", "Stage", "Tier"]] + [
        [rid, f"Thing {rid}", "model training", "table-stakes"]
        for rid in ("b-2", "B-1", "a_1", "A-10", "Ä-1", "a-1")
    ]
    sqlite = tmp_path / "roadmap.db"
    for target in (sqlite, url):
        run(runner, target, "init", "--start", "2021-05")
        run(runner, target, "import", "requirements", make_csv(rows))
    ids = [r["id"] for r in json.loads(run(runner, url, "requirements", "--format", "json").stdout)]
    assert ids == ["A-10", "B-1", "a-1", "a_1", "b-2", "Ä-1"]
    assert listings(runner, url) == listings(runner, sqlite)


# -- copy-store ------------------------------------------------------------------------------


def test_copy_store_moves_a_file_to_the_server_and_back_with_its_history(runner, url, tmp_path):
    original = tmp_path / "team.db"
    store = build_demo_store(str(original))
    # A replaced snapshot is history too.
    store.close()
    replaced = tmp_path / "sagemaker_2021-12-15.csv"
    replaced.write_text("Requirement ID,Level\nFE-01,ga\n")
    result = run(
        runner,
        original,
        "import",
        "snapshot",
        replaced,
        "--vendor",
        "sagemaker",
        "--as-of",
        "2021-12-15",
        "--replace",
    )
    assert (
        run(runner, original, "review", "--output", "r.xlsx", "--as-of", "2022-01-15").exit_code
        == 0
    )

    result = runner.invoke(cli, ["copy-store", str(original), url])
    assert result.exit_code == 0, result.output
    counts = Store.open(str(original)).row_counts()
    assert result.stdout == (
        f"Copied {original} to {url}: {counts['events']} events, "
        f"{counts['requirement_versions']} requirement versions, "
        f"{counts['snapshots']} snapshots, 1 reviews.\n"
    )
    assert listings(runner, url) == listings(runner, original)

    back = tmp_path / "offline.db"
    assert runner.invoke(cli, ["copy-store", url, str(back)]).exit_code == 0
    assert listings(runner, back) == listings(runner, original)
    assert Store.open(str(back)).row_counts() == counts
    for target, name in ((original, "a.xlsx"), (url, "b.xlsx"), (back, "c.xlsx")):
        assert (
            run(
                runner, target, "review", "--output", name, "--as-of", "2022-01-15", "--no-record"
            ).exit_code
            == 0
        )
    assert (
        (tmp_path / "a.xlsx").read_bytes()
        == (tmp_path / "b.xlsx").read_bytes()
        == (tmp_path / "c.xlsx").read_bytes()
    )
    # The copy goes on from the original's ids.
    run(runner, url, "import", "snapshot", replaced, "--vendor", "newco", "--as-of", "2022-02-01")
    log = json.loads(run(runner, url, "log", "--format", "json").stdout)
    assert log[-1]["id"] == counts["events"] + 1


def test_copy_store_refuses_a_target_that_holds_a_roadmap(runner, url, tmp_path):
    assert run(runner, url, "init", "--name", "Already here").exit_code == 0
    source = tmp_path / "mine.db"
    assert run(runner, source, "init").exit_code == 0
    result = runner.invoke(cli, ["copy-store", str(source), url])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {url}: a store already exists here; pass --db URL for another\n"
    )
    assert Store.open(url).settings().name == "Already here"
    result = runner.invoke(cli, ["copy-store", url, str(source)])
    assert result.stderr == (
        f"error: {source}: a store already exists here; pass --db PATH for another\n"
    )


def test_copy_store_between_two_schemas_of_one_database(runner, url, postgres_server, make_csv):
    build_review_store(runner, url, make_csv)
    schema = url.rsplit("%3D", 1)[1]
    connection = postgres_server[1]
    connection.execute(f"CREATE SCHEMA {schema}_copy")
    try:
        target = f"{url}_copy"
        result = runner.invoke(cli, ["copy-store", url, target])
        assert result.exit_code == 0, result.output
        assert listings(runner, target) == listings(runner, url)
    finally:
        connection.execute(f"DROP SCHEMA {schema}_copy CASCADE")


# -- writers one at a time --------------------------------------------------------------------


def hold_the_write_lock(url: str):
    """Another roadmap command in the middle of a write."""
    holder = engines.connect_postgres(url)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_that_waits_says_so_and_then_writes(runner, url, make_csv):
    assert run(runner, url, "init", "--start", "2021-05").exit_code == 0
    holder = hold_the_write_lock(url)
    threading.Timer(1.6, lambda: (holder.execute("COMMIT"), holder.close())).start()
    started = time.monotonic()
    result = run(
        runner,
        url,
        "import",
        "requirements",
        make_csv(
            [
                ["ID", "Title", "Stage", "Tier"],
                ["MT-1", "Training", "model training", "table-stakes"],
            ]
        ),
    )
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started > 1.5
    assert result.stderr == (
        f"{url} is busy: another roadmap command is writing to it; "
        "waiting up to 30 s for it to finish…\n"
    )
    assert [
        r["id"] for r in json.loads(run(runner, url, "requirements", "--format", "json").stdout)
    ] == ["MT-1"]


def test_a_writer_that_gives_up_says_what_to_do_and_writes_nothing(
    runner, url, make_csv, monkeypatch
):
    monkeypatch.setattr(engines, "QUIET_WAIT", 0.5)
    monkeypatch.setattr(engines, "BUSY_SECONDS", 1)
    assert run(runner, url, "init", "--start", "2021-05").exit_code == 0
    holder = hold_the_write_lock(url)
    try:
        result = run(
            runner,
            url,
            "import",
            "requirements",
            make_csv(
                [
                    ["ID", "Title", "Stage", "Tier"],
                    ["MT-1", "Training", "model training", "table-stakes"],
                ]
            ),
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert result.stderr == (
        f"{url} is busy: another roadmap command is writing to it; waiting up to 1 s for "
        "it to finish…\n"
        f"error: {url} is busy: another roadmap command has been writing to it for 1.5 s; "
        "nothing was written. Try again when it has finished\n"
    )
    assert run(runner, url, "log", "--format", "json").stdout == "[]\n"


WORKER = """
import sys
from click.testing import CliRunner
from roadmap.cli import cli

url, vendor, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
runner = CliRunner()
for number in range(1, rounds + 1):
    for args in (["import", "snapshot", f"{vendor}.csv", "--vendor", vendor,
                  "--as-of", f"2021-06-{number:02d}"],
                 ["review", "--output", f"{vendor}-{number}.xlsx", "--as-of", "2021-07-01"]):
        result = runner.invoke(cli, ["--db", url, *args])
        if result.exit_code != 0:
            sys.exit(f"{args}: {result.output}")
"""


@pytest.mark.slow
def test_eight_writers_at_once_lose_nothing(url, tmp_path, make_csv):
    writers, rounds = 8, 20
    rows = [["ID", "Title", "Stage", "Tier"]] + [
        [f"R-{n}", f"Capability {n}", "model training", "table-stakes"] for n in range(30)
    ]
    store = Store.create(url, Settings(start="2021-05"))
    from roadmap.requirements import import_requirements

    import_requirements(store, str(make_csv(rows)), as_of="2021-05-01")
    for number in range(writers):
        make_csv(
            [["Requirement ID", "Level"]]
            + [[f"R-{n}", "ga" if n % (number + 2) == 0 else "none"] for n in range(30)],
            f"v{number}.csv",
        )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, f"v{n}", str(rounds)],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    failures = [(c.wait(timeout=600), c.stderr.read()) for c in children]
    assert all(code == 0 for code, _ in failures), failures

    events = store.events()
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    snapshot_events = [e for e in events if e.action == "import snapshot"]
    assert len(snapshot_events) == writers * rounds
    infos = store.snapshot_infos(include_replaced=True)
    assert len(infos) == writers * rounds
    assert all(info.entries == 30 for info in infos)
    for number in range(writers):
        assert [i.as_of for i in infos if i.vendor == f"v{number}"] == [
            f"2021-06-{day:02d}" for day in range(1, rounds + 1)
        ]
    review_events = [e.id for e in events if e.action == "review"]
    reviews = store.reviews()
    assert len(review_events) == len(reviews) >= rounds
    with_event = store.db.execute(
        "SELECT COUNT(*) FROM reviews r JOIN events e ON e.id = r.event AND e.action = 'review'"
    ).fetchone()[0]
    assert with_event == len(reviews)
    store.close()


# -- passwords and failures ----------------------------------------------------------------------


def test_a_password_in_the_url_is_masked_in_everything_shown():
    assert (
        engines.display_name("postgresql://ana:s3cret@db.example:5432/roadmap")
        == "postgresql://ana:***@db.example:5432/roadmap"
    )
    assert (
        engines.display_name("postgresql://db.example/roadmap?password=s3cret&sslmode=x")
        == "postgresql://db.example/roadmap?password=***&sslmode=x"
    )
    assert (
        engines.display_name("postgresql://ana@db.example/roadmap")
        == "postgresql://ana@db.example/roadmap"
    )


def test_passwords_never_appear_and_pgpassword_and_pgpass_work(runner, url, monkeypatch, tmp_path):
    from pgcluster import PASSWORD_USER

    try:
        password_login_url = _password_url(url, runner, monkeypatch)
    except _Trusted:
        pytest.skip("this server trusts every login; no password to test")
    with_password = password_login_url.replace(f"{PASSWORD_USER}@", f"{PASSWORD_USER}:pa55-word@")
    shown = password_login_url.replace(f"{PASSWORD_USER}@", f"{PASSWORD_USER}:***@")
    result = run(runner, with_password, "init", "--start", "2021-05")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Created {shown}: ")
    result = run(runner, with_password.replace("pa55-word", "wrong"), "vendors")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {shown}: the server refused the login (password authentication failed for "
        f'user "{PASSWORD_USER}"); check the user name, and the password in PGPASSWORD or '
        "~/.pgpass\n"
    )
    for result in (
        run(runner, with_password, "log"),
        runner.invoke(cli, ["copy-store", with_password, with_password]),
    ):
        assert "pa55-word" not in result.output

    monkeypatch.setenv("PGPASSWORD", "pa55-word")
    assert run(runner, password_login_url, "vendors").exit_code == 0
    monkeypatch.delenv("PGPASSWORD")
    host, port = password_login_url.split("@", 1)[1].split("/", 1)[0].split(":")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{host}:{port}:*:{PASSWORD_USER}:pa55-word\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert run(runner, password_login_url, "vendors").exit_code == 0


class _Trusted(Exception):
    pass


def _password_url(url: str, runner, monkeypatch) -> str:
    """The test store's URL for a login that must give its password; _Trusted if the server
    lets it in without one."""
    import psycopg
    from pgcluster import PASSWORD_USER

    admin = psycopg.connect(url, autocommit=True)
    if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PASSWORD_USER,)).fetchone():
        admin.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD 'pa55-word'")
    schema = url.rsplit("%3D", 1)[1]
    admin.execute(f"GRANT ALL ON SCHEMA {schema} TO {PASSWORD_USER}")
    admin.close()
    login = url.replace("//roadmap@", f"//{PASSWORD_USER}@")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    try:
        psycopg.connect(login).close()
    except psycopg.OperationalError:
        return login
    raise _Trusted()


def test_an_unreachable_server_is_one_line_naming_it(runner, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = f"postgresql://ana:s3cret@127.0.0.1:{port}/roadmap"
    result = run(runner, target, "vendors")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: postgresql://ana:***@127.0.0.1:{port}/roadmap: the PostgreSQL server cannot "
        f'be reached (connection to server at "127.0.0.1", port {port} failed: Connection '
        "refused); check the host and port in the URL, and that the server is running\n"
    )


def test_a_connection_lost_mid_command_is_one_line_and_writes_nothing(url, postgres_server):
    from roadmap.errors import RoadmapError

    store = Store.create(url, Settings(start="2021-05"))
    postgres_server[1].execute(
        "SELECT pg_terminate_backend(%s)", (store.db._connection.info.backend_pid,)
    )
    with pytest.raises(RoadmapError) as raised:
        with store.transaction():
            store.add_event("import requirements", {})
    assert str(raised.value).startswith(
        f"{url}: the connection to the PostgreSQL server was lost ("
    )
    assert "\n" not in str(raised.value)
    assert raised.value.reason == "cannot open"
    store.close()
    assert Store.open(url).events() == []


def test_a_missing_database_says_to_create_it(runner, postgres_server):
    from conftest import database_url

    target = database_url(postgres_server[0], "no_such_roadmap")
    result = run(runner, target, "init")
    assert result.exit_code == 1
    assert result.stderr == (
        f'error: {target}: database "no_such_roadmap" does not exist; '
        "create it first (createdb no_such_roadmap)\n"
    )


def test_without_the_driver_a_url_says_what_to_install(runner, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = run(runner, "postgresql://ana@db.example/roadmap", "vendors")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: postgresql://ana@db.example/roadmap: a PostgreSQL store needs the psycopg "
        "driver; install it with: pip install 'roadmap[postgres]'\n"
    )


def test_sqlite_needs_no_driver_and_help_imports_none(tmp_path):
    code = (
        "import sys; from roadmap.cli import cli; from click.testing import CliRunner; "
        f"r = CliRunner().invoke(cli, ['--db', {str(tmp_path / 'x.db')!r}, 'init']); "
        "assert r.exit_code == 0, r.output; print('psycopg' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout == "False\n", done.stderr


# -- failures carry the same kinds as on SQLite ----------------------------------------------


def test_a_writer_that_gives_up_is_busy_from_python_too(url, monkeypatch):
    from roadmap.errors import StoreError

    monkeypatch.setattr(engines, "QUIET_WAIT", 0.1)
    monkeypatch.setattr(engines, "BUSY_SECONDS", 0.2)
    Store.create(url, Settings(start="2021-05")).close()
    told: list[str] = []
    store = Store.open(url, on_wait=told.append)
    holder = hold_the_write_lock(url)
    try:
        with pytest.raises(StoreError) as raised:
            with store.transaction():
                store.add_event("import requirements", {})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert raised.value.reason == "busy"
    assert told == [
        f"{url} is busy: another roadmap command is writing to it; waiting up "
        "to 0.2 s for it to finish…"
    ]
    assert store.events() == []
    store.close()


def test_a_read_only_login_says_the_store_is_read_only(runner, url, make_csv):
    from roadmap.errors import StoreError

    assert run(runner, url, "init", "--start", "2021-05").exit_code == 0
    read_only = url + "%20-cdefault_transaction_read_only%3Don"
    result = run(
        runner,
        read_only,
        "import",
        "requirements",
        make_csv(
            [
                ["ID", "Title", "Stage", "Tier"],
                ["MT-1", "Training", "model training", "table-stakes"],
            ]
        ),
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {read_only}: the store is read-only for this login (cannot execute INSERT "
        "in a read-only transaction); nothing was written. Ask the database's owner for "
        "write access\n"
    )
    assert run(runner, read_only, "requirements", "--format", "json").stdout == "[]\n"
    store = Store.open(read_only)
    with pytest.raises(StoreError) as raised:
        with store.transaction():
            store.add_event("import requirements", {})
    assert raised.value.reason == "read-only"
    store.close()


def test_an_unreachable_server_cannot_be_opened_from_python(tmp_path):
    import socket

    from roadmap.errors import StoreError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError) as raised:
        Store.open(f"postgresql://ana:s3cret@127.0.0.1:{port}/roadmap")
    assert raised.value.reason == "cannot open"
    assert "s3cret" not in str(raised.value)


def test_a_psycopg_error_that_reaches_the_cli_is_named_by_its_kind():
    import psycopg

    from roadmap.engines import engine_error

    target = "postgresql://ana:s3cret@db.example/roadmap"
    full = engine_error(psycopg.errors.DiskFull("could not extend file"), target)
    assert (full.reason, str(full)) == (
        "full",
        (
            "postgresql://ana:***@db.example/roadmap: the disk is full (could not extend file); "
            "nothing was written. Free some space and run the command again"
        ),
    )
    damaged = engine_error(psycopg.errors.DataCorrupted("invalid page in block 3"), target)
    assert (damaged.reason, str(damaged)) == (
        "damaged",
        (
            "postgresql://ana:***@db.example/roadmap: the store is damaged (invalid page in "
            "block 3); restore it from your own backup, or run 'roadmap init' for a new one"
        ),
    )
    assert engine_error(ValueError("not ours"), target) is None
