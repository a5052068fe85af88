"""Files as they come: .xls, .ods, misnamed files, CSV in the encodings Excel writes, and
the formats that are refused with what to save them as.

Workbooks are built in code with openpyxl; .xls and .ods are converted from them by
LibreOffice (slow tests). Cells a workbook cannot hold, and formulas whose values were
never computed, are refused with the cell named.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from test_hostile_files import MAIN, workbook_parts, write_zip

from roadmap.errors import InputError
from roadmap.headers import requirement_header_score
from roadmap.reader import read_table

HEADER = ["ID", "Title", "Stage", "Tier", "Target"]
ROWS = [
    HEADER,
    ["FE-01", "Managed feature store", "feature engineering", "table-stakes", "2021-09"],
    ["DM-02", "Inference graphs", "model deployment & monitoring", "best-in-class", "Q3 2022"],
]
EXPECTED = [
    {
        "id": "DM-02",
        "title": "Inference graphs",
        "stage": "model deployment & monitoring",
        "tier": "best-in-class",
        "target": "2022-09",
    },
    {
        "id": "FE-01",
        "title": "Managed feature store",
        "stage": "feature engineering",
        "tier": "table-stakes",
        "target": "2021-09",
    },
]


def listed(invoke) -> list[dict]:
    """The stored requirements by id; stage names compared in lower case (how the default
    stages are capitalised is not this file's concern)."""
    rows = json.loads(invoke("requirements", "--format", "json").stdout)
    keys = ("id", "title", "stage", "tier", "target")
    return sorted(
        ({**{k: row[k] for k in keys}, "stage": (row["stage"] or "").lower()} for row in rows),
        key=lambda r: r["id"],
    )


def convert(path: Path, extension: str) -> Path:
    """``path`` converted by LibreOffice to ``extension`` (``xls``, ``ods``), beside it."""
    profile = path.parent / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            extension,
            "--outdir",
            str(path.parent),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = path.with_suffix(f".{extension}")
    assert converted.exists(), f"LibreOffice wrote no {converted.name}"
    return converted


needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


@pytest.mark.slow
@needs_soffice
@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_xls_and_ods_workbooks_import_like_xlsx(extension, invoke, store, make_xlsx):
    source = make_xlsx(
        [["Acme ML roadmap"], [], *ROWS],
        "roadmap.xlsx",
        sheets={"Notes": [["read me"]], "Roadmap": [["Acme ML roadmap"], [], *ROWS]},
    )
    converted = convert(source, extension)
    source.unlink()
    result = invoke("import", "requirements", converted.name, "--sheet", "Roadmap")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "added    FE-01: Managed feature store",
        "added    DM-02: Inference graphs",
    ]
    assert listed(invoke) == EXPECTED


@pytest.mark.slow
@needs_soffice
def test_an_xls_file_named_xlsx_is_read_by_what_it_is(invoke, store, make_xlsx):
    converted = convert(make_xlsx(ROWS, "roadmap.xlsx"), "xls")
    converted.rename(converted.with_name("saved-as.xlsx"))
    result = invoke("import", "requirements", "saved-as.xlsx")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in listed(invoke)] == ["DM-02", "FE-01"]


@pytest.mark.slow
@needs_soffice
def test_bold_titles_are_read_from_ods_and_not_from_xls(invoke, store, make_xlsx):
    bold = make_xlsx.bold
    source = make_xlsx(
        [
            ["ID", "Title", "Stage"],
            ["FE-01", "Managed feature store", "feature engineering"],
            ["FE-02", bold("Feature store with an entity model"), "feature engineering"],
        ],
        "plain.xlsx",
    )
    ods, xls = convert(source, "ods"), convert(source, "xls")
    result = invoke("import", "requirements", ods.name)
    assert result.exit_code == 0, result.output
    assert {row["id"]: row["tier"] for row in listed(invoke)} == {
        "FE-01": "table-stakes",
        "FE-02": "best-in-class",
    }
    result = invoke("import", "requirements", xls.name, "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "warning: plain.xls: bold text is not read from .xls files, so without a tier "
        "column every requirement is table-stakes; add a Tier column, or save the file "
        "as .xlsx"
    ) in result.stderr
    assert "changed  FE-02" in result.stdout  # best-in-class, as the .xls says nothing more


