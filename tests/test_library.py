"""The library's own contract, called from Python: dates in every spelling a user would
pass mean what the CLI means by them, bad ones raise ``UsageError`` naming the value,
vendors resolve by key, name, alias and case, and results are typed.

The stores are conftest's ``review_store`` (Alpha ML and Beta AI with snapshots of
2021-06-01 and 2021-12-01, Gamma OSS of 2021-06-01; start 2021-05, cadence 3) and
``stack_store`` (plat 2021-01-15, blank 2021-02-01, glueco 2021-04-01, feast 2021-05-01,
serve 2021-05-15).
"""

import datetime as dt
import json
import subprocess
import sys

import pytest

import roadmap
from roadmap import (
    CompareRow,
    Comparison,
    InputError,
    Month,
    RoadmapError,
    StoreError,
    UsageError,
    build_review,
    compare_at,
    parity_at,
    recommend_at,
    record_review,
    store_schedule,
    vendor_diff,
)
from roadmap.schedule import next_review_date, schedule
from roadmap.store import Settings, Store

# The first of December, spelt every way a caller may: a month alone is its first day.
DECEMBER_FIRST = ["2021-12", "2021-12-01", dt.date(2021, 12, 1), dt.datetime(2021, 12, 1, 9, 30)]
# What the CLI and the library pick on 2021-12-01: the December snapshots where there is
# one (a text comparison of "2021-12-01" with "2021-12" picked June's).
DECEMBER_SNAPSHOTS = {"alpha": "2021-12-01", "beta": "2021-12-01", "gamma": "2021-06-01"}
BAD_DAYS = ["2021-13", "soon", "", "0000-06-01", "2021-02-30"]


