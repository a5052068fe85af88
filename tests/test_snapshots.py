"""`roadmap import snapshot`, `roadmap vendors`, `roadmap snapshots`: vendor capabilities
at a date, in long form or as a comparison table, stored once and never changed."""

import datetime as dt
import hashlib
import json

import pytest

from roadmap.errors import RoadmapError
from roadmap.model import Level
from roadmap.snapshots import import_snapshots

LABELS = [
    ["Vendor:", "Amazon SageMaker"],
    ["Kind:", "end-to-end"],
    ["As of:", dt.date(2020, 12, 15)],
    ["Source:", "re:Invent 2020"],
    [],
]
HEADER = ["Requirement ID", "Level", "Product", "Evidence", "Notes"]
ROWS = [
    ["FE-01", "GA", "SageMaker Feature Store", "https://aws.amazon.com/blogs/", None],
    ["FE-02", "partial", "SageMaker Feature Store", None, "no entity model"],
    ["MT-01", "yes", "SageMaker Training", None, None],
]
LONG = [*LABELS, HEADER, *ROWS]
ACCEPTED = (
    "ga (yes/y/available/generally available/✓/✔/x/✅/☑/true/1), "
    "preview (beta/pre-ga/public preview/private preview), partial (limited/some), "
    "partner (third-party/via partner/oss/open source), "
    "planned (announced/roadmap/coming soon/in progress/⏳/⌛/🚧), "
    "none (no/n/✗/✘/-/—/❌/✖/✕/false/0), unknown (?/tbd/n/a)"
)


def listing(invoke, *command: str) -> list[dict]:
    result = invoke(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def state(invoke) -> tuple[str, ...]:
    """Everything a user can list about vendors and snapshots, and the log."""
    return tuple(
        invoke(*command, "--format", "json").stdout
        for command in (("vendors",), ("snapshots", "--history"), ("log",))
    )


def entries(store, vendor: str, as_of: str) -> dict:
    """A current snapshot's stored entries: id -> (level, product, evidence, notes)."""
    snapshot = store.snapshot(store.current_snapshot_id(vendor, as_of))
    return {
        rid: (e.level.value, e.product, e.evidence, e.notes)
        for rid, e in sorted(snapshot.entries.items())
    }


# -- long form ------------------------------------------------------------------------------


@pytest.mark.engines
def test_long_form_with_labelled_cells(invoke, roadmap_store, make_xlsx):
    make_xlsx(LONG, "sm.xlsx", sheet="Snapshots")
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added     amazon-sagemaker 2020-12-15: 3 entries, 2 ga "
        "(new vendor: Amazon SageMaker, end-to-end)",
        "Imported sm.xlsx: 1 added, 0 replaced, 0 unchanged.",
    ]
    assert result.stderr == ""
    assert listing(invoke, "vendors") == [
        {
            "key": "amazon-sagemaker",
            "name": "Amazon SageMaker",
            "kind": "end-to-end",
            "snapshots": 1,
            "latest": "2020-12-15",
        }
    ]
    assert listing(invoke, "snapshots") == [
        {
            "vendor": "amazon-sagemaker",
            "as_of": "2020-12-15",
            "source": "re:Invent 2020",
            "entries": 3,
            "ga": 2,
        }
    ]
    assert entries(roadmap_store, "amazon-sagemaker", "2020-12-15") == {
        "FE-01": ("ga", "SageMaker Feature Store", "https://aws.amazon.com/blogs/", None),
        "FE-02": ("partial", "SageMaker Feature Store", None, "no entity model"),
        "MT-01": ("ga", "SageMaker Training", None, None),
    }


def test_vendor_and_date_from_the_file_name(invoke, roadmap_store, make_csv):
    make_csv([HEADER, *ROWS], "sagemaker_2020-12.csv")
    result = invoke("import", "snapshot", "sagemaker_2020-12.csv")
    assert result.exit_code == 0, result.output
    assert listing(invoke, "vendors") == [
        {
            "key": "sagemaker",
            "name": "sagemaker",
            "kind": "end-to-end",
            "snapshots": 1,
            "latest": "2020-12-01",
        }
    ]
    assert listing(invoke, "snapshots")[0]["source"] is None