def test_bold_titles_are_read_from_xlsx_without_openpyxl(store, make_xlsx):
    bold = make_xlsx.bold
    path = make_xlsx(
        [
            ["ID", "Title", "Stage"],
            ["FE-01", "Managed feature store", "feature engineering"],
            ["FE-02", bold("Feature store with an entity model"), "feature engineering"],
        ]
    )
    table = read_table(str(path), requirement_header_score, needs_bold=lambda header: True)
    assert [row.bold for row in table.rows] == [(False, False, False), (False, True, False)]
    plain = read_table(str(path), requirement_header_score, needs_bold=lambda header: False)
    assert [row.bold for row in plain.rows] == [None, None]


def test_a_table_away_from_a1_keeps_its_rows_and_columns(make_xlsx):
    """Title rows, blank rows and an empty column A above and beside the table: every cell
    is named where a spreadsheet shows it."""
    path = make_xlsx(
        [
            [],
            [None, None, "Acme ML roadmap"],
            [],
            [None, "ID", "Title", "Stage", "Tier"],
            [None, "FE-01", "Managed feature store", "feature engineering", "table-stakes"],
        ]
    )
    table = read_table(str(path), requirement_header_score)
    assert (table.header_row, table.header) == (4, (None, "ID", "Title", "Stage", "Tier"))
    assert [(row.number, row.values) for row in table.rows] == [
        (5, (None, "FE-01", "Managed feature store", "feature engineering", "table-stakes"))
    ]
    assert table.where(5, 2) == f"{path}:Requirements!C5"


def test_a_csv_file_named_xlsx_is_read_as_csv_with_a_warning(invoke, store, make_csv):
    make_csv(ROWS, "roadmap.xlsx")
    result = invoke("import", "requirements", "roadmap.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "warning: roadmap.xlsx: this is a CSV (text) file named like a workbook; it was read "
        "as CSV\n"
    )
    assert listed(invoke) == EXPECTED


UNICODE_ROWS = [
    HEADER,
    ["FE-01", "Café feature store — “managed”", "feature engineering", "table-stakes", "2021-09"],
]


@pytest.mark.parametrize(
    "encoding, bom, warning",
    [
        ("utf-8", b"", None),
        ("utf-8", codecs.BOM_UTF8, None),
        ("utf-16-le", codecs.BOM_UTF16_LE, 'read as UTF-16 text (Excel\'s "Unicode Text")'),
        ("utf-16-be", codecs.BOM_UTF16_BE, 'read as UTF-16 text (Excel\'s "Unicode Text")'),
        (
            "cp1252",
            b"",
            "not UTF-8; read as Windows-1252 (Excel's CSV on Windows): if a letter "
            "looks wrong, save it as 'CSV UTF-8'",
        ),
    ],
)
def test_csv_in_the_encodings_excel_writes_is_read(encoding, bom, warning, invoke, store, tmp_path):
    delimiter = "\t" if encoding.startswith("utf-16") else ","  # "Unicode Text" is tabbed
    text = "\r\n".join(delimiter.join(row) for row in UNICODE_ROWS) + "\r\n"
    (tmp_path / "reqs.csv").write_bytes(bom + text.encode(encoding))
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    FE-01: Café feature store — “managed”\n")
    warnings = [line for line in result.stderr.splitlines() if "UTF" in line or "1252" in line]
    assert warnings == ([f"warning: reqs.csv: {warning}"] if warning else [])


def test_text_in_no_known_encoding_is_refused(invoke, store, tmp_path):
    # 0x81 is UTF-8 only inside a sequence and undefined in Windows-1252.
    (tmp_path / "reqs.csv").write_bytes(b"ID,Title,Stage\nFE-01,Caf\x81,features\n")
    result = invoke("import", "requirements", "reqs.csv")
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: reqs.csv: not text in UTF-8, UTF-16 or Windows-1252; save it as 'CSV UTF-8' "
            "or .xlsx\n"
        ),
    )


