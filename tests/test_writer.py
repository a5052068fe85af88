"""Writing workbooks with XlsxWriter: the same store gives the same bytes, no link is
dropped past what a sheet holds, and the CLI's help loads no spreadsheet library."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import zipfile

import pytest
from openpyxl import load_workbook


@pytest.mark.slow
@pytest.mark.parametrize("streamed", [False, True])
def test_the_same_store_and_options_give_byte_identical_workbooks(
    review_store, invoke, tmp_path, monkeypatch, streamed
):
    if streamed:
        monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)
    for name in ("one", "two"):
        assert (
            invoke(
                "review", "--output", f"{name}.xlsx", "--as-of", "2021-12-15", "--no-record"
            ).exit_code
            == 0
        )
        assert invoke("export", f"{name}-export.xlsx").exit_code == 0
        time.sleep(1.1)  # a wall-clock second apart: nothing may carry the time
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    assert (tmp_path / "one-export.xlsx").read_bytes() == (
        tmp_path / "two-export.xlsx"
    ).read_bytes()
    with zipfile.ZipFile(tmp_path / "one.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml")
    assert b"2000-01-01T00:00:00Z" in core


def test_links_past_what_a_sheet_holds_are_text_with_the_address_in_the_comment(
    review_store, invoke, tmp_path, monkeypatch
):
    monkeypatch.setattr("roadmap.xlsx.MAX_LINKS", 1)
    assert (
        invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15", "--no-record").exit_code
        == 0
    )
    sheet = load_workbook(tmp_path / "r.xlsx")["Matrix"]
    linked = [c for row in sheet.iter_rows() for c in row if c.hyperlink]
    assert len(linked) == 1
    web = [
        c
        for row in sheet.iter_rows()
        for c in row
        if c.comment and "Evidence: https://" in c.comment.text
    ]
    assert len(web) >= 2  # the fixture's evidence has several web addresses
    unlinked = [c for c in web if not c.hyperlink]
    assert unlinked and all(
        c.value in {"ga", "preview", "partial", "partner", "planned", "none", "unknown"}
        for c in unlinked
    )
    legend = load_workbook(tmp_path / "r.xlsx")["Legend"]
    rule = next(row[1] for row in legend.iter_rows(values_only=True) if row[0] == "Links")
    assert rule.endswith(f"comment only: {len(unlinked)} cells here.")


def test_a_link_too_long_for_a_hyperlink_keeps_its_address_in_the_comment(tmp_path):
    from roadmap.model import Level
    from roadmap.xlsx import level_cell, new_workbook, save_atomic

    long_link = "https://example.com/" + "a" * 2_100
    book = new_workbook()
    sheet = book.create_sheet("Matrix")
    level_cell(sheet, 1, 1, Level.GA, link=long_link)
    level_cell(sheet, 2, 1, Level.GA, link="https://example.com/short")
    save_atomic(book, str(tmp_path / "links.xlsx"))
    written = load_workbook(tmp_path / "links.xlsx")["Matrix"]
    assert written["A1"].value == "ga" and written["A1"].hyperlink is None
    assert written["A1"].comment.text == f"Link: {long_link}"
    assert written["A2"].hyperlink.target == "https://example.com/short"


def _bound_comments(monkeypatch, comments: int, links: int) -> None:
    """Small bounds (a sheet holds 65,530 of each: too many for a quick test), in the
    writer and in the Legend that states them."""
    for module in ("roadmap.xlsx", "roadmap.review_workbook"):
        monkeypatch.setattr(f"{module}.MAX_COMMENTS", comments)
        monkeypatch.setattr(f"{module}.MAX_LINKS", links)


def test_past_the_comments_a_sheet_holds_a_level_cell_has_none(tmp_path, monkeypatch):
    from roadmap.model import Level
    from roadmap.xlsx import level_cell, new_workbook, save_atomic

    _bound_comments(monkeypatch, comments=2, links=1)
    book = new_workbook()
    sheet = book.create_sheet("Matrix")
    level_cell(sheet, 1, 1, Level.GA, note="Product: One", link="https://example.com/1")
    level_cell(sheet, 2, 1, Level.NONE)  # no note: counts towards nothing
    level_cell(sheet, 3, 1, Level.PREVIEW, note="Product: Three", link="https://example.com/3")
    level_cell(sheet, 4, 1, Level.PARTIAL, note="Product: Four", link="https://example.com/4")
    save_atomic(book, str(tmp_path / "bounded.xlsx"))
    written = load_workbook(tmp_path / "bounded.xlsx")["Matrix"]
    assert [written[f"A{n}"].value for n in range(1, 5)] == ["ga", "none", "preview", "partial"]
    assert written["A1"].comment.text == "Product: One"
    assert written["A1"].hyperlink.target == "https://example.com/1"
    # Past the link: text, its address in the comment while comments last.
    assert written["A3"].hyperlink is None
    assert written["A3"].comment.text == "Product: Three\nLink: https://example.com/3"
    assert written["A4"].hyperlink is None and written["A4"].comment is None
    assert written["A4"].fill.start_color.rgb[-6:] == "FFE699"  # still its level's colour
    assert (sheet.comments, sheet.uncommented, sheet.unlinked, sheet.unlinked_uncommented) == (
        2,
        1,
        2,
        1,
    )


def _matrix_comments(path) -> dict[str, str | None]:
    """The Matrix's level cells that have an entry (F:H, reading order) -> comment."""
    sheet = load_workbook(path)["Matrix"]
    return {
        f"{sheet.cell(row, 1).value} {sheet.cell(1, column).value.splitlines()[0]}": (
            sheet.cell(row, column).comment.text if sheet.cell(row, column).comment else None
        )
        for row in range(2, sheet.max_row + 1)
        for column in range(6, 9)
        if sheet.cell(row, column).value not in (None, "unknown")
    }


