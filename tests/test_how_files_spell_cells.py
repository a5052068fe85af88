"""A cell reads as the sheet shows it, however the file spells it.

XML lets a writer spell the same cell many ways (attributes in any order, in single
quotes, a cell with no reference placed by the cells before it); sheets are also cut in
pieces for scanning. Each test writes one legal spelling by hand and checks what the
import keeps: a bold title, a link's text, a failed formula, a row number in an error.
"""

from __future__ import annotations

import json

import pytest
from test_hostile_files import DOC_RELS, MAIN, TYPES, workbook_parts, write_zip

from roadmap.headers import requirement_header_score
from roadmap.reader import read_table

# Font 1 is bold; cell format 1 uses it.
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/></font>'
    '<font><b/><sz val="11"/></font></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf fontId="0"/>'
    '</cellStyleXfs><cellXfs count="2"><xf fontId="0" xfId="0"/>'
    '<xf fontId="1" xfId="0" applyFont="1"/></cellXfs></styleSheet>'
)


def sheet_workbook(path, rows: str, styles: str = STYLES):
    """A one-sheet workbook (with a bold cell format, ``s="1"``) whose sheet data is
    ``rows``, spelled exactly as given."""
    parts = workbook_parts()
    declaration = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts["xl/worksheets/sheet1.xml"] = (
        declaration
        + f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'.encode()
    )
    parts["xl/styles.xml"] = declaration + styles.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
        "</Relationships>".encode(),
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/styles.xml" ContentType="{TYPES}.styles+xml"/></Types>'.encode(),
    )
    return write_zip(path, parts)


def text(value: str, attributes: str = "") -> str:
    """An inline-string cell: ``attributes`` as written, reference included."""
    return f'<c t="inlineStr"{attributes}><is><t>{value}</t></is></c>'


HEADER = '<row r="1">' + text("ID", ' r="A1"') + text("Title", ' r="B1"') + "</row>"


def listed(invoke) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(invoke("requirements", "--format", "json").stdout)}


@pytest.mark.parametrize(
    "bold_row",
    [
        # No references at all: each cell is placed after the one before it.
        "<row>" + text("FE-02") + text("Feature store with an entity model", ' s="1"') + "</row>",
        # The style before the reference, in single quotes (XML allows either quote).
        "<row r='3'>"
        + text("FE-02", " r='A3'")
        + text("Feature store with an entity model", " s='1' r='B3'")
        + "</row>",
    ],
    ids=["no-references", "single-quotes"],
)
def test_a_bold_title_is_read_however_its_cell_is_spelled(bold_row, invoke, store, tmp_path):
    rows = (
        HEADER
        + '<row r="2">'
        + text("FE-01", ' r="A2"')
        + text("Managed feature store", ' r="B2"')
        + "</row>"
        + bold_row
    )
    path = sheet_workbook(tmp_path / "bold.xlsx", rows)

    table = read_table(str(path), requirement_header_score, needs_bold=lambda header: True)
    assert [(row.number, row.bold) for row in table.rows] == [
        (2, (False, False)),
        (3, (False, True)),
    ]

    result = invoke("import", "requirements", "bold.xlsx")
    assert result.exit_code == 0, result.output
    assert {key: r["tier"] for key, r in listed(invoke).items()} == {
        "FE-01": "table-stakes",
        "FE-02": "best-in-class",
    }


def link(attributes: str) -> str:
    """A link a script wrote without its value (no ``<v>``): it shows ``Feature store``."""
    return f'<c t="str"{attributes}><f>HYPERLINK("https://x.example/fs","Feature store")</f></c>'


@pytest.mark.parametrize(
    "attributes",
    [' s="0" r="B2"', " r='B2'", '\n  r="B2"'],
    ids=["style-first", "single-quotes", "line-break"],
)
def test_a_link_without_its_value_is_read_into_its_own_cell(attributes, invoke, store, tmp_path):
    rows = HEADER + '<row r="2">' + text("FE-01", ' r="A2"') + link(attributes) + "</row>"
    path = sheet_workbook(tmp_path / "links.xlsx", rows)

    table = read_table(str(path), requirement_header_score)
    assert [row.values for row in table.rows] == [("FE-01", "Feature store")]

    result = invoke("import", "requirements", "links.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    FE-01: Feature store\n")
    assert listed(invoke)["FE-01"]["title"] == "Feature store"


