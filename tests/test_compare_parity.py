"""`roadmap compare` (vendors side by side at a date) and `roadmap parity` (who reached ga
first, and how long the others took)."""
import json

import pytest

from roadmap.demo import build_demo_store

HEADER = ["Requirement ID", "Level"]
SNAPSHOTS = {
    "alpha_2021-01-15.csv": [["FE-01", "ga"], ["FE-02", "preview"], ["MT-01", "none"],
                             ["MO-05", "ga"]],
    "alpha_2021-12-15.csv": [["FE-01", "ga"], ["FE-02", "ga"], ["MT-01", "ga"],
                             ["DM-01", "partner"]],
    "beta_2021-06-15.csv": [["FE-01", "ga"], ["DM-01", "ga"], ["DM-02", "planned"]],
    "gamma_2022-03-15.csv": [["DM-01", "ga"]],
}
STAGES = ["data collection", "data processing", "feature engineering", "data labeling",
          "model design", "model training", "model optimization",
          "model deployment & monitoring"]


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
        {"vendor": "alpha", "coverage": pytest.approx(2.5 / 6), "table_stakes": 1 / 3,
         "best_in_class": 0.5,
         **stage_scores(engineering=0.75, training=0.0, optimization=1.0, monitoring=0.0)},
        {"vendor": "beta", "coverage": pytest.approx(2 / 6), "table_stakes": 2 / 3,
         "best_in_class": 0.0,
         **stage_scores(engineering=0.5, training=0.0, optimization=0.0, monitoring=0.5)},
    ]
    assert list(rows[0]) == ["vendor", "coverage", "table_stakes", "best_in_class", *STAGES]


def test_compare_uses_each_vendors_latest_snapshot_on_or_before_the_date(invoke, vendors):
    rows = as_json(invoke, "compare", "--as-of", "2021-12-31")
    assert [(r["vendor"], r["coverage"], r["table_stakes"], r["best_in_class"])
            for r in rows] == [
        ("alpha", pytest.approx(0.7), pytest.approx(2.5 / 3), 0.5),
        ("beta", 0.4, pytest.approx(2 / 3), 0.0),
    ]
    result = invoke("compare", "--as-of", "2021-12-31")
    lines = result.stdout.splitlines()
    assert lines[0] == "Coverage at 2021-12-31 over 5 active requirements"
    assert lines[1].split()[:5] == ["vendor", "as_of", "coverage", "table_stakes",
                                    "best_in_class"]
    assert lines[3].split()[:5] == ["alpha", "2021-12-15", "70%", "83%", "50%"]


def test_compare_named_vendors_and_says_which_have_no_snapshot_yet(invoke, vendors):
    result = invoke("compare", "--as-of", "2021-03", "beta", "alpha", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["vendor"] for r in json.loads(result.stdout)] == ["alpha"]
    assert result.stderr == "warning: beta has no snapshot on or before 2021-03-01\n"
    result = invoke("compare", "delta")
    assert result.exit_code == 1
    assert result.stderr == ("error: unknown vendor 'delta' (stored vendors: alpha, beta, "
                             "gamma)\n")
    assert invoke("compare", "--as-of", "soon").exit_code == 2


def test_parity_first_ga_leader_and_lag_longest_first(invoke, vendors):
    rows = as_json(invoke, "parity")
    assert rows == [
        {"requirement": "DM-01", "title": "Real-time endpoints",
         "first_ga": {"alpha": None, "beta": "2021-06", "gamma": "2022-03"},
         "leader": "beta", "lag_months": 9},
        {"requirement": "FE-01", "title": "Managed feature store",
         "first_ga": {"alpha": "2021-01", "beta": "2021-06", "gamma": None},
         "leader": "alpha", "lag_months": 5},
        {"requirement": "DM-02", "title": "Inference graphs",
         "first_ga": {"alpha": None, "beta": None, "gamma": None},
         "leader": None, "lag_months": None},
        {"requirement": "FE-02", "title": "Feature store with an entity model",
         "first_ga": {"alpha": "2021-12", "beta": None, "gamma": None},
         "leader": "alpha", "lag_months": None},
        {"requirement": "MT-01", "title": "Managed training jobs",
         "first_ga": {"alpha": "2021-12", "beta": None, "gamma": None},
         "leader": "alpha", "lag_months": None},
    ]


def test_parity_in_the_terminal_has_a_column_per_vendor(invoke, vendors):
    lines = invoke("parity").stdout.splitlines()
    assert lines[0].split() == ["requirement", "title", "alpha", "beta", "gamma", "leader",
                                "lag_months"]
    assert lines[2].split() == ["DM-01", "Real-time", "endpoints", "2021-06", "2022-03",
                                "beta", "9"]


def test_parity_on_the_samples_feature_store(invoke, db):
    build_demo_store(str(db)).close()
    rows = {row["requirement"]: row for row in as_json(invoke, "parity")}
    assert rows["FE-01"] == {
        "requirement": "FE-01", "title": "Managed feature store (online + offline)",
        "first_ga": {"azureml": None, "databricks": None, "sagemaker": "2020-12",
                     "seldon": None, "vertex": "2021-12"},
        "leader": "sagemaker", "lag_months": 12}


def test_demo_prints_vertex_diff_and_parity(runner, tmp_path, monkeypatch):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", "--output", "demo.xlsx"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "What changed at Google Vertex AI: 2021-05-18 → 2021-12-15, 10 changes" in lines
    assert any(line.split()[:2] == ["FE-01", "Managed"] and line.split()[-3:] ==
               ["preview", "ga", "upgraded"] for line in lines)
    assert ("Parity: first month at ga per vendor, longest lags first (top 10 of 50)"
            in lines)
