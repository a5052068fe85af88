"""`roadmap diff`: what changed in one vendor's capabilities between two snapshots."""

import json

import openpyxl
import pytest

from roadmap.diff import DiffRow, diff_snapshots
from roadmap.model import Entry, Level, Snapshot

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

HEADER = ["Requirement ID", "Level", "Product", "Evidence", "Notes"]
SNAPSHOTS = {
    "sagemaker_2019-12-15.csv": [
        ["FE-01", "none", None, None, "launched 2020-12"],
        ["FE-02", "none", None, None, None],
        ["MT-01", "ga", "SageMaker Training", "launch blog", None],
        ["DM-02", "ga", "Multi-model endpoints", None, None],
    ],
    "sagemaker_2020-12-15.csv": [
        ["FE-01", "ga", "SageMaker Feature Store", "re:Invent 2020", None],
        ["FE-02", "partial", "SageMaker Feature Store", None, "no entity model"],
        ["MT-01", "ga", "SageMaker Training", "docs", None],
        ["DM-01", "preview", "Serverless Inference", None, None],
    ],
    "sagemaker_2021-12-15.csv": [
        ["FE-01", "ga", "SageMaker Feature Store", "re:Invent 2020", None],
        ["FE-02", "partial", "SageMaker Feature Store", None, "no entity model"],
        ["MT-01", "preview", "SageMaker Training", "docs", None],
        ["DM-01", "ga", "Serverless Inference", None, None],
    ],
}


@pytest.fixture
def sagemaker(invoke, roadmap_store, make_csv):
    for name, rows in SNAPSHOTS.items():
        make_csv([["Vendor:", "Amazon SageMaker"], HEADER, *rows], name)
        assert invoke("import", "snapshot", name).exit_code == 0
    return roadmap_store