def test_a_labelled_name_keeps_the_file_names_vendor_as_its_key(invoke, roadmap_store, make_csv):
    make_csv(
        [["Vendor:", "Google Vertex AI"], ["Kind:", "end-to-end"], [], HEADER, *ROWS],
        "vertex_2021-05-18.csv",
    )
    assert invoke("import", "snapshot", "vertex_2021-05-18.csv").exit_code == 0
    assert [(v["key"], v["name"], v["latest"]) for v in listing(invoke, "vendors")] == [
        ("vertex", "Google Vertex AI", "2021-05-18")
    ]


def test_options_win_over_labels_and_file_name(invoke, roadmap_store, make_xlsx):
    make_xlsx(LONG, "sagemaker_2019-01-01.xlsx")
    result = invoke(
        "import",
        "snapshot",
        "sagemaker_2019-01-01.xlsx",
        "--vendor",
        "sm",
        "--as-of",
        "2021-06",
        "--source",
        "a review call",
    )
    assert result.exit_code == 0, result.output
    assert listing(invoke, "vendors")[0] == {
        "key": "sm",
        "name": "Amazon SageMaker",
        "kind": "end-to-end",
        "snapshots": 1,
        "latest": "2021-06-01",
    }
    assert listing(invoke, "snapshots")[0]["source"] == "a review call"


def test_a_stored_vendor_is_reused_by_name_or_key(invoke, roadmap_store, make_csv):
    make_csv([HEADER, *ROWS], "sagemaker_2020-12-15.csv")
    make_csv([["Vendor:", "SageMaker"], ["As of:", "2021-12-15"], HEADER, *ROWS], "a.csv")
    make_csv([HEADER, *ROWS], "b.csv")
    assert invoke("import", "snapshot", "sagemaker_2020-12-15.csv").exit_code == 0
    assert invoke("import", "snapshot", "a.csv").exit_code == 0
    result = invoke("import", "snapshot", "b.csv", "--vendor", "SAGEMAKER", "--as-of", "2022-12-15")
    assert result.exit_code == 0, result.output
    assert "new vendor" not in result.stdout
    assert listing(invoke, "vendors") == [
        {
            "key": "sagemaker",
            "name": "sagemaker",
            "kind": "end-to-end",
            "snapshots": 3,
            "latest": "2022-12-15",
        }
    ]


def test_kind_label_sets_a_new_vendors_kind(invoke, roadmap_store, make_csv):
    make_csv(
        [["Vendor:", "Seldon Core"], ["Kind:", "Open Source"], [], HEADER, *ROWS],
        "seldon_2021-06-15.csv",
    )
    assert invoke("import", "snapshot", "seldon_2021-06-15.csv").exit_code == 0
    assert listing(invoke, "vendors")[0]["kind"] == "open-source"


LEVEL_WORDS = {
    "ga": ["ga", "yes", "y", "available", "generally available", "✓", "✔", "x"],
    "preview": ["preview", "beta", "pre-ga", "public preview", "private preview"],
    "partial": ["partial", "limited", "some"],
    "partner": ["partner", "third-party", "via partner", "oss", "open source"],
    "planned": ["planned", "announced", "roadmap", "coming soon"],
    "none": ["none", "no", "n", "✗", "✘", "-", "—"],
    "unknown": ["unknown", None, "?", "tbd", "n/a"],
}
WORDS = [(level, word) for level, words in LEVEL_WORDS.items() for word in words]


@pytest.mark.parametrize("level, word", WORDS, ids=[f"{lv}-{w}" for lv, w in WORDS])
def test_every_level_word_of_the_readme_in_any_case(roadmap_store, make_xlsx, level, word):
    cased = word.upper() if word else word
    path = make_xlsx([HEADER, ["FE-01", word], ["MT-01", cased]], "vendor_2021-01-01.xlsx")
    import_snapshots(roadmap_store, str(path))
    assert entries(roadmap_store, "vendor", "2021-01-01") == {
        "FE-01": (level, None, None, None),
        "MT-01": (level, None, None, None),
    }


