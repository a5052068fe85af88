"""What people read in the terminal: no Python spellings, tables that fit, plurals."""

import pytest

from roadmap.model import Tier
from roadmap.output import plural, render, words


def test_a_changed_requirement_is_spelled_as_a_person_writes_it(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage", "Tier"],
            ["FE-01", "Feature store", "feature engineering", "table-stakes"],
        ],
        "a.csv",
    )
    make_csv(
        [
            ["ID", "Title", "Stage", "Tier", "Priority"],
            ["FE-01", "Feature store", "feature engineering", "best-in-class", "high"],
        ],
        "b.csv",
    )
    assert invoke("import", "requirements", "a.csv", "--as-of", "2021-05").exit_code == 0
    result = invoke("import", "requirements", "b.csv", "--as-of", "2021-06")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "changed  FE-01: tier: table-stakes -> best-in-class; priority: (empty) -> high"
    )
    assert "None" not in result.stdout and "Tier." not in result.stdout


@pytest.mark.parametrize(
    "value, text",
    [
        (None, "(empty)"),
        (True, "yes"),
        (False, "no"),
        (Tier.BEST_IN_CLASS, "best-in-class"),
        (0.25, "25%"),
        (["a", "b"], "a, b"),
        ("text", "text"),
    ],
)
def test_values_in_words(value, text):
    assert words(value) == text


def test_csv_spells_booleans_as_json_does_and_tables_as_yes_no():
    rows = [{"key": "a", "flag": True}, {"key": "b", "flag": False}]
    assert render(rows, "csv").splitlines() == ["key,flag", "a,true", "b,false"]
    assert [line.split() for line in render(rows, "plain", width=0).splitlines()] == [
        ["key", "flag"],
        ["a", "yes"],
        ["b", "no"],
    ]


def test_long_titles_are_cut_in_tables_only():
    rows = [{"id": "FE-01", "title": "A managed feature store with online and offline stores"}]
    table = render(rows, "simple", width=30)
    assert max(len(line) for line in table.splitlines()) <= 30
    assert table.splitlines()[2] == "FE-01  A managed feature stor…"  # 5 + 2 + 23 = 30
    assert "online and offline stores" in render(rows, "json")


def test_plurals():
    assert (plural(1, "vendor"), plural(2, "vendor"), plural(0, "entry", "entries")) == (
        "1 vendor",
        "2 vendors",
        "0 entries",
    )