def as_json(invoke, *command: str) -> list[dict]:
    result = invoke(*command, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- dates in every spelling ---------------------------------------------------------


def test_compare_at_a_month_picks_the_snapshots_the_cli_picks(review_store, invoke):
    cli_rows = as_json(invoke, "compare", "--as-of", "2021-12")
    assert {row["vendor"]: row["as_of"] for row in cli_rows} == DECEMBER_SNAPSHOTS
    for day in DECEMBER_FIRST:
        comparison = compare_at(review_store, day)
        assert isinstance(comparison, Comparison)
        assert comparison.day == dt.date(2021, 12, 1)
        assert comparison.used == DECEMBER_SNAPSHOTS
        assert comparison.as_rows() == cli_rows


def test_compare_at_the_end_of_the_month_and_the_day_before_it(review_store):
    assert compare_at(review_store, "2021-12-31").used == DECEMBER_SNAPSHOTS
    assert compare_at(review_store, dt.date(2021, 11, 30)).used == {
        "alpha": "2021-06-01",
        "beta": "2021-06-01",
        "gamma": "2021-06-01",
    }


def test_compare_rows_are_typed_and_scored_once(review_store):
    row = compare_at(review_store, "2021-12", ["alpha"]).rows[0]
    assert isinstance(row, CompareRow)
    # Alpha on 2021-12-01 over the November roadmap's 9 active requirements: FE-01
    # partial (½), DM-01 ga (1), DM-02 planned (0), six unassessed.
    assert (row.vendor, row.as_of) == ("alpha", "2021-12-01")
    assert row.coverage.overall == pytest.approx(1.5 / 9)
    assert row.coverage.assessed == pytest.approx(3 / 9)
    assert row.caveats == ("assessed on 33% of requirements only",)


def test_a_review_at_a_month_is_the_review_of_its_first_day(review_store, invoke):
    for day in DECEMBER_FIRST:
        review = build_review(review_store, day, "alpha")
        assert review.as_of == dt.date(2021, 12, 1)
        assert review.window[0] == Month(2021, 12) and review.window[-1] == Month(2023, 5)
        assert review.next_review == dt.date(2022, 2, 1)
        assert {v: s.as_of for v, (_, s) in review.snapshots.items()} == DECEMBER_SNAPSHOTS
    result = invoke(
        "review", "--output", "r.xlsx", "--as-of", "2021-12", "--primary", "alpha", "--no-record"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith(
        "r.xlsx: review of 2021-12-01, window 2021-12 to 2023-05, 9 requirements, 3 vendors."
    )


def test_a_recorded_review_keeps_its_day_as_text(review_store):
    assert record_review(review_store, build_review(review_store, dt.datetime(2021, 6, 30, 8)))
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]
    # The same review again, spelt as text: already recorded.
    assert not record_review(review_store, build_review(review_store, "2021-06-30"))


def test_recommend_at_a_month_leaves_out_snapshots_later_in_it(stack_store, invoke):
    cli_rows = as_json(invoke, "recommend", "--as-of", "2021-05", "--primary", "plat")
    for day in ("2021-05", "2021-05-01", dt.date(2021, 5, 1)):
        # On 2021-05-01 serve (2021-05-15) has no snapshot yet: feast closes R2 to ga
        # (weight 2 × ½) and R5 as glue (weight 3 × ½) of 11; then nothing closes more.
        result = recommend_at(stack_store, day, "Plat ML", 3)
        assert [(s.add, s.closes, s.glue) for s in result.steps] == [
            ("feast", ("R2", "R5"), ("R5",))
        ]
        assert result.steps[0].weighted_gain == pytest.approx(2.5 / 11)
        assert result.stopped == "nothing closes"
        assert result.as_rows() == cli_rows


def test_recommend_in_the_middle_of_the_month_sees_serve(stack_store):
    # serve brings R4 to ga (2 × ½) and R5 to ga (3 × 1): more than feast's 2.5.
    assert recommend_at(stack_store, "2021-05-15", "plat", 1).steps[0].add == "serve"


def test_parity_at_a_date_leaves_out_later_snapshots(review_store):
    for day in ("2021-11", "2021-11-30", dt.date(2021, 11, 30)):
        rows = {row.requirement: row.as_dict() for row in parity_at(review_store, day).rows}
        # Before Alpha's December snapshot only Gamma has DM-01 at ga, in its first one.
        assert rows["DM-01"] == {
            "requirement": "DM-01",
            "title": "Real-time endpoints",
            "first_ga": {"alpha": None, "beta": None, "gamma": "2021-06"},
            "censored": ["gamma"],
            "leader": "gamma",
            "lag_months": None,
            "lag_is_lower_bound": False,
        }


def test_parity_undated_is_the_command(review_store, invoke):
    parity = parity_at(review_store)
    assert parity.vendors == ["alpha", "beta", "gamma"]
    rows = {row["requirement"]: row for row in parity.as_rows()}
    # Alpha reached ga in December, six months after Gamma's "ga by then": at least 6.
    assert rows["DM-01"]["first_ga"] == {"alpha": "2021-12", "beta": None, "gamma": "2021-06"}
    assert (rows["DM-01"]["lag_months"], rows["DM-01"]["lag_is_lower_bound"]) == (6, True)
    assert parity.as_rows() == as_json(invoke, "parity")


ALPHA_DIFF = [
    {
        "requirement": "FE-01",
        "title": "Managed feature store",
        "from": "none",
        "to": "partial",
        "change": "upgraded",
    },
    {
        "requirement": "DM-01",
        "title": "Real-time endpoints",
        "from": "preview",
        "to": "ga",
        "change": "upgraded",
    },
    {
        "requirement": "DM-02",
        "title": "Inference graphs",
        "from": "none",
        "to": "planned",
        "change": "upgraded",
    },
]


def test_diff_by_month_day_or_date(review_store, invoke):
    assert as_json(invoke, "diff", "alpha", "--from", "2021-06", "--to", "2021-12") == ALPHA_DIFF
    for start, end in (
        ("2021-06", "2021-12"),
        ("2021-06-01", "2021-12-01"),
        (dt.date(2021, 6, 1), dt.date(2021, 12, 1)),
        (None, None),
    ):
        diff = vendor_diff(review_store, "Alpha ML", start, end)
        assert (diff.old.as_of, diff.new.as_of) == ("2021-06-01", "2021-12-01")
        assert diff.as_rows() == ALPHA_DIFF


def test_diff_on_a_day_without_a_snapshot_says_which_there_are(review_store):
    with pytest.raises(InputError) as caught:
        vendor_diff(review_store, "alpha", dt.date(2021, 6, 2))
    assert str(caught.value) == (
        "--from: no snapshot of alpha at 2021-06-02 (its snapshots: 2021-06-01, 2021-12-01)"
    )


@pytest.mark.parametrize(
    "reviewed", [["2021-06-30"], [dt.date(2021, 6, 30)], [dt.datetime(2021, 6, 30, 23, 59)]]
)
def test_schedule_takes_days_in_any_spelling(reviewed):
    settings = Settings(start="2021-05", horizon=6, cadence=3)
    assert [(r.date, r.state) for r in schedule(settings, reviewed)] == [
        (dt.date(2021, 5, 1), "done"),
        (dt.date(2021, 8, 1), "next"),
        (dt.date(2021, 11, 1), "planned"),
    ]  # 2021-06-30 + 6 months is 2021-12-30


@pytest.mark.parametrize(
    "day, expected",
    [
        ("2021-12", dt.date(2022, 2, 1)),
        ("2021-11", dt.date(2022, 2, 1)),
        ("2021-10-31", dt.date(2021, 11, 1)),
        (dt.date(2021, 11, 1), dt.date(2022, 2, 1)),
    ],
)
def test_the_next_review_after_a_day_in_any_spelling(day, expected):
    assert next_review_date(Settings(start="2021-05", cadence=3), day) == expected


def test_the_stored_schedule_is_the_command_s(review_store, invoke):
    record_review(review_store, build_review(review_store, "2021-06"))
    rows = [row.as_dict() for row in store_schedule(review_store)]
    assert rows[:2] == [
        {"date": "2021-05-01", "state": "done"},
        {"date": "2021-08-01", "state": "next"},
    ]
    assert rows == as_json(invoke, "schedule")


# -- bad dates ------------------------------------------------------------------------

CALLS = {
    "compare": lambda store, day: compare_at(store, day),
    "review": lambda store, day: build_review(store, day),
    "recommend": lambda store, day: recommend_at(store, day),
    "parity": lambda store, day: parity_at(store, day),
    "diff": lambda store, day: vendor_diff(store, "alpha", day),
    "next review": lambda store, day: next_review_date(store.settings(), day),
    "schedule": lambda store, day: schedule(store.settings(), [day]),
}


def test_a_bad_date_is_a_usage_error_naming_it(review_store):
    for call in CALLS.values():
        for day in BAD_DAYS:
            with pytest.raises(UsageError) as caught:
                call(review_store, day)
            assert repr(day) in str(caught.value)
    for name in ("compare", "review", "recommend", "parity"):
        with pytest.raises(UsageError) as caught:
            CALLS[name](review_store, dt.date(1, 1, 1))
        assert str(caught.value) == ("as_of: year out of range in '0001-01-01' (use 1900 to 2999)")
    for name in ("next review", "schedule"):  # no default day: None is none
        with pytest.raises(UsageError) as caught:
            CALLS[name](review_store, None)
        assert "None is not a date" in str(caught.value)
    with pytest.raises(UsageError) as caught:
        compare_at(review_store, 20211201)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "as_of: 20211201 is not a date (use YYYY-MM-DD, YYYY-MM or a datetime.date)"
    )


