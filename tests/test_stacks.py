"""Stacks (`roadmap compare plat+serve`) and weighted coverage, by the CLI and the library.

The store is conftest's ``stack_store``: five requirements weighing 3 (R1, high), 2 (R2,
medium), 1 (R3, low), 2 (R4, no priority: medium) and 3 (R5, high), 11 in all.
"""

import json

import pytest

from roadmap.evaluate import compare_at
from roadmap.model import DEFAULT_SCORES, Entry, Level, Requirement, Snapshot, Tier
from roadmap.stacks import combine, requirement_weight, stack_members, weighted_coverage

STAGES = [
    "Data collection",
    "Data processing",
    "Feature engineering",
    "Data labeling",
    "Model design",
    "Model training",
    "Model optimization",
    "Model deployment & monitoring",
]


def as_json(invoke, *command: str) -> list[dict]:
    result = invoke(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_stage(**scores) -> dict:
    return {stage: scores.get(stage.split()[-1]) for stage in STAGES}


def test_a_stack_is_scored_at_its_strongest_member_and_dated_by_its_oldest(invoke, stack_store):
    rows = as_json(invoke, "compare", "--as-of", "2021-06-30", "plat+serve", "plat")
    # plat+serve: R1 ga, R2 partial, R3 ga (plat); R4 ga, R5 ga (serve).
    assert rows == [
        {
            "vendor": "plat+serve",
            "coverage": pytest.approx(4.5 / 5),
            "table_stakes": 1.0,
            "best_in_class": 0.75,
            "assessed": 1.0,
            "weighted": pytest.approx(10 / 11),
            "as_of": "2021-01-15",
            **by_stage(engineering=0.75, training=1.0, monitoring=1.0),
        },
        # plat alone: R1 ga, R2 partial, R3 ga, R4 preview, R5 none.
        {
            "vendor": "plat",
            "coverage": pytest.approx(3 / 5),
            "table_stakes": pytest.approx(2.5 / 3),
            "best_in_class": 0.25,
            "assessed": 1.0,
            "weighted": pytest.approx(6 / 11),
            "as_of": "2021-01-15",
            **by_stage(engineering=0.75, training=1.0, monitoring=0.25),
        },
    ]


def test_a_partner_member_counts_half_and_names_are_accepted(invoke, stack_store):
    # Plat ML + Feast: R2 ga (feast), R5 partner (feast): 1 + 1 + 1 + ½ + ½ of 5.
    rows = as_json(invoke, "compare", "--as-of", "2021-06-30", "Plat ML+Feast")
    assert [(r["vendor"], r["coverage"], r["weighted"], r["as_of"]) for r in rows] == [
        ("plat+feast", pytest.approx(4 / 5), pytest.approx(8.5 / 11), "2021-01-15")
    ]


def test_a_vendor_assessing_nothing_adds_nothing_to_a_stack(invoke, stack_store):
    rows = as_json(invoke, "compare", "--as-of", "2021-06-30", "plat+blank", "plat")
    assert [(r["vendor"], r["coverage"], r["weighted"]) for r in rows] == [
        ("plat", pytest.approx(0.6), pytest.approx(6 / 11)),
        ("plat+blank", pytest.approx(0.6), pytest.approx(6 / 11)),
    ]


def test_the_terminal_table_shows_weighted_beside_coverage(invoke, stack_store):
    result = invoke("compare", "--as-of", "2021-06-30", "plat+serve")
    lines = result.stdout.splitlines()
    assert lines[0] == "Coverage at 2021-06-30 over 5 active requirements"
    assert lines[1].split()[:7] == [
        "vendor",
        "as_of",
        "coverage",
        "assessed",
        "table_stakes",
        "best_in_class",
        "weighted",
    ]
    assert lines[3].split()[:7] == ["plat+serve", "2021-01-15", "90%", "100%", "100%", "75%", "91%"]


def test_a_stack_with_a_member_not_yet_assessed_is_left_out_with_a_warning(invoke, stack_store):
    result = invoke(
        "compare", "--as-of", "2021-05-05", "plat+feast", "plat+serve", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    assert [r["vendor"] for r in json.loads(result.stdout)] == ["plat+feast"]
    assert result.stderr == (
        "warning: plat+serve left out: serve has no snapshot on or before 2021-05-05\n"
    )


@pytest.mark.parametrize(
    "stack, status, message",
    [
        ("plat+", 2, "'plat+' is not a stack: write vendors joined by '+', e.g. sagemaker+seldon"),
        ("+plat", 2, "'+plat' is not a stack"),
        ("plat+Plat ML", 1, "error: the stack 'plat+Plat ML' names plat twice\n"),
        (
            "plat+nobody",
            1,
            "error: unknown vendor 'nobody' (stored vendors: blank, feast, glueco, plat, serve)\n",
        ),
    ],
)
def test_a_stack_written_wrong_is_refused(invoke, stack_store, stack, status, message):
    result = invoke("compare", stack)
    assert result.exit_code == status
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_compare_at_takes_stacks_from_python(stack_store):
    comparison = compare_at(stack_store, "2021-06-30", ["serve+feast", "glueco"])
    # serve+feast: R2 ga (feast), R4 ga, R5 ga (serve: ga beats feast's partner); dated
    # by feast's snapshot, the older one.
    assert [(r["vendor"], r["coverage"]) for r in comparison.as_rows()] == [
        ("serve+feast", pytest.approx(3 / 5)),
        ("glueco", pytest.approx(1 / 5)),
    ]
    assert comparison.used == {"serve+feast": "2021-05-01", "glueco": "2021-04-01"}
    assert comparison.missing == {}


def snapshot(vendor: str, as_of: str, **levels: str) -> Snapshot:
    return Snapshot(
        vendor,
        as_of,
        "test",
        {rid: Entry(rid, Level(level), product=f"{vendor} {rid}") for rid, level in levels.items()},
    )


def test_combine_names_the_member_giving_each_level_the_first_on_a_tie():
    stack = combine(
        {
            "a": snapshot("a", "2021-06-01", X="preview", Y="ga", Z="unknown"),
            "b": snapshot("b", "2021-03-01", X="ga", Y="ga", W="partner"),
        }
    )
    assert stack.key == "a+b"
    assert stack.snapshot.as_of == "2021-03-01"
    assert {rid: e.level.value for rid, e in stack.snapshot.entries.items()} == {
        "X": "ga",
        "Y": "ga",
        "W": "partner",
    }
    assert stack.given_by == {"X": "b", "Y": "a", "W": "b"}
    assert stack.snapshot.entries["X"].product == "b X"
    assert stack.snapshot.level("Z") is Level.UNKNOWN


def test_stack_members_are_split_on_plus_and_trimmed():
    assert stack_members(" sagemaker + seldon+feast ") == ["sagemaker", "seldon", "feast"]
    assert stack_members("vertex") == ["vertex"]
    with pytest.raises(ValueError, match="is not a stack"):
        stack_members("a++b")


def requirement(rid: str, tier: Tier, priority: str | None) -> Requirement:
    return Requirement(rid, rid, "model training", tier, priority)


def test_weights_multiply_priority_by_tier_and_an_unknown_priority_weighs_as_medium():
    weights = {"high": 3.0, "medium": 2.0, "low": 1.0, "best-in-class": 2.0}
    assert requirement_weight(requirement("A", Tier.BEST_IN_CLASS, "high"), weights) == 6
    assert requirement_weight(requirement("B", Tier.TABLE_STAKES, "high"), weights) == 3
    assert requirement_weight(requirement("C", Tier.TABLE_STAKES, None), weights) == 2
    assert requirement_weight(requirement("D", Tier.BEST_IN_CLASS, "low"), weights) == 2
    # A: ga 6×1, B: partial 3×½, C: none, D: unknown -> 7.5 of 13.
    vendor = snapshot("v", "2021-01-01", A="ga", B="partial", C="none")
    requirements = [
        requirement(r, t, p)
        for r, t, p in (
            ("A", Tier.BEST_IN_CLASS, "high"),
            ("B", Tier.TABLE_STAKES, "high"),
            ("C", Tier.TABLE_STAKES, None),
            ("D", Tier.BEST_IN_CLASS, "low"),
        )
    ]
    assert weighted_coverage(requirements, vendor, DEFAULT_SCORES, weights) == 7.5 / 13
    assert weighted_coverage([], vendor, DEFAULT_SCORES, weights) is None
