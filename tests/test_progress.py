"""A long import shows a progress bar on a terminal and stays quiet when piped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from roadmap.requirements import import_requirements

HEADER = ["ID", "Title", "Stage", "Tier"]


def long_roadmap(make_xlsx, rows: int = 5000):
    return make_xlsx(
        [HEADER]
        + [[f"R-{n}", f"Feature {n}", "model training", "table-stakes"] for n in range(rows)]
    )


@pytest.mark.slow
def test_the_library_reports_rows_read_up_to_the_last(store, make_xlsx):
    calls = []
    import_requirements(
        store,
        str(long_roadmap(make_xlsx)),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls, "no progress was reported for a 5,000-row sheet"
    assert all(total == 5001 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1][0] <= 5001


def test_piped_output_has_no_progress_bar(invoke, store, make_xlsx):
    result = invoke("import", "requirements", long_roadmap(make_xlsx).name)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "Reading" not in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a terminal")
def test_a_terminal_shows_the_progress_bar(db, store, make_xlsx):
    path = long_roadmap(make_xlsx)
    command = f"{sys.executable} -m roadmap --db {db} import requirements {path}"
    shown = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert shown.returncode == 0, shown.stdout
    assert f"Reading {path}" in shown.stdout
    assert "Imported" in shown.stdout


def test_a_stream_of_unknown_size_shows_how_many_rows_were_read(monkeypatch):
    """A CSV read from a pipe records no size: the bar becomes a count of rows."""
    import io

    from roadmap import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with cli.progress_bar("Reading reqs.csv") as progress:
        progress(2000, 0)
        progress(4000, 0)
    assert screen.getvalue() == ("\rReading reqs.csv: 2,000 rows\rReading reqs.csv: 4,000 rows\n")


@pytest.mark.slow
def test_a_workbook_without_a_recorded_size_still_reports_progress(store, tmp_path):
    """Google Sheets and openpyxl's write-only mode store no <dimension>."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Requirements")
    sheet.append(HEADER)
    for n in range(5000):
        sheet.append([f"R-{n}", f"Feature {n}", "model training", "table-stakes"])
    path = tmp_path / "no-dimension.xlsx"
    book.save(path)
    calls = []
    import_requirements(store, str(path), progress=lambda done, total: calls.append((done, total)))
    assert calls and all(total == 5001 for _, total in calls)
    assert calls[-1] == (5001, 5001)