def test_a_bad_start_month_is_an_input_error_naming_it():
    with pytest.raises(InputError) as caught:
        schedule(Settings(start=""), [])
    assert str(caught.value) == (
        "the roadmap's start month '' is not a month (YYYY-MM): "
        "make the roadmap with 'roadmap init --start YYYY-MM'"
    )


@pytest.mark.parametrize(
    "name, value", [("cadence", 0), ("horizon", 0), ("cadence", 25), ("horizon", "18")]
)
def test_a_cadence_or_horizon_that_makes_no_schedule_is_an_input_error(name, value):
    settings = Settings(start="2021-05", **{name: value})
    for call in (lambda: schedule(settings, []), lambda: next_review_date(settings, "2021-12")):
        with pytest.raises(InputError) as caught:
            call()
        assert str(caught.value).startswith(
            f"the roadmap's {name} {value!r} is not a number of months from 1 to "
        )


def test_a_review_with_no_horizon_is_an_input_error(review_store):
    with review_store.transaction():
        review_store.db.execute("UPDATE roadmap SET horizon = 0")
    with pytest.raises(InputError) as caught:
        build_review(review_store, "2021-12")
    assert str(caught.value) == (
        "the roadmap's horizon 0 is not a number of months from 1 "
        "to 120: set one with 'roadmap settings --horizon N'"
    )


