"""`roadmap vendors merge` and `rename`: one vendor stored under two names becomes one."""

import json

import pytest

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

HEADER = ["Requirement ID", "Level"]


def snapshot(make_csv, invoke, name: str, vendor: str, day: str, rows) -> None:
    make_csv([["Vendor:", vendor], ["As of:", day], [], HEADER, *rows], name)
    result = invoke("import", "snapshot", name)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def twice(invoke, roadmap_store, make_csv):
    """Vertex stored as ``vertex`` (2021-05) and, from a second file, ``vertex-ai`` (2021-12)."""
    snapshot(make_csv, invoke, "a.csv", "vertex", "2021-05-18", [["FE-01", "preview"]])
    result = snapshot(make_csv, invoke, "b.csv", "Vertex AI", "2021-12-15", [["FE-01", "ga"]])
    assert result.stderr == (
        "warning: new vendor vertex-ai (Vertex AI) is close to the stored vertex (vertex); "
        "if they are one, run 'roadmap vendors merge vertex-ai vertex' after this import\n"
    )
    return roadmap_store


def test_merge_moves_snapshots_and_keeps_the_old_name_as_an_alias(invoke, twice, make_csv):
    invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-31", "--primary", "vertex-ai")
    result = invoke("vendors", "merge", "vertex-ai", "vertex")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Merged vertex-ai into vertex: 1 snapshot moved; vertex-ai and "
        "'Vertex AI' now mean vertex.\n"
    )
    vendors = json.loads(invoke("vendors", "--format", "json").stdout)
    assert vendors == [
        {
            "key": "vertex",
            "name": "vertex",
            "kind": "end-to-end",
            "snapshots": 2,
            "latest": "2021-12-15",
        }
    ]
    diff = json.loads(invoke("diff", "vertex-ai", "--format", "json").stdout)  # the alias
    assert [(r["requirement"], r["from"], r["to"]) for r in diff] == [("FE-01", "preview", "ga")]
    [review] = twice.reviews()  # the recorded review follows the vendor
    assert review.primary == "vertex" and list(review.snapshots) == ["vertex"]
    # A later file naming the old vendor goes to the merged one, with no warning.
    result = snapshot(make_csv, invoke, "c.csv", "Vertex AI", "2022-03-01", [["FE-01", "ga"]])
    assert result.stderr == ""
    assert result.stdout.startswith("added     vertex 2022-03-01: 1 entry, 1 ga")
    assert [e.action for e in twice.events()][-2] == "vendors merge"


def test_merge_refuses_two_different_snapshots_at_one_date(invoke, twice, make_csv):
    snapshot(make_csv, invoke, "c.csv", "vertex", "2021-12-15", [["FE-01", "partial"]])
    result = invoke("vendors", "merge", "vertex-ai", "vertex")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: vertex-ai and vertex both have a different snapshot at 2021-12-15; pass "
        "--keep into to keep vertex's or --keep from to keep vertex-ai's (the other stays "
        "in history), then merge again\n"
    )
    assert [v["key"] for v in json.loads(invoke("vendors", "--format", "json").stdout)] == [
        "vertex",
        "vertex-ai",
    ]  # nothing moved
    result = invoke("vendors", "merge", "vertex-ai", "vertex", "--keep", "from")
    assert result.exit_code == 0, result.output
    rows = json.loads(
        invoke("snapshots", "--vendor", "vertex", "--history", "--format", "json").stdout
    )
    assert [(r["as_of"], r["ga"], r["current"]) for r in rows] == [
        ("2021-05-18", 0, True),
        ("2021-12-15", 1, True),
        ("2021-12-15", 0, False),
    ]


def test_merge_of_one_vendor_into_itself_or_an_unknown_one(invoke, twice):
    result = invoke("vendors", "merge", "vertex", "Vertex")
    assert result.stderr == "error: 'vertex' and 'Vertex' are the same vendor (vertex)\n"
    result = invoke("vendors", "merge", "vertex", "delta")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown vendor 'delta'")


def test_rename_keeps_the_old_name_as_an_alias(invoke, twice):
    result = invoke("vendors", "rename", "vertex", "--name", "Google Vertex AI")
    assert result.stdout == "Renamed vertex: vertex → Google Vertex AI.\n"
    assert json.loads(invoke("vendors", "--format", "json").stdout)[0]["name"] == (
        "Google Vertex AI"
    )
    result = invoke("vendors", "rename", "vertex", "--name", "Vertex AI")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --name: 'Vertex AI' is already vendor vertex-ai; to make "
        "them one, run 'roadmap vendors merge vertex vertex-ai'\n"
    )


def test_library_merge(twice):
    from roadmap.snapshots import merge_vendors

    merged = merge_vendors(twice, "Vertex AI", "vertex")
    assert (merged.source.key, merged.target.key, merged.moved) == ("vertex-ai", "vertex", 1)
    assert twice.vendor_aliases() == {"Vertex AI": "vertex", "vertex-ai": "vertex"}