def test_requirements_by_title_retired_ids_and_left_out_ones(invoke, roadmap_store, make_csv):
    make_csv(
        [
            ["Requirement ID", "Title", "Level"],
            [None, "  managed   FEATURE store ", "ga"],
            ["MO-05", None, "preview"],  # retired on 2021-11-01, still a known id
            ["DM-01", "Real-time endpoints", None],  # an empty level is an unknown entry
        ],
        "acme_2021-12-01.csv",
    )
    result = invoke("import", "snapshot", "acme_2021-12-01.csv")
    assert result.exit_code == 0, result.output
    assert entries(roadmap_store, "acme", "2021-12-01") == {
        "DM-01": ("unknown", None, None, None),
        "FE-01": ("ga", None, None, None),
        "MO-05": ("preview", None, None, None),
    }
    snapshot = roadmap_store.snapshot(roadmap_store.current_snapshot_id("acme", "2021-12-01"))
    assert snapshot.level("MT-01") is Level.UNKNOWN  # left out of the file


def test_vendor_and_date_columns_make_one_snapshot_per_group(invoke, roadmap_store, make_xlsx):
    make_xlsx(
        [
            ["Vendor", "As of", "Requirement ID", "Level", "Source"],
            ["Amazon SageMaker", dt.date(2020, 12, 15), "FE-01", "ga", "re:Invent 2020"],
            ["Amazon SageMaker", dt.date(2020, 12, 15), "MT-01", "ga", "re:Invent 2020"],
            ["Google Vertex AI", "2021-05-18", "FE-01", "preview", None],
            ["Amazon SageMaker", "2019-12-15", "FE-01", "none", "re:Invent 2019"],
        ],
        "comparison.xlsx",
        sheet="Snapshots",
    )
    result = invoke("import", "snapshot", "comparison.xlsx")
    assert result.exit_code == 0, result.output
    assert [
        (s["vendor"], s["as_of"], s["source"], s["entries"]) for s in listing(invoke, "snapshots")
    ] == [
        ("amazon-sagemaker", "2019-12-15", "re:Invent 2019", 1),
        ("amazon-sagemaker", "2020-12-15", "re:Invent 2020", 2),
        ("google-vertex-ai", "2021-05-18", None, 1),
    ]
    (event,) = listing(invoke, "log")[-1:]
    assert event["action"] == "import snapshot"


# -- wide form ------------------------------------------------------------------------------

WIDE = [
    ["MLOps platforms compared"],
    [],
    ["ID", "Feature", "Stage", "Amazon SageMaker", "Google Vertex AI"],
    ["FE-01", "Managed feature store", "feature engineering", "✓", "beta"],
    ["FE-02", "Feature store with an entity model", "feature engineering", "limited", None],
    ["MT-01", "Managed training jobs", "model training", "yes", "Yes"],
]


@pytest.mark.engines
def test_wide_form_is_one_snapshot_per_vendor_column(invoke, roadmap_store, make_xlsx):
    make_xlsx(WIDE, "comparison.xlsx", sheet="Platforms")
    result = invoke(
        "import",
        "snapshot",
        "comparison.xlsx",
        "--as-of",
        "2021-05-18",
        "--source",
        "platform review",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added     amazon-sagemaker 2021-05-18: 3 entries, 2 ga "
        "(new vendor: Amazon SageMaker, end-to-end)",
        "added     google-vertex-ai 2021-05-18: 3 entries, 1 ga "
        "(new vendor: Google Vertex AI, end-to-end)",
        "Imported comparison.xlsx: 2 added, 0 replaced, 0 unchanged.",
    ]
    assert entries(roadmap_store, "google-vertex-ai", "2021-05-18") == {
        "FE-01": ("preview", None, None, None),
        "FE-02": ("unknown", None, None, None),
        "MT-01": ("ga", None, None, None),
    }
    assert [(s["vendor"], s["source"]) for s in listing(invoke, "snapshots")] == [
        ("amazon-sagemaker", "platform review"),
        ("google-vertex-ai", "platform review"),
    ]
    assert len(listing(invoke, "log")) == 3  # two requirements imports, one snapshot import


def test_wide_form_takes_its_date_from_a_label_or_the_file_name(invoke, roadmap_store, make_xlsx):
    make_xlsx([["As of:", "2021-06"], *WIDE], "a.xlsx")
    make_xlsx(WIDE, "comparison_2021-12-15.xlsx")
    assert invoke("import", "snapshot", "a.xlsx").exit_code == 0
    assert invoke("import", "snapshot", "comparison_2021-12-15.xlsx").exit_code == 0
    assert [(s["vendor"], s["as_of"]) for s in listing(invoke, "snapshots")] == [
        ("amazon-sagemaker", "2021-06-01"),
        ("amazon-sagemaker", "2021-12-15"),
        ("google-vertex-ai", "2021-06-01"),
        ("google-vertex-ai", "2021-12-15"),
    ]