def test_months_count_and_print_as_the_store_spells_them():
    assert str(Month(2021, 11) + 3) == "2022-02"
    assert Month(2022, 2) - Month(2021, 11) == 3
    assert Month(2021, 1) - 1 == Month(2020, 12)
    assert Month.parse("Sep 2021") == Month(2021, 9) < Month(2021, 10)
    with pytest.raises(ValueError):
        Month(2021, 13)


# -- vendors --------------------------------------------------------------------------


def test_a_vendor_by_key_name_alias_or_case(review_store):
    with review_store.transaction():
        review_store.add_vendor_alias("Alpha Platform", "alpha")
    for name in (
        "alpha",
        "Alpha ML",
        "ALPHA ML",
        "  alpha ml ",
        "Alpha Platform",
        "alpha-platform",
    ):
        assert [r.vendor for r in compare_at(review_store, "2021-12", [name]).rows] == ["alpha"]
        assert build_review(review_store, "2021-12", name).primary == "alpha"
        assert recommend_at(review_store, "2021-12", name).primary == "alpha"
        assert vendor_diff(review_store, name).vendor.key == "alpha"
        assert compare_at(review_store, "2021-12", [f"{name}+Beta AI"]).rows[0].vendor == (
            "alpha+beta"
        )


UNKNOWN = "unknown vendor 'delta' (stored vendors: alpha, beta, gamma)"


def test_an_unknown_vendor_is_an_input_error_listing_the_stored_ones(review_store):
    for call in (
        lambda store: compare_at(store, "2021-12", ["delta"]),
        lambda store: compare_at(store, "2021-12", ["alpha+delta"]),
        lambda store: build_review(store, "2021-12", "delta"),
        lambda store: build_review(store, "2021-12", stack="alpha+delta"),
        lambda store: recommend_at(store, "2021-12", "delta"),
        lambda store: vendor_diff(store, "delta"),
    ):
        with pytest.raises(InputError) as caught:
            call(review_store)
        assert str(caught.value) == UNKNOWN


# -- what escapes ---------------------------------------------------------------------


def test_a_file_that_is_no_store_is_a_store_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        Store.open(str(junk))
    with pytest.raises(StoreError):
        Store.open(str(tmp_path / "missing.db"))


def test_every_error_is_a_roadmap_error():
    for kind in (InputError, StoreError, UsageError, roadmap.OutputError):
        assert issubclass(kind, RoadmapError)


def test_the_package_top_exports_each_call_with_its_docstring():
    for name in (
        "Store",
        "import_requirements",
        "import_snapshots",
        "compare_at",
        "parity_at",
        "recommend_at",
        "build_review",
        "write_review",
        "record_review",
        "vendor_diff",
        "store_schedule",
        "write_export",
    ):
        assert name in roadmap.__all__
        assert getattr(roadmap, name).__doc__, name
    assert sorted(roadmap.__all__) == sorted([*roadmap._HOME, "__version__"])


