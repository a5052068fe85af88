"""Text that no workbook can hold is refused where it comes in, with the option named;
what reaches a workbook anyway is refused with its cell named, never cut or garbled.
Long but legal text goes out and back in unchanged."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from roadmap.errors import OutputError
from roadmap.export import write_export
from roadmap.requirements import import_requirements
from roadmap.review import build_review
from roadmap.review_workbook import write_review
from roadmap.store import Store
from roadmap.xlsx import MAX_CELL_TEXT, text_problem

BELL = "holds the control character U+0007 (at character 5), which no workbook can hold"


@pytest.mark.parametrize(
    "args, option",
    [
        (("init", "--name", "Acme\x07 ML"), "--name"),
        (("init", "--stages", "Data\x07;Serving"), "--stages"),
        (("import", "snapshot", "x.csv", "--vendor", "Alph\x07"), "--vendor"),
        (("import", "snapshot", "x.csv", "--source", "Keyn\x07te"), "--source"),
        (("snapshots", "--vendor", "Alph\x07"), "--vendor"),
        (("review", "--output", "r.xlsx", "--primary", "Alph\x07"), "--primary"),
        (("diff", "Alph\x07"), "'VENDOR'"),
        (("compare", "alpha", "Alph\x07"), "'[VENDOR or STACK]...'"),
        (("settings", "--name", "Acme\x07 ML"), "--name"),
        (("settings", "--rename-stage", "Data\x07=Data"), "--rename-stage"),
        (("vendors", "rename", "alpha", "--name", "Alph\x07"), "--name"),
    ],
)
def test_a_control_character_in_an_option_is_refused_by_name(invoke, db, args, option):
    result = invoke(*args)
    assert result.exit_code == 2
    shown = option if option.startswith("'") else f"'{option}'"
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for {shown}: {BELL}; type it without that"
    )
    assert not db.exists()


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Acme\tML", "holds the control character U+0009 (at character 5)"),
        ("Acme\nML", "holds the control character U+000A (at character 5)"),
        ("Acme\ufffeML", "holds the non-character U+FFFE (at character 5)"),
        ("Acme\uffffML", "holds the non-character U+FFFF (at character 5)"),
        ("Acme\ufdd0ML", "holds the non-character U+FDD0 (at character 5)"),
        ("Acme\U0001fffeML", "holds the non-character U+1FFFE (at character 5)"),
        ("Acme\udce9ML", "holds bytes that are not UTF-8 (at character 5)"),
    ],
)
def test_names_are_one_line_of_real_characters(invoke, db, text, problem):
    result = invoke("init", "--name", text)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Invalid value for '--name': {problem}, which no workbook can hold; type it "
        "without that"
    )
    assert not db.exists()


def test_a_name_longer_than_a_cell_is_refused(invoke, db):
    result = invoke("init", "--name", "n" * 40_000)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--name': is 40,000 characters long; a workbook cell holds "
        "at most 32,767; type it without that"
    )


def test_unusual_but_legal_names_are_kept(invoke, db):
    name = "=Ačme ML 🚀 «plateforme» 機械学習"
    assert invoke("init", "--name", name, "--start", "2021-05").exit_code == 0
    assert Store.open(str(db)).settings().name == name


def test_an_emoji_counts_twice_towards_the_cell_limit():
    assert text_problem("x" * MAX_CELL_TEXT) is None
    assert text_problem("🚀" + "x" * (MAX_CELL_TEXT - 2)) is None
    assert text_problem("🚀" + "x" * (MAX_CELL_TEXT - 1)) == (
        "is 32,768 characters long; a workbook cell holds at most 32,767"
    )


def test_a_stored_name_no_workbook_holds_is_refused_with_its_cell(db, tmp_path, review_store):
    review_store.db.execute("UPDATE roadmap SET name = 'Acme\x07 ML'")
    with pytest.raises(OutputError) as error:
        write_review(build_review(review_store, "2021-12-15"), str(tmp_path / "r.xlsx"))
    assert str(error.value) == (
        "Summary!A1: the text 'Acme\\x07 ML: review of 2021-12-15' holds the control "
        "character U+0007 (at character 5), which no workbook can hold; correct it where it "
        "came from (the roadmap's settings, or the file its requirement or snapshot was "
        "imported from) and run again"
    )
    assert not (tmp_path / "r.xlsx").exists()


def test_the_cli_names_the_cell_and_writes_nothing(review_store, invoke, tmp_path):
    review_store.db.execute(
        "UPDATE requirement_versions SET notes = 'bad \ufffe' WHERE requirement = 'FE-01'"
    )
    result = invoke("export", "out.xlsx")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: Requirements!K")
    assert "'bad \\ufffe' holds the non-character U+FFFE (at character 5)" in result.stderr
    assert not (tmp_path / "out.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_text_longer_than_a_cell_is_refused_not_cut(store, make_csv, tmp_path):
    # The importers refuse such a cell; a store from before they did may hold one.
    rows = [
        ["ID", "Title", "Stage", "Description"],
        ["FE-01", "Feature store", "feature engineering", "short"],
    ]
    import_requirements(store, str(make_csv(rows)))
    store.db.execute("UPDATE requirement_versions SET description = ?", ("d" * 40_000,))
    with pytest.raises(OutputError) as error:
        write_export(store, str(tmp_path / "out.xlsx"))
    assert str(error.value) == (
        "Requirements!J2: the text 'ddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "dddd…' is 40,000 characters long; a workbook cell holds at most 32,767; correct it "
        "where it came from (the roadmap's settings, or the file its requirement or snapshot "
        "was imported from) and run again"
    )
    assert not (tmp_path / "out.xlsx").exists()


def test_long_legal_text_goes_out_and_back_in_unchanged(invoke, make_csv, tmp_path, db):
    longest = "L" * (MAX_CELL_TEXT - 1) + "!"
    rows = [
        ["ID", "Title", "Stage", "Tier", "Description", "Notes", "Owner"],
        [
            "FE-01",
            "=1+1 is not a formula",
            "feature engineering",
            "table-stakes",
            longest,
            "line one\nline two\twith a tab",
            "Zoë 🚀",
        ],
        ["MT-01", "Training", "model training", "table-stakes", "é" * 20_000, "", ""],
    ]
    make_csv(rows, "long.csv")
    assert invoke("init", "--start", "2021-05").exit_code == 0
    assert invoke("import", "requirements", "long.csv").exit_code == 0
    before = json.loads(invoke("requirements", "--format", "json").stdout)
    result = invoke("export", "out.xlsx")
    assert result.exit_code == 0, result.output
    cell = load_workbook(tmp_path / "out.xlsx")["Requirements"]["J2"].value
    assert cell == longest
    result = invoke("import", "requirements", "out.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No changes (2 unchanged); nothing was written.\n"
    assert json.loads(invoke("requirements", "--format", "json").stdout) == before


def test_a_library_caller_gets_the_same_guard(tmp_path):
    from roadmap.templates import write_requirements_template

    with pytest.raises(
        OutputError,
        match=r"holds the control character U\+001B \(at "
        r"character 6\)",
    ):
        write_requirements_template(str(tmp_path / "t.xlsx"), ["Stage\x1b one"])
    assert list(tmp_path.iterdir()) == []