def test_wide_form_reuses_stored_vendors_and_vendor_picks_one_column(
    invoke, roadmap_store, make_csv, make_xlsx
):
    make_csv([["Vendor:", "Amazon SageMaker"], HEADER, *ROWS], "sagemaker_2020-12-15.csv")
    assert invoke("import", "snapshot", "sagemaker_2020-12-15.csv").exit_code == 0
    make_xlsx(WIDE, "comparison.xlsx")
    result = invoke(
        "import", "snapshot", "comparison.xlsx", "--as-of", "2021-12-15", "--vendor", "sagemaker"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "added     sagemaker 2021-12-15: 3 entries, 2 ga"
    assert [v["key"] for v in listing(invoke, "vendors")] == ["sagemaker"]


def test_snapshots_listing_by_vendor_name_or_key(invoke, roadmap_store, make_xlsx):
    make_xlsx(WIDE, "comparison.xlsx")
    invoke("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-18")
    by_name = listing(invoke, "snapshots", "--vendor", "Google Vertex AI")
    assert by_name == listing(invoke, "snapshots", "--vendor", "google-vertex-ai")
    assert [s["vendor"] for s in by_name] == ["google-vertex-ai"]
    result = invoke("snapshots", "--vendor", "azure")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: unknown vendor 'azure' (stored vendors: amazon-sagemaker, google-vertex-ai)\n"
    )


# -- immutability ---------------------------------------------------------------------------


@pytest.mark.engines
def test_reimporting_an_identical_snapshot_changes_nothing(invoke, roadmap_store, make_xlsx):
    make_xlsx(LONG, "sm.xlsx")
    invoke("import", "snapshot", "sm.xlsx")
    before = state(invoke)
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unchanged amazon-sagemaker 2020-12-15: 3 entries, 2 ga",
        "No changes (0 added, 0 replaced, 1 unchanged); nothing was written.",
    ]
    assert state(invoke) == before


def count_reads(monkeypatch) -> list[int]:
    """One item per time an import reads its file."""
    import roadmap.snapshots as module

    reads: list[int] = []
    real = module.read_table
    monkeypatch.setattr(module, "read_table", lambda *a, **k: reads.append(1) or real(*a, **k))
    return reads


@pytest.mark.engines
def test_the_same_comparison_table_again_is_told_unchanged_from_the_log(
    invoke, roadmap_store, make_xlsx, monkeypatch
):
    make_xlsx(WIDE, "comparison.xlsx")
    first = invoke("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-18")
    assert first.exit_code == 0, first.output
    before = state(invoke)
    reads = count_reads(monkeypatch)
    result = invoke("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-18")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "unchanged amazon-sagemaker 2021-05-18: 3 entries, 2 ga",
        "unchanged google-vertex-ai 2021-05-18: 3 entries, 1 ga",
        "No changes (0 added, 0 replaced, 2 unchanged); nothing was written.",
    ]
    assert result.stderr == first.stderr  # the first import's warnings, said again
    assert reads == []
    assert state(invoke) == before


@pytest.mark.parametrize(
    "again",
    [
        (
            "import",
            "snapshot",
            "comparison.xlsx",
            "--as-of",
            "2021-05-18",
            "--source",
            "x",
            "--replace",
        ),
        ("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-18", "--dry-run"),
        ("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-19"),
    ],
)
def test_other_options_read_the_snapshot_file_again(
    invoke, roadmap_store, make_xlsx, monkeypatch, again
):
    make_xlsx(WIDE, "comparison.xlsx")
    invoke("import", "snapshot", "comparison.xlsx", "--as-of", "2021-05-18")
    reads = count_reads(monkeypatch)
    assert invoke(*again).exit_code == 0
    assert reads == [1]