def test_help_imports_neither_the_store_nor_the_evaluation_nor_a_spreadsheet_library():
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom roadmap.cli import cli\n"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m in ('roadmap.store', 'roadmap.evaluate', "
        "'roadmap.review', 'roadmap.schedule', 'roadmap.months', 'sqlite3', 'openpyxl', "
        "'xlsxwriter', 'python_calamine')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_imports_take_their_date_in_any_spelling_and_refuse_a_bad_one(store, make_csv):
    requirements = make_csv(
        [
            ["ID", "Title", "Stage", "Tier"],
            ["DC-1", "Ingest from S3", "Data collection", "table stakes"],
        ]
    )
    snapshot = make_csv([["Requirement", "Level"], ["DC-1", "ga"]], name="acme.csv")
    for bad in ("2021-13", "soon", "", 20211):
        for call, path in (
            (roadmap.import_requirements, requirements),
            (roadmap.import_snapshots, snapshot),
        ):
            with pytest.raises(UsageError) as caught:
                call(store, str(path), as_of=bad, dry_run=True)
            assert str(caught.value).startswith("as_of: ")
            assert repr(bad) in str(caught.value)
    assert store.events() == []
    roadmap.import_requirements(store, str(requirements), as_of=dt.date(2021, 11, 2))
    roadmap.import_snapshots(
        store, str(snapshot), vendor="acme", as_of=dt.datetime(2021, 12, 15, 9, 30)
    )
    roadmap.import_snapshots(store, str(snapshot), vendor="acme", as_of="2022-01")
    assert [event.as_of for event in store.events()] == ["2021-11-02", "2021-12-15", "2022-01-01"]
    assert [info.as_of for info in store.snapshot_infos("acme")] == ["2021-12-15", "2022-01-01"]


# -- what a careless caller passes ------------------------------------------------------


def test_one_vendor_as_text_or_a_tuple_of_them_is_compared_as_named(review_store):
    def vendors(names):
        return [row.vendor for row in compare_at(review_store, "2021-12", names).rows]

    assert vendors("Alpha ML") == ["alpha"]  # one vendor, not the letters of its name
    assert vendors("alpha+beta") == ["alpha+beta"]
    assert sorted(vendors(("beta", "gamma"))) == ["beta", "gamma"]
    assert sorted(vendors([])) == ["alpha", "beta", "gamma"]  # as the command with none


def test_a_vendor_named_twice_is_refused(review_store):
    with pytest.raises(InputError) as caught:
        compare_at(review_store, "2021-12", ["alpha", "ALPHA ML"])
    assert str(caught.value) == "alpha named twice; name each vendor or stack once"


@pytest.mark.parametrize(
    "call",
    [
        lambda store: compare_at(store, "2021-12", [None]),
        lambda store: compare_at(store, "2021-12", [5]),
        lambda store: build_review(store, "2021-12", 5),
        lambda store: recommend_at(store, "2021-12", 5),
        lambda store: vendor_diff(store, 5),
        lambda store: vendor_diff(store, None),
    ],
)
def test_a_vendor_that_is_not_text_is_a_usage_error_naming_it(review_store, call):
    with pytest.raises(UsageError) as caught:
        call(review_store)
    assert str(caught.value).split(" is not a vendor")[0] in ("None", "5")


def test_compare_refuses_vendors_that_are_no_list(review_store):
    with pytest.raises(UsageError) as caught:
        compare_at(review_store, "2021-12", 5)
    assert str(caught.value) == "vendors: 5 is not a list of vendors or stacks"


def test_a_stack_as_a_list_is_the_stack_of_its_members(review_store):
    joined = build_review(review_store, "2021-12", stack="alpha+beta")
    for stack in (["alpha", "beta"], ("Alpha ML", "Beta AI")):
        review = build_review(review_store, "2021-12", stack=stack)
        assert review.stack.key == "alpha+beta"
        assert [g.requirement.id for g in review.gaps] == [g.requirement.id for g in joined.gaps]
    with pytest.raises(InputError) as caught:
        build_review(review_store, "2021-12", stack=["alpha", "alpha"])
    assert str(caught.value) == "the stack 'alpha+alpha' names alpha twice"


