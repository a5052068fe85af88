"""What a terminal shows of many errors: the first 50, then "… and N more", each value
shortened with `…`; the library keeps every problem whole."""

from __future__ import annotations

import pytest

from roadmap.errors import Problem, RoadmapError, problem_lines, shown
from roadmap.requirements import import_requirements

TARGET_HELP = "(use 2021-09, Sep 2021, 2021-09-15, Q3 2021, 2021Q3, H2 2021 or M6)"


def bad_targets(make_csv, count: int, value=lambda n: f"someday {n}"):
    """Rows whose targets are no dates (read as targets with ``--map 'Target=target'``)."""
    rows = [["ID", "Title", "Stage", "Tier", "Target"]]
    rows += [
        [f"R{n}", f"Capability {n}", "model training", "table-stakes", value(n)]
        for n in range(count)
    ]
    return make_csv(rows, "bad.csv")


def test_two_hundred_bad_rows_print_fifty_then_a_count(store, invoke, make_csv):
    bad_targets(make_csv, 200)
    result = invoke("import", "requirements", "bad.csv", "--map", "Target=target")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 52
    assert lines[0] == f"bad.csv:E2: cannot read target 'someday 0' {TARGET_HELP}"
    assert lines[49] == f"bad.csv:E51: cannot read target 'someday 49' {TARGET_HELP}"
    assert lines[50:] == ["… and 150 more", "200 problems; nothing was written."]
    assert store.requirements() == {}


def test_fifty_problems_print_whole(store, invoke, make_csv):
    bad_targets(make_csv, 50)
    result = invoke("import", "requirements", "bad.csv", "--map", "Target=target")
    lines = result.stderr.splitlines()
    assert len(lines) == 51
    assert lines[-1] == "50 problems; nothing was written."


def test_a_long_value_is_shortened_in_the_line(store, invoke, make_csv):
    bad_targets(make_csv, 1, lambda n: "soon " + "x" * 300)
    result = invoke("import", "requirements", "bad.csv", "--map", "Target=target")
    assert result.exit_code == 1
    assert result.stderr == (f"bad.csv:E2: cannot read target 'soon {'x' * 72}…' {TARGET_HELP}\n")


def test_the_library_keeps_every_problem_and_every_value(store, make_csv):
    path = bad_targets(make_csv, 200, lambda n: f"soon {n} " + "x" * 300)
    with pytest.raises(RoadmapError) as error:
        import_requirements(store, str(path), mapping=("Target=target",))
    assert len(error.value.problems) == 200
    assert error.value.problems[199].message == (
        f"cannot read target 'soon 199 {'x' * 300}' {TARGET_HELP}"
    )


@pytest.mark.parametrize(
    "line, expected",
    [
        ("short 'value'", "short 'value'"),
        (
            "the store's stages and the roadmap's own ones, which is a long line of plain text",
            "the store's stages and the roadmap's own ones, which is a long line of plain text",
        ),
        (
            "unknown vendor " + repr("v" * 100) + " (stored vendors: alpha)",
            "unknown vendor '" + "v" * 77 + "…' (stored vendors: alpha)",
        ),
        (
            "a value with an apostrophe: " + repr("it's " + "y" * 100),
            "a value with an apostrophe: \"it's " + "y" * 72 + '…"',
        ),
    ],
)
def test_quoted_values_are_shortened_and_words_are_not(line, expected):
    assert shown(line) == expected


def test_a_line_with_no_quotes_is_bounded_too():
    assert shown("z" * 5000) == "z" * 999 + "…"


def test_problem_lines_number_what_they_leave_out():
    problems = [Problem(f"f.csv:A{n}", "bad") for n in range(1, 53)]
    assert problem_lines(problems)[-2:] == ["f.csv:A50: bad", "… and 2 more"]
    assert problem_lines([Problem("", "nowhere")]) == ["error: nowhere"]