def test_a_snapshot_file_is_read_again_after_what_could_change_it(
    invoke, roadmap_store, make_xlsx, monkeypatch
):
    make_xlsx(LONG, "sm.xlsx")
    invoke("import", "snapshot", "sm.xlsx")
    invoke("vendors", "rename", "amazon-sagemaker", "--name", "AWS SageMaker")
    reads = count_reads(monkeypatch)
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 0, result.output
    assert reads == [1]
    assert result.stdout.splitlines()[0] == "unchanged amazon-sagemaker 2020-12-15: 3 entries, 2 ga"
    make_xlsx(LONG[:-1], "sm.xlsx")  # other bytes: read, and a different snapshot
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 1
    assert reads == [1, 1]


def test_a_snapshot_file_imported_by_an_older_reader_is_read_again(
    invoke, roadmap_store, make_xlsx, monkeypatch
):
    make_xlsx(LONG, "sm.xlsx")
    invoke("import", "snapshot", "sm.xlsx")
    ((event, text),) = roadmap_store.db.execute(
        "SELECT id, summary FROM events WHERE action = 'import snapshot'"
    )
    summary = json.loads(text)
    del summary["options"]["reader"]  # as a version before the reader's was recorded
    with roadmap_store.transaction():
        roadmap_store.db.execute(
            "UPDATE events SET summary = ? WHERE id = ?", (json.dumps(summary), event)
        )
    reads = count_reads(monkeypatch)
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "unchanged amazon-sagemaker 2020-12-15: 3 entries, 2 ga"
    assert reads == [1]


def test_library_tells_an_unchanged_snapshot_file_without_reading_it(
    roadmap_store, make_xlsx, monkeypatch
):
    path = make_xlsx(LONG, "sm.xlsx")
    assert import_snapshots(roadmap_store, str(path)).written
    reads = count_reads(monkeypatch)
    again = import_snapshots(roadmap_store, str(path))
    assert reads == []
    assert not again.written
    assert [
        (s.vendor.key, s.snapshot.as_of, s.status, s.entries, s.ga) for s in again.snapshots
    ] == [("amazon-sagemaker", "2020-12-15", "unchanged", 3, 2)]
    assert again.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.engines
def test_a_different_snapshot_for_the_same_date_needs_replace(
    invoke, roadmap_store, make_xlsx, tmp_path
):
    make_xlsx(LONG, "sm.xlsx", sheet="Snapshots")
    invoke("import", "snapshot", "sm.xlsx")
    make_xlsx([*LABELS, HEADER, ["FE-01", "ga"], ["FE-02", "ga"]], "sm2.xlsx", sheet="Snapshots")
    before = state(invoke)
    refused = invoke("import", "snapshot", "sm2.xlsx")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "sm2.xlsx:Snapshots!B1: amazon-sagemaker already has a different snapshot at "
        "2020-12-15 (3 entries); pass --replace to store this one (the old one stays in "
        "history)\n"
    )
    assert state(invoke) == before

    result = invoke("import", "snapshot", "sm2.xlsx", "--replace")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "replaced  amazon-sagemaker 2020-12-15: 2 entries, 2 ga",
        "Imported sm2.xlsx: 0 added, 1 replaced, 0 unchanged.",
    ]
    assert [(s["entries"], s["current"]) for s in listing(invoke, "snapshots", "--history")] == [
        (3, False),
        (2, True),
    ]
    assert [s["entries"] for s in listing(invoke, "snapshots")] == [2]
    log = listing(invoke, "log")[-1]
    assert (log["action"], log["file"], log["as_of"]) == (
        "import snapshot",
        "sm2.xlsx",
        "2020-12-15",
    )
    assert log["sha256"] == hashlib.sha256((tmp_path / "sm2.xlsx").read_bytes()).hexdigest()
    assert log["changes"] == "amazon-sagemaker 2020-12-15 (replaced); 2 entries"


def test_dry_run_says_what_it_would_store_and_writes_nothing(invoke, roadmap_store, make_xlsx):
    make_xlsx(LONG, "sm.xlsx")
    before = state(invoke)
    result = invoke("import", "snapshot", "sm.xlsx", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        "Dry run: 1 added, 0 replaced, 0 unchanged; nothing was written."
    )
    assert state(invoke) == before