def test_a_stray_byte_in_a_csv_marked_utf8_is_refused_with_its_line(invoke, store, tmp_path):
    # The byte order mark says UTF-8: reading it all as Windows-1252 for one stray byte
    # would garble every accented letter of the file.
    text = "ID,Title,Stage\r\nFE-01,Café store,features\r\nFE-02,Caf".encode() + b"\xe9,x\r\n"
    (tmp_path / "reqs.csv").write_bytes(codecs.BOM_UTF8 + text)
    message = (
        "reqs.csv: line 3: byte 0xE9 is not UTF-8, though the file starts with UTF-8's "
        "byte order mark; retype that character, or save the file again as 'CSV UTF-8'"
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert (result.exit_code, result.stderr) == (1, f"error: {message}\n")
    assert listed(invoke) == []
    with pytest.raises(InputError) as refused:
        read_table("reqs.csv", requirement_header_score)
    assert str(refused.value) == message


def test_a_csv_read_from_a_pipe_is_streamed(store, tmp_path):
    fifo = tmp_path / "reqs.csv"
    os.mkfifo(fifo)
    text = "ID,Title,Stage,Tier\n" + "".join(
        f"R{n},Feature {n},model training,table-stakes\n" for n in range(5000)
    )

    def feed() -> None:
        with open(fifo, "w") as pipe:
            pipe.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    calls = []
    table = read_table(
        str(fifo),
        requirement_header_score,
        progress=lambda done, total: calls.append((done, total)),
    )
    writer.join()
    assert len(table.rows) == 5000
    assert table.rows[-1].values == ("R4999", "Feature 4999", "model training", "table-stakes")
    assert calls and all(total == 0 for _, total in calls)  # no size: rows counted


def strict(parts: dict) -> dict:
    """The same workbook in Strict Open XML's namespaces."""
    return {
        name: data.replace(MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
        for name, data in parts.items()
    }


@pytest.mark.parametrize(
    "name, build, message",
    [
        (
            "strict.xlsx",
            lambda path: write_zip(path, strict(workbook_parts())),
            "a Strict Open XML workbook, which is not read; in Excel choose Save As > 'Excel "
            "Workbook (.xlsx)', then import that file",
        ),
        (
            "roadmap.numbers",
            lambda path: write_zip(
                path, {"Index/Document.iwa": b"\x00" * 64, "Metadata/Properties.plist": b"x"}
            ),
            "an Apple Numbers file; in Numbers choose File > Export To > Excel, then import the "
            ".xlsx",
        ),
        (
            "roadmap.xlsb",
            lambda path: write_zip(path, {"xl/workbook.bin": b"\x00" * 64}),
            "an Excel binary workbook (.xlsb), which is not read; in Excel choose Save As > 'Excel "
            "Workbook (.xlsx)'",
        ),
    ],
)
def test_formats_that_are_not_read_say_what_to_save_them_as(
    name, build, message, invoke, store, tmp_path
):
    build(tmp_path / name)
    result = invoke("import", "requirements", name)
    assert (result.exit_code, result.stderr) == (1, f"error: {name}: {message}\n")


def test_a_numbers_package_folder_says_what_to_save_it_as(tmp_path):
    (tmp_path / "roadmap.numbers").mkdir()
    with pytest.raises(Exception) as refused:
        read_table(str(tmp_path / "roadmap.numbers"), requirement_header_score)
    assert str(refused.value) == (
        f"{tmp_path / 'roadmap.numbers'}: an Apple Numbers file; in Numbers choose File > "
        "Export To > Excel, then import the .xlsx"
    )


def test_an_empty_chosen_sheet_names_the_other_sheets(invoke, store, make_xlsx):
    make_xlsx(sheets={"Requirements": [], "Roadmap 2021": ROWS, "Notes": [["x"]]})
    result = invoke("import", "requirements", "reqs.xlsx")
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: reqs.xlsx:Requirements: the sheet is empty (other sheets: Roadmap 2021, "
            "Notes); use --sheet NAME with one of those\n"
        ),
    )


def test_a_sheet_without_a_header_names_the_other_sheets(invoke, store, make_xlsx):
    make_xlsx(sheets={"Dashboard": [["Progress"], [42]], "Security requirements": ROWS})
    result = invoke("import", "requirements", "reqs.xlsx")
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: reqs.xlsx:Dashboard: no header row found in the first 50 rows (other sheets: "
            "Security requirements) (expected column names such as ID, Title, Stage, Tier, "
            "Target); check the sheet or use --sheet NAME / --map 'Column=field'\n"
        ),
    )


