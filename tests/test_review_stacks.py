"""`roadmap review --stack plat+serve`: the team's stack scored beside the vendors, its gaps,
weighted coverage, and the Summary's "adding one tool" next step.

The store is conftest's ``stack_store``: R1 (high, 3), R2 (medium, 2), R3 (low, 1), R4 (no
priority: 2), R5 (high, 3), all due inside the window of a 2021-06-30 review.
"""

import json
import os

import pytest
from openpyxl import load_workbook

from roadmap.review import build_review


def values(sheet, first_row: int = 1) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(min_row=first_row, values_only=True)]


def block(sheet, title: str) -> list[dict]:
    """A titled table on the Summary sheet: the rows under the header below ``title``."""
    rows = values(sheet)
    start = next(i for i, row in enumerate(rows) if row[0] == title) + 1
    found = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        found.append({k: v for k, v in zip(rows[start], row) if k is not None})
    return found


@pytest.fixture
def stacked(stack_store, invoke, tmp_path):
    result = invoke(
        "review",
        "--output",
        "review.xlsx",
        "--as-of",
        "2021-06-30",
        "--stack",
        "plat+serve",
        "--no-record",
    )
    assert result.exit_code == 0, result.output
    return result, load_workbook(tmp_path / "review.xlsx")


def test_the_stack_is_scored_beside_the_vendors_with_weighted_coverage(stacked):
    _, book = stacked
    summary = book["Summary"]
    facts = {row[0]: row[1] for row in values(summary) if row[0]}
    assert facts["Primary vendor"] == "Plat ML"  # the stack's first member
    assert facts["Stack (gaps are its)"] == "Plat ML + Serve OSS"
    rows = {row["Vendor"]: row for row in block(summary, "Coverage by vendor")}
    assert list(rows)[-1] == "Plat ML + Serve OSS"
    # R1 ga, R2 partial, R3 ga (plat); R4 ga, R5 ga (serve); dated by plat, the older.
    stack = rows["Plat ML + Serve OSS"]
    assert (stack["Kind"], stack["Snapshot"].date().isoformat()) == ("stack", "2021-01-15")
    assert stack["Coverage"] == pytest.approx(0.9)
    assert (stack["Table stakes"], stack["Best-in-class"]) == (1.0, 0.75)
    assert stack["Weighted"] == pytest.approx(10 / 11)
    assert rows["Plat ML"]["Weighted"] == pytest.approx(6 / 11)  # 3 + 2×½ + 1 + 2×½ of 11
    stages = {row["Stage"]: row for row in block(summary, "Coverage by stage")}
    assert stages["Model deployment & monitoring"]["Plat ML + Serve OSS"] == 1.0
    assert stages["All stages"]["Plat ML"] == pytest.approx(0.6)
    assert stages["All stages, weighted"]["Plat ML + Serve OSS"] == pytest.approx(10 / 11)


def test_the_matrix_has_the_stack_first_naming_the_member_of_each_cell(stacked):
    _, book = stacked
    matrix = book["Matrix"]
    headers = [str(c.value or "") for c in matrix[1]]
    column = next(i for i, h in enumerate(headers, start=1) if h.startswith("Plat ML + Serve"))
    assert headers[column].startswith("Plat ML")  # then the vendors, the primary first
    ids = {"R1", "R2", "R3", "R4", "R5"}
    cells = {
        cell.value: matrix.cell(cell.row, column)
        for row in matrix.iter_rows(max_col=2)
        for cell in row
        if cell.value in ids
    }
    assert {rid: cell.value for rid, cell in cells.items()} == {
        "R1": "ga",
        "R2": "partial",
        "R3": "ga",
        "R4": "ga",
        "R5": "ga",
    }
    assert cells["R4"].comment.text == "From: Serve OSS\nProduct: Serve OSS R4"
    assert cells["R2"].comment.text == "From: Plat ML\nProduct: Plat ML R2"


def test_the_legend_says_which_member_a_stack_cell_without_a_comment_shows(stacked):
    _, book = stacked
    rules = {row[0]: row[1] for row in values(book["Legend"]) if row[0] and row[1]}
    assert rules["Comments"].startswith(
        "a Matrix cell's comment holds its entry's product, evidence and notes (a stack's "
        "cell also names the member giving its level; without a comment, that is a member "
        "whose column shows the same level). A sheet holds at most 65,530 comments"
    )


def test_gaps_are_the_stacks_and_buy_names_a_vendor_outside_it(stacked, invoke, tmp_path):
    _, book = stacked
    gaps = values(book["Gaps"], 3)
    header = gaps[0]
    assert header[9] == "Plat ML + Serve OSS level"
    # Only R2 (partial) is not ga in the stack; Feast, outside it, has it at ga.
    assert [(row[0], row[9], row[10], row[11]) for row in gaps[1:]] == [
        ("R2", "partial", "buy", "Feast")
    ]
    # Without the stack, serve is what to buy for R4 (preview) and R5 (none).
    invoke("review", "--output", "plain.xlsx", "--as-of", "2021-06-30", "--no-record")
    plain = values(load_workbook(tmp_path / "plain.xlsx")["Gaps"], 4)
    assert [(row[0], row[10], row[11]) for row in plain] == [
        ("R4", "buy", "Serve OSS"),
        ("R2", "buy", "Feast"),
        ("R5", "buy", "Serve OSS"),
    ]