# -- bad input ------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_cell_and_nothing_is_written(
    invoke, roadmap_store, make_xlsx
):
    make_xlsx(
        [
            ["Kind:", "cloud-ish"],
            ["Requirement ID", "Level", "Product"],
            ["FE-01", "sorta", None],
            ["XX-99", "ga", None],
            [None, "ga", "orphan product"],
            ["FE-01", "ga", None],
        ],
        "snap.xlsx",
        sheet="Snapshots",
    )
    before = state(invoke)
    result = invoke("import", "snapshot", "snap.xlsx")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "snap.xlsx:Snapshots!B1: unknown vendor kind 'cloud-ish' (expected one of: "
        "end-to-end, best-of-breed, open-source, in-house)",
        f"snap.xlsx:Snapshots!B3: unknown level 'sorta' (expected one of: {ACCEPTED})",
        "snap.xlsx:Snapshots!2: no vendor: pass --vendor KEY, put 'Vendor: NAME' above the "
        "header, or name the file like sagemaker_2021-05-18.xlsx",
        "snap.xlsx:Snapshots!2: no date: pass --as-of DATE, put 'As of: DATE' above the "
        "header, or name the file like sagemaker_2021-05-18.xlsx",
        "snap.xlsx:Snapshots!A4: unknown requirement 'XX-99' (no requirement has this id or "
        "title; import the requirements first or correct it)",
        "snap.xlsx:Snapshots!A5: no requirement id or title",
        "6 problems; nothing was written.",
    ]
    assert state(invoke) == before


def test_a_bad_date_and_a_bad_wide_cell_are_located(invoke, roadmap_store, make_csv):
    make_csv([["As of:", "someday"], *WIDE[2:4], ["MT-01", "x", "?", "perhaps", "no"]], "wide.csv")
    result = invoke("import", "snapshot", "wide.csv")
    assert result.exit_code == 1
    # The bad date is the problem: no second "no date" message that points elsewhere.
    assert result.stderr == "wide.csv:B1: not a date: 'someday' (use YYYY-MM-DD or YYYY-MM)\n"
    result = invoke("import", "snapshot", "wide.csv", "--as-of", "2021-05")
    assert result.exit_code == 1
    assert result.stderr == (
        f"wide.csv:D4: unknown level 'perhaps' (expected one of: {ACCEPTED})\n"
    )
    assert listing(invoke, "snapshots") == []


def test_a_snapshot_needs_requirements_first(invoke, store, make_csv):
    make_csv([HEADER, *ROWS], "sagemaker_2020-12.csv")
    result = invoke("import", "snapshot", "sagemaker_2020-12.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the store has no requirements yet; run 'roadmap import requirements FILE' first\n"
    )


def test_library_raises_one_error_with_every_problem(roadmap_store, make_csv):
    make_csv([HEADER, ["FE-01", "maybe"], ["MT-01", "perhaps"]], "v_2021-01-01.csv")
    with pytest.raises(RoadmapError) as raised:
        import_snapshots(roadmap_store, "v_2021-01-01.csv")
    assert [p.location for p in raised.value.problems] == [
        "v_2021-01-01.csv:B2",
        "v_2021-01-01.csv:B3",
    ]
    assert roadmap_store.snapshot_infos() == []


def test_other_columns_are_kept_in_notes_with_a_warning(invoke, roadmap_store, make_csv):
    make_csv(
        [
            ["Requirement ID", "Stage", "Level", "Notes", "Checked by"],
            ["FE-01", "feature engineering", "ga", "GA in May", "Priya"],
            ["MT-01", "model training", "none", None, "Marcus"],
        ],
        "acme_2021-06-01.csv",
    )
    result = invoke("import", "snapshot", "acme_2021-06-01.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: acme_2021-06-01.csv:E1: column 'Checked by' is not a "
        "snapshot field; its values are kept in notes\n"
    )
    assert entries(roadmap_store, "acme", "2021-06-01") == {
        "FE-01": ("ga", None, None, "GA in May\nChecked by: Priya"),
        "MT-01": ("none", None, None, "Checked by: Marcus"),
    }


def test_wide_form_with_an_id_and_a_requirement_column(invoke, roadmap_store, make_xlsx):
    make_xlsx(
        [
            ["ID", "Requirement", "Azure ML"],
            ["FE-01", "Managed feature store", "no"],
            [None, "Managed training jobs", "ga"],
        ],
        "azure_2021-12-15.xlsx",
    )
    result = invoke("import", "snapshot", "azure_2021-12-15.xlsx")
    assert result.exit_code == 0, result.output
    assert entries(roadmap_store, "azure-ml", "2021-12-15") == {
        "FE-01": ("none", None, None, None),
        "MT-01": ("ga", None, None, None),
    }


