"""Shared fixtures: a store in a temporary folder, the CLI, and input files built in code.

Every test that asks for ``db`` (or anything built on it) runs inside its own
``tmp_path``, so files are named as a user types them (``reqs.xlsx``) and error
messages can be asserted exactly.

Tests marked ``engines`` run twice: on an SQLite file and on a fresh PostgreSQL
database (``db`` is then its URL); the PostgreSQL run counts as slow, so the default run
stays under a minute and ``pytest -m slow`` (which CI runs too) covers the second engine.
The server is ``ROADMAP_TEST_POSTGRES`` (a URL of a database on a server where the user
may create databases) or else a throw-away cluster started for the session
(``tests/pgcluster.py``); when neither can be had, the PostgreSQL half is skipped and
says why.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings as hypothesis_settings

from roadmap.cli import cli
from roadmap.store import Settings, Store

# Property tests without a count of their own try 10 examples in the default run and 30
# where HYPOTHESIS_PROFILE=ci (.ci/run sets it).
hypothesis_settings.register_profile("dev", max_examples=10)
hypothesis_settings.register_profile("ci", max_examples=30)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


class Bold(str):
    """A cell value ``make_xlsx`` writes in bold: ``make_xlsx.bold("Feature store")``."""


@pytest.fixture
def runner() -> CliRunner:
    """click's CliRunner; ``result.stdout`` and ``result.stderr`` are kept apart."""
    return CliRunner()


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]


def pytest_generate_tests(metafunc) -> None:
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("engines"):
        metafunc.parametrize("engine", ENGINES, indirect=True)


def pytest_collection_modifyitems(items) -> None:
    # A test that needs the PostgreSQL server waits for a cluster: slow, like the second
    # engine of an ``engines`` test.
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def engine(request) -> str:
    """``sqlite``, or ``postgresql`` for the second run of a test marked ``engines``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of the session's PostgreSQL test database and an autocommit connection."""
    url = os.environ.get("ROADMAP_TEST_POSTGRES")
    try:
        import psycopg
    except ImportError:
        if url:
            pytest.fail(
                "ROADMAP_TEST_POSTGRES is set but psycopg is not installed: "
                "pip install -e '.[test,postgres]'"
            )
        pytest.skip(
            "PostgreSQL half skipped: psycopg is not installed (pip install -e '.[test,postgres]')"
        )
    folder = None
    if not url:
        sys.path.insert(0, os.path.dirname(__file__))
        import pgcluster

        folder = tempfile.mkdtemp(prefix="roadmap-test-pg-")
        try:
            url = pgcluster.start(folder)
        except pgcluster.NoCluster as why:
            pgcluster.stop(folder)
            pytest.skip(f"PostgreSQL half skipped: {why}")
    server = psycopg.connect(url, autocommit=True)
    database = f"roadmap_tests_{os.getpid()}"
    server.execute(f"CREATE DATABASE {database}")
    connection = psycopg.connect(database_url(url, database), autocommit=True)
    connection.execute("SET lock_timeout = '10s'")
    yield database_url(url, database), connection
    connection.close()
    server.execute(f"DROP DATABASE {database} WITH (FORCE)")
    server.close()
    if folder is not None:
        pgcluster.stop(folder)


_schema_numbers = itertools.count(1)


@pytest.fixture
def postgres_database(postgres_server):
    """A URL to an empty PostgreSQL store of its own: a fresh schema in the session's test
    database (search_path set in the URL), dropped afterwards. A schema takes
    milliseconds where CREATE DATABASE took 0.5-1 s here."""
    url, connection = postgres_server
    schema = f"t{next(_schema_numbers)}"
    connection.execute(f"CREATE SCHEMA {schema}")
    yield f"{url}?options=-csearch_path%3D{schema}"
    connection.execute(f"DROP SCHEMA {schema} CASCADE")


def database_url(url: str, name: str) -> str:
    """The server's URL with another database name."""
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture
def db(engine, tmp_path, monkeypatch, request) -> Path | str:
    """The store (not created yet): a path in tmp_path, or on PostgreSQL a URL to an
    empty database; ROADMAP_DB points at it, cwd is tmp_path."""
    monkeypatch.chdir(tmp_path)
    target: Path | str = tmp_path / "roadmap.db"
    if engine == "postgresql":
        target = request.getfixturevalue("postgres_database")
    monkeypatch.setenv("ROADMAP_DB", str(target))
    return target


@pytest.fixture
def store(engine, db, request):
    """An initialised store (default settings, start month 2021-05), closed afterwards."""
    return prepared(request)