def _legend_rules(path) -> dict[str, str]:
    sheet = load_workbook(path)["Legend"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0] and row[1]}


def _check_bounded_review(path) -> None:
    """The review of 2021-12-15 (primary alpha) with 3 comments and 1 link a sheet.

    Its Matrix has 7 cells with an entry holding a product, evidence or notes, in reading
    order: DP-01 Beta, FE-01 Alpha, FE-01 Beta (linked), FE-02 Beta, DM-01 Alpha (a web
    address), DM-01 Gamma, DM-02 Alpha.
    """
    comments = _matrix_comments(path)
    assert {cell: text for cell, text in comments.items() if text} == {
        "DP-01 Beta AI": "Product: Beta Quality v2\nNotes: v1 withdrawn",
        "FE-01 Alpha ML": 'Product: Alpha Features\nEvidence: =HYPERLINK("http://evil.example")'
        "\nNotes: no entity model",
        "FE-01 Beta AI": "Product: Beta Feature Store\nEvidence: https://beta.example/fs",
    }
    assert [cell for cell, text in comments.items() if not text] == [
        "FE-01 Gamma OSS",  # partner, with nothing to say
        "FE-02 Beta AI",
        "FE-02 Gamma OSS",  # preview, with nothing to say
        "DM-01 Alpha ML",
        "DM-01 Gamma OSS",
        "DM-02 Alpha ML",
    ]
    rules = _legend_rules(path)
    assert rules["Comments"].endswith(
        "A sheet holds at most 3 comments (Excel and LibreOffice crawl with more); past that "
        "a cell shows its level, its colour and its link (while links last) but no comment: "
        "its product, evidence and notes are in the Snapshots sheet, one row per entry: "
        "4 cells here."
    )
    assert rules["Links"].endswith(
        "comment only: 1 cells here. Past the comments a sheet holds too (see Comments), "
        "the address of 1 of them is only in the Snapshots sheet."
    )
    snapshots = load_workbook(path)["Snapshots"]
    rows = [row for row in snapshots.iter_rows(values_only=True)]
    columns = rows[0]
    entries = {(r[0], r[5]): dict(zip(columns, r)) for r in rows[1:]}
    dm01 = entries[("alpha", "DM-01")]
    assert (dm01["Product"], dm01["Evidence"]) == (
        "Alpha Endpoints",
        "https://alpha.example/endpoints",
    )
    assert entries[("alpha", "DM-02")]["Evidence"] == "keynote 2021-11"
    assert entries[("gamma", "DM-01")]["Product"] == "Gamma Serve"


