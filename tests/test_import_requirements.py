"""`roadmap import requirements`: the spreadsheets teams already have, synced into the store."""

import datetime as dt
import json

import pytest

from roadmap.errors import RoadmapError
from roadmap.requirements import import_requirements

HEADER = ["ID", "Title", "Stage", "Tier", "Priority", "Target"]
ROWS = [
    HEADER,
    [
        "FE-01",
        "Feature store with an entity model",
        "feature engineering",
        "best-in-class",
        "high",
        "2021-09",
    ],
    ["MT-01", "Managed training jobs", "model training", "table-stakes", "medium", "Q4 2021"],
]
ADDED = [
    "added    FE-01: Feature store with an entity model",
    "added    MT-01: Managed training jobs",
    "Imported {}: 2 added, 0 changed, 0 retired, 0 unchanged.",
]
STAGES = (
    "Data collection; Data processing; Feature engineering; Data labeling; "
    "Model design; Model training; Model optimization; Model deployment & monitoring"
)


def listed(invoke) -> list[dict]:
    result = invoke("requirements", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one(invoke, field: str):
    """The one stored requirement's ``field``."""
    (row,) = listed(invoke)
    return row[field]


def state(invoke) -> tuple[str, str]:
    """What a user can see of the store: its requirements and its log."""
    return (
        invoke("requirements", "--format", "json").stdout,
        invoke("log", "--format", "json").stdout,
    )


def lines(result) -> list[str]:
    return result.stdout.splitlines()


# -- file formats -------------------------------------------------------------------------


def test_xlsx_imports_and_says_what_it_added(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert lines(result) == [line.format("reqs.xlsx") for line in ADDED]
    assert result.stderr == ""
    assert listed(invoke)[0] == {
        "id": "FE-01",
        "title": "Feature store with an entity model",
        "stage": "Feature engineering",
        "tier": "best-in-class",
        "priority": "high",
        "target": "2021-09",
        "status": "open",
        "owner": None,
        "requested_by": None,
        "description": None,
        "notes": None,
    }


def test_xlsm_with_macros_imports(invoke, store, make_xlsx):
    make_xlsx(ROWS, "reqs.xlsm", macros=True)
    result = invoke("import", "requirements", "reqs.xlsm")
    assert result.exit_code == 0, result.output
    assert lines(result) == [line.format("reqs.xlsm") for line in ADDED]


@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_imports_with_any_delimiter_and_with_or_without_bom(
    invoke, store, make_csv, delimiter, bom
):
    make_csv(ROWS, delimiter=delimiter, bom=bom)
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert lines(result) == [line.format("reqs.csv") for line in ADDED]
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


def test_semicolon_csv_with_commas_in_titles(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["DC-01", "Versioned datasets", "collection"],
            ["DC-02", "Connectors for Snowflake, S3, SQL and Kafka", "collection"],
        ],
        delimiter=";",
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert listed(invoke)[1]["title"] == "Connectors for Snowflake, S3, SQL and Kafka"


def test_import_from_python(store, make_xlsx):
    path = make_xlsx(ROWS)
    result = import_requirements(store, str(path), as_of="2021-05-01")
    assert result.written
    assert [r.id for r in result.plan.added] == ["FE-01", "MT-01"]
    assert store.requirements()["MT-01"].target == "2021-12"
    assert store.events()[0].as_of == "2021-05-01"


# -- which sheet --------------------------------------------------------------------------

NOTES = [["These notes are not the roadmap"], ["ID", "Title", "Stage"], ["X", "x", "training"]]


def test_sheet_option_picks_the_sheet(invoke, store, make_xlsx):
    make_xlsx(sheets={"Notes": NOTES, "Roadmap": ROWS})
    assert invoke("import", "requirements", "reqs.xlsx", "--sheet", "Roadmap").exit_code == 0
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


def test_a_sheet_named_requirements_is_preferred(invoke, store, make_xlsx):
    make_xlsx(sheets={"Notes": NOTES, "Requirements": ROWS})
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


def test_else_the_first_visible_sheet_is_read(invoke, store, make_xlsx):
    make_xlsx(sheets={"Old": NOTES, "Roadmap": ROWS, "Notes": NOTES}, hidden=("Old",))
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


def test_a_chart_sheet_in_front_is_skipped(invoke, store, make_xlsx):
    from openpyxl import load_workbook
    from openpyxl.chart import BarChart, Reference

    path = make_xlsx(ROWS, sheet="Roadmap")
    book = load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(book["Roadmap"], min_col=1, min_row=1, max_row=3))
    book.create_chartsheet("Dashboard", 0).add_chart(chart)
    book.save(path)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


def test_unknown_sheet_lists_the_sheets(invoke, store, make_xlsx):
    make_xlsx(sheets={"Notes": NOTES, "Roadmap": ROWS})
    result = invoke("import", "requirements", "reqs.xlsx", "--sheet", "Roadmp")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: reqs.xlsx: no sheet named 'Roadmp' (sheets: Notes, Roadmap); "
        "use --sheet NAME with one of those\n"
    )


