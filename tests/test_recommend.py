"""`roadmap recommend`: which vendors to add to the primary, one at a time, and what each
closes. The store is conftest's ``stack_store`` (weights R1 3, R2 2, R3 1, R4 2, R5 3: 11).
"""

import json

import pytest

from roadmap.evaluate import recommend_at
from roadmap.model import (
    DEFAULT_SCORES,
    DEFAULT_WEIGHTS,
    Entry,
    Level,
    Requirement,
    Snapshot,
    Tier,
)
from roadmap.stacks import recommend

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL


def as_json(invoke, *command: str) -> list[dict]:
    result = invoke(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_recommend_adds_the_vendor_closing_most_weight_and_stops_when_nothing_closes(
    invoke, stack_store
):
    # plat (best covered, 60%): R1 ga, R2 partial, R3 ga, R4 preview, R5 none.
    # serve closes R4 (preview -> ga: 2 × ½) and R5 (none -> ga: 3 × 1): 4 of 11;
    # feast would close R2 (2 × ½) and glue R5 (3 × ½): 2.5; glueco glue R5: 1.5.
    # Then only feast closes anything (R2: 1 of 11), and after it nobody: 2 steps of 3.
    assert as_json(invoke, "recommend", "--as-of", "2021-06-30") == [
        {
            "step": 1,
            "add": "serve",
            "closes": ["R4", "R5"],
            "glue": [],
            "weighted_gain": pytest.approx(4 / 11),
            "coverage": pytest.approx(0.9),
            "weighted": pytest.approx(10 / 11),
            "stack": "plat+serve",
        },
        {
            "step": 2,
            "add": "feast",
            "closes": ["R2"],
            "glue": [],
            "weighted_gain": pytest.approx(1 / 11),
            "coverage": 1.0,
            "weighted": 1.0,
            "stack": "plat+serve+feast",
        },
    ]


def test_a_stacks_coverage_after_counts_what_the_added_vendor_raises_without_closing(
    invoke, stack_store
):
    # glueco: R4 partner, R5 partner (2×½ + 3×½ = 2.5 of 11). plat closes R1, R3 to ga
    # (3 + 1 = 4); serve closes R4, R5 (partner -> ga: 2×½ + 3×½ = 2.5); feast R2 (2).
    # plat also brings R2 partial (+2×½) and R4 preview (no better than partner): those
    # close nothing, so the gain is 4 of 11 while weighted coverage rises by 5.
    rows = as_json(
        invoke, "recommend", "--as-of", "2021-06-30", "--primary", "glueco", "--max", "1"
    )
    assert rows == [
        {
            "step": 1,
            "add": "plat",
            "closes": ["R1", "R3"],
            "glue": [],
            "weighted_gain": pytest.approx(4 / 11),
            "coverage": pytest.approx(0.7),
            "weighted": pytest.approx(7.5 / 11),
            "stack": "glueco+plat",
        }
    ]


def test_recommend_from_a_stack_the_team_already_runs(invoke, stack_store):
    rows = as_json(invoke, "recommend", "--as-of", "2021-06-30", "--primary", "Plat ML+serve")
    assert [(r["add"], r["closes"], r["stack"]) for r in rows] == [
        ("feast", ["R2"], "plat+serve+feast")
    ]


def test_glue_is_said_apart_and_gains_the_partner_score(invoke, stack_store):
    # On 2021-04-15 only plat, blank and glueco have a snapshot. From blank (nothing
    # assessed): plat closes R1, R3 (4 of 11; glueco's glue would be 2×½ + 3×½ = 2.5);
    # then plat's R4 preview beats glueco's partner, and only R5 (none) is glued: 3×½.
    rows = as_json(invoke, "recommend", "--as-of", "2021-04-15", "--primary", "blank")
    assert rows == [
        {
            "step": 1,
            "add": "plat",
            "closes": ["R1", "R3"],
            "glue": [],
            "weighted_gain": pytest.approx(4 / 11),
            "coverage": pytest.approx(0.6),
            "weighted": pytest.approx(6 / 11),
            "stack": "blank+plat",
        },
        {
            "step": 2,
            "add": "glueco",
            "closes": ["R5"],
            "glue": ["R5"],
            "weighted_gain": pytest.approx(1.5 / 11),
            "coverage": pytest.approx(0.7),
            "weighted": pytest.approx(7.5 / 11),
            "stack": "blank+plat+glueco",
        },
    ]


def test_only_vendors_with_a_snapshot_at_the_date_count(invoke, stack_store):
    # On 2021-04-15 serve (2021-05-15) and feast (2021-05-01) have no snapshot yet: from
    # plat only glueco closes anything (R5, as glue), then nothing does.
    rows = as_json(invoke, "recommend", "--as-of", "2021-04-15")
    assert [(r["add"], r["closes"], r["glue"], r["stack"]) for r in rows] == [
        ("glueco", ["R5"], ["R5"], "plat+glueco")
    ]


def test_the_terminal_says_where_it_starts_and_why_it_stopped(invoke, stack_store):
    result = invoke("recommend", "--as-of", "2021-06-30")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "plat alone at 2021-06-30: coverage 60%, weighted 55%"
    assert lines[1].split() == [
        "step",
        "add",
        "to",
        "ga",
        "glue",
        "weighted_gain",
        "coverage",
        "weighted",
        "stack",
    ]
    assert lines[3].split() == ["1", "serve", "R4", "R5", "36%", "90%", "91%", "plat+serve"]
    assert lines[-1] == (
        "No other vendor closes anything more: what is still open is to build, wait for, or assess."
    )
    result = invoke("recommend", "--as-of", "2021-06-30", "--max", "1")
    assert result.stdout.splitlines()[-1].split()[:2] == ["1", "serve"]


def test_csv_joins_the_ids(invoke, stack_store):
    result = invoke("recommend", "--as-of", "2021-06-30", "--format", "csv", "--max", "1")
    assert result.stdout.splitlines() == [
        "step,add,closes,glue,weighted_gain,coverage,weighted,stack",
        "1,serve,R4 R5,,0.36363636363636365,0.9,0.9090909090909091,plat+serve",
    ]


@pytest.mark.parametrize(
    "args, status, message",
    [
        (
            ["--primary", "feast", "--as-of", "2021-04-15"],
            1,
            "error: --primary: feast has no snapshot on or before 2021-04-15 (vendors with one: "
            "blank, glueco, plat); import one or pick another vendor\n",
        ),
        (
            ["--as-of", "2020-12-31"],
            1,
            "error: no vendor has a snapshot on or before 2020-12-31; import one first: roadmap "
            "import snapshot FILE\n",
        ),
        (
            ["--primary", "nobody"],
            1,
            "error: unknown vendor 'nobody' (stored vendors: blank, feast, glueco, plat, serve)\n",
        ),
        (["--max", "0"], 2, "Invalid value for '--max'"),
        (["--as-of", "soon"], 2, "'soon' is not a date"),
    ],
)
def test_recommend_refuses_what_it_cannot_answer(invoke, stack_store, args, status, message):
    result = invoke("recommend", *args)
    assert result.exit_code == status
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_roadmap_says_what_to_import(invoke, store):
    result = invoke("recommend", "--as-of", "2021-06-30")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no requirements on 2021-06-30; import some first: "
        "roadmap import requirements FILE\n"
    )