def test_a_formula_with_no_stored_value_is_an_error_naming_its_cell(invoke, store, make_xlsx):
    # openpyxl stores formulas without computing them, as scripts that write workbooks do.
    make_xlsx(
        [
            HEADER,
            ["FE-01", "Managed feature store", "feature engineering", "table-stakes", "2021-09"],
            ["FE-02", '=CONCATENATE("Feature ", "store")', "feature engineering", "=D2", None],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 1
    message = (
        "a formula with no stored value; open and save the file in Excel or "
        "LibreOffice so the values are stored"
    )
    assert result.stderr == (
        f"reqs.xlsx:Requirements!B3: {message}\n"
        f"reqs.xlsx:Requirements!D3: {message}\n"
        "2 problems; nothing was written.\n"
    )
    assert listed(invoke) == []


def test_a_link_written_without_its_value_reads_as_the_text_it_shows(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["ID", "Title", "Stage", "Tier"],
            [
                "INFO-01",
                '=HYPERLINK("https://example.org/info-01", "Search engine discovery")',
                "data collection",
                "table-stakes",
            ],
            [
                "INFO-02",
                '=HYPERLINK("https://example.org/info-02", "Say ""hello""")',
                "data collection",
                "table-stakes",
            ],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "added    INFO-01: Search engine discovery",
        'added    INFO-02: Say "hello"',
    ]


def links_sheet(rows: int, pad: int = 0) -> bytes:
    """A sheet of ``rows`` requirements whose titles are HYPERLINK formulas with no stored
    value (as a script writes them), the first ``pad`` bytes of the sheet's XML padding."""
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c>'
        f'<c r="B{n}" t="str"><f>HYPERLINK("https://example.org/{"x" * 300}/{n}",'
        f'"Link {n}")</f></c><c r="C{n}" t="inlineStr"><is><t>data collection</t></is>'
        f'</c><c r="D{n}" t="inlineStr"><is><t>table-stakes</t></is></c></row>'
        for n in range(2, rows + 2)
    )
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for letter, name in zip("ABCD", ("ID", "Title", "Stage", "Tier"))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}"><sheetPr codeName="{"p" * pad}"/><sheetData>'
        f'<row r="1">{header}</row>{cells}</sheetData></worksheet>'
    ).encode()


def test_links_without_values_are_read_wherever_the_sheet_is_cut_for_scanning(
    invoke, store, tmp_path
):
    # The sheet is scanned a megabyte at a time: put the first cut inside a link's
    # formula, where a scan cutting before any tag lost the link's text.
    mib = 1 << 20
    pad = next(
        pad
        for pad in range(0, 600, 7)
        if (xml := links_sheet(2500, pad)).rfind(b"<", 0, mib) == xml.rfind(b"<f>", 0, mib)
    )
    parts = workbook_parts()
    parts["xl/worksheets/sheet1.xml"] = links_sheet(5000, pad)
    write_zip(tmp_path / "links.xlsx", parts)

    table = read_table(str(tmp_path / "links.xlsx"), requirement_header_score)
    titles = [row.values[1] for row in table.rows]
    assert len(titles) == 5000
    assert [n for n, title in enumerate(titles, start=2) if title != f"Link {n}"] == []

    result = invoke("import", "requirements", "links.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("5000 added, 0 changed, 0 retired, 0 unchanged.\n")
    listing = invoke("requirements", "--format", "json")
    assert {r["title"] for r in json.loads(listing.stdout)} == {f"Link {n}" for n in range(2, 5002)}


def test_a_formula_whose_value_is_stored_is_read_as_its_value(invoke, store, tmp_path):
    parts = workbook_parts()
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(
        b'<c r="B2" t="s"><v>5</v></c>',
        b'<c r="B2" t="str"><f>"Feature "&amp;"store"</f><v>Feature store</v></c>',
    )
    write_zip(tmp_path / "computed.xlsx", parts)
    result = invoke("import", "requirements", "computed.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    R1: Feature store\n")


def long_text() -> str:
    return "x" * 32_768


@pytest.mark.parametrize(
    "kind, value, message",
    [
        (kind, value, message)
        for value, message in [
            (
                "Feature\x07store",
                "the control character U+0007 cannot be kept (no workbook can "
                "hold it); remove it from the file",
            ),
            (  # beside text that is not ASCII: checked another way
                "Caf\u00e9\x07store",
                "the control character U+0007 cannot be kept (no workbook can "
                "hold it); remove it from the file",
            ),
            (
                long_text(),
                "32,768 characters, more than a workbook cell holds (32,767); shorten it",
            ),
        ]
        for kind in ("xlsx", "csv")
    ]
    + [
        # In a workbook U+FFFE is written _xFFFE_, which calamine keeps as those 7 characters.
        (
            "csv",
            "Feature\ufffestore",
            "the control character U+FFFE cannot be kept (no workbook "
            "can hold it); remove it from the file",
        ),
    ],
)
def test_cells_no_workbook_can_hold_are_refused_with_the_cell_named(
    kind, value, message, invoke, store, make_csv, tmp_path
):
    rows = [
        ["ID", "Title", "Stage", "Tier"],
        ["FE-01", "Managed feature store", "feature engineering", "table-stakes"],
        ["FE-02", value, "feature engineering", "table-stakes"],
    ]
    if kind == "csv":
        make_csv(rows, "reqs.csv")
        where = "reqs.csv:B3"
    else:
        parts = workbook_parts()
        sheet = "xl/worksheets/sheet1.xml"
        escaped = "".join(f"_x{ord(c):04X}_" if ord(c) < 32 or c == "\ufffe" else c for c in value)
        parts[sheet] = parts[sheet].replace(
            b"</sheetData>",
            (
                '<row r="3"><c r="A3" t="inlineStr"><is><t>FE-02</t></is></c>'
                f'<c r="B3" t="inlineStr"><is><t>{escaped}</t></is></c>'
                '<c r="C3" t="s"><v>6</v></c><c r="D3" t="inlineStr"><is><t>table-stakes</t>'
                "</is></c></row></sheetData>"
            ).encode(),
        )
        write_zip(tmp_path / "reqs.csv.xlsx", parts)
        (tmp_path / "reqs.csv.xlsx").rename(tmp_path / "reqs.xlsx")
        where = "reqs.xlsx:Requirements!B3"
    result = invoke("import", "requirements", f"reqs.{kind}")
    assert (result.exit_code, result.stderr) == (1, f"{where}: {message}\n")


def test_a_csv_record_wider_than_a_sheet_is_refused(invoke, store, tmp_path):
    (tmp_path / "wide.csv").write_text("ID,Title,Stage\n" + "x," * 16_384 + "\n")
    result = invoke("import", "requirements", "wide.csv")
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: wide.csv: refused: line 2 has 16,385 fields, more than a sheet's 16,384 "
            "columns\n"
        ),
    )


