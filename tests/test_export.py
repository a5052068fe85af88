"""`roadmap export`: the store as one workbook, which the importers read back unchanged."""

import json

import openpyxl
import pytest

from roadmap.cli import cli
from roadmap.demo import build_demo_store
from roadmap.store import Store

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

LISTINGS = (("requirements",), ("vendors",), ("snapshots",))


def listings(runner, db: str) -> dict:
    found = {}
    for command in LISTINGS:
        result = runner.invoke(cli, ["--db", db, *command, "--format", "json"])
        assert result.exit_code == 0, result.output
        found[command[0]] = json.loads(result.stdout)
    return found


def stored_entries(db: str) -> dict:
    store = Store.open(db)
    try:
        return {
            (info.vendor, info.as_of): store.snapshot(info.id) for info in store.snapshot_infos()
        }
    finally:
        store.close()


def round_trip(runner, db: str, tmp_path) -> str:
    """Export ``db``, read the workbook into a new store through the CLI; the new store."""
    result = runner.invoke(cli, ["--db", db, "export", "everything.xlsx"])
    assert result.exit_code == 0, result.output
    new = str(tmp_path / "new.db")
    for command in (
        ["init", "--start", "2021-05"],
        ["import", "requirements", "everything.xlsx"],
        ["import", "snapshot", "everything.xlsx"],
    ):
        result = runner.invoke(cli, ["--db", new, *command])
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr
    return new


@pytest.fixture
def filled(invoke, roadmap_store, make_csv, make_xlsx):
    """Requirements (one retired), long and wide snapshots, one of them replaced."""
    make_csv(
        [
            ["Vendor:", "Amazon SageMaker"],
            ["Source:", "re:Invent 2020"],
            ["Requirement ID", "Level", "Product", "Evidence", "Notes"],
            ["FE-01", "ga", "SageMaker Feature Store", "https://aws.amazon.com/x", None],
            ["FE-02", "partial", "=SUM(A1)", None, "no entity model\nsecond line"],
            ["MO-05", None, None, None, "-not assessed"],
        ],
        "sagemaker_2020-12-15.csv",
    )
    make_csv(
        [["Vendor:", "Amazon SageMaker"], ["Requirement ID", "Level"], ["FE-01", "ga"]],
        "sagemaker_2021-12-15.csv",
    )
    make_csv(
        [
            ["Vendor:", "Amazon SageMaker"],
            ["Requirement ID", "Level"],
            ["FE-01", "ga"],
            ["FE-02", "ga"],
        ],
        "sagemaker_2021-12-15b.csv",
    )
    make_xlsx(
        [
            ["Kind:", "open-source"],
            ["ID", "Feature", "Seldon Core", "Kubeflow"],
            ["DM-01", "Real-time endpoints", "ga", "partner"],
            ["DM-02", "Inference graphs", "ga", None],
        ],
        "oss.xlsx",
    )
    for command in (
        ["sagemaker_2020-12-15.csv"],
        ["sagemaker_2021-12-15.csv"],
        ["sagemaker_2021-12-15b.csv", "--as-of", "2021-12-15", "--replace"],
        ["oss.xlsx", "--as-of", "2021-06-15", "--source", "GitHub releases"],
    ):
        result = invoke("import", "snapshot", *command)
        assert result.exit_code == 0, result.output


def test_export_round_trips_requirements_vendors_and_snapshots(runner, db, filled, tmp_path):
    new = round_trip(runner, str(db), tmp_path)
    before, after = listings(runner, str(db)), listings(runner, new)
    assert after == before
    assert [r["status"] for r in after["requirements"]].count("retired") == 1
    assert [v["kind"] for v in after["vendors"]] == ["open-source", "end-to-end", "open-source"]
    assert stored_entries(new) == stored_entries(str(db))


def test_export_round_trips_the_samples(runner, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build_demo_store(str(db)).close()
    new = round_trip(runner, str(db), tmp_path)
    assert listings(runner, new) == listings(runner, str(db))
    assert stored_entries(new) == stored_entries(str(db))


def test_export_holds_current_snapshots_in_long_form(invoke, filled):
    result = invoke("export", "everything.xlsx")
    assert result.stdout == "Wrote everything.xlsx: 6 requirements, 4 snapshots of 3 vendors.\n"
    book = openpyxl.load_workbook("everything.xlsx")
    assert book.sheetnames == ["Requirements", "Snapshots"]
    sheet = book["Snapshots"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Vendor",
        "Vendor name",
        "Kind",
        "As of",
        "Source",
        "Requirement ID",
        "Title",
        "Level",
        "Product",
        "Evidence",
        "Notes",
    )
    assert rows[1][:8] == (
        "kubeflow",
        "Kubeflow",
        "open-source",
        rows[1][3],
        "GitHub releases",
        "DM-01",
        "Real-time endpoints",
        "partner",
    )
    assert rows[1][3].date().isoformat() == "2021-06-15"  # a real date cell
    sagemaker_2021 = [r for r in rows if r[0] == "sagemaker" and r[3].year == 2021]
    assert [r[5] for r in sagemaker_2021] == ["FE-01", "FE-02"]  # the replacement only
    formula_like = next(r for r in sheet.iter_rows(min_row=2) if r[8].value == "=SUM(A1)")
    assert formula_like[8].data_type == "s"
    assert sheet.freeze_panes == "A2"
