"""`roadmap init`, where the store lives, `roadmap --version` and a lean `--help`."""

import json
import subprocess
import sys

import pytest

from roadmap import __version__
from roadmap.cli import cli
from roadmap.model import BIG_EIGHT
from roadmap.store import Settings, Store


@pytest.mark.engines
def test_init_creates_a_store_with_the_defaults(invoke, db):
    result = invoke("init", "--start", "2021-05")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Created {db}: ML platform roadmap, from 2021-05, 18-month horizon, "
        "reviews every 3 months, 8 stages.\n"
    )
    settings = Store.open(str(db)).settings()
    assert settings.start == "2021-05"
    assert (settings.horizon, settings.cadence) == (18, 3)
    assert settings.stages == list(BIG_EIGHT)


@pytest.mark.engines
def test_init_takes_name_horizon_cadence_and_custom_stages(invoke, db):
    result = invoke(
        "init",
        "--name",
        "Acme ML",
        "--start",
        "2025-01",
        "--horizon",
        "12",
        "--cadence",
        "6",
        "--stages",
        "Ingest; Train ;Serve",
    )
    assert result.exit_code == 0, result.output
    settings = Store.open(str(db)).settings()
    assert (settings.name, settings.horizon, settings.cadence) == ("Acme ML", 12, 6)
    assert settings.stages == ["Ingest", "Train", "Serve"]


def test_init_without_start_uses_this_month(invoke, db):
    import datetime as dt

    assert invoke("init").exit_code == 0
    assert Store.open(str(db)).settings().start == dt.date.today().strftime("%Y-%m")


def test_init_refuses_an_existing_store_and_leaves_it_untouched(invoke, db):
    invoke("init", "--start", "2021-05")
    before = db.read_bytes()
    result = invoke("init", "--start", "2030-01")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {db}: a store already exists here; pass --db PATH for another\n"
    )
    assert db.read_bytes() == before


def test_init_refuses_a_stage_named_twice(invoke, db):
    result = invoke("init", "--stages", "Train;train")
    assert result.exit_code == 2
    assert (
        "Invalid value for --stages: stage 'train' is named twice (also as 'Train')"
        in result.stderr
    )
    assert not db.exists()


def test_init_refuses_a_start_that_is_not_a_month(invoke, db):
    result = invoke("init", "--start", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a month (use YYYY-MM)" in result.stderr


def test_store_is_roadmap_db_in_the_current_folder_by_default(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROADMAP_DB", raising=False)
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "roadmap.db").exists()


def test_roadmap_db_environment_variable_names_the_store(runner, db):
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert db.exists()


def test_db_option_wins_over_the_environment_variable(runner, db, tmp_path):
    other = tmp_path / "other.db"
    assert runner.invoke(cli, ["--db", str(other), "init"]).exit_code == 0
    assert other.exists()
    assert not db.exists()


def test_a_command_on_a_missing_store_says_to_run_init(invoke, db):
    result = invoke("requirements")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {db}: no store here; run 'roadmap init' first, or pass --db PATH\n"
    )
    assert not db.exists()


def test_a_file_that_is_not_a_store_is_refused(invoke, db):
    db.write_text("id,title\n")
    result = invoke("log")
    assert result.exit_code == 1
    assert result.stderr == f"error: {db}: not a roadmap store (not an SQLite file)\n"


@pytest.mark.engines
def test_store_create_and_open_from_python(db):
    Store.create(str(db), Settings(name="Lib", start="2022-01", stages=["A", "B"])).close()
    store = Store.open(str(db))
    assert store.settings().name == "Lib"
    assert store.settings().stages == ["A", "B"]
    assert store.requirements() == {}
    assert store.events() == []


@pytest.mark.engines
def test_log_of_a_new_store_is_empty(invoke, store):
    result = invoke("log", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"roadmap, version {__version__}\n"


def test_help_does_not_import_openpyxl_or_tabulate():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from roadmap.cli import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in ('openpyxl', 'tabulate') if m in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "[]\n"


def test_two_spellings_of_one_stage_are_refused(invoke, db):
    result = invoke("init", "--stages", "ML Ops;mlops;Serving")
    assert result.exit_code == 2
    assert "stage 'mlops' is named twice (also as 'ML Ops')" in result.stderr
    assert not db.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("init", "--start", "9999-01"),
        ("review", "--output", "r.xlsx", "--as-of", "9999-06-15"),
        ("review", "--output", "r.xlsx", "--as-of", "0001-01-01"),
        ("compare", "--as-of", "0001-01"),
    ],
)
def test_a_year_out_of_range_is_a_usage_error_not_a_traceback(invoke, db, args):
    if args[0] != "init":
        Store.create(str(db), Settings(start="2021-05")).close()
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert f"Error: Invalid value for {args[-2]}: '{args[-1]}' is not a" in result.stderr
    assert isinstance(result.exception, SystemExit)