def diff_json(invoke, *options: str) -> list[dict]:
    result = invoke("diff", *options, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_default_is_the_two_latest_snapshots(invoke, sagemaker):
    assert diff_json(invoke, "sagemaker") == [
        {
            "requirement": "MT-01",
            "title": "Managed training jobs",
            "from": "ga",
            "to": "preview",
            "change": "downgraded",
        },
        {
            "requirement": "DM-01",
            "title": "Real-time endpoints",
            "from": "preview",
            "to": "ga",
            "change": "upgraded",
        },
    ]


def test_from_and_to_pick_snapshots_by_date_or_month(invoke, sagemaker):
    rows = diff_json(invoke, "Amazon SageMaker", "--from", "2019-12", "--to", "2020-12-15")
    assert [(r["requirement"], r["from"], r["to"], r["change"]) for r in rows] == [
        ("FE-01", "none", "ga", "upgraded"),
        ("FE-02", "none", "partial", "upgraded"),
        ("MT-01", "ga", "ga", "changed"),
        ("DM-01", None, "preview", "added"),
        ("DM-02", "ga", None, "removed"),
    ]
    assert diff_json(invoke, "sagemaker", "--from", "2019-12-15") == diff_json(
        invoke, "sagemaker", "--from", "2019-12", "--to", "2021-12"
    )


def test_terminal_table_says_which_snapshots_and_what_moved(invoke, sagemaker):
    result = invoke("diff", "sagemaker", "--from", "2019-12", "--to", "2020-12")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "sagemaker: 2019-12-15 → 2020-12-15, 5 changes"
    assert lines[1].split() == ["requirement", "title", "from", "to", "change", "details"]
    assert any(
        line.startswith("MT-01") and line.endswith("evidence: launch blog → docs") for line in lines
    )


def test_csv_has_the_json_keys_as_header(invoke, sagemaker):
    result = invoke("diff", "sagemaker", "--format", "csv")
    assert result.stdout.splitlines() == [
        "requirement,title,from,to,change",
        "MT-01,Managed training jobs,ga,preview,downgraded",
        "DM-01,Real-time endpoints,preview,ga,upgraded",
    ]


def test_no_changes_prints_only_the_heading(invoke, roadmap_store, make_csv):
    rows = SNAPSHOTS["sagemaker_2019-12-15.csv"]
    for name in ("acme_2020-01-01.csv", "acme_2021-01-01.csv"):
        make_csv([HEADER, *rows], name)
        invoke("import", "snapshot", name)
    result = invoke("diff", "acme")
    assert result.stdout == "acme: 2020-01-01 → 2021-01-01, 0 changes\n"
    assert diff_json(invoke, "acme") == []


def test_highlighted_workbook(invoke, sagemaker):
    result = invoke(
        "diff", "sagemaker", "--from", "2019-12", "--to", "2020-12", "--output", "diff.xlsx"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote diff.xlsx (sagemaker: 2019-12-15 → 2020-12-15, 5 changes).\n"
    sheet = openpyxl.load_workbook("diff.xlsx")["Diff"]
    assert sheet["A1"].value == "Amazon SageMaker (sagemaker): 2019-12-15 → 2020-12-15"
    assert sheet["A2"].value == "2 upgraded, 1 added, 1 removed, 1 changed"
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows == [
        ["Change", "Requirement", "Title", "Level", "Product", "Evidence", "Notes"],
        [
            "upgraded",
            "FE-01",
            "Managed feature store",
            "none → ga",
            "(empty) → SageMaker Feature Store",
            "(empty) → re:Invent 2020",
            "launched 2020-12 → (empty)",
        ],
        [
            "upgraded",
            "FE-02",
            "Feature store with an entity model",
            "none → partial",
            "(empty) → SageMaker Feature Store",
            None,
            "(empty) → no entity model",
        ],
        [
            "changed",
            "MT-01",
            "Managed training jobs",
            "ga",
            "SageMaker Training",
            "launch blog → docs",
            None,
        ],
        ["added", "DM-01", "Real-time endpoints", "preview", "Serverless Inference", None, None],
        ["removed", "DM-02", "Inference graphs", "ga", "Multi-model endpoints", None, None],
    ]
    fills = {
        row[0].value: [c.fill.fgColor.rgb[-6:] if c.fill.fill_type else None for c in row]
        for row in sheet.iter_rows(min_row=5)
    }
    assert fills["upgraded"][:5] == ["C6EFCE", None, None, "C6EFCE", "C6EFCE"]
    assert fills["changed"] == ["FFEB9C", None, None, None, None, "FFEB9C", None]
    assert set(fills["added"]) == {"BDD7EE"}
    assert set(fills["removed"]) == {"D9D9D9"}
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:G9"


def test_diff_needs_two_snapshots_at_known_dates(invoke, sagemaker, make_csv):
    result = invoke("diff", "sagemaker", "--from", "2021-06")
    assert result.exit_code == 1
    assert result.stderr == (
        "--from: no snapshot of sagemaker at 2021-06 (its snapshots: "
        "2019-12-15, 2020-12-15, 2021-12-15)\n"
    )
    result = invoke("diff", "sagemaker", "--to", "2019-12")
    assert result.stderr == (
        "--to: no snapshot of sagemaker before 2019-12-15 (its snapshots: "
        "2019-12-15, 2020-12-15, 2021-12-15); pass --from DATE\n"
    )
    result = invoke("diff", "sagemaker", "--from", "soon")
    assert result.exit_code == 2  # a wrong command line, click's convention
    assert result.stderr.endswith(
        "Error: Invalid value for --from: 'soon' is not a date (use YYYY-MM-DD or YYYY-MM)\n"
    )
    make_csv([HEADER, ["FE-01", "ga"]], "vertex_2021-05-18.csv")
    invoke("import", "snapshot", "vertex_2021-05-18.csv")
    result = invoke("diff", "vertex")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: vertex has 1 snapshot (2021-05-18); a diff needs two: "
        "import another with 'roadmap import snapshot FILE'\n"
    )


def test_rows_carry_full_entries_so_applying_them_gives_the_new_snapshot():
    old = Snapshot(
        "v",
        "2020-01-01",
        None,
        {
            "A": Entry("A", Level.NONE),
            "B": Entry("B", Level.GA, "P"),
            "C": Entry("C", Level.PREVIEW),
            "D": Entry("D", Level.PARTIAL, notes="x"),
        },
    )
    new = Snapshot(
        "v",
        "2021-01-01",
        None,
        {
            "A": Entry("A", Level.GA),
            "B": Entry("B", Level.GA, "Q"),
            "D": Entry("D", Level.NONE, notes="x"),
            "E": Entry("E", Level.UNKNOWN),
        },
    )
    rows = diff_snapshots(old, new, {"E": "e", "D": "d", "C": "c", "B": "b", "A": "a"})
    assert [(r.requirement, r.title, r.change) for r in rows] == [
        ("E", "e", "added"),
        ("D", "d", "downgraded"),
        ("C", "c", "removed"),
        ("B", "b", "changed"),
        ("A", "a", "upgraded"),
    ]
    applied = dict(old.entries)
    for row in rows:
        if row.new is None:
            del applied[row.requirement]
        else:
            applied[row.requirement] = row.new
    assert applied == new.entries
    assert rows[0].as_dict() == {
        "requirement": "E",
        "title": "e",
        "from": None,
        "to": "unknown",
        "change": "added",
    }
    assert isinstance(rows[0], DiffRow)


@pytest.mark.parametrize(
    "options, said",
    [
        (("--from", "2021-12", "--to", "2020-12"), "--from and --to"),
        (("--from", "2021-12-15"), "--from and the latest snapshot (the default --to)"),
    ],
)
def test_dates_out_of_order_are_refused_not_diffed_backwards(invoke, sagemaker, options, said):
    result = invoke("diff", "sagemaker", *options)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"error: {said} must be in date order: 2021-12-15 is not before "
    )