def test_glue_and_wait_in_a_stack_name_the_member_that_gives_them(stack_store):
    # On 2021-04-15 (no serve or feast yet) plat+glueco: R4 preview from plat (wait, plat),
    # R5 partner from glueco (glue, glueco): nobody outside the stack has either at ga.
    review = build_review(stack_store, "2021-04-15", stack="plat+glueco")
    actions = {g.requirement.id: (g.action, g.vendors) for g in review.gaps}
    assert sorted(actions) == ["R2", "R4", "R5"]
    assert actions["R4"] == ("wait", ("plat",))
    assert actions["R5"] == ("glue", ("glueco",))


def test_the_next_step_is_recommends_first_with_the_same_numbers(stacked, invoke):
    result, book = stacked
    step = block(book["Summary"], "Next steps: adding one tool")
    # From plat+serve only feast closes anything: R2 partial -> ga, 2 × ½ of 11.
    assert step == [
        {
            "Add": "Feast",
            "To": "Plat ML + Serve OSS",
            "Closes (to ga)": "R2",
            "Closes (glue)": None,
            "Weighted gain": pytest.approx(1 / 11),
            "Coverage after": 1.0,
            "Weighted after": 1.0,
        }
    ]
    same = json.loads(
        invoke(
            "recommend",
            "--as-of",
            "2021-06-30",
            "--primary",
            "plat+serve",
            "--max",
            "1",
            "--format",
            "json",
        ).stdout
    )[0]
    assert (same["add"], same["closes"], same["coverage"]) == ("feast", ["R2"], 1.0)
    assert same["weighted_gain"] == pytest.approx(step[0]["Weighted gain"])
    lines = result.stdout.splitlines()
    assert lines[-4].split() == [
        "plat+serve",
        "2021-01-15",
        "90%",
        "100%",
        "75%",
        "100%",
        "91%",
        "stack",
    ]
    assert lines[-3] == (
        "Gaps at plat+serve: 1 (0 assess, 1 buy, 0 glue, 0 wait, 0 build; 0 overdue)."
    )
    assert lines[-2] == (
        "Adding feast to plat+serve would close 1: R2; weighted +9%, "
        "coverage 100% (roadmap recommend)."
    )


def test_without_a_stack_the_next_step_starts_from_the_primary(stack_store, invoke, tmp_path):
    result = invoke("review", "--output", "review.xlsx", "--as-of", "2021-06-30", "--no-record")
    assert result.exit_code == 0, result.output
    step = block(load_workbook(tmp_path / "review.xlsx")["Summary"], "Next steps: adding one tool")
    assert [(s["Add"], s["To"], s["Closes (to ga)"], s["Weighted gain"]) for s in step] == [
        ("Serve OSS", "Plat ML", "R4 R5", pytest.approx(4 / 11))
    ]


def test_nothing_to_add_is_said(stack_store, invoke, tmp_path):
    invoke(
        "review",
        "--output",
        "review.xlsx",
        "--as-of",
        "2021-06-30",
        "--no-record",
        "--stack",
        "plat+serve+feast",
    )
    rows = values(load_workbook(tmp_path / "review.xlsx")["Summary"])
    start = next(i for i, row in enumerate(rows) if row[0] == "Next steps: adding one tool")
    assert rows[start + 1][0] == (
        "no other vendor closes a gap of Plat ML + Serve OSS + Feast: "
        "what is still open is to build, wait for or assess"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--stack", "plat+feast", "--as-of", "2021-04-15"],
            "error: --stack: feast has no snapshot on or before 2021-04-15 (vendors with one: "
            "blank, glueco, plat); import one or leave it out\n",
        ),
        (
            ["--stack", "plat+serve", "--primary", "glueco"],
            "error: --primary glueco is not in --stack plat+serve; put it first in the stack "
            "(glueco+plat+serve) or leave --primary out\n",
        ),
        (
            ["--stack", "Plat ML"],
            "error: --stack plat: a stack is the primary and the tools beside it, e.g. plat+TOOL; "
            "for one vendor use --primary plat\n",
        ),
        (
            ["--stack", "plat+nobody"],
            "error: unknown vendor 'nobody' (stored vendors: blank, feast, glueco, plat, serve)\n",
        ),
    ],
)
def test_a_wrong_stack_writes_and_records_nothing(stack_store, invoke, tmp_path, args, message):
    result = invoke("review", "--output", "review.xlsx", "--as-of", "2021-06-30", *args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert not os.path.exists(tmp_path / "review.xlsx")
    assert stack_store.reviews() == []