def test_recommend_from_python(stack_store):
    result = recommend_at(stack_store, "2021-06-30", max_steps=1)
    assert (result.primary, result.coverage, result.stopped) == ("plat", pytest.approx(0.6), "max")
    assert [(s.add, s.to_ga, s.glue) for s in result.steps] == [("serve", ("R4", "R5"), ())]


def need(rid: str, priority: str | None) -> Requirement:
    return Requirement(rid, rid, "model training", Tier.TABLE_STAKES, priority)


def offer(vendor: str, **levels: str) -> Snapshot:
    return Snapshot(
        vendor, "2021-01-01", None, {rid: Entry(rid, Level(level)) for rid, level in levels.items()}
    )


def test_ties_go_to_more_ga_then_to_the_first_key():
    # A medium (2), B and C low (1 each): xen closes A (gain 2, one ga); yak closes B and C
    # (gain 2, two ga) and wins the tie; then abc and xen both close A: abc by key.
    requirements = [need("A", "medium"), need("B", "low"), need("C", "low")]
    snapshots = {
        "base": offer("base", A="none", B="none", C="none"),
        "xen": offer("xen", A="ga"),
        "yak": offer("yak", B="ga", C="ga"),
        "abc": offer("abc", A="ga"),
    }
    result = recommend(requirements, snapshots, "base", DEFAULT_SCORES, DEFAULT_WEIGHTS, 5)
    assert [(s.add, s.closes, s.weighted_gain) for s in result.steps] == [
        ("yak", ("B", "C"), 0.5),
        ("abc", ("A",), 0.5),
    ]
    assert result.stopped == "nothing closes"


def test_glue_only_where_the_stack_had_nothing_usable():
    # A: the stack has it in preview, so a partner adds nothing; B: none -> partner is glue
    # (gain 2 × ½ of 4); the partner's preview level beats nobody.
    requirements = [need("A", "medium"), need("B", "medium")]
    snapshots = {
        "base": offer("base", A="preview", B="none"),
        "oss": offer("oss", A="partner", B="partner"),
    }
    result = recommend(requirements, snapshots, "base", DEFAULT_SCORES, DEFAULT_WEIGHTS)
    assert [(s.add, s.to_ga, s.glue, s.weighted_gain, s.coverage) for s in result.steps] == [
        ("oss", (), ("B",), 0.25, 0.5)
    ]
    assert result.steps[0].as_dict()["closes"] == ["B"]


def test_a_vendor_that_assessed_nothing_is_never_recommended():
    requirements = [need("A", None)]
    snapshots = {"base": offer("base", A="none"), "blank": offer("blank", A="unknown")}
    result = recommend(requirements, snapshots, "base", DEFAULT_SCORES, DEFAULT_WEIGHTS)
    assert (result.steps, result.stopped) == ([], "nothing closes")


def test_the_demo_shows_stacks_and_what_adding_tools_to_sagemaker_would_close(
    runner, tmp_path, monkeypatch
):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", "--output", "demo.xlsx"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    start = lines.index(
        "Stacks at 2021-12-15 (roadmap compare sagemaker sagemaker+seldon sagemaker+databricks)"
    )
    # Databricks and Seldon were assessed on 2021-06-15: their stacks carry that date.
    assert {line.split()[0]: line.split()[1] for line in lines[start + 3 : start + 6]} == {
        "sagemaker": "2021-12-15",
        "sagemaker+seldon": "2021-06-15",
        "sagemaker+databricks": "2021-06-15",
    }
    start = lines.index(
        "What adding tools to sagemaker would close (roadmap recommend --as-of 2021-12-15 --max 2)"
    )
    # The samples: SageMaker (2021-12-15) lacks ga on DC-01, FE-02 (partial), MT-07, MO-02
    # and DM-14; Vertex AI (2021-12-15) has all five at ga.
    assert lines[start + 3].split()[:7] == [
        "1",
        "vertex",
        "DC-01",
        "FE-02",
        "MT-07",
        "MO-02",
        "DM-14",
    ]
    assert lines[start + 3].split()[-1] == "sagemaker+vertex"
    assert lines[start + 4].split()[:2] == ["2", "databricks"]