@pytest.fixture
def invoke(runner, db):
    """``invoke("requirements", "--format", "json")``: the CLI run with ``--db`` set."""

    def run(*args: str, **kwargs):
        return runner.invoke(cli, ["--db", str(db), *map(str, args)], **kwargs)

    return run


def _add_macros(path: Path) -> None:
    """Turn a saved .xlsx into a macro-enabled package with a (dummy) vbaProject part."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    types = parts["[Content_Types].xml"].decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    types = types.replace(
        "<Default ",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
        1,
    )
    parts["[Content_Types].xml"] = types.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rels = re.sub(
        "</Relationships>",
        '<Relationship Id="rIdVba" Target="vbaProject.bin" '
        'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>'
        "</Relationships>",
        rels,
    )
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


@pytest.fixture
def make_xlsx(tmp_path):
    """Write a workbook from rows of cell values; returns its path.

    ``make_xlsx(rows)`` puts ``rows`` on a sheet named ``Requirements`` from A1 (title
    rows and blank rows above the header are just rows: use ``[]`` for a blank one).
    ``sheet="Roadmap"`` names it; ``sheets={"Notes": rows, "Roadmap": rows}`` writes several
    in order; ``hidden=("Notes",)`` hides some; ``macros=True`` adds a vbaProject part
    (use a ``.xlsm`` name). Dates and datetimes become date cells; wrap a value in
    ``make_xlsx.bold(...)`` to make it bold.
    """

    def make(
        rows=None,
        name: str = "reqs.xlsx",
        *,
        sheet: str = "Requirements",
        sheets: dict | None = None,
        hidden=(),
        macros: bool = False,
    ) -> Path:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        book.remove(book.active)
        for title, sheet_rows in (sheets or {sheet: rows or []}).items():
            worksheet = book.create_sheet(title)
            for number, values in enumerate(sheet_rows, start=1):
                for column, value in enumerate(values, start=1):
                    if value is None:
                        continue
                    cell = worksheet.cell(row=number, column=column, value=value)
                    if isinstance(value, Bold):
                        cell.value = str(value)
                        cell.font = Font(bold=True)
                    if hasattr(value, "year"):
                        cell.number_format = "yyyy-mm-dd"
            if title in hidden:
                worksheet.sheet_state = "hidden"
        path = tmp_path / name
        book.save(path)
        if macros:
            _add_macros(path)
        return path

    make.bold = Bold
    return make


@pytest.fixture
def make_csv(tmp_path):
    """Write a CSV file from rows; returns its path.

    ``delimiter`` (``,`` ``;`` or tab), ``bom=True`` for Excel's UTF-8 byte-order mark,
    ``encoding`` to write something other than UTF-8 (e.g. ``cp1252``).
    """
    return csv_maker(tmp_path)


def csv_maker(tmp_path: Path):
    """``make_csv`` writing into ``tmp_path``."""

    def make(
        rows,
        name: str = "reqs.csv",
        *,
        delimiter: str = ",",
        bom: bool = False,
        encoding: str = "utf-8",
    ) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        data = buffer.getvalue().encode(encoding)
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        return path

    return make


_prepared: dict = {}


def prepared(request, *fills) -> Store:
    """A new store at ``db`` (start month 2021-05) after each ``fill(store, make_csv)`` in
    turn (run in the store's folder), closed after the test. On SQLite it is made once per
    session and each test gets its own copy (the store and the files beside it, copied into
    its ``tmp_path``): the imports took a tenth of a second a test. The copy's imports name
    the files first imported. A test asking for two such stores gets the fuller one, which
    it must ask for first (``reviewed`` holds ``review_store``)."""
    db = request.getfixturevalue("db")
    held = getattr(request.node, "_prepared", None)
    if held is not None:
        if held[0][: len(fills)] != fills:
            raise RuntimeError(f"{request.node.nodeid}: ask for the fuller store first")
        return held[1]
    if request.getfixturevalue("engine") != "sqlite":
        store = Store.create(str(db), Settings(start="2021-05"))
        request.addfinalizer(store.close)
        for fill in fills:
            fill(store, request.getfixturevalue("make_csv"))
    else:
        if fills not in _prepared:
            name = "-".join(fill.__name__ for fill in fills) or "empty"
            folder = request.getfixturevalue("tmp_path_factory").mktemp(name)
            made = Store.create(str(folder / db.name), Settings(start="2021-05"))
            cwd = os.getcwd()
            os.chdir(folder)
            try:
                for fill in fills:
                    fill(made, csv_maker(folder))
            finally:
                os.chdir(cwd)
                made.close()
            _prepared[fills] = folder
        shutil.copytree(_prepared[fills], db.parent, dirs_exist_ok=True)
        store = Store.open(str(db))
        request.addfinalizer(store.close)
    request.node._prepared = (fills, store)
    return store


ROADMAP_ROWS = [
    ["ID", "Title", "Stage", "Tier"],
    ["FE-01", "Managed feature store", "feature engineering", "table-stakes"],
    ["FE-02", "Feature store with an entity model", "feature engineering", "best-in-class"],
    ["MT-01", "Managed training jobs", "model training", "table-stakes"],
    ["DM-01", "Real-time endpoints", "model deployment & monitoring", "table-stakes"],
    ["DM-02", "Inference graphs", "model deployment & monitoring", "best-in-class"],
    ["MO-05", "Model compression toolkit", "model optimization", "best-in-class"],
]


@pytest.fixture
def roadmap_store(engine, db, request):
    """The store ``fill_roadmap_store`` makes (on SQLite a copy: see ``prepared``)."""
    return prepared(request, fill_roadmap_store)


def fill_roadmap_store(store, make_csv):
    """The ``store`` with six requirements imported on 2021-05-01; on 2021-11-01 a second
    import retires MO-05. For snapshot, diff, compare and parity tests."""
    from roadmap.requirements import import_requirements

    import_requirements(
        store, str(make_csv(ROADMAP_ROWS, "roadmap_2021-05.csv")), as_of="2021-05-01"
    )
    import_requirements(
        store, str(make_csv(ROADMAP_ROWS[:-1], "roadmap_2021-11.csv")), as_of="2021-11-01"
    )
    return store


REVIEW_ROADMAP_MAY = [
    ["ID", "Title", "Stage", "Tier", "Target", "Status"],
    ["FE-01", "Managed feature store", "feature engineering", "table-stakes", "2021-09", "open"],
    [
        "FE-02",
        "Feature store with an entity model",
        "feature engineering",
        "best-in-class",
        "2022-03",
        "open",
    ],
    ["MT-01", "Managed training jobs", "model training", "table-stakes", "2022-06", "done"],
    [
        "DM-01",
        "Real-time endpoints",
        "model deployment & monitoring",
        "table-stakes",
        "2022-12",
        "open",
    ],
    [
        "DM-02",
        "Inference graphs",
        "model deployment & monitoring",
        "best-in-class",
        "2023-03",
        "open",
    ],
    [
        "DM-03",
        "Shadow deployments",
        "model deployment & monitoring",
        "best-in-class",
        "2023-09",
        "open",
    ],
    ["DL-01", "Labeling jobs with a workforce", "data labeling", "table-stakes", "2022-02", "open"],
    ["DC-01", "Versioned dataset registry", "data collection", "table-stakes", "", "open"],
    [
        "MO-01",
        "Model compression toolkit",
        "model optimization",
        "best-in-class",
        "2022-01",
        "open",
    ],
]
# November: MO-01 gone (retired), DM-01 pulled in to 2022-09, DP-01 added.
REVIEW_ROADMAP_NOV = [
    *[
        row if row[0] != "DM-01" else [*row[:4], "2022-09", "open"]
        for row in REVIEW_ROADMAP_MAY[:-1]
    ],
    ["DP-01", "Data quality checks", "data processing", "table-stakes", "2022-01", "open"],
]
# vendor key -> (name, kind, {as_of: [[requirement, level, product, evidence, notes], …]})
REVIEW_SNAPSHOTS = {
    "alpha": (
        "Alpha ML",
        "end-to-end",
        {
            "2021-06-01": [
                ["FE-01", "none", None, None, None],
                ["DM-01", "preview", "Alpha Endpoints", "https://alpha.example/endpoints", None],
                ["DM-02", "none", None, None, None],
            ],
            "2021-12-01": [
                [
                    "FE-01",
                    "partial",
                    "Alpha Features",
                    '=HYPERLINK("http://evil.example")',
                    "no entity model",
                ],
                ["DM-01", "ga", "Alpha Endpoints", "https://alpha.example/endpoints", None],
                ["DM-02", "planned", "Alpha Graphs", "keynote 2021-11", None],
            ],
        },
    ),
    "beta": (
        "Beta AI",
        "end-to-end",
        {
            "2021-06-01": [
                ["FE-01", "ga", "Beta Feature Store", "https://beta.example/fs", None],
                ["FE-02", "partner", "Feast on Beta", None, None],
                ["DP-01", "ga", "Beta Quality", None, None],
            ],
            "2021-12-01": [
                ["FE-01", "ga", "Beta Feature Store", "https://beta.example/fs", None],
                ["FE-02", "partner", "Feast on Beta", None, None],
                ["DP-01", "preview", "Beta Quality v2", None, "v1 withdrawn"],
            ],
        },
    ),
    "gamma": (
        "Gamma OSS",
        "open-source",
        {
            "2021-06-01": [
                ["FE-01", "partner", None, None, None],
                ["FE-02", "preview", None, None, None],
                ["DM-01", "ga", "Gamma Serve", None, None],
            ],
        },
    ),
}


@pytest.fixture
def review_store(engine, db, request):
    """The store ``fill_review_store`` makes (on SQLite a copy: see ``prepared``)."""
    return prepared(request, fill_review_store)


def fill_review_store(store, make_csv):
    """The ``store`` (start 2021-05, 18-month horizon, 3-month cadence) with a roadmap
    imported on 2021-05-01 and changed on 2021-11-01, and vendor snapshots of Alpha ML,
    Beta AI (both 2021-06-01 and 2021-12-01) and Gamma OSS (2021-06-01). No review yet."""
    from roadmap.requirements import import_requirements
    from roadmap.snapshots import import_snapshots

    import_requirements(
        store, str(make_csv(REVIEW_ROADMAP_MAY, "roadmap_2021-05.csv")), as_of="2021-05-01"
    )
    import_requirements(
        store, str(make_csv(REVIEW_ROADMAP_NOV, "roadmap_2021-11.csv")), as_of="2021-11-01"
    )
    for key, (name, kind, dated) in REVIEW_SNAPSHOTS.items():
        for day, rows in dated.items():
            path = make_csv(
                [
                    ["Vendor:", name],
                    ["Kind:", kind],
                    ["As of:", day],
                    ["Source:", f"{name} docs"],
                    [],
                    ["Requirement ID", "Level", "Product", "Evidence", "Notes"],
                    *rows,
                ],
                f"{key}_{day}.csv",
            )
            import_snapshots(store, str(path))
    return store


# Weights (defaults): high 3, medium 2 (also no priority), low 1; both tiers ×1. Total 11.
STACK_ROADMAP = [
    ["ID", "Title", "Stage", "Tier", "Priority", "Target"],
    ["R1", "Managed feature store", "feature engineering", "table-stakes", "high", "2021-09"],
    [
        "R2",
        "Feature store with an entity model",
        "feature engineering",
        "best-in-class",
        "medium",
        "2022-03",
    ],
    ["R3", "Managed training jobs", "model training", "table-stakes", "low", "2021-12"],
    ["R4", "Real-time endpoints", "model deployment & monitoring", "table-stakes", "", "2022-01"],
    ["R5", "Inference graphs", "model deployment & monitoring", "best-in-class", "high", "2022-06"],
]
# key -> (name, kind, as_of, {requirement: level})
STACK_VENDORS = {
    "plat": (
        "Plat ML",
        "end-to-end",
        "2021-01-15",
        {"R1": "ga", "R2": "partial", "R3": "ga", "R4": "preview", "R5": "none"},
    ),
    "blank": (
        "Blank Tools",
        "best-of-breed",
        "2021-02-01",
        {"R1": "?", "R2": "?", "R3": "tbd", "R4": "?", "R5": "?"},
    ),
    "serve": ("Serve OSS", "open-source", "2021-05-15", {"R4": "ga", "R5": "ga"}),
    "glueco": ("Glue Co", "best-of-breed", "2021-04-01", {"R4": "partner", "R5": "partner"}),
    "feast": ("Feast", "open-source", "2021-05-01", {"R2": "ga", "R5": "partner"}),
}


@pytest.fixture
def stack_store(engine, db, request):
    """The store ``fill_stack_store`` makes (on SQLite a copy: see ``prepared``)."""
    return prepared(request, fill_stack_store)


def fill_stack_store(store, make_csv):
    """The ``store`` with five weighted requirements (2021-01-01) and five vendors' snapshots
    (STACK_VENDORS), one of them (blank) unassessed everywhere. For stacks and recommend."""
    from roadmap.requirements import import_requirements
    from roadmap.snapshots import import_snapshots

    import_requirements(store, str(make_csv(STACK_ROADMAP, "roadmap.csv")), as_of="2021-01-01")
    for key, (name, kind, day, levels) in STACK_VENDORS.items():
        path = make_csv(
            [
                ["Vendor:", name],
                ["Kind:", kind],
                ["As of:", day],
                [],
                ["Requirement ID", "Level", "Product"],
                *[[rid, level, f"{name} {rid}"] for rid, level in levels.items()],
            ],
            f"{key}_{day}.csv",
        )
        import_snapshots(store, str(path))
    return store
