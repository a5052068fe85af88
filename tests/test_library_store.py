"""The store and settings called from Python: every wrong value is a RoadmapError of the
right kind (UsageError, InputError, StoreError) naming it, and nothing is written."""

import sqlite3

import pytest

from roadmap.errors import InputError, RoadmapError, StoreError, UsageError
from roadmap.settings import change_settings
from roadmap.store import Settings, Store

BIG_EIGHT = (
    "Data collection; Data processing; Feature engineering; Data labeling; "
    "Model design; Model training; Model optimization; Model deployment & monitoring"
)


@pytest.mark.parametrize(
    "given, message",
    [
        ({"start": ""}, "start: '' is not a month (use YYYY-MM)"),
        ({"start": "2021-13"}, "start: '2021-13' is not a month (use YYYY-MM)"),
        ({"start": "soon"}, "start: 'soon' is not a month (use YYYY-MM)"),
        ({"start": None}, "start: None is not a month (use YYYY-MM)"),
        ({"name": ""}, "name: '' is empty; give the roadmap a name"),
        ({"name": "  "}, "name: '  ' is empty; give the roadmap a name"),
        (
            {"name": "Two\nlines"},
            "name: 'Two\\nlines': holds the control character U+000A (at "
            "character 4), which no workbook can hold",
        ),
        ({"horizon": 0}, "horizon: 0 is not a whole number of months from 1 to 120"),
        ({"horizon": 121}, "horizon: 121 is not a whole number of months from 1 to 120"),
        ({"horizon": "12"}, "horizon: '12' is not a whole number of months from 1 to 120"),
        ({"cadence": 25}, "cadence: 25 is not a whole number of months from 1 to 24"),
        ({"cadence": True}, "cadence: True is not a whole number of months from 1 to 24"),
        (
            {"stages": ["Train", "train "]},
            "stages: stage 'train ' is named twice (also as 'Train')",
        ),
        (
            {"stages": ["Model design", "model-design"]},
            "stages: stage 'model-design' is named twice (also as 'Model design')",
        ),
        ({"stages": ["Train", " "]}, "stages: stage ' ' has no letters or digits"),
        (
            {"stages": ["Train", "unassigned"]},
            "stages: 'Unassigned' is where requirements with no stage are listed; name the stage "
            "otherwise",
        ),
        ({"stages": []}, "stages: no stages; a roadmap has at least one"),
        ({"stages": "Train;Serve"}, "stages: 'Train;Serve' is not a list of stage names"),
        ({"stages": ["Train", 3]}, "stages: stage 3 is not text"),
        (
            {"weights": {"urgent": 4}},
            "weights: unknown weight 'urgent' (expected one of: high, medium, low, best-in-class)",
        ),
        ({"weights": {"high": -1}}, "weights: high=-1 is not a number from 0 to 1000"),
        ({"weights": {"high": float("nan")}}, "weights: high=nan is not a number from 0 to 1000"),
        ({"weights": {"high": "3"}}, "weights: high='3' is not a number from 0 to 1000"),
    ],
)
def test_create_refuses_each_bad_setting_by_name(tmp_path, given, message):
    with pytest.raises(UsageError) as caught:
        Store.create(str(tmp_path / "roadmap.db"), Settings(**given))
    assert str(caught.value) == message
    assert list(tmp_path.iterdir()) == []  # no store, no temporary file


def test_create_names_every_bad_setting_at_once(tmp_path):
    with pytest.raises(UsageError) as caught:
        Store.create(str(tmp_path / "roadmap.db"), Settings(start="", horizon=0, stages=["A", "a"]))
    assert [str(p) for p in caught.value.problems] == [
        "start: '' is not a month (use YYYY-MM)",
        "horizon: 0 is not a whole number of months from 1 to 120",
        "stages: stage 'a' is named twice (also as 'A')",
    ]


def test_create_stores_settings_as_a_user_writes_them(tmp_path):
    path = str(tmp_path / "roadmap.db")
    Store.create(path, Settings(start="Sep 2021", stages=[" Ingest", "Train "])).close()
    store = Store.open(path)
    settings = store.settings()
    store.close()
    assert settings.start == "2021-09"
    assert settings.stages == ["Ingest", "Train"]


def test_create_refuses_what_is_not_settings(tmp_path):
    with pytest.raises(UsageError) as caught:
        Store.create(str(tmp_path / "roadmap.db"), {"start": "2021-05"})
    assert str(caught.value) == (
        "settings: {'start': '2021-05'} is not a Settings (nor a Store to copy)"
    )


def test_a_missing_store_is_a_store_error(tmp_path):
    with pytest.raises(StoreError) as caught:
        Store.open(str(tmp_path / "nowhere.db"))
    assert str(caught.value) == (
        f"{tmp_path / 'nowhere.db'}: no store here; run 'roadmap init' first, or pass --db PATH"
    )