@pytest.mark.parametrize("steps", [0, -1, True, 2.5, "2", None])
def test_max_steps_must_be_a_whole_number_from_one(review_store, steps):
    with pytest.raises(UsageError) as caught:
        recommend_at(review_store, "2021-12", "alpha", max_steps=steps)
    assert str(caught.value) == (
        f"max_steps: max_steps must be a whole number from 1, not {steps!r}"
    )


def test_imports_take_a_path_and_mapping_as_a_user_writes_them(store, make_csv):
    requirements = make_csv(
        [
            ["Key", "Title", "Stage", "Tier"],
            ["DC-1", "Ingest from S3", "Data collection", "table stakes"],
        ]
    )
    for mapping in ("Key=id", ["Key=id"], ("Key=id",), {"Key": "id"}):
        result = roadmap.import_requirements(
            store, requirements, mapping=mapping, as_of="2021-11", dry_run=True
        )
        assert [r.id for r in result.plan.added] == ["DC-1"]
    snapshot = make_csv([["Requirement", "Level"], ["DC-1", "ga"]], name="acme.csv")
    roadmap.import_requirements(store, requirements, mapping={"Key": "id"}, as_of="2021-11")
    roadmap.import_snapshots(store, snapshot, vendor="acme", as_of="2021-12-15")  # a Path
    assert [(i.vendor, i.as_of) for i in store.snapshot_infos()] == [("acme", "2021-12-15")]


@pytest.mark.parametrize(
    "given, message",
    [
        ({"path": None}, "path: None is not a file's path: pass text or a pathlib.Path"),
        ({"path": 0}, "path: 0 is not a file's path: pass text or a pathlib.Path"),
        (
            {"mapping": [("Key", "id")]},
            "mapping: [('Key', 'id')] is not a list of 'Column=field' options",
        ),
        ({"mapping": 5}, "mapping: 5 is not a list of 'Column=field' options"),
        ({"sheet": 1}, "sheet: 1 is not text"),
    ],
)
def test_imports_refuse_a_bad_argument_by_name_and_write_nothing(store, make_csv, given, message):
    requirements = make_csv(
        [
            ["ID", "Title", "Stage", "Tier"],
            ["DC-1", "Ingest from S3", "Data collection", "table stakes"],
        ]
    )
    for call in (roadmap.import_requirements, roadmap.import_snapshots):
        arguments = {"path": requirements, **given}
        with pytest.raises(UsageError) as caught:
            call(store, arguments.pop("path"), **arguments)
        assert str(caught.value) == message
    assert store.events() == []


@pytest.mark.parametrize(
    "given, message",
    [
        ({"vendor": 5}, "vendor: 5 is not text"),
        ({"source": ["x"]}, "source: ['x'] is not text"),
    ],
)
def test_a_snapshot_import_refuses_options_that_are_not_text(store, make_csv, given, message):
    snapshot = make_csv([["Requirement", "Level"], ["DC-1", "ga"]], name="acme.csv")
    with pytest.raises(UsageError) as caught:
        roadmap.import_snapshots(store, snapshot, **given)
    assert str(caught.value) == message
    assert store.snapshot_infos() == []


def test_a_review_is_recorded_only_into_the_store_it_was_built_on(review_store, tmp_path):
    review = build_review(review_store, "2021-12", "alpha")
    other = Store.create(tmp_path / "other.db", Settings(start="2021-05"))
    with pytest.raises(UsageError) as caught:
        record_review(other, review)
    assert str(caught.value).endswith(
        "it was built on another store; build it with build_review on this store"
    )
    assert other.reviews() == [] and other.events() == []
    assert record_review(review_store, review, tmp_path / "review.xlsx") is True
    assert review_store.events()[-1].file == str(tmp_path / "review.xlsx")


# -- the writers take a path as text or pathlib.Path, and refuse what is neither ------


