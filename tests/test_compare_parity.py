"""`roadmap compare` (vendors side by side at a date) and `roadmap parity` (who reached ga
first, and how long the others took)."""

import json

import pytest

from roadmap.demo import build_demo_store

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

HEADER = ["Requirement ID", "Level"]
SNAPSHOTS = {
    "alpha_2021-01-15.csv": [
        ["FE-01", "ga"],
        ["FE-02", "preview"],
        ["MT-01", "none"],
        ["MO-05", "ga"],
    ],
    "alpha_2021-12-15.csv": [
        ["FE-01", "ga"],
        ["FE-02", "ga"],
        ["MT-01", "ga"],
        ["DM-01", "partner"],
    ],
    "beta_2021-06-15.csv": [["FE-01", "ga"], ["DM-01", "ga"], ["DM-02", "planned"]],
    "gamma_2022-03-15.csv": [["DM-01", "ga"]],
}
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


@pytest.fixture
def vendors(invoke, roadmap_store, make_csv):
    for name, rows in SNAPSHOTS.items():
        make_csv([HEADER, *rows], name)
        assert invoke("import", "snapshot", name).exit_code == 0
    return roadmap_store


def as_json(invoke, *command: str) -> list[dict]:
    result = invoke(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def stage_scores(**scores) -> dict:
    """One key per stage, None for stages with no requirements."""
    return {stage: scores.get(stage.split()[-1], None) for stage in STAGES}


def test_compare_scores_the_requirements_active_at_the_date(invoke, vendors):
    # On 2021-06-30 the roadmap of 2021-05-01 holds six requirements (MO-05 not retired yet).
    rows = as_json(invoke, "compare", "--as-of", "2021-06-30")
    assert rows == [
        {
            "vendor": "alpha",
            "coverage": pytest.approx(2.5 / 6),
            "table_stakes": 1 / 3,
            "best_in_class": 0.5,
            "assessed": pytest.approx(4 / 6),
            "weighted": pytest.approx(2.5 / 6),
            "as_of": "2021-01-15",
            **stage_scores(engineering=0.75, training=0.0, optimization=1.0, monitoring=0.0),
        },
        {
            "vendor": "beta",
            "coverage": pytest.approx(2 / 6),
            "table_stakes": 2 / 3,
            "best_in_class": 0.0,
            "assessed": 0.5,
            "weighted": pytest.approx(2 / 6),
            "as_of": "2021-06-15",
            **stage_scores(engineering=0.5, training=0.0, optimization=0.0, monitoring=0.5),
        },
    ]
    # No priorities: every requirement weighs as medium, so weighted is plain coverage.
    assert list(rows[0]) == [
        "vendor",
        "coverage",
        "table_stakes",
        "best_in_class",
        "assessed",
        "weighted",
        "as_of",
        *STAGES,
    ]


def test_compare_uses_each_vendors_latest_snapshot_on_or_before_the_date(invoke, vendors):
    rows = as_json(invoke, "compare", "--as-of", "2021-12-31")
    assert [(r["vendor"], r["coverage"], r["table_stakes"], r["best_in_class"]) for r in rows] == [
        ("alpha", pytest.approx(0.7), pytest.approx(2.5 / 3), 0.5),
        ("beta", 0.4, pytest.approx(2 / 3), 0.0),
    ]
    result = invoke("compare", "--as-of", "2021-12-31")
    lines = result.stdout.splitlines()
    assert lines[0] == "Coverage at 2021-12-31 over 5 active requirements"
    assert lines[1].split()[:6] == [
        "vendor",
        "as_of",
        "coverage",
        "assessed",
        "table_stakes",
        "best_in_class",
    ]
    assert lines[3].split()[:6] == ["alpha", "2021-12-15", "70%", "80%", "83%", "50%"]
    # Beta's 2021-06-15 snapshot is more than two cadences (6 months) old on 2021-12-31.
    assert lines[4].split()[:5] == ["beta", "2021-06-15", "(stale)", "40%", "60%"]
    assert lines[-1] == (
        "beta: stale: snapshot of 2021-06-15, older than 2 cadences; read its coverage with care."
    )


def test_compare_marks_a_vendor_assessed_on_fewer_than_half(invoke, vendors):
    # Gamma's one snapshot says something of DM-01 only: 1 of the 5 active requirements.
    rows = as_json(invoke, "compare", "--as-of", "2022-03-31", "gamma")
    assert [(r["vendor"], r["coverage"], r["assessed"], r["as_of"]) for r in rows] == [
        ("gamma", 0.2, 0.2, "2022-03-15")
    ]
    result = invoke("compare", "--as-of", "2022-03-31", "gamma")
    lines = result.stdout.splitlines()
    assert lines[0] == "Coverage at 2022-03-31 over 5 active requirements"
    assert lines[3].split()[:5] == ["gamma", "*", "2022-03-15", "20%", "20%"]
    assert lines[-1] == (
        "gamma: assessed on 20% of requirements only; read its coverage with care."
    )
    csv_lines = invoke(
        "compare", "--as-of", "2022-03-31", "gamma", "--format", "csv"
    ).stdout.splitlines()
    assert csv_lines[0].startswith(
        "vendor,coverage,table_stakes,best_in_class,assessed,weighted,as_of,"
    )
    assert csv_lines[1].startswith("gamma,0.2,0.3333333333333333,0.0,0.2,0.2,2022-03-15,")


def test_compare_named_vendors_and_says_which_have_no_snapshot_yet(invoke, vendors):
    result = invoke("compare", "--as-of", "2021-03", "beta", "alpha", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["vendor"] for r in json.loads(result.stdout)] == ["alpha"]
    assert result.stderr == "warning: beta has no snapshot on or before 2021-03-01\n"
    result = invoke("compare", "delta")
    assert result.exit_code == 1
    assert result.stderr == ("error: unknown vendor 'delta' (stored vendors: alpha, beta, gamma)\n")
    assert invoke("compare", "--as-of", "soon").exit_code == 2


def test_parity_counts_no_lag_from_a_first_snapshot(invoke, vendors):
    # Beta and Gamma have one snapshot each, Alpha's first already shows FE-01 at ga: all
    # "ga by then". FE-02 and MT-01 moved to ga in Alpha's second snapshot: real dates.
    rows = as_json(invoke, "parity")
    assert rows == [
        {
            "requirement": "DM-01",
            "title": "Real-time endpoints",
            "first_ga": {"alpha": None, "beta": "2021-06", "gamma": "2022-03"},
            "censored": ["beta", "gamma"],
            "leader": "beta",
            "lag_months": None,
            "lag_is_lower_bound": False,
        },
        {
            "requirement": "DM-02",
            "title": "Inference graphs",
            "first_ga": {"alpha": None, "beta": None, "gamma": None},
            "censored": [],
            "leader": None,
            "lag_months": None,
            "lag_is_lower_bound": False,
        },
        {
            "requirement": "FE-01",
            "title": "Managed feature store",
            "first_ga": {"alpha": "2021-01", "beta": "2021-06", "gamma": None},
            "censored": ["alpha", "beta"],
            "leader": "alpha",
            "lag_months": None,
            "lag_is_lower_bound": False,
        },
        {
            "requirement": "FE-02",
            "title": "Feature store with an entity model",
            "first_ga": {"alpha": "2021-12", "beta": None, "gamma": None},
            "censored": [],
            "leader": "alpha",
            "lag_months": None,
            "lag_is_lower_bound": False,
        },
        {
            "requirement": "MT-01",
            "title": "Managed training jobs",
            "first_ga": {"alpha": "2021-12", "beta": None, "gamma": None},
            "censored": [],
            "leader": "alpha",
            "lag_months": None,
            "lag_is_lower_bound": False,
        },
    ]


RACE = {  # FE-01: a leads but only "by then"; FE-02 a real race; MT-01 a tie; DM-01:
    # a's first snapshot left it out, so its ga is still only "by then".
    "a_2020-01-15.csv": [["FE-01", "ga"], ["FE-02", "none"], ["MT-01", "ga"]],
    "a_2021-01-15.csv": [["FE-01", "ga"], ["FE-02", "ga"], ["MT-01", "ga"], ["DM-01", "ga"]],
    "b_2020-01-15.csv": [["FE-01", "none"], ["FE-02", "none"], ["MT-01", "ga"]],
    "b_2020-07-15.csv": [["FE-01", "ga"], ["FE-02", "ga"], ["MT-01", "ga"], ["DM-01", "preview"]],
    "b_2021-07-15.csv": [["DM-01", "ga"]],
    "c_2020-07-15.csv": [["FE-01", "ga"]],
}


@pytest.fixture
def race(invoke, roadmap_store, make_csv):
    for name, rows in RACE.items():
        make_csv([HEADER, *rows], name)
        assert invoke("import", "snapshot", name).exit_code == 0
    return roadmap_store


def test_parity_lags_lower_bounds_and_ties(invoke, race):
    rows = {row["requirement"]: row for row in as_json(invoke, "parity")}
    assert [row for row in rows] == ["DM-01", "FE-01", "FE-02", "DM-02", "MT-01"]
    assert rows["FE-01"]["first_ga"] == {"a": "2020-01", "b": "2020-07", "c": "2020-07"}
    assert rows["FE-01"]["censored"] == ["a", "c"]
    assert (
        rows["FE-01"]["leader"],
        rows["FE-01"]["lag_months"],
        rows["FE-01"]["lag_is_lower_bound"],
    ) == ("a", 6, True)  # b's 2020-07 is real
    assert (
        rows["FE-02"]["leader"],
        rows["FE-02"]["lag_months"],
        rows["FE-02"]["lag_is_lower_bound"],
        rows["FE-02"]["censored"],
    ) == ("b", 6, False, [])
    assert (rows["MT-01"]["leader"], rows["MT-01"]["lag_months"], rows["MT-01"]["censored"]) == (
        "a",
        None,
        ["a", "b"],
    )  # a tie: first key
    assert (
        rows["DM-01"]["censored"],
        rows["DM-01"]["lag_months"],
        rows["DM-01"]["lag_is_lower_bound"],
    ) == (["a"], 6, True)


def test_parity_in_the_terminal_marks_by_then_lower_bounds_and_ties(invoke, race):
    lines = invoke("parity").stdout.splitlines()
    assert lines[0].split() == ["requirement", "title", "a", "b", "c", "leader", "lag_months"]
    by_id = {line.split()[0]: line for line in lines[2:7]}
    assert by_id["FE-01"].split() == [
        "FE-01",
        "Managed",
        "feature",
        "store",
        "≤",
        "2020-01",
        "2020-07",
        "≤",
        "2020-07",
        "a",
        "≥",
        "6",
    ]
    assert by_id["MT-01"].split()[-5:] == ["≤", "2020-01", "≤", "2020-01", "a=b"]
    assert by_id["FE-02"].split()[-4:] == ["2021-01", "2020-07", "b", "6"]
    assert lines[-1].startswith("≤ 2021-06: ga in the vendor's first snapshot that assessed it")
    csv_lines = invoke("parity", "--format", "csv").stdout.splitlines()
    assert csv_lines[0] == (
        "requirement,title,first_ga,censored,leader,lag_months,lag_is_lower_bound"
    )
    assert csv_lines[2] == (
        'FE-01,Managed feature store,"{""a"": ""2020-01"", ""b"": '
        '""2020-07"", ""c"": ""2020-07""}","[""a"", ""c""]",a,6,true'
    )


def test_parity_on_the_samples_feature_store(invoke, db):
    build_demo_store(str(db)).close()
    rows = {row["requirement"]: row for row in as_json(invoke, "parity")}
    assert rows["FE-01"] == {
        "requirement": "FE-01",
        "title": "Managed feature store (online + offline)",
        "first_ga": {
            "azureml": None,
            "databricks": None,
            "sagemaker": "2020-12",
            "seldon": None,
            "vertex": "2021-12",
        },
        "censored": [],
        "leader": "sagemaker",
        "lag_months": 12,
        "lag_is_lower_bound": False,
    }


def test_demo_prints_vertex_diff_and_parity(runner, tmp_path, monkeypatch):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", "--output", "demo.xlsx"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "What changed at Google Vertex AI: 2021-05-18 → 2021-12-15, 10 changes" in lines
    assert any(
        line.split()[:2] == ["FE-01", "Managed"]
        and line.split()[-3:] == ["preview", "ga", "upgraded"]
        for line in lines
    )
    assert (
        "Parity: first month at ga per vendor, longest lags first (top 10 of 50; ≤ is ga "
        "in the vendor's first assessment, ≥ a lag at least that)" in lines
    )


def test_first_ga_months_come_from_current_snapshots_only(store):
    """A replaced snapshot's ga does not count; an earlier unknown does not uncensor."""
    from roadmap.evaluate import FirstGa, first_ga_months, levels_at
    from roadmap.model import Entry, Level, Snapshot, Vendor
    from roadmap.months import Month

    def add(vendor: str, day: str, **levels: str) -> None:
        entries = {
            rid: Entry(rid, Level(level), "product", "evidence") for rid, level in levels.items()
        }
        store.add_snapshot(
            Snapshot(vendor, day, "docs", entries),
            store.add_event("import snapshot", {}, as_of=day),
        )

    with store.transaction():
        for key in ("a", "b"):
            store.add_vendor(Vendor(key, key.upper(), "end-to-end"))
        add("a", "2021-01-15", R1="unknown")
        add("a", "2021-03-15", R1="ga", R2="ga")
        add("b", "2021-01-15", R1="preview")
        add("b", "2021-02-15", R1="ga")
        add("b", "2021-02-15", R1="partial")  # replaces the ga one
        add("b", "2021-04-15", R1="ga", R2="none")
    assert first_ga_months(store) == {
        "R1": {"a": FirstGa(Month(2021, 3), True), "b": FirstGa(Month(2021, 4), False)},
        "R2": {"a": FirstGa(Month(2021, 3), True)},
    }
    assert first_ga_months(store, until="2021-03-31") == {
        "R1": {"a": FirstGa(Month(2021, 3), True)},
        "R2": {"a": FirstGa(Month(2021, 3), True)},
    }
    chosen = levels_at(store, "2021-03-01")
    assert {
        v: (s.as_of, {r: e.level.value for r, e in s.entries.items()}) for v, s in chosen.items()
    } == {"a": ("2021-01-15", {"R1": "unknown"}), "b": ("2021-02-15", {"R1": "partial"})}