def test_a_folder_is_not_a_store(tmp_path):
    with pytest.raises(StoreError) as caught:
        Store.open(str(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path} is a folder, not a store; pass --db {tmp_path / 'roadmap.db'}"
    )
    with pytest.raises(StoreError) as caught:
        Store.create(str(tmp_path), Settings(start="2021-05"))
    assert str(caught.value) == f"{tmp_path} is a folder; pass --db {tmp_path / 'roadmap.db'}"


@pytest.mark.parametrize(
    "path, message",
    [
        ("", "--db: '' is not a store's path or URL"),
        (None, "--db: None is not a store's path or URL"),
        ("road\x00map.db", "--db: 'road\\x00map.db': a path cannot hold the character U+0000"),
    ],
)
def test_a_path_no_file_system_takes_is_a_usage_error(tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(tmp_path)
    for call in (lambda: Store.open(path), lambda: Store.create(path, Settings(start="2021-05"))):
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == message
    assert list(tmp_path.iterdir()) == []


# -- changes ---------------------------------------------------------------------------


@pytest.fixture
def stocked(store):
    """The default roadmap with one requirement in Model design."""
    from roadmap.model import Requirement, Tier

    with store.transaction():
        event = store.add_event("import requirements", {}, as_of="2021-05-01")
        store.write_requirement_versions(
            event, [Requirement("MD-01", "Notebooks", "Model design", Tier.TABLE_STAKES)]
        )
    return store


def unchanged(store: Store, before: Settings) -> bool:
    return store.settings() == before and all(e.action != "settings" for e in store.events())


@pytest.mark.parametrize(
    "given, kind, message",
    [
        ({"weights": {"high": -1}}, UsageError, "weights: high=-1 is not a number from 0 to 1000"),
        (
            {"weights": {"urgent": 2}},
            UsageError,
            "weights: unknown weight 'urgent' (expected one of: high, medium, low, best-in-class)",
        ),
        ({"weights": [3, 2]}, UsageError, "weights: [3, 2] is not a mapping of names to numbers"),
        (
            {"horizon": 200},
            UsageError,
            "horizon: 200 is not a whole number of months from 1 to 120",
        ),
        ({"name": ""}, UsageError, "name: '' is empty; give the roadmap a name"),
        (
            {"stages": ["Model design", "MODEL DESIGN"]},
            UsageError,
            "stages: stage 'MODEL DESIGN' is named twice (also as 'Model design')",
        ),
        (
            {"renames": {"Governance": "Policy"}},
            InputError,
            f"--rename-stage: no stage named 'Governance' (stages: {BIG_EIGHT})",
        ),
        (
            {"renames": {"Model design": "Model training"}},
            InputError,
            "--rename-stage: cannot rename 'Model design' to 'Model training': stage "
            "'Model training' already has that name",
        ),
        (
            {"renames": {"Model design": "Design; Build"}},
            UsageError,
            "--rename-stage: 'Design; Build' is more than one stage name; "
            "rename one stage at a time",
        ),
        (
            {"renames": {"Model design": ""}},
            UsageError,
            "--rename-stage: stage '' has no letters or digits",
        ),
        (
            {"renames": {"Model design": "Unassigned"}},
            UsageError,
            "--rename-stage: 'Unassigned' is where requirements with no stage are listed; name the "
            "stage otherwise",
        ),
        (
            {"renames": ["Model design=Design"]},
            UsageError,
            "renames: ['Model design=Design'] is not a mapping of old to new stage names",
        ),
        (
            {"stages": ["Model training", "Governance"]},
            InputError,
            "--stages: stage 'Model design' still has requirements; keep it in --stages, rename it "
            "with --rename-stage 'Model design=New name', or move its requirements first",
        ),
    ],
)
def test_a_bad_change_is_refused_by_kind_and_writes_nothing(stocked, given, kind, message):
    before = stocked.settings()
    with pytest.raises(kind) as caught:
        change_settings(stocked, **given)
    assert str(caught.value) == message
    assert unchanged(stocked, before)


def test_a_good_change_is_written_and_logged(stocked):
    change = change_settings(stocked, horizon=12, weights={"high": 5})
    assert change.changes == {
        "horizon": ("18", "12"),
        "weights": (
            "high=3,medium=2,low=1,best-in-class=1",
            "high=5,medium=2,low=1,best-in-class=1",
        ),
    }
    assert (stocked.settings().horizon, stocked.settings().weights["high"]) == (12, 5.0)
    assert [e.action for e in stocked.events()][-1] == "settings"


# -- a store holding what no roadmap writes ---------------------------------------------


def damage(path, sql: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute(sql)
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    "sql, read, what",
    [
        ("UPDATE roadmap SET scores = 'not json'", Store.settings, "its roadmap settings"),
        ("UPDATE roadmap SET scores = '{\"great\": 1}'", Store.settings, "its roadmap settings"),
        ("UPDATE roadmap SET weights = '[1, 2]'", Store.settings, "its roadmap settings"),
        ("UPDATE events SET summary = '{'", Store.events, "its log"),
        ("UPDATE requirement_versions SET tier = 'gold'", Store.requirements, "its requirements"),
    ],
)
def test_damaged_rows_are_a_store_error(stocked, db, sql, read, what):
    damage(str(db), sql)
    with pytest.raises(StoreError) as caught:
        read(stocked)
    assert caught.value.reason == "damaged"
    assert str(caught.value).startswith(f"{db}: the store is damaged ({what}: ")
    assert str(caught.value).endswith(
        "; restore it from your own backup, or run 'roadmap init' for a new one"
    )


def test_an_unknown_snapshot_id_is_an_input_error(store, db):
    with pytest.raises(InputError) as caught:
        store.snapshot(42)
    assert str(caught.value) == f"no snapshot with id 42 in {db}; 'roadmap snapshots' lists them"


def test_every_refusal_is_one_roadmap_error(tmp_path):
    """A caller that catches RoadmapError catches them all."""
    for call in (
        lambda: Store.open(str(tmp_path)),
        lambda: Store.create(str(tmp_path / "x.db"), Settings(start="")),
    ):
        with pytest.raises(RoadmapError):
            call()


# -- the CLI says the same -------------------------------------------------------------


def test_init_refuses_an_empty_name(invoke, db):
    result = invoke("init", "--name", " ", "--start", "2021-05")
    assert result.exit_code == 2
    assert "Error: Invalid value for --name: the name is empty" in result.stderr
    assert not db.exists()


@pytest.mark.parametrize(
    "new, message",
    [
        (
            "Design;Build",
            "--rename-stage: 'Design;Build' is more than one stage name; rename one "
            "stage at a time\n",
        ),
        (
            "Unassigned",
            "--rename-stage: 'Unassigned' is where requirements with no stage are "
            "listed; name the stage otherwise\n",
        ),
    ],
)
def test_settings_refuses_a_bad_new_stage_name(invoke, stocked, new, message):
    before = stocked.settings()
    result = invoke("settings", "--rename-stage", f"Model design={new}")
    assert result.exit_code == 2
    assert result.stderr == message
    assert unchanged(stocked, before)


def test_a_damaged_store_is_a_clear_error_on_the_command_line(invoke, stocked, db):
    damage(str(db), "UPDATE roadmap SET scores = 'not json'")
    result = invoke("settings", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {db}: the store is damaged (its roadmap settings: Expecting value: line 1 "
        "column 1 (char 0)); restore it from your own backup, or run 'roadmap init' for a "
        "new one\n"
    )
    assert result.stdout == ""


def test_an_empty_db_option_is_a_usage_error(runner, tmp_path, monkeypatch):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["--db", "", "requirements"])
    assert result.exit_code == 2
    assert result.stderr == "--db: '' is not a store's path or URL\n"


@pytest.mark.parametrize(
    "value, message",
    [
        (10**30, "cannot store or look up that number ("),
        ([1], "cannot store or look up that value ("),  # sqlite3's words vary by Python
    ],
)
def test_a_value_no_column_holds_is_a_usage_error(store, db, value, message):
    with pytest.raises(UsageError) as caught:
        store.snapshot(value)
    assert str(caught.value).startswith(f"{db}: {message}")


def test_a_store_is_created_and_opened_by_a_pathlib_path(tmp_path):
    created = Store.create(tmp_path / "roadmap.db", Settings(name="Acme", start="2021-05"))
    created.close()
    with Store.open(tmp_path / "roadmap.db") as store:
        assert store.settings().name == "Acme"
        assert store.path == str(tmp_path / "roadmap.db")
    assert Store.exists(tmp_path / "roadmap.db")


def test_a_store_used_after_close_says_it_was_closed(tmp_path):
    path = str(tmp_path / "roadmap.db")
    with Store.create(path, Settings(name="Acme", start="2021-05")) as store:
        pass  # the with block closed it
    for call in (store.settings, store.reviews, store.vendors):
        with pytest.raises(StoreError) as caught:
            call()
        assert str(caught.value) == (
            f"{path}: the store was closed; open it again with Store.open({path!r})"
        )
        assert caught.value.reason == "closed"
    store.close()  # closing twice is harmless


def test_a_store_opened_twice_sees_what_the_other_wrote(tmp_path):
    path = tmp_path / "roadmap.db"
    first = Store.create(path, Settings(name="Acme", start="2021-05"))
    second = Store.open(path)
    change_settings(first, name="Acme ML")
    assert second.settings().name == "Acme ML"
    first.close()
    second.close()


@pytest.mark.parametrize("path", [None, 5, b"roadmap.db"])
def test_a_path_that_is_not_text_is_a_usage_error(path):
    for call in (
        lambda: Store.open(path),
        lambda: Store.create(path, Settings(name="Acme", start="2021-05")),
    ):
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == f"--db: {path!r} is not a store's path or URL"
