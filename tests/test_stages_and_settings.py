"""Stages never block an import; `roadmap settings` changes the roadmap after `init`."""

import json
import sqlite3

import pytest

from roadmap.errors import RoadmapError
from roadmap.model import Stages, normalise_word, slug
from roadmap.requirements import import_requirements
from roadmap.settings import change_settings
from roadmap.store import Settings, Store

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

BIG_EIGHT = (
    "Data collection; Data processing; Feature engineering; Data labeling; "
    "Model design; Model training; Model optimization; Model deployment & monitoring"
)


def listed(invoke, *args) -> list[dict]:
    result = invoke("requirements", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def settings_of(invoke) -> dict:
    result = invoke("settings", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["setting"]: row["value"] for row in json.loads(result.stdout)}


# -- no stage -------------------------------------------------------------------------------


def test_a_sheet_without_a_stage_column_imports_unassigned(invoke, store, make_csv):
    make_csv([["ID", "Title"], ["FE-01", "Feature store"], ["MT-01", "Training jobs"]])
    result = invoke("import", "requirements", "reqs.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Columns: id ← ID (A1), title ← Title (B1), stage ← none: requirements will be "
        "Unassigned, tier ← none: bold titles are best-in-class"
    )
    assert invoke("import", "requirements", "reqs.csv").exit_code == 0
    assert [(r["id"], r["stage"]) for r in listed(invoke)] == [("FE-01", None), ("MT-01", None)]


def test_unassigned_requirements_come_after_every_stage(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["AA-01", "No stage yet", None],
            ["MT-01", "Training jobs", "training"],
            ["DC-01", "Connectors", "collection"],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv").exit_code == 0
    assert [(r["id"], r["stage"]) for r in listed(invoke)] == [
        ("DC-01", "Data collection"),
        ("MT-01", "Model training"),
        ("AA-01", None),
    ]
    assert [r["id"] for r in listed(invoke, "--stage", "Unassigned")] == ["AA-01"]


def test_compare_has_an_unassigned_column(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["AA-01", "No stage yet", None],
            ["MT-01", "Training jobs", "training"],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv").exit_code == 0
    make_csv([["Requirement ID", "Level"], ["AA-01", "ga"], ["MT-01", "no"]], "acme_2021-06-01.csv")
    assert invoke("import", "snapshot", "acme_2021-06-01.csv").exit_code == 0
    rows = json.loads(invoke("compare", "--as-of", "2021-07-01", "--format", "json").stdout)
    assert rows[0]["Unassigned"] == 1.0
    assert rows[0]["Model training"] == 0.0


def test_section_heading_rows_set_the_stage_below_them(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["ID", "Feature", "Notes"],
            [make_xlsx.bold("Data collection")],
            ["DC-01", "Connectors", "Kafka too"],
            ["DC-02", "Versioned datasets", None],
            ["Model training"],
            ["MT-01", "Training jobs", "GPU"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx", "--dry-run")
    assert "stage ← the section-heading rows" in result.stdout.splitlines()[0]
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0
    assert [(r["id"], r["stage"]) for r in listed(invoke)] == [
        ("DC-01", "Data collection"),
        ("DC-02", "Data collection"),
        ("MT-01", "Model training"),
    ]


def test_headings_that_are_no_stage_leave_their_rows_unassigned(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["ID", "Feature", "Notes"],
            ["Governance"],
            ["GV-01", "Audit log", "x"],
            ["Security"],
            ["SE-01", "SSO", "y"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: reqs.xlsx:Requirements!A2: section headings 'Governance', 'Security' are "
        "not the roadmap's stages: the rows under them are Unassigned (pass --add-stages to "
        "add them as stages)\n"
    )
    assert [r["stage"] for r in listed(invoke)] == [None, None]


def test_add_stages_takes_headings_as_stages(invoke, store, make_xlsx):
    make_xlsx([["ID", "Feature", "Notes"], ["Governance"], ["GV-01", "Audit log", "x"]])
    assert invoke("import", "requirements", "reqs.xlsx", "--add-stages").exit_code == 0
    assert listed(invoke)[0]["stage"] == "Governance"


# -- unknown stages: once each, or added -----------------------------------------------------

CHAPTERS = [
    ["ID", "Title", "Stage"],
    *[[f"A-{n}", f"Access rule {n}", "Access Control"] for n in range(1, 40)],
    ["S-1", "Session timeout", "Session Management"],
    ["A-40", "Deny by default", "access control"],
]


def test_an_unknown_stage_is_reported_once_with_its_cells(invoke, store, make_csv):
    make_csv(CHAPTERS)
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [  # after the warning that CSV has no bold
        f"reqs.csv:C2: unknown stage 'Access Control' in C2–C40, C42 (expected one of: "
        f"{BIG_EIGHT}); pass --add-stages to add it, or change the stages with "
        "'roadmap settings --stages'",
        "reqs.csv:C41: unknown stage 'Session Management' (--add-stages adds it too)",
        "2 problems; nothing was written.",
    ]
    assert listed(invoke) == []


def test_add_stages_adds_them_in_order_of_first_appearance(invoke, store, make_csv):
    make_csv(CHAPTERS)
    result = invoke("import", "requirements", "reqs.csv", "--add-stages")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "added stages: Access Control; Session Management"
    assert settings_of(invoke)["stages"] == f"{BIG_EIGHT}; Access Control; Session Management"
    assert {r["stage"] for r in listed(invoke)} == {"Access Control", "Session Management"}
    # the log keeps what was added
    (event,) = json.loads(invoke("log", "--format", "json").stdout)
    assert event["summary"]["stages_added"] == ["Access Control", "Session Management"]


def test_add_stages_in_a_dry_run_adds_nothing(invoke, store, make_csv):
    make_csv(CHAPTERS)
    result = invoke("import", "requirements", "reqs.csv", "--add-stages", "--dry-run")
    assert "would add stages: Access Control; Session Management" in result.stdout
    assert settings_of(invoke)["stages"] == BIG_EIGHT


def test_add_stages_from_python(store, make_csv):
    path = make_csv(CHAPTERS)
    result = import_requirements(store, str(path), add_stages=True)
    assert result.new_stages == ["Access Control", "Session Management"]
    assert store.settings().stages[-2:] == ["Access Control", "Session Management"]


def test_many_rows_of_few_chapters_give_one_line_each(store, make_csv):
    rows = [["ID", "Title", "Chapter"]]
    rows += [[f"R-{n}", f"Rule {n}", f"Chapter {n % 14}"] for n in range(286)]
    with pytest.raises(RoadmapError) as raised:
        import_requirements(store, str(make_csv(rows)), mapping=("Chapter=stage",))
    assert len(raised.value.problems) == 14


def test_a_chapter_column_of_other_names_is_kept_in_notes_unless_add_stages(
    invoke, store, make_csv
):
    make_csv(
        [
            ["ID", "Title", "Chapter"],
            ["A-1", "Deny by default", "Access Control"],
            ["A-2", "Least privilege", "Access Control"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "warning: reqs.csv:C1: column 'Chapter' is not the stage ('Access Control' are "
        "not the roadmap's stages; pass --add-stages to add them); its values are kept in "
        "notes (use --map 'Chapter=stage' to take it anyway)"
    ) in result.stderr
    result = invoke("import", "requirements", "reqs.csv", "--add-stages")
    assert result.exit_code == 0, result.output
    assert {r["stage"] for r in listed(invoke)} == {"Access Control"}


# -- any script --------------------------------------------------------------------------------


def test_chinese_stage_names_are_distinct(invoke, db, make_csv):
    assert invoke("init", "--stages", "功能需求;性能需求").exit_code == 0
    assert settings_of(invoke)["stages"] == "功能需求; 性能需求"
    make_csv(
        [["编号", "Title", "Stage"], ["F-1", "登录", "功能需求"], ["P-1", "响应时间", "性能需求"]]
    )
    assert invoke("import", "requirements", "reqs.csv", "--map", "编号=id").exit_code == 0
    assert [(r["id"], r["stage"]) for r in listed(invoke)] == [
        ("F-1", "功能需求"),
        ("P-1", "性能需求"),
    ]


def test_ids_derived_from_chinese_and_cyrillic_titles(invoke, store, make_csv):
    make_csv(
        [
            ["Title", "Stage"],
            ["数据采集", "collection"],
            ["数据处理", "processing"],
            ["Сбор данных", "collection"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert sorted(r["id"] for r in listed(invoke)) == ["сбор-данных", "数据处理", "数据采集"]


def test_words_keep_every_script_and_fold_latin_accents():
    assert normalise_word("Data-Labeling") == "datalabeling"
    assert normalise_word("Modèle") == "modele"
    assert normalise_word("功能需求") != normalise_word("性能需求")
    assert slug("Amazon SageMaker") == "amazon-sagemaker"
    assert slug("Сбор данных") == "сбор-данных"
    assert slug("が") == "が"  # a kana mark makes another letter: kept


def test_titled_stages_still_match_lower_case_and_synonyms():
    stages = Stages(["Feature engineering", "Model deployment & monitoring"])
    assert stages.parse("FEATURE ENGINEERING") == "Feature engineering"
    assert stages.parse("feature store") == "Feature engineering"
    assert stages.parse("Serving") == "Model deployment & monitoring"
    assert stages.parse("") is None
    assert stages.parse("Unassigned") is None


# -- settings -----------------------------------------------------------------------------------


def test_settings_shows_the_roadmap(invoke, store):
    assert settings_of(invoke) == {
        "name": "ML platform roadmap",
        "start": "2021-05",
        "horizon": 18,
        "cadence": 3,
        "stages": BIG_EIGHT,
        "weights": "high=3,medium=2,low=1,best-in-class=1",
    }


def test_settings_changes_name_horizon_cadence_and_weights_in_one_event(invoke, store):
    result = invoke(
        "settings",
        "--name",
        "Acme ML",
        "--horizon",
        "24",
        "--cadence",
        "6",
        "--weights",
        "high=5, best-in-class=2",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "name: ML platform roadmap -> Acme ML",
        "horizon: 18 -> 24",
        "cadence: 3 -> 6",
        "weights: high=3,medium=2,low=1,best-in-class=1 -> high=5,medium=2,low=1,best-in-class=2",
        "Changed name, horizon, cadence, weights.",
    ]
    assert settings_of(invoke)["horizon"] == 24
    reopened = Store.open(store.path)
    assert reopened.settings().weights == {
        "high": 5.0,
        "medium": 2.0,
        "low": 1.0,
        "best-in-class": 2.0,
    }
    events = json.loads(invoke("log", "--format", "json").stdout)
    assert [e["action"] for e in events] == ["settings"]


def test_the_same_settings_again_change_nothing(invoke, store):
    result = invoke("settings", "--horizon", "18")
    assert result.stdout == "No changes; nothing was written.\n"
    assert json.loads(invoke("log", "--format", "json").stdout) == []


@pytest.fixture
def stocked(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["MD-01", "Notebooks", "model design"],
            ["MT-01", "Training jobs", "training"],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv", "--as-of", "2021-05-01").exit_code == 0
    return store


def test_a_renamed_stage_keeps_its_requirements_and_history(invoke, stocked, make_csv):
    result = invoke("settings", "--rename-stage", "model design=Experimentation")
    assert result.exit_code == 0, result.output
    assert "renamed stage 'Model design' to 'Experimentation'" in result.stdout
    assert [(r["id"], r["stage"]) for r in listed(invoke)] == [
        ("MD-01", "Experimentation"),
        ("MT-01", "Model training"),
    ]
    assert settings_of(invoke)["stages"].split("; ")[4] == "Experimentation"
    # the old sheet still imports, unchanged: the old name answers for the new one
    result = invoke("import", "requirements", "reqs.csv", "--as-of", "2021-06-01")
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    ((_, version),) = stocked.requirement_history("MD-01")
    assert version.stage == "Experimentation"


def test_renaming_twice_and_back(invoke, stocked):
    assert invoke("settings", "--rename-stage", "Model design=Design").exit_code == 0
    assert invoke("settings", "--rename-stage", "Design=Modelling").exit_code == 0
    assert listed(invoke)[0]["stage"] == "Modelling"
    assert invoke("settings", "--rename-stage", "Modelling=Model design").exit_code == 0
    assert listed(invoke)[0]["stage"] == "Model design"


def test_a_former_stage_name_cannot_go_to_another_stage(invoke, stocked):
    assert invoke("settings", "--rename-stage", "Model design=Design").exit_code == 0
    result = invoke("settings", "--rename-stage", "Model training=Model design")
    assert result.exit_code == 1
    assert result.stderr == (
        "--rename-stage: 'Model design' is the former name of stage 'Design' (its "
        "requirements' history says it); pick another name\n"
    )
    assert [r["stage"] for r in listed(invoke)] == ["Design", "Model training"]


def test_stages_reorder_and_add(invoke, stocked):
    new = "Model training; Model design; Governance"
    rest = (
        "Data collection; Data processing; Feature engineering; Data labeling; "
        "Model optimization; Model deployment & monitoring"
    )
    assert invoke("settings", "--stages", f"{new}; {rest}").exit_code == 0
    assert settings_of(invoke)["stages"] == f"{new}; {rest}"
    assert [r["id"] for r in listed(invoke)] == ["MT-01", "MD-01"]


def test_stages_respelled_in_another_case_are_renamed(invoke, stocked):
    lower = BIG_EIGHT.lower()
    assert invoke("settings", "--stages", lower).exit_code == 0
    assert listed(invoke)[0]["stage"] == "model design"


def test_dropping_a_stage_in_use_is_refused(invoke, stocked):
    before = settings_of(invoke)
    result = invoke("settings", "--stages", "Model training; Governance")
    assert result.exit_code == 1
    assert result.stderr == (
        "--stages: stage 'Model design' still has requirements; keep it in --stages, rename it "
        "with --rename-stage 'Model design=New name', or move its requirements first\n"
    )
    assert settings_of(invoke) == before


def test_dropping_unused_stages_is_allowed(invoke, stocked):
    assert invoke("settings", "--stages", "Model design;Model training").exit_code == 0
    assert settings_of(invoke)["stages"] == "Model design; Model training"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--weights", "high=lots"], "--weights: high='lots' is not a number from 0 to 1000"),
        (
            ["--weights", "urgent=4"],
            "--weights: unknown weight 'urgent' (expected one of: high, "
            "medium, low, best-in-class)",
        ),
        (["--weights", "high"], "--weights: 'high' is not 'name=number'"),
        (["--weights", "high=-1"], "--weights: high='-1' is not a number from 0 to 1000"),
        (
            ["--rename-stage", "Model design"],
            "--rename-stage: 'Model design' is not 'Old name=New name'",
        ),
        (["--stages", "A;a"], "--stages: stage 'a' is named twice (also as 'A')"),
        (
            ["--stages", "A;Unassigned"],
            "--stages: 'Unassigned' is where requirements with no "
            "stage are listed; name the stage otherwise",
        ),
        (["--horizon", "0"], "0 is not in the range 1<=x<=120"),
    ],
)
def test_bad_settings_options_are_usage_errors(invoke, stocked, args, message):
    before = settings_of(invoke)
    result = invoke("settings", *args)
    assert result.exit_code == 2
    assert message.split(": ", 1)[-1] in result.stderr
    assert settings_of(invoke) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--rename-stage", "Governance=Policy"],
            f"--rename-stage: no stage named 'Governance' (stages: {BIG_EIGHT})",
        ),
        (
            ["--rename-stage", "Model design=Model training"],
            "--rename-stage: cannot rename 'Model design' to 'Model training': stage "
            "'Model training' already has that name",
        ),
    ],
)
def test_bad_renames_are_refused_and_change_nothing(invoke, stocked, args, message):
    before = settings_of(invoke)
    result = invoke("settings", *args)
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    assert settings_of(invoke) == before


def test_change_settings_from_python(stocked):
    change = change_settings(stocked, renames={"Model training": "Training"}, weights={"low": 0.5})
    assert change.renames == {"Model training": "Training"}
    assert stocked.requirements()["MT-01"].stage == "Training"
    assert stocked.settings().weights["low"] == 0.5


# -- an older store -------------------------------------------------------------------------------


def test_a_store_from_before_titled_stages_keeps_its_names(tmp_path):
    from roadmap.store import MIGRATIONS

    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        connection.executescript(step)
    connection.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    connection.execute(
        "INSERT INTO roadmap (id, name, start_month, horizon, cadence) "
        "VALUES (1, 'Old', '2021-05', 18, 3)"
    )
    connection.execute("INSERT INTO stages VALUES (0, 'feature engineering')")
    connection.commit()
    connection.close()
    store = Store.open(str(path))
    assert store.settings().stages == ["feature engineering"]
    assert store.settings().stage_matcher.parse("Feature store") == "feature engineering"
    store.close()


def test_a_new_store_has_titled_stages(tmp_path):
    store = Store.create(str(tmp_path / "new.db"), Settings(start="2021-05"))
    assert store.settings().stages[0] == "Data collection"
    store.close()


# -- Unassigned through review, export and an upgraded store -----------------------------------


@pytest.fixture
def unassigned(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["AA-01", "No stage yet", None],
            ["MT-01", "Training jobs", "training"],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv", "--as-of", "2021-05-01").exit_code == 0
    make_csv([["Requirement ID", "Level"], ["AA-01", "ga"], ["MT-01", "no"]], "acme_2021-06-01.csv")
    assert invoke("import", "snapshot", "acme_2021-06-01.csv").exit_code == 0
    return store


def test_the_review_groups_unassigned_requirements_last(invoke, unassigned):
    from openpyxl import load_workbook

    result = invoke("review", "--output", "review.xlsx", "--as-of", "2021-07-01")
    assert result.exit_code == 0, result.output
    book = load_workbook("review.xlsx")
    # a band row per stage, then its requirements: Unassigned last
    matrix = [row[0] for row in book["Matrix"].iter_rows(min_row=2, values_only=True)]
    assert matrix == ["Model training", "MT-01", "Unassigned", "AA-01"]
    summary = [
        row
        for row in book["Summary"].iter_rows(values_only=True)
        if row[0] in ("Model training", "Unassigned")
    ]
    assert [(row[0], row[1], row[2]) for row in summary] == [
        ("Model training", 1, 0),
        ("Unassigned", 1, 1),
    ]


def test_an_export_keeps_no_stage_as_no_stage(invoke, unassigned, runner, tmp_path):
    assert invoke("export", "everything.xlsx").exit_code == 0
    from roadmap.cli import cli

    new = str(tmp_path / "new.db")
    assert runner.invoke(cli, ["--db", new, "init", "--start", "2021-05"]).exit_code == 0
    result = runner.invoke(cli, ["--db", new, "import", "requirements", "everything.xlsx"])
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(cli, ["--db", new, "requirements", "--format", "json"]).stdout)
    assert [(r["id"], r["stage"]) for r in rows] == [("MT-01", "Model training"), ("AA-01", None)]


def test_an_upgraded_store_takes_requirements_with_no_stage(tmp_path, make_csv):
    from roadmap.store import MIGRATIONS

    path = tmp_path / "old.db"
    connection = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        connection.executescript(step)
    connection.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    connection.execute(
        "INSERT INTO roadmap (id, name, start_month, horizon, cadence) "
        "VALUES (1, 'Old', '2021-05', 18, 3)"
    )
    connection.execute("INSERT INTO stages VALUES (0, 'model training')")
    connection.execute(
        "INSERT INTO events (action, at, summary) VALUES "
        "('import requirements', '2021-05-01T00:00:00+00:00', '{}')"
    )
    connection.execute(
        "INSERT INTO requirement_versions (requirement, event, title, stage, "
        "tier, status) VALUES ('MT-01', 1, 'Jobs', 'model training', "
        "'table-stakes', 'open')"
    )
    connection.commit()
    connection.close()
    store = Store.open(str(path))
    assert (tmp_path / "old.db.schema3.bak").exists()
    csv_path = make_csv(
        [["ID", "Title", "Stage"], ["MT-01", "Jobs", "Training"], ["AA-01", "Later", None]]
    )
    result = import_requirements(store, str(csv_path))
    assert [r.id for r in result.plan.added] == ["AA-01"]
    assert store.requirements()["AA-01"].stage is None
    assert store.requirements()["MT-01"].stage == "model training"
    store.close()


def test_weights_set_in_settings_weigh_compare(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage", "Priority"],
            ["H-1", "Must have", "training", "high"],
            ["L-1", "Nice to have", "training", "low"],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv", "--as-of", "2021-05-01").exit_code == 0
    make_csv([["Requirement ID", "Level"], ["H-1", "ga"], ["L-1", "no"]], "acme_2021-06-01.csv")
    assert invoke("import", "snapshot", "acme_2021-06-01.csv").exit_code == 0

    def weighted() -> float:
        result = invoke("compare", "--as-of", "2021-07-01", "--format", "json")
        return json.loads(result.stdout)[0]["weighted"]

    assert weighted() == pytest.approx(3 / 4)  # high 3 of high 3 + low 1
    assert invoke("settings", "--weights", "low=3").exit_code == 0
    assert weighted() == pytest.approx(3 / 6)