# -- header row and columns ---------------------------------------------------------------


def test_header_is_found_below_title_and_blank_rows(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["Acme ML platform roadmap"],
            [],
            ["Owner:", "Priya N.", "Status:", "draft"],
            ["Notes: targets are due-by months"],
            [],
            *ROWS,
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in listed(invoke)] == ["FE-01", "MT-01"]


@pytest.mark.parametrize(
    "header",
    [
        ["Req ID", "Feature", "Phase", "Category", "Due"],
        ["#", "Capability", "Area", "Class", "Quarter"],
        ["Key", "Name", "MLOps stage", "Type", "When"],
        ["req. id", "REQUIREMENT", "Lifecycle-Stage", "tier", "Target-Date"],
    ],
)
def test_header_synonyms(invoke, store, make_xlsx, header):
    make_xlsx([header, ["X-1", "Feature store", "features", "best-in-class", "Q3 2021"]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    row = listed(invoke)[0]
    assert (row["id"], row["title"], row["stage"], row["tier"], row["target"]) == (
        "X-1",
        "Feature store",
        "Feature engineering",
        "best-in-class",
        "2021-09",
    )


def test_map_settles_other_column_names(invoke, store, make_xlsx):
    make_xlsx([["Ref", "Epic", "Bucket"], ["X-1", "Feature store", "features"]])
    result = invoke(
        "import", "requirements", "reqs.xlsx", "--map", "Epic=title", "--map", "Bucket=stage"
    )
    assert result.exit_code == 0, result.output
    assert "is not a requirement field" not in result.stderr
    assert one(invoke, "title") == "Feature store"


def test_map_finds_a_header_that_only_it_names(invoke, store, make_csv):
    make_csv([["Epic", "Bucket"], ["Feature store", "features"]])
    result = invoke(
        "import", "requirements", "reqs.csv", "--map", "epic=title", "--map", "BUCKET=stage"
    )
    assert result.exit_code == 0, result.output
    assert one(invoke, "stage") == "Feature engineering"


def test_map_naming_a_missing_column_says_so_as_typed(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    result = invoke("import", "requirements", "reqs.xlsx", "--map", "Feature Name=title")
    assert result.exit_code == 1
    assert result.stderr == (
        "--map: no column named 'Feature Name' in the header row (columns: 'ID', 'Title', "
        "'Stage', 'Tier', 'Priority', 'Target')\n"
        "columns: id ← ID (A1), title ← Title (B1), stage ← Stage (C1), tier ← Tier (D1), "
        "priority ← Priority (E1), target ← Target (F1)\n"
    )


def test_map_can_ignore_a_column(invoke, store, make_xlsx):
    make_xlsx([[*HEADER, "Scratch"], [*ROWS[1], "x"]])
    result = invoke("import", "requirements", "reqs.xlsx", "--map", "Scratch=ignore")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert one(invoke, "notes") is None


def test_map_to_an_unknown_field_is_refused(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    result = invoke("import", "requirements", "reqs.xlsx", "--map", "Epic=colour")
    expected = (
        "unknown field 'colour' in 'Epic=colour' (expected one of: id, title, stage, "
        "tier, priority, target, status, owner, requested_by, description, notes, "
        "or ignore)"
    )
    assert result.exit_code == 2  # a wrong command line, click's convention
    assert result.stderr.endswith(f"Error: Invalid value for --map: {expected}\n")
    with pytest.raises(RoadmapError) as error:
        import_requirements(store, "reqs.xlsx", mapping=("Epic=colour",))
    assert str(error.value) == f"--map: {expected}"


def test_unknown_columns_are_kept_in_notes_with_a_warning(invoke, store, make_xlsx):
    make_xlsx([[*HEADER, "Notes", "Team size"], [*ROWS[1], "Ask Priya", 4]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: reqs.xlsx:Requirements!H1: column 'Team size' is not a requirement field; "
        "its values are kept in notes (use --map 'Team size=FIELD' or "
        "--map 'Team size=ignore')\n"
    )
    assert one(invoke, "notes") == "Ask Priya\nTeam size: 4"


def test_values_in_a_column_without_a_header_are_not_lost_silently(invoke, store, make_xlsx):
    make_xlsx([[*HEADER, None], [*ROWS[1], "call Priya"]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: reqs.xlsx:Requirements!G1: this column has values but no header; they are "
        "ignored (give it a header to keep them in notes)\n"
    )


def test_without_a_tier_column_a_bold_title_is_best_in_class(invoke, store, make_xlsx):
    bold = make_xlsx.bold
    make_xlsx(
        [
            ["ID", "Title", "Stage"],
            ["FE-01", bold("Feature store with an entity model"), "features"],
            ["MT-01", "Managed training jobs", "training"],
        ]
    )
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0
    assert {r["id"]: r["tier"] for r in listed(invoke)} == {
        "FE-01": "best-in-class",
        "MT-01": "table-stakes",
    }


def test_without_an_id_column_ids_come_from_titles_with_a_warning(invoke, store, make_xlsx):
    make_xlsx([["Title", "Stage", "Tier"], ["Feature store (v2)", "features", "bic"]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert lines(result)[0] == "added    feature-store-v2: Feature store (v2)"
    assert result.stderr == (
        "warning: reqs.xlsx:Requirements!1: no id column: ids are derived from titles, so "
        "renaming a title will look like retiring one requirement and adding another\n"
    )


@pytest.mark.parametrize(
    "target, month",
    [
        (dt.date(2021, 9, 15), "2021-09"),
        (dt.datetime(2021, 9, 1), "2021-09"),
        ("2021-09", "2021-09"),
        ("Sep 2021", "2021-09"),
        ("September 2021", "2021-09"),
        ("2021-09-15", "2021-09"),
        ("Q3 2021", "2021-09"),
        ("2021Q3", "2021-09"),
        ("H2 2021", "2021-12"),
        ("M1", "2021-05"),
        ("M6", "2021-10"),
        ("month 6", "2021-10"),
        (None, None),
    ],
)
def test_every_target_spelling_is_kept_as_a_month(invoke, store, make_xlsx, target, month):
    make_xlsx([HEADER, ["X-1", "Feature store", "features", "bic", "high", target]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert one(invoke, "target") == month


@pytest.mark.parametrize(
    "stage, tier, expected",
    [
        ("Serving", "Table stakes", ("Model deployment & monitoring", "table-stakes")),
        ("FEATURE STORE", "best in class", ("Feature engineering", "best-in-class")),
        ("Data Labelling", "BIC", ("Data labeling", "best-in-class")),
        ("ingestion", "core", ("Data collection", "table-stakes")),
        ("model-training", "Best-in-class", ("Model training", "best-in-class")),
    ],
)
def test_stages_and_tiers_match_by_synonyms(invoke, store, make_xlsx, stage, tier, expected):
    make_xlsx([HEADER, ["X-1", "Something", stage, tier, None, None]])
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0
    row = listed(invoke)[0]
    assert (row["stage"], row["tier"]) == expected


# -- re-import is a sync ------------------------------------------------------------------


@pytest.mark.engines
def test_reimport_adds_changes_and_retires(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    make_xlsx(
        [
            HEADER,
            [
                "FE-01",
                "Feature store with entities",
                "feature engineering",
                "best-in-class",
                "high",
                "Q1 2022",
            ],
            ["DM-01", "Inference graphs", "serving", "best-in-class", "low", "M12"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "added    DM-01: Inference graphs",
        "changed  FE-01: title: Feature store with an entity model -> Feature store with "
        "entities; target: 2021-09 -> 2022-03",
        "retired  MT-01: Managed training jobs",
        "Imported reqs.xlsx: 1 added, 1 changed, 1 retired, 0 unchanged.",
    ]
    assert {r["id"]: r["status"] for r in listed(invoke)} == {
        "FE-01": "open",
        "MT-01": "retired",
        "DM-01": "open",
    }


@pytest.mark.engines
def test_changes_are_kept_in_history(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-05-01")
    make_xlsx([HEADER, [*ROWS[1][:5], "2022-01"]])
    invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-11-01")
    history = store.requirement_history("FE-01")
    assert [(event.as_of, req.target) for event, req in history] == [
        ("2021-05-01", "2021-09"),
        ("2021-11-01", "2022-01"),
    ]
    assert [(e.as_of, r.status) for e, r in store.requirement_history("MT-01")] == [
        ("2021-05-01", "open"),
        ("2021-11-01", "retired"),
    ]


@pytest.mark.engines
def test_a_retired_requirement_that_comes_back_is_open_again(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    make_xlsx(ROWS[:2])
    invoke("import", "requirements", "reqs.xlsx")
    make_xlsx(ROWS)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert "changed  MT-01: status: retired -> open" in lines(result)
    assert {r["status"] for r in listed(invoke)} == {"open"}


@pytest.mark.engines
def test_importing_the_same_file_twice_changes_nothing(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    before = state(invoke)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert state(invoke) == before


@pytest.mark.engines
def test_dry_run_prints_the_same_summary_and_writes_nothing(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    before = state(invoke)
    dry = invoke("import", "requirements", "reqs.xlsx", "--dry-run")
    assert dry.exit_code == 0
    assert state(invoke) == before
    real = invoke("import", "requirements", "reqs.xlsx")
    assert lines(dry)[0] == (
        "Columns: id ← ID (A1), title ← Title (B1), stage ← Stage (C1), "
        "tier ← Tier (D1), priority ← Priority (E1), target ← Target (F1)"
    )
    assert lines(dry)[1:-1] == lines(real)[:-1]
    assert (
        lines(dry)[-1] == "Dry run: 2 added, 0 changed, 0 retired, 0 unchanged; "
        "nothing was written."
    )


@pytest.mark.engines
def test_as_of_before_the_last_import_is_refused(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-11-01")
    make_xlsx(ROWS[:2])
    before = state(invoke)
    result = invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-10")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --as-of 2021-10-01 is before the last requirements import (2021-11-01); "
        "history only moves forward: pass --as-of 2021-11-01 or later\n"
    )
    assert state(invoke) == before


# -- bad input: every problem at once, located, nothing written -----------------------------

BAD_ROWS = [
    HEADER,
    ["FE-01", "Feature store", "feature engineering", "best-in-class", "high", "2021-09"],
    ["FE-01", "Online features", "features", "table-stakes", "low", "Q5 2021"],
    ["MT-01", None, "training", "table-stakes", "high", "2021-10"],
    ["DM-01", "Model serving", "Marketing", "table-stakes", "high", "2021-10"],
    ["DM-02", "Canary rollouts", "serving", "gold", "high", "2021-10"],
    ["DM-03", "Shadow deployments", "serving", "table-stakes", "urgent", "2021-10"],
    ["DM-04", "Drift detection", "serving", "table-stakes", "high", "soonish"],
]
BAD_MESSAGES = [
    "reqs.xlsx:Requirements!A3: duplicate id 'FE-01' (first at reqs.xlsx:Requirements!A2)",
    "reqs.xlsx:Requirements!F3: cannot read target 'Q5 2021' (use 2021-09, Sep 2021, "
    "2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)",
    f"reqs.xlsx:Requirements!C5: unknown stage 'Marketing' (expected one of: {STAGES}); "
    "pass --add-stages to add it, or change the stages with 'roadmap settings --stages'",
    "reqs.xlsx:Requirements!D6: unknown tier 'gold' (expected one of: table-stakes, best-in-class)",
    "reqs.xlsx:Requirements!E7: unknown priority 'urgent' (expected one of: high, medium, low)",
    "reqs.xlsx:Requirements!F8: cannot read target 'soonish' (use 2021-09, Sep 2021, "
    "2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)",
]


@pytest.fixture
def imported(invoke, store, make_csv):
    """A store that already holds a roadmap, so 'nothing written' means something."""
    make_csv(ROWS, "first.csv")
    assert invoke("import", "requirements", "first.csv").exit_code == 0


def test_every_problem_is_reported_at_once_and_nothing_is_written(invoke, imported, make_xlsx):
    make_xlsx(BAD_ROWS)
    before = state(invoke)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "warning: reqs.xlsx:Requirements!B4: rows with no title are skipped (B4); fill in "
        "their titles to import them",
        *BAD_MESSAGES,
        "6 problems; nothing was written.",
    ]
    assert state(invoke) == before


def test_the_library_raises_every_problem_with_its_place(store, make_xlsx):
    make_xlsx(BAD_ROWS)
    with pytest.raises(RoadmapError) as raised:
        import_requirements(store, "reqs.xlsx")
    assert [str(p) for p in raised.value.problems] == BAD_MESSAGES
    assert store.events() == []


def test_an_empty_stage_is_unassigned_and_an_empty_tier_is_named(invoke, imported, make_xlsx):
    make_xlsx([HEADER, ["X-1", "Feature store", None, None, None, None]])
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "reqs.xlsx:Requirements!D2: no tier (expected one of: table-stakes, best-in-class)"
    ]


def test_a_title_without_letters_gets_a_short_stable_id(invoke, imported, make_csv):
    make_csv([["Title", "Stage", "Tier"], ["???", "training", "core"]])
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    # r- and the first 8 hex digits of the title's SHA-1
    assert "added    r-2d86c2a6: ???" in lines(result)


def test_an_as_of_that_is_not_a_date_is_refused(invoke, imported, make_xlsx):
    make_xlsx(ROWS)
    result = invoke("import", "requirements", "reqs.xlsx", "--as-of", "soon")
    assert result.exit_code == 2  # a wrong command line, click's convention
    assert result.stderr.endswith(
        "Error: Invalid value for --as-of: 'soon' is not a date (use YYYY-MM-DD or YYYY-MM)\n"
    )


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
RANDOM = bytes(range(256)) * 8


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("reqs.xlsx", PNG, "reqs.xlsx: not a spreadsheet (the file is not an Excel workbook)"),
        ("chart.png", PNG, "chart.png: not a spreadsheet (binary data, not CSV text)"),
        ("reqs.csv", RANDOM, "reqs.csv: not a spreadsheet (binary data, not CSV text)"),
        (
            "reqs.xlsx",
            b"PK\x03\x04" + RANDOM,
            "reqs.xlsx: not a spreadsheet (damaged or not a zip file)",
        ),
        ("reqs.xlsx", b"", "reqs.xlsx: the file is empty"),
        ("reqs.csv", b"\xef\xbb\xbf\r\n \r\n", "reqs.csv: the file is empty"),
        (
            "reqs.csv",
            b"Roadmap 2021\nto be written\n",
            "reqs.csv: no header row found in the first 50 rows (expected column names such as "
            "ID, Title, Stage, Tier, Target); check the sheet or use --sheet NAME / "
            "--map 'Column=field'",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(invoke, imported, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    before = state(invoke)
    result = invoke("import", "requirements", name)
    assert result.exit_code == 1
    assert result.stderr == f"error: {message}\n"
    assert state(invoke) == before


def test_a_sheet_without_rows_is_refused(invoke, imported, tmp_path):
    (tmp_path / "reqs.csv").write_bytes(b"ID,Title,Stage\n")
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 1
    assert result.stderr == "reqs.csv:1: no requirements below the header row\n"


def test_a_missing_file_is_named(invoke, imported):
    before = state(invoke)
    result = invoke("import", "requirements", "missing.xlsx")
    assert result.exit_code == 1
    assert result.stderr == "error: missing.xlsx: no such file\n"
    assert state(invoke) == before


def test_a_folder_is_not_a_file(invoke, imported, tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    result = invoke("import", "requirements", "folder.xlsx")
    assert result.exit_code == 2


def test_rows_beyond_a_stale_sheet_dimension_are_not_lost(invoke, store, make_xlsx):
    """Some tools write a wrong ``<dimension>``; every row and column is read all the same."""
    import re
    import zipfile

    rows = [["ID", "Title", "Stage", "Tier", "Owner"]] + [
        [f"R-{n}", f"Feature {n}", "model training", "table-stakes", "Priya N."] for n in range(60)
    ]
    path = make_xlsx(rows)
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
            archive.writestr(info, data)
    result = invoke("import", "requirements", path.name)
    assert result.exit_code == 0, result.output
    assert "60 added" in result.stdout
    listed = json.loads(invoke("requirements", "--format", "json").stdout)
    assert {row["owner"] for row in listed} == {"Priya N."}


# -- re-importing an unchanged file ---------------------------------------------------------


@pytest.fixture
def unread(monkeypatch):
    """After this, reading a spreadsheet fails: what still works was told from the log."""

    def refuse(*args, **kwargs):
        raise AssertionError("the file was read")

    def start() -> None:
        monkeypatch.setattr("roadmap.requirements.read_table", refuse)

    return start


@pytest.mark.engines
def test_the_same_file_again_is_told_unchanged_without_reading_it(invoke, store, make_xlsx, unread):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-05-01")
    before = state(invoke)
    unread()
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert state(invoke) == before
    result = invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-06-01")
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert state(invoke) == before


@pytest.mark.engines
def test_the_library_tells_an_unchanged_file_from_the_log(store, make_xlsx, unread):
    path = make_xlsx(ROWS)
    import_requirements(store, str(path), as_of="2021-05-01")
    unread()
    result = import_requirements(store, str(path))
    assert (result.written, result.plan.unchanged, result.plan.is_empty) == (False, 2, True)
    assert result.as_of == "2021-05-01"


@pytest.mark.engines
def test_an_unchanged_file_still_warns_as_it_did(invoke, store, make_xlsx, unread):
    make_xlsx([*ROWS, ["MT-02", None, "model training", "table-stakes", "low", "2022-01"]])
    first = invoke("import", "requirements", "reqs.xlsx")
    assert "rows with no title are skipped" in first.stderr
    unread()
    again = invoke("import", "requirements", "reqs.xlsx")
    assert again.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert again.stderr == first.stderr


@pytest.mark.engines
def test_an_earlier_as_of_is_still_refused(invoke, store, make_xlsx):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-05-01")
    result = invoke("import", "requirements", "reqs.xlsx", "--as-of", "2021-04-01")
    assert result.exit_code == 1
    assert "is before the last requirements import (2021-05-01)" in result.stderr


@pytest.mark.engines
@pytest.mark.parametrize(
    "options", [("--sheet", "Requirements"), ("--map", "Title=title"), ("--add-stages",)]
)
def test_other_options_read_the_file_again(invoke, store, make_xlsx, options, monkeypatch):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    import roadmap.requirements as module

    reads = []
    real = module.read_table
    monkeypatch.setattr(module, "read_table", lambda *a, **k: reads.append(1) or real(*a, **k))
    result = invoke("import", "requirements", "reqs.xlsx", *options)
    assert result.exit_code == 0, result.output
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert reads == [1]


@pytest.mark.engines
def test_a_file_read_after_a_settings_change_is_read_again(invoke, store, make_xlsx, monkeypatch):
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    invoke("settings", "--rename-stage", "model training=Training")
    import roadmap.requirements as module

    reads = []
    real = module.read_table
    monkeypatch.setattr(module, "read_table", lambda *a, **k: reads.append(1) or real(*a, **k))
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert reads == [1]
    # The file's "model training" is the renamed stage: the store already says Training.
    assert [r["stage"] for r in listed(invoke)] == ["Feature engineering", "Training"]


def test_a_file_imported_by_an_older_reader_is_read_again(invoke, store, make_xlsx, monkeypatch):
    # A reader that now reads a file differently (a stage merged down, an error cell)
    # cannot vouch for what an older one made of it.
    make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    ((event, text),) = store.db.execute("SELECT id, summary FROM events WHERE file IS NOT NULL")
    summary = json.loads(text)
    del summary["options"]["reader"]  # as a version before the reader's was recorded
    with store.transaction():
        store.db.execute("UPDATE events SET summary = ? WHERE id = ?", (json.dumps(summary), event))
    import roadmap.requirements as module

    reads = []
    real = module.read_table
    monkeypatch.setattr(module, "read_table", lambda *a, **k: reads.append(1) or real(*a, **k))
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert reads == [1]


@pytest.mark.engines
def test_the_same_bytes_under_another_name_are_read_again(
    invoke, store, make_xlsx, monkeypatch, tmp_path
):
    path = make_xlsx(ROWS)
    invoke("import", "requirements", "reqs.xlsx")
    (tmp_path / "reqs_2030-01.xlsx").write_bytes(path.read_bytes())
    result = invoke("import", "requirements", "reqs_2030-01.xlsx")
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    import roadmap.requirements as module

    monkeypatch.setattr(module, "read_table", lambda *a, **k: 1 / 0)
    # A file changed since is read again (and here fails: it was read).
    make_xlsx(ROWS[:2])
    assert invoke("import", "requirements", "reqs.xlsx").exit_code != 0


def test_a_word_in_a_data_cell_does_not_make_its_row_the_header(invoke, imported, make_xlsx):
    """A working sheet (LibreOffice's webcompat roadmap): its top row names no field, and
    far below, a cell reading ``true/false, comment`` ends in a notes synonym."""
    rows = [
        ["script", "arch", "lang", "features to keep", "features to rip out"],
        ["slimertester.js", "slimer/phantom", "js", "supports misc test types", "x"],
        ["testsites.py", "marionette", "py", "compares screenshots", None],
        [],
        [],
        [None, None, None, "Server / service", None],
        ["is_busy()", "false when both are idle", None, "detect WAP", "js"],
        ["get_testresults()", "true/false, comment", None, "plugin architecture", "py"],
    ]
    make_xlsx(rows)
    before = state(invoke)
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "reqs.xlsx:Requirements!1: no title column (a column named Title, Feature, "
        "Requirement, Capability or Name); use --map 'Column=title' (columns: 'script', "
        "'arch', 'lang', 'features to keep', 'features to rip out')",
        "columns: id ← none: derived from titles, stage ← none: requirements will be "
        "Unassigned, tier ← none: bold titles are best-in-class",
    ]
    assert state(invoke) == before