def test_a_review_past_the_comments_a_sheet_holds_says_where_the_evidence_is(
    review_store, invoke, tmp_path, monkeypatch
):
    _bound_comments(monkeypatch, comments=3, links=1)
    result = invoke(
        "review", "--output", "r.xlsx", "--as-of", "2021-12-15", "--primary", "alpha", "--no-record"
    )
    assert result.exit_code == 0, result.output
    _check_bounded_review(tmp_path / "r.xlsx")


def test_the_library_review_past_the_comments_a_sheet_holds_says_so_too(
    review_store, tmp_path, monkeypatch
):
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review

    _bound_comments(monkeypatch, comments=3, links=1)
    write_review(build_review(review_store, "2021-12-15", "alpha"), tmp_path / "r.xlsx")
    _check_bounded_review(tmp_path / "r.xlsx")


def test_a_review_within_the_bounds_says_none_here(review_store, tmp_path):
    from roadmap.review import build_review
    from roadmap.review_workbook import write_review

    write_review(build_review(review_store, "2021-12-15", "alpha"), tmp_path / "r.xlsx")
    rules = _legend_rules(tmp_path / "r.xlsx")
    assert rules["Comments"].endswith("one row per entry (none here).")
    assert rules["Links"].endswith("comment only (none here).")
    assert all(_matrix_comments(tmp_path / "r.xlsx")[cell] for cell in ("DM-02 Alpha ML",))


def test_help_loads_no_spreadsheet_library():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom roadmap.cli import cli\n"
        "CliRunner().invoke(cli, ['--help'])\n"
        "print(sorted(m for m in ('xlsxwriter', 'openpyxl') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _everything_a_user_sees(path) -> dict:
    """Per sheet: each cell's value, bold, fill, wrap, comment and link; row heights,
    column widths, the frozen cell and the filter."""
    book = load_workbook(path)
    seen = {}
    for sheet in book.worksheets:
        cells = {
            c.coordinate: (
                c.value,
                c.font.b,
                c.fill.fgColor.rgb if c.fill.fill_type else None,
                c.alignment.wrap_text,
                c.number_format,
                c.comment.text if c.comment else None,
                c.hyperlink.target if c.hyperlink else None,
            )
            for row in sheet.iter_rows()
            for c in row
            if c.value is not None or c.fill.fill_type
        }
        heights = {n: d.height for n, d in sheet.row_dimensions.items() if d.height}
        widths = {k: d.width for k, d in sheet.column_dimensions.items() if d.width}
        seen[sheet.title] = (
            cells,
            heights,
            widths,
            sheet.freeze_panes,
            sheet.auto_filter.ref,
            sheet.sheet_state,
        )
    return seen


