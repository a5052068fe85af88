"""`roadmap template requirements`: a blank workbook to fill in, which the importer reads."""

from pathlib import Path

import openpyxl
import pytest

from roadmap.model import BIG_EIGHT
from roadmap.templates import write_requirements_template

SHIPPED = Path(__file__).resolve().parent.parent / "templates" / "requirements.xlsx"
HEADERS = [
    "ID",
    "Title",
    "Stage",
    "Tier",
    "Priority",
    "Target",
    "Status",
    "Owner",
    "Requested by",
    "Description",
    "Notes",
]


@pytest.fixture
def template(invoke, db):
    """The template as written with no store (so with the Big Eight), opened."""
    result = invoke("template", "requirements", "template.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Wrote template.xlsx\n"
    return openpyxl.load_workbook("template.xlsx")


def dropdowns(book) -> dict[str, list[str]]:
    """Each validated column of the Requirements sheet -> the values its dropdown offers."""
    lists = book["Lists"]
    offered = {}
    for validation in book["Requirements"].data_validations.dataValidation:
        assert validation.type == "list"
        sheet, cells = validation.formula1.lstrip("=").split("!")
        assert sheet == "Lists"
        values = [cell.value for (cell,) in lists[cells.replace("$", "")]]
        offered[str(validation.sqref)] = values
    return offered


def test_template_has_the_canonical_headers_in_bold(template):
    assert template.sheetnames[0] == "Requirements"
    sheet = template["Requirements"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"


@pytest.mark.engines
def test_template_has_dropdowns_for_stage_tier_and_priority(template):
    assert dropdowns(template) == {
        "C2:C501": list(BIG_EIGHT),
        "D2:D501": ["table-stakes", "best-in-class"],
        "E2:E501": ["high", "medium", "low"],
    }
    assert template["Lists"].sheet_state == "hidden"


def test_template_has_an_instructions_sheet(template):
    lines = [row[0] for row in template["Instructions"].iter_rows(values_only=True)]
    assert lines[0] == "How to fill in the Requirements sheet"
    assert "Then run: roadmap import requirements THIS_FILE.xlsx" in lines


@pytest.mark.engines
def test_template_uses_the_stores_own_stages(invoke, db):
    invoke("init", "--stages", "Ingest;Train;Serve")
    assert invoke("template", "requirements", "template.xlsx").exit_code == 0
    book = openpyxl.load_workbook("template.xlsx")
    assert dropdowns(book)["C2:C501"] == ["Ingest", "Train", "Serve"]


def test_a_filled_in_template_imports(invoke, store, template):
    sheet = template["Requirements"]
    sheet.append(
        ["FE-01", "Feature store", "feature engineering", "best-in-class", "high", "Q3 2021"]
    )
    sheet.append(["MT-01", "Managed training jobs", "model training", "table-stakes", "low", "M6"])
    template.save("filled.xlsx")
    result = invoke("import", "requirements", "filled.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == (
        "Imported filled.xlsx: 2 added, 0 changed, 0 retired, 0 unchanged."
    )


def test_the_shipped_template_is_what_the_command_writes(invoke, db, tmp_path):
    assert invoke("template", "requirements", "template.xlsx").exit_code == 0
    assert (tmp_path / "template.xlsx").read_bytes() == SHIPPED.read_bytes(), (
        "templates/requirements.xlsx is stale: regenerate it with "
        "`roadmap template requirements templates/requirements.xlsx` (no roadmap.db around)"
    )


def test_template_from_python_is_byte_identical_each_time(tmp_path):
    write_requirements_template(str(tmp_path / "a.xlsx"))
    write_requirements_template(str(tmp_path / "b.xlsx"))
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_template_must_be_an_xlsx(invoke, db):
    result = invoke("template", "requirements", "template.csv")
    assert result.exit_code == 1
    assert result.stderr == "error: template.csv: the output must be an .xlsx file\n"