def test_a_workbook_holding_an_encrypted_zip_part_is_not_read(invoke, store, tmp_path):
    write_zip(tmp_path / "locked.xlsx", workbook_parts(), flags=0x1)
    result = invoke("import", "requirements", "locked.xlsx")
    assert result.exit_code == 1
    assert "password-protected" in result.stderr


def test_no_parser_warning_reaches_the_terminal(invoke, store, make_xlsx, tmp_path):
    """Data validation and conditional formats made openpyxl warn on reading; nothing does."""
    from openpyxl import load_workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    path = make_xlsx(ROWS)
    book = load_workbook(path)
    validation = DataValidation(type="list", formula1='"a,b"')
    book.active.add_data_validation(validation)
    validation.add("A2:A3")
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "dataValidation" in archive.read("xl/worksheets/sheet1.xml").decode()
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.slow
@needs_soffice
def test_an_xls_whose_cells_lie_far_apart_is_refused_before_it_is_read(
    invoke, store, make_xlsx, tmp_path
):
    import struct

    converted = convert(make_xlsx(ROWS, "roadmap.xlsx"), "xls")
    data = converted.read_bytes()
    # The cell B3 (a shared string: record 0x00FD of 10 bytes) moved to IV65536, Excel 97's
    # last cell: the sheet then spans 65,536 x 256 cells.
    record = b"\xfd\x00\x0a\x00" + struct.pack("<HH", 2, 1)
    assert data.count(record) == 1
    at = data.index(record) + 4
    converted.write_bytes(data[:at] + struct.pack("<HH", 65535, 255) + data[at + 4 :])
    result = invoke("import", "requirements", converted.name)
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: roadmap.xls: refused: a sheet spans more than 4,000,000 cells (to IV65536): "
            "delete what lies outside the table and save again\n"
        ),
    )


@pytest.mark.slow
@needs_soffice
def test_an_ods_whose_repeated_cells_fill_billions_is_refused(invoke, store, make_xlsx):
    converted = convert(make_xlsx(ROWS, "roadmap.xlsx"), "ods")
    with zipfile.ZipFile(converted) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    for info, data in parts.items():
        if info.filename == "content.xml":
            row = (
                '<table:table-row table:number-rows-repeated="1000000"><table:table-cell '
                'table:number-columns-repeated="1000" office:value-type="float" '
                'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
            )
            parts[info] = data.replace(b"</table:table>", row.encode() + b"</table:table>", 1)
    with zipfile.ZipFile(converted, "w") as archive:
        for info, data in parts.items():
            archive.writestr(info, data)
    result = invoke("import", "requirements", converted.name)
    assert (result.exit_code, result.stderr) == (
        1,
        (
            "error: roadmap.ods: refused: sheet Requirements spans more than 4,000,000 cells (its "
            "repeated rows and cells); delete what lies outside the table and save again\n"
        ),
    )