def test_a_comparison_table_does_not_blank_what_a_long_snapshot_said(invoke, sagemaker, make_csv):
    # A wide comparison table at 2022-06 has levels only: no product, evidence or notes.
    make_csv(
        [
            ["Requirement ID", "Amazon SageMaker"],
            ["FE-01", "ga"],
            ["FE-02", "ga"],
            ["MT-01", "preview"],
            ["DM-01", "ga"],
        ],
        "comparison_2022-06-15.csv",
    )
    assert invoke("import", "snapshot", "comparison_2022-06-15.csv").exit_code == 0
    assert diff_json(invoke, "sagemaker") == [
        {
            "requirement": "FE-02",
            "title": "Feature store with an entity model",
            "from": "partial",
            "to": "ga",
            "change": "upgraded",
        }
    ]
    lines = invoke("diff", "sagemaker").stdout.splitlines()
    assert lines[0] == "sagemaker: 2021-12-15 → 2022-06-15, 1 change"
    assert lines[3].split()[-3:] == ["partial", "ga", "upgraded"]  # no details: none stated
    invoke("diff", "sagemaker", "--output", "diff.xlsx")
    sheet = openpyxl.load_workbook("diff.xlsx")["Diff"]
    assert [c.value for c in sheet[5]] == [
        "upgraded",
        "FE-02",
        "Feature store with an entity model",
        "partial → ga",
        "SageMaker Feature Store",
        None,
        "no entity model",
    ]  # what the long one said


def test_levels_shows_level_moves_only(invoke, sagemaker):
    rows = diff_json(invoke, "sagemaker", "--from", "2019-12", "--to", "2020-12", "--levels")
    assert [(r["requirement"], r["change"]) for r in rows] == [
        ("FE-01", "upgraded"),
        ("FE-02", "upgraded"),
        ("DM-01", "added"),
        ("DM-02", "removed"),
    ]