def test_a_formula_without_its_value_in_a_cell_with_no_reference_is_an_error(
    invoke, store, tmp_path
):
    rows = HEADER + "<row>" + text("FE-01") + link("") + "</row>"
    sheet_workbook(tmp_path / "links.xlsx", rows)
    result = invoke("import", "requirements", "links.xlsx")
    assert (result.exit_code, result.stderr) == (
        1,
        "error: links.xlsx:Requirements: a formula with no stored value, in a cell "
        "without a reference; open and save the file in Excel or LibreOffice so the "
        "values are stored\n",
    )
    assert listed(invoke) == {}


def test_a_cell_holding_an_error_reads_as_the_error_it_shows(invoke, store, tmp_path):
    # A lookup that failed: Excel shows #N/A, and a CSV it saves says so too.
    names = ["ID", "Title", "Tier", "Target", "Notes", "Owner"]
    rows = (
        '<row r="1">' + "".join(text(n, f' r="{c}1"') for c, n in zip("ABCDEF", names)) + "</row>"
    )
    for number, target in [(2, "2026-03"), (3, None), (4, "Q3 2026")]:
        rows += (
            f'<row r="{number}">'
            + text(f"FE-0{number}", f' r="A{number}"')
            + text(f"Feature {number}", f' r="B{number}"')
            + text("table-stakes", f' r="C{number}"')
            + (
                text(target, f' r="D{number}"')
                if target
                else f'<c r="D{number}" t="e"><f>VLOOKUP(A{number},Plan!A:D,4,0)</f><v>#N/A</v></c>'
            )
            # An error cell with no value beside a number: the number is not its error.
            + f'<c r="E{number}" t="e"/><c r="F{number}"><v>5</v></c>'
            + "</row>"
        )
    path = sheet_workbook(tmp_path / "errors.xlsx", rows)

    table = read_table(str(path), requirement_header_score)
    assert [row.values[3:] for row in table.rows] == [
        ("2026-03", None, 5),
        ("#N/A", None, 5),
        ("Q3 2026", None, 5),
    ]

    result = invoke("import", "requirements", "errors.xlsx")
    assert (result.exit_code, result.stderr) == (
        1,
        "errors.xlsx:Requirements!D3: cannot read target '#N/A' (use 2021-09, "
        "Sep 2021, 2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)\n",
    )
    assert listed(invoke) == {}


