"""`roadmap template snapshot`: a blank long-form snapshot workbook that imports once filled."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

SHIPPED = Path(__file__).resolve().parent.parent / "templates" / "snapshot.xlsx"


@pytest.fixture
def template(invoke, db):
    result = invoke("template", "snapshot", "snapshot.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote snapshot.xlsx\n"
    return openpyxl.load_workbook("snapshot.xlsx")


def test_labelled_cells_above_the_header(template):
    sheet = template["Snapshots"]
    assert template.sheetnames[0] == "Snapshots"
    assert [list(row) for row in sheet.iter_rows(max_row=6, max_col=6, values_only=True)] == [
        ["Vendor:", None, None, None, None, None],
        ["Kind:", None, None, None, None, None],
        ["As of:", None, None, None, None, None],
        ["Source:", None, None, None, None, None],
        [None] * 6,
        ["Requirement ID", "Title", "Level", "Product", "Evidence", "Notes"],
    ]
    assert all(cell.font.b for cell in sheet[6])
    assert sheet.freeze_panes == "A7"


def test_dropdowns_for_level_and_kind(template):
    lists = template["Lists"]
    offered = {}
    for validation in template["Snapshots"].data_validations.dataValidation:
        cells = validation.formula1.split("!")[1].replace("$", "")
        offered[str(validation.sqref)] = [cell.value for (cell,) in lists[cells]]
    assert offered == {
        "C7:C506": ["ga", "preview", "partial", "partner", "planned", "none", "unknown"],
        "B2": ["end-to-end", "best-of-breed", "open-source", "in-house"],
    }
    assert lists.sheet_state == "hidden"


def test_instructions_sheet(template):
    lines = [row[0] for row in template["Instructions"].iter_rows(values_only=True)]
    assert lines[0] == "How to fill in the Snapshots sheet"
    assert "Then run: roadmap import snapshot THIS_FILE.xlsx" in lines
    assert "none: also 'no', 'n', '✗', '✘', '-', '—', '❌', '✖', '✕', 'false', '0'" in lines


def test_a_filled_in_template_imports(invoke, roadmap_store, template):
    sheet = template["Snapshots"]
    sheet["B1"], sheet["B2"], sheet["B4"] = "Seldon Core", "open-source", "release tags"
    sheet["B3"] = dt.date(2021, 6, 15)
    sheet.append(["DM-01", None, "ga", "Seldon Core", "https://github.com/SeldonIO", None])
    sheet.append([None, "Inference graphs", "beta", None, None, None])
    template.save("filled.xlsx")
    result = invoke("import", "snapshot", "filled.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == (
        "added     seldon-core 2021-06-15: 2 entries, 1 ga (new vendor: Seldon Core, open-source)"
    )
    (snapshot,) = json.loads(invoke("snapshots", "--format", "json").stdout)
    assert snapshot["source"] == "release tags"


def test_the_shipped_template_is_what_the_command_writes(template, tmp_path):
    assert (tmp_path / "snapshot.xlsx").read_bytes() == SHIPPED.read_bytes(), (
        "templates/snapshot.xlsx is stale: regenerate it with "
        "`roadmap template snapshot templates/snapshot.xlsx`"
    )
