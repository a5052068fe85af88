"""Writing workbooks with XlsxWriter: the same store gives the same bytes, no link is
dropped past what a sheet holds, and the CLI's help loads no spreadsheet library."""
from __future__ import annotations

import subprocess
import sys
import time
import zipfile

import pytest
from openpyxl import load_workbook


@pytest.mark.slow
def test_the_same_store_and_options_give_byte_identical_workbooks(review_store, invoke,
                                                                  tmp_path):
    for name in ("one", "two"):
        assert invoke("review", "--output", f"{name}.xlsx", "--as-of", "2021-12-15",
                      "--no-record").exit_code == 0
        assert invoke("export", f"{name}-export.xlsx").exit_code == 0
        time.sleep(1.1)  # a wall-clock second apart: nothing may carry the time
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    assert ((tmp_path / "one-export.xlsx").read_bytes()
            == (tmp_path / "two-export.xlsx").read_bytes())
    with zipfile.ZipFile(tmp_path / "one.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml")
    assert b"2000-01-01T00:00:00Z" in core


def test_links_past_what_a_sheet_holds_are_text_with_the_address_in_the_comment(
        review_store, invoke, tmp_path, monkeypatch):
    monkeypatch.setattr("roadmap.xlsx.MAX_LINKS", 1)
    assert invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15",
                  "--no-record").exit_code == 0
    sheet = load_workbook(tmp_path / "r.xlsx")["Matrix"]
    linked = [c for row in sheet.iter_rows() for c in row if c.hyperlink]
    assert len(linked) == 1
    web = [c for row in sheet.iter_rows() for c in row
           if c.comment and "Evidence: https://" in c.comment.text]
    assert len(web) >= 2  # the fixture's evidence has several web addresses
    unlinked = [c for c in web if not c.hyperlink]
    assert unlinked and all(c.value in {"ga", "preview", "partial", "partner", "planned",
                                        "none", "unknown"} for c in unlinked)
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


def test_help_loads_no_spreadsheet_library():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom roadmap.cli import cli\n"
            "CliRunner().invoke(cli, ['--help'])\n"
            "print(sorted(m for m in ('xlsxwriter', 'openpyxl') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