ODS_NAMESPACES = (
    " ".join(
        f'xmlns:{name}="urn:oasis:names:tc:opendocument:xmlns:{space}:1.0"'
        for name, space in [
            ("office", "office"),
            ("style", "style"),
            ("table", "table"),
            ("text", "text"),
            ("fo", "xsl-fo-compatible"),
        ]
    )
    + ' xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def ods_workbook(path, styles: str, automatic: str, table: str):
    """An OpenDocument spreadsheet as LibreOffice lays one out: named styles in
    styles.xml, a table's own styles and its cells in content.xml."""
    import zipfile

    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    parts = {
        "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
        "META-INF/manifest.xml": declaration
        + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
        'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
        '"content.xml" manifest:media-type="text/xml"/><manifest:file-entry '
        'manifest:full-path="styles.xml" manifest:media-type="text/xml"/></manifest:manifest>',
        "styles.xml": declaration
        + f'<office:document-styles {ODS_NAMESPACES} office:version="1.3"><office:styles>'
        f"{styles}</office:styles></office:document-styles>",
        "content.xml": declaration
        + f'<office:document-content {ODS_NAMESPACES} office:version="1.3">'
        f"<office:automatic-styles>{automatic}</office:automatic-styles><office:body>"
        f'<office:spreadsheet><table:table table:name="Requirements">{table}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data, zipfile.ZIP_STORED if name == "mimetype" else 8)
    return path


def ods_style(name: str, weight: str, parent: str = "Default") -> str:
    return (
        f'<style:style style:name="{name}" style:family="table-cell" '
        f'style:parent-style-name="{parent}"><style:text-properties fo:font-weight="{weight}"/>'
        "</style:style>"
    )


def ods_row(*cells: tuple[str, str | None]) -> str:
    return (
        "<table:table-row>"
        + "".join(
            "<table:table-cell"
            + (f' table:style-name="{style}"' if style else "")
            + f' office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
            for value, style in cells
        )
        + "</table:table-row>"
    )


def test_a_bold_title_is_read_from_ods_styles_wherever_they_are_kept(invoke, store, tmp_path):
    # LibreOffice keeps a style applied to a whole column as the column's cell style (its
    # cells then name none), and named styles (Heading) in styles.xml.
    named = '<style:style style:name="Default" style:family="table-cell"/>' + ods_style(
        "Heading", "bold"
    )
    automatic = ods_style("ce1", "bold") + ods_style("ce2", "normal", parent="Heading")
    table = (
        '<table:table-column table:default-cell-style-name="Default"/>'
        '<table:table-column table:default-cell-style-name="ce1"/>'
        + ods_row(("ID", None), ("Title", None))
        + ods_row(("FE-01", None), ("Managed feature store", "ce2"))
        + ods_row(("FE-02", None), ("Feature store with an entity model", None))
        + ods_row(("FE-03", "Heading"), ("Online feature serving", "Heading"))
    )
    path = ods_workbook(tmp_path / "bold.ods", named, automatic, table)

    read = read_table(str(path), requirement_header_score, needs_bold=lambda header: True)
    assert [(row.values[0], row.bold) for row in read.rows] == [
        ("FE-01", (False, False)),
        ("FE-02", (False, True)),
        ("FE-03", (True, True)),
    ]

    result = invoke("import", "requirements", "bold.ods")
    assert result.exit_code == 0, result.output
    assert {key: r["tier"] for key, r in listed(invoke).items()} == {
        "FE-01": "table-stakes",
        "FE-02": "best-in-class",
        "FE-03": "best-in-class",
    }


def test_csv_rows_keep_their_numbers_where_a_line_break_is_split_for_reading(
    invoke, store, tmp_path
):
    # The first 65,536 characters are read apart (to tell the delimiter): end them
    # between the \r and the \n of a line break.
    lines = ["ID,Title,Tier"] + [f"R{n},Feature {n},table-stakes" for n in range(2, 3001)]
    body = "\r\n".join(lines[:2000]) + "\r\n"
    last = 65_535 - len(body) - len("R2001,,table-stakes")
    body += f"R2001,{'x' * last},table-stakes\r\n"
    assert body[65_535] == "\r"
    body += "\r\n".join(lines[2001:2500]) + "\r\nR2501,Feature 2501,gold\r\n"
    (tmp_path / "long.csv").write_bytes(body.encode())

    table = read_table(str(tmp_path / "long.csv"), requirement_header_score)
    assert [row.number for row in table.rows[1998:2001]] == [2000, 2001, 2002]
    assert table.rows[-1] == (2501, ("R2501", "Feature 2501", "gold"), None)

    result = invoke("import", "requirements", "long.csv")
    assert result.exit_code == 1
    assert result.stderr.startswith("long.csv:C2501: ")


def test_an_ods_cell_holding_an_error_reads_as_the_error_it_shows(invoke, store, tmp_path):
    # As LibreOffice saves a failed lookup: an empty string value, the error as its text.
    failed = (
        '<table:table-cell table:formula="of:=VLOOKUP([.A3];[.F1:.G2];2;0)" '
        'office:value-type="string" office:string-value="" calcext:value-type="error">'
        "<text:p>#N/A</text:p></table:table-cell>"
    )
    rows = [("ID", "Title", "Tier", "Target"), ("FE-02", "Feature 2", "table-stakes", "2026-03")]
    table = "".join(ods_row(*((v, None) for v in values)) for values in rows)
    table += ods_row(("FE-03", None), ("Feature 3", None), ("table-stakes", None)).replace(
        "</table:table-row>", failed + "</table:table-row>"
    )
    table += ods_row(
        ("FE-04", None), ("Feature 4", None), ("table-stakes", None), ("Q3 2026", None)
    )
    path = ods_workbook(tmp_path / "errors.ods", "", "", table)

    read = read_table(str(path), requirement_header_score)
    assert [row.values[3] for row in read.rows] == ["2026-03", "#N/A", "Q3 2026"]

    result = invoke("import", "requirements", "errors.ods")
    assert (result.exit_code, result.stderr) == (
        1,
        "errors.ods:Requirements!D3: cannot read target '#N/A' (use 2021-09, "
        "Sep 2021, 2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)\n",
    )
    assert listed(invoke) == {}


def test_numbers_shown_through_a_format_with_text_read_as_shown(invoke, store, tmp_path):
    # Ids typed as 1, 12 and shown as FE-001, FE-012 by the format "FE-"000 (Excel's
    # CSV says FE-001 too); a plain number stays a number.
    styles = STYLES.replace(
        "<fonts",
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="&quot;FE-&quot;000"/>'
        "</numFmts><fonts",
    ).replace(
        "</cellXfs>",  # s="2"
        '<xf numFmtId="164" fontId="0" xfId="0" applyNumberFormat="1"/></cellXfs>',
    )
    names = ["ID", "Title", "Tier", "Notes"]
    rows = '<row r="1">' + "".join(text(n, f' r="{c}1"') for c, n in zip("ABCD", names)) + "</row>"
    for number, value in [(2, 1), (3, 12)]:
        rows += (
            f'<row r="{number}"><c r="A{number}" s="2"><v>{value}</v></c>'
            + text(f"Feature {number}", f' r="B{number}"')
            + text("table-stakes", f' r="C{number}"')
            + f'<c r="D{number}"><v>{value}</v></c></row>'
        )
    path = sheet_workbook(tmp_path / "ids.xlsx", rows, styles)

    table = read_table(str(path), requirement_header_score)
    assert [(row.values[0], row.values[3]) for row in table.rows] == [("FE-001", 1), ("FE-012", 12)]

    result = invoke("import", "requirements", "ids.xlsx")
    assert result.exit_code == 0, result.output
    assert sorted(listed(invoke)) == ["FE-001", "FE-012"]


def test_a_stage_merged_down_beside_its_requirements_is_each_ones_stage(invoke, store, make_xlsx):
    from openpyxl import load_workbook

    path = make_xlsx(
        [
            ["ID", "Title", "Stage", "Tier", "Notes"],
            ["FE-01", "Feature store", "feature engineering", "table-stakes", "one"],
            ["FE-02", "Online serving", None, "best-in-class", None],
            ["FE-03", "Backfills", None, "table-stakes", None],
            ["DM-01", "Canary rollout", "model deployment & monitoring", "table-stakes", "two"],
            [None, None, None, None, "more about canaries"],
        ],
        "merged.xlsx",
    )
    book = load_workbook(path)
    book.active.merge_cells("C2:C4")  # the stage, beside three requirements
    book.active.merge_cells("A5:A6")  # an id and its title over a row of notes
    book.active.merge_cells("B5:B6")
    book.save(path)

    table = read_table(str(path), requirement_header_score)
    assert sorted(table.merged) == [(0, 5, 6), (1, 5, 6), (2, 2, 4)]

    result = invoke("import", "requirements", "merged.xlsx")
    assert result.exit_code == 0, result.output
    assert {key: (r["stage"], r["notes"]) for key, r in listed(invoke).items()} == {
        "FE-01": ("Feature engineering", "one"),
        "FE-02": ("Feature engineering", None),
        "FE-03": ("Feature engineering", None),
        "DM-01": ("Model deployment & monitoring", "two"),
    }


def test_an_ods_stage_merged_down_is_each_requirements_stage(invoke, store, tmp_path):
    merged = (
        '<table:table-cell table:number-rows-spanned="2" office:value-type="string">'
        "<text:p>feature engineering</text:p></table:table-cell>"
    )
    table = ods_row(("ID", None), ("Title", None), ("Stage", None))
    table += ods_row(("FE-01", None), ("Feature store", None)).replace(
        "</table:table-row>", merged + "</table:table-row>"
    )
    table += ods_row(("FE-02", None), ("Online serving", None)).replace(
        "</table:table-row>", "<table:covered-table-cell/></table:table-row>"
    )
    path = ods_workbook(tmp_path / "merged.ods", "", "", table)

    assert read_table(str(path), requirement_header_score).merged == [(2, 2, 3)]
    result = invoke("import", "requirements", "merged.ods")
    assert result.exit_code == 0, result.output
    assert {key: r["stage"] for key, r in listed(invoke).items()} == {
        "FE-01": "Feature engineering",
        "FE-02": "Feature engineering",
    }