@pytest.mark.parametrize(
    "command",
    [
        ("review", "--output", "{name}.xlsx", "--as-of", "2021-12-15", "--no-record"),
        ("export", "{name}.xlsx"),
        ("diff", "beta", "--output", "{name}.xlsx"),
    ],
)
def test_a_streamed_sheet_shows_what_a_held_one_shows(
    review_store, invoke, tmp_path, monkeypatch, command
):
    assert invoke(*[a.format(name="held") for a in command]).exit_code == 0
    monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)  # every sheet streamed
    assert invoke(*[a.format(name="streamed") for a in command]).exit_code == 0
    with zipfile.ZipFile(tmp_path / "streamed.xlsx") as archive:
        last_sheet = max(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        sheet_xml = archive.read(
            last_sheet if command[0] != "review" else "xl/worksheets/sheet2.xml"
        )  # the Matrix
    assert b't="inlineStr"' in sheet_xml  # streamed: text inline, not in a shared table
    held = _everything_a_user_sees(tmp_path / "held.xlsx")
    assert _everything_a_user_sees(tmp_path / "streamed.xlsx") == held
    if command[0] == "review":
        gaps = held["Gaps"][0]
        assert gaps["K4"][:3] == ("wait", False, "FFFFE699")  # DP-01: preview at Beta AI
        assert gaps["B6"][:2] == ("Feature store with an entity model", True)  # best-in-class
        assert gaps["K6"][:3] == ("glue", False, "FF9DC3E6")
        matrix, heights = held["Matrix"][0], held["Matrix"][1]
        # sized before the rows: "Gamma OSS" over "2021-06-01, stale", which wraps in 15
        assert heights[1] == 45
        assert matrix["H1"][:3] == ("Gamma OSS\n2021-06-01, stale", True, "FFF8CBAD")
        assert matrix["A2"][:3] == ("Data collection", True, "FFD6DCE4")


def test_a_streamed_review_reads_back_through_the_importers(
    review_store, invoke, tmp_path, monkeypatch
):
    monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)
    assert (
        invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15", "--no-record").exit_code
        == 0
    )
    result = invoke("import", "requirements", "r.xlsx", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Dry run: 0 added, 0 changed, 0 retired, 9 unchanged; nothing was written."
    )
    result = invoke("import", "snapshot", "r.xlsx", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unchanged beta 2021-12-01: 3 entries, 1 ga",
        "unchanged alpha 2021-12-01: 3 entries, 1 ga",
        "unchanged gamma 2021-06-01: 3 entries, 1 ga",
        "Dry run: 0 added, 0 replaced, 3 unchanged; nothing was written.",
    ]


def test_a_cell_above_the_last_row_of_a_streamed_sheet_is_refused_not_lost(monkeypatch):
    from roadmap.xlsx import new_workbook, put

    monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)
    sheet = new_workbook().create_sheet("Long", rows=10)
    put(sheet, 1, 1, "first")
    put(sheet, 2, 1, "second")
    put(sheet, 2, 2, "beside it: the same row is fine")
    with pytest.raises(RuntimeError, match=r"Long!A1 was not written"):
        put(sheet, 1, 1, "first again")
    with pytest.raises(RuntimeError, match="row 1 sized after a later row"):
        sheet.height(1, 30)


def test_a_sheet_cannot_grow_past_what_a_spreadsheet_holds():
    from roadmap.errors import OutputError
    from roadmap.xlsx import new_workbook, put

    sheet = new_workbook().create_sheet("Snapshots")
    with pytest.raises(
        OutputError,
        match=r"^Snapshots!A1048577: a sheet holds at most "
        r"1,048,576 rows and 16,384 columns; the Snapshots "
        r"sheet would need more$",
    ):
        put(sheet, 1_048_577, 1, "one too many")


@pytest.mark.parametrize("streamed", [False, True])
def test_text_that_looks_like_xlsxwriter_markup_stays_text(tmp_path, monkeypatch, streamed):
    from python_calamine import CalamineWorkbook

    from roadmap.xlsx import new_workbook, put, save_atomic

    if streamed:
        monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)
    texts = ["<r>a & b</r>", "<r><t>injected</t></r>", "<r></r>", "<r> spaced </r>"]
    book = new_workbook()
    sheet = book.create_sheet("Text", rows=len(texts))
    for row, text in enumerate(texts, start=1):
        put(sheet, row, 1, text, bold=row == 2)
    save_atomic(book, str(tmp_path / "t.xlsx"))
    written = load_workbook(tmp_path / "t.xlsx")["Text"]
    assert [written.cell(r, 1).value for r in range(1, 5)] == texts
    assert written["A2"].font.b
    read = CalamineWorkbook.from_path(str(tmp_path / "t.xlsx")).get_sheet_by_name("Text")
    assert [row[0] for row in read.to_python()] == texts