# -- review findings ------------------------------------------------------------------------


def test_a_status_column_beside_vendor_columns_is_a_requirement_field(
    invoke, roadmap_store, make_csv
):
    make_csv(
        [
            ["ID", "Title", "Owner", "Status", "SM", "VX"],
            ["FE-01", "Managed feature store", "me", "open", "ga", "none"],
        ],
        "w3.csv",
    )
    result = invoke("import", "snapshot", "w3.csv", "--as-of", "2021-06-01")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert entries(roadmap_store, "sm", "2021-06-01") == {"FE-01": ("ga", None, None, None)}
    assert entries(roadmap_store, "vx", "2021-06-01") == {"FE-01": ("none", None, None, None)}


def test_a_status_column_alone_is_still_the_level(roadmap_store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage", "Status"],
            ["FE-01", "Managed feature store", "feature engineering", "preview"],
        ],
        "acme_2021-06-01.csv",
    )
    import_snapshots(roadmap_store, "acme_2021-06-01.csv")
    assert entries(roadmap_store, "acme", "2021-06-01") == {"FE-01": ("preview", None, None, None)}


def test_snapshot_columns_in_a_comparison_table_are_ignored_with_a_warning(
    invoke, roadmap_store, make_csv
):
    make_csv(
        [["ID", "Amazon SageMaker", "Notes", "Date"], ["FE-01", "ga", "checked", "2021-06-01"]],
        "wide_2021-05-18.csv",
    )
    result = invoke("import", "snapshot", "wide_2021-05-18.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: wide_2021-05-18.csv:C1: column 'Notes' is ignored in a comparison table",
        "warning: wide_2021-05-18.csv:D1: column 'Date' is ignored in a comparison table; "
        "pass --as-of DATE to date its snapshots",
    ]
    assert entries(roadmap_store, "amazon-sagemaker", "2021-05-18") == {
        "FE-01": ("ga", None, None, None)
    }


def test_a_bad_as_of_option_is_the_only_problem(roadmap_store, make_csv):
    make_csv(LONG, "sm.csv")
    with pytest.raises(RoadmapError) as raised:
        import_snapshots(roadmap_store, "sm.csv", as_of="garbage")
    assert [(p.location, p.message) for p in raised.value.problems] == [
        ("as_of", "not a date: 'garbage' (use YYYY-MM-DD or YYYY-MM)")
    ]


@pytest.mark.engines
def test_a_new_vendor_is_announced_once_for_all_its_snapshots(invoke, roadmap_store, make_csv):
    make_csv(
        [
            ["Vendor", "As of", "Requirement ID", "Level"],
            ["Acme", "2021-06-01", "FE-01", "ga"],
            ["Acme", "2021-12-01", "FE-01", "ga"],
        ],
        "acme.csv",
    )
    result = invoke("import", "snapshot", "acme.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "added     acme 2021-06-01: 1 entry, 1 ga (new vendor: Acme, end-to-end)",
        "added     acme 2021-12-01: 1 entry, 1 ga",
        "Imported acme.csv: 2 added, 0 replaced, 0 unchanged.",
    ]
    assert [v["snapshots"] for v in listing(invoke, "vendors")] == [2]


# -- wide tables as they come; --map ----------------------------------------------------------

CATALOGUE = [
    ["ID", "Feature", "Description", "Since", "Empty", "Amazon SageMaker", "Vertex AI"],
    ["FE-01", "Managed feature store", "Online and offline", "2019", None, "✔️", "☑"],
    ["FE-02", "Feature store with an entity model", "Entities", "2020", None, "Yes¹", "❌"],
    ["MT-01", "Managed training jobs", "GPU and TPU", "2018", None, "⏳", "sorta"],
    ["DM-01", "Real-time endpoints", "Autoscaling", "2018", None, "sorta", "✓*"],
]