def test_write_review_takes_a_path(review_store, tmp_path):
    roadmap.write_review(build_review(review_store, "2021-12", "alpha"), tmp_path / "review.xlsx")
    assert (tmp_path / "review.xlsx").stat().st_size > 0


def test_write_and_record_takes_a_path(review_store, tmp_path):
    roadmap.write_and_record(review_store, tmp_path / "review.xlsx", "2021-12", primary="alpha")
    assert (tmp_path / "review.xlsx").stat().st_size > 0


def test_write_export_takes_a_path(review_store, tmp_path):
    roadmap.write_export(review_store, tmp_path / "export.xlsx")
    assert (tmp_path / "export.xlsx").stat().st_size > 0


@pytest.mark.parametrize("output", [None, 5, ""])
def test_an_output_that_is_no_path_is_a_usage_error_naming_it(review_store, output):
    review = build_review(review_store, "2021-12", "alpha")
    calls = [
        lambda: roadmap.write_export(review_store, output),
        lambda: roadmap.write_review(review, output),
        lambda: roadmap.write_and_record(review_store, output, "2021-12"),
    ]
    for call in calls:
        with pytest.raises(UsageError) as caught:
            call()
        assert str(caught.value) == (
            f"output: {output!r} is not a file name (give a path such as 'review.xlsx')"
        )
    assert review_store.reviews() == []


def test_a_review_that_is_no_review_is_a_usage_error(review_store, tmp_path):
    expected = "review: {} is not a review; build one with build_review(store, as_of)"
    with pytest.raises(UsageError) as caught:
        roadmap.write_review("review", tmp_path / "review.xlsx")
    assert str(caught.value) == expected.format("'review'")
    with pytest.raises(UsageError) as caught:
        record_review(review_store, None)
    assert str(caught.value) == expected.format("None")
    assert not (tmp_path / "review.xlsx").exists() and review_store.reviews() == []


def test_every_problem_of_an_input_file_is_an_input_error(store, make_csv, tmp_path):
    no_header = make_csv([["nothing", "here"], ["a", "b"]], name="plain.csv")
    for path, message in (
        (tmp_path / "missing.csv", f"{tmp_path}/missing.csv: no such file"),
        (tmp_path, f"{tmp_path}: is a folder, not a spreadsheet"),
    ):
        for call in (roadmap.import_requirements, roadmap.import_snapshots):
            with pytest.raises(InputError) as caught:
                call(store, path, as_of="2021-11")
            assert str(caught.value) == message
    for call in (roadmap.import_requirements, roadmap.import_snapshots):
        with pytest.raises(InputError) as caught:
            call(store, no_header, as_of="2021-11")
        assert str(caught.value).startswith(f"{no_header}:")
    with pytest.raises(InputError) as caught:
        roadmap.import_requirements(store, no_header, mapping=["here=urgency"])
    assert str(caught.value).startswith("--map: unknown field 'urgency' in 'here=urgency'")
    assert store.events() == []


def test_an_import_leaves_the_caller_s_cycle_collector_as_it_found_it(store, make_csv):
    # The imports pause it while they run; a caller's process must get it back, after an
    # error too, and one that had it off keeps it off.
    import gc

    good = make_csv([["ID", "Title", "Stage"], ["DC-1", "Ingest", "Data collection"]])
    bad = make_csv([["ID", "Title", "Stage"], ["DC-1", "Ingest", "Astrology"]], name="bad.csv")
    snapshot = make_csv([["Requirement", "Level"], ["DC-1", "ga"]], name="acme.csv")
    assert gc.isenabled()
    roadmap.import_requirements(store, good, as_of="2021-11")
    assert gc.isenabled()
    with pytest.raises(InputError):
        roadmap.import_requirements(store, bad, as_of="2021-11")
    assert gc.isenabled()
    gc.disable()
    try:
        roadmap.import_snapshots(store, snapshot, vendor="acme", as_of="2021-12")
        assert not gc.isenabled()
    finally:
        gc.enable()
