"""`roadmap requirements` and `roadmap log`: what is stored, for people and for scripts."""

import csv
import hashlib
import io
import json

import pytest

from roadmap.listing import requirement_rows

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

HEADER = ["ID", "Title", "Stage", "Tier", "Priority", "Target", "Owner"]
FIRST = [
    HEADER,
    ["DC-01", "Versioned datasets", "data collection", "table-stakes", "high", "2021-09", "Priya"],
    ["FE-01", "Feature store", "feature engineering", "best-in-class", "high", "Q4 2021", None],
    ["DM-01", "Real-time endpoints", "serving", "table-stakes", "medium", "M6", "Elena"],
    ["DM-02", "Inference graphs", "serving", "best-in-class", "low", None, None],
]
KEYS = [
    "id",
    "title",
    "stage",
    "tier",
    "priority",
    "target",
    "status",
    "owner",
    "requested_by",
    "description",
    "notes",
]


@pytest.fixture
def roadmap(invoke, store, make_csv):
    """Four requirements imported, then DM-02 retired by a second import."""
    make_csv(FIRST, "first.csv")
    make_csv(FIRST[:4], "second.csv")
    assert invoke("import", "requirements", "first.csv", "--as-of", "2021-05-01").exit_code == 0
    assert invoke("import", "requirements", "second.csv", "--as-of", "2021-11-01").exit_code == 0


def ids(invoke, *options: str) -> list[str]:
    result = invoke("requirements", "--format", "json", *options)
    assert result.exit_code == 0, result.output
    return [row["id"] for row in json.loads(result.stdout)]


def test_listing_shows_every_requirement_retired_included(invoke, roadmap):
    result = invoke("requirements")
    assert result.exit_code == 0
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == [
        "id",
        "title",
        "stage",
        "tier",
        "priority",
        "target",
        "status",
        "owner",
    ]
    assert [row.split()[0] for row in rows] == ["DC-01", "FE-01", "DM-01", "DM-02"]
    assert rows[-1].split()[-1] == "retired"


def test_json_has_exactly_the_documented_keys_in_order(invoke, roadmap):
    rows = json.loads(invoke("requirements", "--format", "json").stdout)
    assert [list(row) for row in rows] == [KEYS] * 4
    assert rows[2] == {
        "id": "DM-01",
        "title": "Real-time endpoints",
        "stage": "Model deployment & monitoring",
        "tier": "table-stakes",
        "priority": "medium",
        "target": "2021-10",
        "status": "open",
        "owner": "Elena",
        "requested_by": None,
        "description": None,
        "notes": None,
    }
    assert rows[3]["status"] == "retired"


def test_csv_has_a_header_and_one_line_per_requirement(invoke, roadmap):
    result = invoke("requirements", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == KEYS
    assert [(r["id"], r["target"]) for r in rows] == [
        ("DC-01", "2021-09"),
        ("FE-01", "2021-12"),
        ("DM-01", "2021-10"),
        ("DM-02", ""),
    ]


def test_any_tabulate_format_works(invoke, roadmap):
    result = invoke("requirements", "--format", "github")
    assert result.exit_code == 0
    assert result.stdout.startswith("| id ")
    assert "| DM-02 | Inference graphs " in result.stdout


def test_a_bad_format_is_a_command_line_error(invoke, roadmap):
    result = invoke("requirements", "--format", "yaml")
    assert result.exit_code == 2
    assert (
        "Invalid value for --format: 'yaml' is not a format; use json, csv or one of "
        "tabulate's: " in result.stderr
    )


@pytest.mark.parametrize(
    "options, expected",
    [
        (("--stage", "serving"), ["DM-01", "DM-02"]),
        (("--stage", "Model Deployment & Monitoring"), ["DM-01", "DM-02"]),
        (("--tier", "best-in-class"), ["FE-01", "DM-02"]),
        (("--tier", "table stakes"), ["DC-01", "DM-01"]),
        (("--status", "retired"), ["DM-02"]),
        (("--status", "open", "--tier", "bic"), ["FE-01"]),
        (("--stage", "data labeling"), []),
    ],
)
def test_filters(invoke, roadmap, options, expected):
    assert ids(invoke, *options) == expected


def test_an_unknown_stage_filter_lists_the_stages(invoke, roadmap):
    result = invoke("requirements", "--stage", "marketing")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: unknown stage 'marketing' (expected one of: Data collection; "
    )


def test_an_empty_store_lists_nothing(invoke, store):
    assert json.loads(invoke("requirements", "--format", "json").stdout) == []
    assert invoke("requirements", "--format", "csv").stdout == ",".join(KEYS) + "\n"


def test_listing_from_python(store, roadmap):
    rows = requirement_rows(store, tier="best-in-class", status="open")
    assert [row["id"] for row in rows] == ["FE-01"]


def test_log_shows_each_import_with_its_file_and_sha256(invoke, roadmap, tmp_path):
    result = invoke("log", "--format", "json")
    assert result.exit_code == 0
    events = json.loads(result.stdout)
    assert [(e["action"], e["as_of"], e["file"], e["changes"]) for e in events] == [
        ("import requirements", "2021-05-01", "first.csv", "4 added"),
        ("import requirements", "2021-11-01", "second.csv", "1 retired, 3 unchanged"),
    ]
    for event in events:
        digest = hashlib.sha256((tmp_path / event["file"]).read_bytes()).hexdigest()
        assert event["sha256"] == digest


def test_log_table_names_the_file_and_its_sha256(invoke, roadmap, tmp_path):
    result = invoke("log")
    assert result.exit_code == 0
    digest = hashlib.sha256((tmp_path / "second.csv").read_bytes()).hexdigest()
    line = result.stdout.splitlines()[-1]
    assert "second.csv" in line
    assert digest in line


def test_an_empty_listing_says_why(invoke, roadmap_store):
    result = invoke("requirements", "--status", "opn")
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: no requirements match --status 'opn' (statuses in the store: open, retired)\n"
    )
    assert invoke("requirements", "--status", "opn", "--format", "json").stdout == "[]\n"


def test_tables_fit_the_terminal_and_json_keeps_the_full_title(invoke, roadmap_store, monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    lines = invoke("requirements").stdout.splitlines()
    assert max(len(line) for line in lines) <= 90
    assert any("…" in line for line in lines)
    rows = json.loads(invoke("requirements", "--format", "json").stdout)
    assert "Feature store with an entity model" in [r["title"] for r in rows]
    assert "None" not in "\n".join(lines)