def test_a_wide_table_skips_columns_that_hold_no_levels_with_one_warning_each(
    invoke, roadmap_store, make_xlsx
):
    rows = [row[:] for row in CATALOGUE]
    rows[3][6] = rows[4][5] = "no"
    make_xlsx(rows, "catalogue.xlsx")
    result = invoke("import", "snapshot", "catalogue.xlsx", "--as-of", "2021-06-01")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: catalogue.xlsx:Requirements!D1: column 'Since' is skipped, not a vendor "
        "(most of its cells are not level words); --map 'Since=ignore' says so",
        "warning: catalogue.xlsx:Requirements!E1: column 'Empty' is skipped, not a vendor "
        "(it is empty); --map 'Empty=ignore' says so",
    ]
    assert [(s["vendor"], s["ga"]) for s in listing(invoke, "snapshots")] == [
        ("amazon-sagemaker", 2),
        ("vertex-ai", 2),
    ]
    assert entries(roadmap_store, "amazon-sagemaker", "2021-06-01")["MT-01"][0] == "planned"


def test_every_cell_that_is_no_level_is_named_the_words_listed_once(
    invoke, roadmap_store, make_xlsx
):
    make_xlsx(CATALOGUE, "catalogue.xlsx")
    result = invoke(
        "import",
        "snapshot",
        "catalogue.xlsx",
        "--as-of",
        "2021-06-01",
        "--map",
        "Since=ignore",
        "--map",
        "Empty=ignore",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"catalogue.xlsx:Requirements!G4: unknown level 'sorta' (expected one of: {ACCEPTED})",
        "catalogue.xlsx:Requirements!F5: unknown level 'sorta' (not a level word either)",
        "2 problems; nothing was written.",
    ]
    assert listing(invoke, "snapshots") == []


def test_map_names_snapshot_columns(invoke, roadmap_store, make_csv):
    make_csv(
        [["Capability", "Offered?", "Docs"], ["Managed feature store", "yes", "https://x"]],
        "sagemaker_2021-06-01.csv",
    )
    result = invoke(
        "import",
        "snapshot",
        "sagemaker_2021-06-01.csv",
        "--map",
        "Capability=requirement",
        "--map",
        "Offered?=level",
        "--map",
        "Docs=evidence",
    )
    assert result.exit_code == 0, result.output
    assert entries(roadmap_store, "sagemaker", "2021-06-01") == {
        "FE-01": ("ga", None, "https://x", None)
    }


def test_a_bad_snapshot_map_is_a_usage_error_and_a_missing_column_is_named(
    invoke, roadmap_store, make_csv
):
    make_csv([["ID", "Level"], ["FE-01", "ga"]], "sagemaker_2021-06-01.csv")
    result = invoke("import", "snapshot", "sagemaker_2021-06-01.csv", "--map", "ID=colour")
    assert result.exit_code == 2
    assert (
        "unknown field 'colour' in 'ID=colour' (expected one of: requirement, title, "
        "level, product, evidence, notes, vendor, as_of, or ignore)" in result.stderr
    )
    result = invoke("import", "snapshot", "sagemaker_2021-06-01.csv", "--map", "Offer=level")
    assert result.exit_code == 1
    assert result.stderr == (
        "--map: no column named 'Offer' in the header row (columns: 'ID', 'Level')\n"
    )


def test_a_level_merged_down_over_several_requirements_is_each_ones(
    invoke, roadmap_store, make_xlsx
):
    from openpyxl import load_workbook

    rows = [
        [rid, level, product, None, None]
        for rid, level, product in [
            ("FE-01", "GA", "SageMaker Feature Store"),
            ("FE-02", None, "SageMaker Feature Store"),
            ("MT-01", None, "SageMaker Training"),
        ]
    ]
    path = make_xlsx([*LABELS, HEADER, *rows], "sm.xlsx", sheet="Snapshots")
    book = load_workbook(path)
    book.active.merge_cells("B7:B9")  # one GA beside the three requirements
    book.save(path)
    result = invoke("import", "snapshot", "sm.xlsx")
    assert result.exit_code == 0, result.output
    assert entries(roadmap_store, "amazon-sagemaker", "2020-12-15") == {
        "FE-01": ("ga", "SageMaker Feature Store", None, None),
        "FE-02": ("ga", "SageMaker Feature Store", None, None),
        "MT-01": ("ga", "SageMaker Training", None, None),
    }