def test_a_long_list_of_ids_in_the_summary_is_counted_past_a_thousand_characters():
    from roadmap.review_workbook import id_list

    assert id_list(["R1", "R2"]) == "R1 R2"
    ids = [f"REQ-{n:05d}" for n in range(1, 201)]  # 10 characters each, with the space
    text = id_list(ids)
    assert text.startswith("REQ-00001 REQ-00002 ")
    assert text.endswith(" REQ-00100 … and 100 more (roadmap recommend lists them all)")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_every_streamed_sheet(review_store, invoke, tmp_path, monkeypatch):
    monkeypatch.setattr("roadmap.xlsx.STREAM_ROWS", 0)
    assert (
        invoke(
            "review", "--output", "review.xlsx", "--as-of", "2021-12-15", "--no-record"
        ).exit_code
        == 0
    )
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(tmp_path / "review.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    ours = _everything_a_user_sees(tmp_path / "review.xlsx")
    theirs = load_workbook(tmp_path / "lo" / "review.xlsx")
    for name in ("Matrix", "Changes", "Gaps", "Timeline", "Parity", "Requirements", "Snapshots"):
        values = {
            c.coordinate: c.value
            for row in theirs[name].iter_rows()
            for c in row
            if c.value is not None
        }
        assert values == {k: v[0] for k, v in ours[name][0].items() if v[0] is not None}, name
    assert theirs["Matrix"]["C3"].value == "table-stakes"


def test_snapshots_past_what_a_sheet_holds_continue_on_the_next_sheet_whole(
    review_store, invoke, tmp_path, monkeypatch
):
    # 10 requirements; snapshots of 3 entries: alpha x2 and beta's first, then the rest
    monkeypatch.setattr("roadmap.importable_sheets.ROWS_PER_SHEET", 10)
    result = invoke("export", "all.xlsx")
    assert result.exit_code == 0, result.output
    assert load_workbook(tmp_path / "all.xlsx").sheetnames == [
        "Requirements",
        "Snapshots",
        "Snapshots 2",
    ]
    result = invoke("import", "snapshot", "all.xlsx", "--sheet", "Snapshots 2", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unchanged beta 2021-12-01: 3 entries, 1 ga",
        "unchanged gamma 2021-06-01: 3 entries, 1 ga",
        "Dry run: 0 added, 0 replaced, 2 unchanged; nothing was written.",
    ]


def test_more_than_a_sheet_holds_is_refused_before_anything_is_written(
    review_store, invoke, tmp_path, monkeypatch
):
    monkeypatch.setattr("roadmap.importable_sheets.ROWS_PER_SHEET", 2)
    result = invoke("export", "all.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: 10 requirements do not fit on one sheet (it holds 2 rows below its header)\n"
    )
    assert not (tmp_path / "all.xlsx").exists()
    from roadmap.errors import OutputError
    from roadmap.importable_sheets import snapshots_sheet
    from roadmap.model import Snapshot, Vendor
    from roadmap.xlsx import new_workbook

    book = new_workbook()
    with pytest.raises(
        OutputError,
        match=r"^a snapshot of 3 entries does not fit on one "
        r"sheet \(it holds 2 rows below its header\)$",
    ):
        snapshots_sheet(
            book,
            [(Vendor("a", "A", "end-to-end"), Snapshot("a", "2021-01-01", None, {}))],
            sizes=[3],
        )
    assert list(book.sheets) == []


def test_a_review_leaves_the_caller_s_cycle_collector_as_it_found_it(review_store, tmp_path):
    # Building and writing the review pause the collector; the caller gets it back, off
    # when it was off.
    import gc

    from roadmap.review import build_review
    from roadmap.review_workbook import write_review

    assert gc.isenabled()
    write_review(build_review(review_store, "2021-12-15"), tmp_path / "r.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        write_review(build_review(review_store, "2021-12-15"), tmp_path / "r.xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()
