"""`roadmap review`: the nine-sheet workbook, read back with openpyxl, and its recording.

The store is ``review_store`` (conftest): Alpha ML, Beta AI and Gamma OSS assessed on
2021-06-01 (and Alpha and Beta again on 2021-12-01) against a roadmap that changed on
2021-11-01. Most tests review 2021-12-15 with Alpha as the primary vendor, after a
recorded review of 2021-06-30.
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from click.testing import CliRunner
from conftest import fill_review_store, prepared
from openpyxl import load_workbook

from roadmap.cli import cli
from roadmap.errors import RoadmapError
from roadmap.model import Level
from roadmap.review import build_review, gap_action
from roadmap.review_workbook import SHEETS, record_review, write_and_record, write_review
from roadmap.xlsx import LEVEL_COLOURS

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

D = dt.datetime


@pytest.fixture
def reviewed(engine, db, request, tmp_path):
    """``review_store`` with the 2021-06-30 review recorded, then the 2021-12-15 one written
    to review.xlsx (made once per session on SQLite: see ``prepared``)."""
    prepared(request, fill_review_store, _two_reviews)
    return load_workbook(tmp_path / "review.xlsx")


def _two_reviews(store, make_csv) -> None:
    def invoke(*args: str):
        return CliRunner().invoke(cli, ["--db", store.path, *args])

    first = invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30", "--primary", "alpha")
    assert first.exit_code == 0, first.output
    result = invoke(
        "review", "--output", "review.xlsx", "--as-of", "2021-12-15", "--primary", "alpha"
    )
    assert result.exit_code == 0, result.output


def values(sheet, first_row: int = 1) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(min_row=first_row, values_only=True)]


def table(sheet, header_row: int) -> list[dict]:
    """The rows below ``header_row`` as dicts keyed by its headers (blank rows dropped)."""
    rows = values(sheet, header_row)
    return [dict(zip(rows[0], row)) for row in rows[1:] if any(v is not None for v in row)]


def block(sheet, title: str) -> list[dict]:
    """A titled table on the Summary sheet: the rows under the header below ``title``."""
    rows = values(sheet)
    start = next(i for i, row in enumerate(rows) if row[0] == title) + 1
    found = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        found.append(dict(zip(rows[start], row)))
    return found


def fill(cell) -> str:
    return cell.fill.start_color.rgb[-6:]


def test_the_workbook_has_the_nine_sheets_in_order(reviewed, invoke):
    assert (
        reviewed.sheetnames
        == list(SHEETS)
        == [
            "Summary",
            "Matrix",
            "Changes",
            "Gaps",
            "Timeline",
            "Parity",
            "Requirements",
            "Snapshots",
            "Legend",
        ]
    )


def test_review_prints_where_it_wrote_coverage_and_gaps(review_store, invoke):
    result = invoke(
        "review", "--output", "review.xlsx", "--as-of", "2021-12-15", "--primary", "Alpha ML"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Wrote review.xlsx: review of 2021-12-15, window 2021-12 to 2023-05, "
        "9 requirements, 3 vendors."
    )
    assert lines[1].split() == [
        "vendor",
        "snapshot",
        "coverage",
        "table_stakes",
        "best_in_class",
        "assessed",
        "weighted",
        "primary",
        "caveats",
    ]
    # Each vendor's snapshot says something of 3 of the 9 requirements: a third assessed.
    # No priorities: every requirement weighs 2, so weighted is plain coverage.
    assert lines[3].split()[:8] == ["alpha", "2021-12-01", "17%", "25%", "0%", "33%", "17%", "yes"]
    assert lines[3].endswith("assessed on 33% of requirements only")
    assert lines[5].endswith(
        "assessed on 33% of requirements only; stale: snapshot of 2021-06-01, older than 2 cadences"
    )  # gamma, 6½ months old
    assert lines[-3] == ("Gaps at alpha: 5 (3 assess, 1 buy, 0 glue, 1 wait, 0 build; 1 overdue).")
    # Beta brings FE-01 partial -> ga (2 × ½) and FE-02 unknown -> partner (2 × ½) of 18;
    # alpha+beta then covers 1 + ½ + 1 + ½ of 9.
    assert lines[-2] == (
        "Adding beta to alpha would close 2: FE-01 FE-02 (as glue: FE-02); "
        "weighted +11%, coverage 33% (roadmap recommend)."
    )
    assert lines[-1] == "Recorded the review; the next is due 2022-02-01."
    assert result.stderr == ""  # no progress bar when not on a terminal


def test_summary_states_the_review_and_scores_every_vendor(reviewed):
    sheet = reviewed["Summary"]
    assert sheet["A1"].value == "ML platform roadmap: review of 2021-12-15"
    assert sheet["A1"].font.sz == 16 and sheet["A1"].font.b
    assert sheet["A2"].value == (
        "Alpha ML covers 17% of 9 requirements, assessed on 33%; 5 gaps due by 2023-05 "
        "(3 assess, 1 buy, 1 wait), 1 overdue."
    )
    facts = {row[0]: row[1:] for row in values(sheet) if row[0]}
    assert facts["Roadmap"][0] == "ML platform roadmap"
    assert facts["Review date"][0] == D(2021, 12, 15)
    assert sheet["B5"].number_format == "yyyy-mm-dd"
    assert facts["Horizon window"][0] == "Dec 2021 – May 2023 (18 months)"
    assert facts["Cadence"][0] == "every 3 months"
    assert facts["Next review"][0] == D(2022, 2, 1)
    assert facts["Primary vendor"][0] == "Alpha ML"
    assert facts["Previous review"][0] == D(2021, 6, 30)
    assert facts["Requirements"][0] == 9

    vendors = block(sheet, "Coverage by vendor")
    assert [v["Vendor"] for v in vendors] == ["Alpha ML", "Beta AI", "Gamma OSS"]
    assert [v["Assessed"] for v in vendors] == [pytest.approx(1 / 3)] * 3
    assert vendors[2]["Read with care"] == "only 33% assessed; stale (2021-06-01)"
    alpha = vendors[0]
    assert alpha["Snapshot"] == D(2021, 12, 1)
    assert alpha["Coverage"] == pytest.approx(1.5 / 9)  # partial ½ + ga 1 over 9
    assert alpha["Table stakes"] == pytest.approx(1.5 / 6)
    assert alpha["Best-in-class"] == 0
    assert vendors[2]["Snapshot"] == D(2021, 6, 1)  # Gamma's latest on or before the date

    stages = {row["Stage"]: row for row in block(sheet, "Coverage by stage")}
    # A vendor assessed on fewer than half is marked in the heat map's header too.
    assert stages["Feature engineering"]["Beta AI (33% assessed)"] == pytest.approx(0.75)
    assert stages["Model deployment & monitoring"]["Alpha ML (33% assessed)"] == (
        pytest.approx(1 / 3)
    )
    assert stages["Model design"]["Alpha ML (33% assessed)"] is None  # nothing to score
    assert "Gamma OSS (33% assessed, stale)" in stages["Model design"]
    heat = next(c for c in sheet["D"] if c.value == pytest.approx(0.75))  # Beta, features
    assert fill(heat) == "B1D480"  # 75%: half-way from yellow FFEB84 to green 63BE7B
    assert sheet.cell(heat.row + 1, 1).value == "Data labeling"
    assert fill(sheet.cell(heat.row + 1, 4)) == "F8696B"  # Beta's 0% there: red

    changes = block(sheet, "Changes since the previous review")
    counts = {row["Change"]: row["Count"] for row in changes}
    assert counts == {
        "requirements added": 1,
        "requirements changed": 1,
        "requirements retired": 1,
        "new vendors (first assessment)": 0,
        "vendor levels assessed (were unknown)": 0,
        "vendor levels upgraded": 3,
        "vendor levels downgraded": 1,
        "vendor levels no longer assessed": 0,
    }
    steps = block(sheet, "Next steps: the 5 most important gaps (by priority, then target)")
    # No priorities in this roadmap: by target, then id.
    assert [(s["ID"], s["Action"], s["Vendors"]) for s in steps] == [
        ("FE-01", "buy", "Beta AI"),
        ("DP-01", "assess", "Alpha ML"),
        ("DL-01", "assess", "Alpha ML"),
        ("FE-02", "assess", "Alpha ML"),
        ("DM-02", "wait", "Alpha ML"),
    ]
    history = block(sheet, "Coverage over time")
    assert [row["Review"] for row in history] == [D(2021, 6, 30), D(2021, 12, 15)]
    assert history[1]["Alpha ML (33% assessed)"] == pytest.approx(1.5 / 9)


def charts(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))


def test_summary_charts_coverage_by_stage_and_over_time_once_two_reviews(
    review_store, invoke, tmp_path
):
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30")
    assert charts(tmp_path / "june.xlsx") == ["xl/charts/chart1.xml"]  # one review: bars only
    invoke("review", "--output", "december.xlsx", "--as-of", "2021-12-15")
    assert charts(tmp_path / "december.xlsx") == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    with zipfile.ZipFile(tmp_path / "december.xlsx") as archive:
        assert b"<c:barChart>" in archive.read("xl/charts/chart1.xml")
        assert b"<c:lineChart>" in archive.read("xl/charts/chart2.xml")


def test_matrix_groups_by_stage_with_coloured_levels_and_evidence(reviewed):
    sheet = reviewed["Matrix"]
    rows = table(sheet, 1)
    # Each vendor's header says which snapshot it shows; Gamma's is stale on 2021-12-15.
    alpha_h, beta_h, gamma_h = (
        "Alpha ML\n2021-12-01",
        "Beta AI\n2021-12-01",
        ("Gamma OSS\n2021-06-01, stale"),
    )
    assert list(rows[0]) == [
        "ID",
        "Requirement",
        "Tier",
        "Priority",
        "Target",
        alpha_h,
        beta_h,
        gamma_h,
    ]
    assert fill(sheet["H1"]) == "F8CBAD" and fill(sheet["G1"]) == "DDE4EE"
    # One band row per stage (stage order), then its requirements by id.
    assert [r["ID"] for r in rows] == [
        "Data collection",
        "DC-01",
        "Data processing",
        "DP-01",
        "Feature engineering",
        "FE-01",
        "FE-02",
        "Data labeling",
        "DL-01",
        "Model training",
        "MT-01",
        "Model deployment & monitoring",
        "DM-01",
        "DM-02",
        "DM-03",
    ]
    assert rows[0]["Requirement"] is None and sheet["A2"].font.b
    by_id = {r["ID"]: (number, r) for number, r in enumerate(rows, start=2)}
    number, fe01 = by_id["FE-01"]
    assert (fe01[alpha_h], fe01[beta_h], fe01[gamma_h]) == ("partial", "ga", "partner")
    assert fe01["Target"] == D(2021, 9, 1)
    assert fill(sheet.cell(number, 6)) == LEVEL_COLOURS[Level.PARTIAL]
    assert fill(sheet.cell(number, 7)) == LEVEL_COLOURS[Level.GA]
    alpha = sheet.cell(number, 6)
    assert alpha.comment.text == (
        "Product: Alpha Features\n"
        'Evidence: =HYPERLINK("http://evil.example")\n'
        "Notes: no entity model"
    )
    assert alpha.hyperlink is None  # evidence that is not an http(s) address is never a link
    beta = sheet.cell(number, 7)
    assert beta.hyperlink.target == "https://beta.example/fs"
    assert by_id["DC-01"][1][alpha_h] == "unknown"  # left out of the snapshot
    assert sheet.cell(by_id["FE-02"][0], 2).font.b  # best-in-class titles in bold
    assert not sheet.cell(number, 2).font.b
    assert sheet.freeze_panes == "C2"
    assert sheet.auto_filter.ref == "A1:H16"


def test_changes_lists_requirement_changes_and_level_moves_old_to_new(reviewed):
    sheet = reviewed["Changes"]
    assert sheet["A1"].value == "Previous review"
    assert sheet["B1"].value == D(2021, 6, 30)
    rows = [tuple(r.values()) for r in table(sheet, 3)]
    assert rows == [
        ("added", None, "DP-01", "Data quality checks", None, None, None, None),
        ("changed", None, "DM-01", "Real-time endpoints", "target", "2022-12", "2022-09", None),
        ("retired", None, "MO-01", "Model compression toolkit", None, None, None, None),
        (
            "upgraded",
            "Alpha ML",
            "FE-01",
            "Managed feature store",
            "level",
            "none",
            "partial",
            "2021-06-01 → 2021-12-01",
        ),
        (
            "upgraded",
            "Alpha ML",
            "DM-01",
            "Real-time endpoints",
            "level",
            "preview",
            "ga",
            "2021-06-01 → 2021-12-01",
        ),
        (
            "upgraded",
            "Alpha ML",
            "DM-02",
            "Inference graphs",
            "level",
            "none",
            "planned",
            "2021-06-01 → 2021-12-01",
        ),
        (
            "downgraded",
            "Beta AI",
            "DP-01",
            "Data quality checks",
            "level",
            "ga",
            "preview",
            "2021-06-01 → 2021-12-01",
        ),
    ]
    assert fill(sheet["G7"]) == LEVEL_COLOURS[Level.PARTIAL]


def test_changes_without_an_earlier_review_says_so(review_store, invoke, tmp_path):
    invoke("review", "--output", "first.xlsx", "--as-of", "2021-12-15", "--no-record")
    sheet = load_workbook(tmp_path / "first.xlsx")["Changes"]
    assert sheet["B1"].value.startswith("none recorded")
    assert table(sheet, 3) == []


def test_gaps_are_due_in_the_window_not_ga_at_the_primary_with_an_action(reviewed):
    sheet = reviewed["Gaps"]
    assert sheet["A1"].value == (
        "Due by the end of the window (2023-05), not done, and not ga at Alpha ML. "
        "Action: assess (unknown at Alpha ML), else buy, glue, wait, assess (unknown "
        "elsewhere), build, in that order (Legend)."
    )
    rows = table(sheet, 3)
    assert [(r["ID"], r["Due"], r["Alpha ML level"], r["Action"], r["Vendors"]) for r in rows] == [
        ("FE-01", "overdue", "partial", "buy", "Beta AI"),  # Gamma's partner loses to ga
        ("DP-01", "in window", "unknown", "assess", "Alpha ML"),  # Beta's preview: ask Alpha
        ("DL-01", "in window", "unknown", "assess", "Alpha ML"),  # nobody looked: not build
        ("FE-02", "in window", "unknown", "assess", "Alpha ML"),
        ("DM-02", "in window", "planned", "wait", "Alpha ML"),
    ]
    # Not gaps: DM-01 (ga at Alpha), MT-01 (done), DM-03 (due after 2023-05), DC-01 (no target).
    assert rows[0]["Target"] == D(2021, 9, 1)
    assert fill(sheet["G4"]) == "F08080"  # overdue stands out
    assert sheet.freeze_panes == "C4"
    assert sheet.auto_filter.ref == "A3:L8"


@pytest.mark.parametrize(
    "levels, action, vendors",
    [
        ({"us": Level.NONE, "a": Level.GA, "b": Level.PARTNER, "c": Level.PREVIEW}, "buy", ("a",)),
        ({"us": Level.PREVIEW, "a": Level.PARTNER, "b": Level.PREVIEW}, "glue", ("a",)),
        ({"us": Level.PARTNER, "a": Level.NONE}, "glue", ("us",)),
        ({"us": Level.PARTIAL, "a": Level.PLANNED, "b": Level.PREVIEW}, "wait", ("a", "b")),
        ({"us": Level.PARTIAL, "a": Level.NONE, "b": Level.UNKNOWN}, "assess", ("b",)),
        ({"us": Level.PARTIAL, "a": Level.NONE, "b": Level.NONE}, "build", ()),
        ({"us": Level.GA, "a": Level.NONE}, "build", ()),  # the primary's own ga never buys
        ({"us": Level.UNKNOWN, "a": Level.GA}, "assess", ("us",)),  # find out first
        ({"a": Level.GA}, "assess", ("us",)),  # no entry at the primary is unknown too
        ({"us": Level.NONE, "a": Level.UNKNOWN, "b": Level.PREVIEW}, "wait", ("b",)),
    ],
)
def test_gap_action_precedence_is_assess_buy_glue_wait_assess_build(levels, action, vendors):
    assert gap_action(levels, "us") == (action, vendors)


def test_gap_action_without_a_primary_is_assess():
    assert gap_action({}, None) == ("assess", ())


def test_timeline_marks_targets_in_the_window_and_review_dates(reviewed):
    sheet = reviewed["Timeline"]
    header = values(sheet, 2)[0]
    assert header[:6] == ("ID", "Title", "Stage", "Target", "Status", "Earlier")
    months = header[6:24]
    assert months[0] == D(2021, 12, 1) and months[-1] == D(2023, 5, 1) and len(months) == 18
    assert header[24] == "Later"
    marks = dict(zip(months, values(sheet)[0][6:24]))
    assert marks[D(2021, 12, 1)] == D(2021, 12, 15)  # this review
    assert marks[D(2022, 2, 1)] == D(2022, 2, 1)  # the next one
    assert marks[D(2022, 3, 1)] is None
    rows = {row[0]: dict(zip(header, row)) for row in values(sheet, 3)}
    assert list(rows) == [
        "FE-01",
        "DP-01",
        "DL-01",
        "FE-02",
        "MT-01",
        "DM-01",
        "DM-02",
        "DM-03",
        "DC-01",
    ]  # by target, no target last
    assert rows["FE-01"]["Earlier"] == "overdue"
    assert rows["DM-02"][D(2023, 3, 1)] == "target"
    assert rows["MT-01"][D(2022, 6, 1)] == "done"
    assert rows["DM-03"]["Later"] == D(2023, 9, 1)
    assert not any(rows["DC-01"][m] for m in months)
    assert sheet.freeze_panes == "C3"


def test_parity_gives_first_ga_per_vendor_leader_and_lag(reviewed):
    rows = table(reviewed["Parity"], 1)
    dm01 = rows[0]
    assert list(dm01) == [
        "ID",
        "Title",
        "Alpha ML first ga",
        "Beta AI first ga",
        "Gamma OSS first ga",
        "Leader",
        "Lag (months)",
        "Note",
    ]
    # Gamma's only snapshot shows DM-01 at ga: "ga by then", so Alpha's real 2021-12
    # (it said preview in June) is at least 6 months behind.
    assert list(dm01.values()) == [
        "DM-01",
        "Real-time endpoints",
        D(2021, 12, 1),
        None,
        "≤ 2021-06",
        "Gamma OSS",
        6,
        "at least: the leader's ga is from its first assessment (≤)",
    ]
    dp01 = next(r for r in rows if r["ID"] == "DP-01")
    assert (dp01["Beta AI first ga"], dp01["Leader"], dp01["Lag (months)"]) == (
        "≤ 2021-06",
        "Beta AI",
        None,
    )


def test_parity_of_a_past_review_ignores_later_snapshots(review_store, invoke, tmp_path):
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30")
    rows = table(load_workbook(tmp_path / "june.xlsx")["Parity"], 1)
    dm01 = next(r for r in rows if r["ID"] == "DM-01")
    assert dm01["Alpha ML first ga"] is None  # Alpha's 2021-12 ga is after the review


def test_requirements_and_snapshots_sheets_read_back_into_a_fresh_store(
    reviewed, tmp_path, review_store
):
    from roadmap.requirements import import_requirements
    from roadmap.snapshots import import_snapshots
    from roadmap.store import Settings, Store

    fresh = Store.create(str(tmp_path / "fresh.db"), Settings(start="2021-05"))
    import_requirements(fresh, str(tmp_path / "review.xlsx"), as_of="2021-12-15")
    expected = {r.id: r for r in review_store.requirements().values() if r.status != "retired"}
    assert fresh.requirements() == expected
    import_snapshots(fresh, str(tmp_path / "review.xlsx"))
    used = {(i.vendor, i.as_of) for i in fresh.snapshot_infos()}
    assert used == {("alpha", "2021-12-01"), ("beta", "2021-12-01"), ("gamma", "2021-06-01")}
    for info in fresh.snapshot_infos():
        original = review_store.current_snapshot_id(info.vendor, info.as_of)
        assert fresh.snapshot(info.id) == review_store.snapshot(original)
    fresh.close()


def test_legend_explains_levels_rules_and_inputs(reviewed):
    sheet = reviewed["Legend"]
    rows = values(sheet)
    levels = table(sheet, 3)[:7]
    assert [r["Level"] for r in levels] == [level.value for level in Level]
    assert levels[0]["Score"] == 1 and levels[1]["Score"] == 0.5
    assert fill(sheet["A4"]) == LEVEL_COLOURS[Level.GA]
    rules = {row[0]: row[1] for row in rows if row[0] and row[1]}
    assert rules["Gaps"].startswith(
        "requirements with a target on or before the window's last month, whose status is not done"
    )
    assert "Requirements without a target are not gaps" in rules["Gaps"]
    inputs = block(sheet, "Inputs used")
    assert [(r["Vendor"], r["Snapshot"], r["Source"]) for r in inputs] == [
        ("alpha", D(2021, 12, 1), "Alpha ML docs"),
        ("beta", D(2021, 12, 1), "Beta AI docs"),
        ("gamma", D(2021, 6, 1), "Gamma OSS docs"),
    ]
    assert rules["Written by"].startswith("roadmap ")


def test_default_primary_is_the_best_covered_vendor_ties_by_key(review_store, invoke):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15")
    assert result.exit_code == 0, result.output
    # Beta and Gamma both cover 2/9, Alpha 1.5/9.
    assert "Gaps at beta:" in result.stdout
    assert review_store.reviews()[-1].primary == "beta"


def test_unknown_primary_lists_the_vendors_and_writes_nothing(review_store, invoke, tmp_path):
    (tmp_path / "review.xlsx").write_bytes(b"the old review")
    result = invoke(
        "review",
        "--output",
        "review.xlsx",
        "--as-of",
        "2021-12-15",
        "--primary",
        "delta",
        "--force",
    )
    assert result.exit_code == 1
    assert result.stderr == ("error: unknown vendor 'delta' (stored vendors: alpha, beta, gamma)\n")
    assert (tmp_path / "review.xlsx").read_bytes() == b"the old review"
    assert review_store.reviews() == []


def test_a_primary_without_a_snapshot_at_the_date_is_refused(review_store, invoke):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "2021-05-31", "--primary", "alpha")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --primary: alpha has no snapshot on or before 2021-05-31 (vendors with one: "
        "none); import one or pick another vendor\n"
    )


def test_a_bad_date_is_a_command_line_error(review_store, invoke):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a date (use YYYY-MM-DD or YYYY-MM)" in result.stderr


def test_no_requirements_is_an_error(store, invoke):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no requirements on 2021-12-15; import some first: "
        "roadmap import requirements FILE\n"
    )


def test_the_same_store_and_options_give_the_same_bytes(review_store, invoke, tmp_path):
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30")
    args = ("--as-of", "2021-12-15", "--primary", "alpha")
    assert invoke("review", "--output", "a.xlsx", *args, "--no-record").exit_code == 0
    assert invoke("review", "--output", "b.xlsx", *args, "--no-record").exit_code == 0
    assert invoke("review", "--output", "c.xlsx", *args).exit_code == 0  # records it
    assert invoke("review", "--output", "d.xlsx", *args).exit_code == 0  # already recorded
    first = (tmp_path / "a.xlsx").read_bytes()
    for name in ("b.xlsx", "c.xlsx", "d.xlsx"):
        assert (tmp_path / name).read_bytes() == first, name


def test_the_review_is_recorded_with_its_inputs_and_scores(review_store, invoke):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15", "--primary", "alpha")
    assert result.exit_code == 0
    [record] = review_store.reviews()
    assert (record.as_of, record.primary) == ("2021-12-15", "alpha")
    assert record.snapshots == {
        "alpha": review_store.current_snapshot_id("alpha", "2021-12-01"),
        "beta": review_store.current_snapshot_id("beta", "2021-12-01"),
        "gamma": review_store.current_snapshot_id("gamma", "2021-06-01"),
    }
    assert sorted(record.requirements) == [
        "DC-01",
        "DL-01",
        "DM-01",
        "DM-02",
        "DM-03",
        "DP-01",
        "FE-01",
        "FE-02",
        "MT-01",
    ]
    assert record.requirements["DM-01"]["target"] == "2022-09"
    assert record.scores["alpha"] == pytest.approx(
        {"coverage": 1.5 / 9, "table_stakes": 1.5 / 6, "best_in_class": 0.0}
    )
    log = json.loads(invoke("log", "--format", "json").stdout)
    assert (log[-1]["action"], log[-1]["as_of"], log[-1]["file"]) == (
        "review",
        "2021-12-15",
        "r.xlsx",
    )


def test_recording_the_same_review_twice_records_it_once(review_store, invoke):
    args = ("review", "--output", "r.xlsx", "--as-of", "2021-12-15")
    invoke(*args)
    result = invoke(*args)
    assert result.stdout.splitlines()[-1] == (
        "This review was already recorded; nothing new was recorded."
    )
    assert len(review_store.reviews()) == 1


def test_no_record_writes_the_workbook_and_records_nothing(review_store, invoke, tmp_path):
    result = invoke("review", "--output", "r.xlsx", "--as-of", "2021-12-15", "--no-record")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "Not recorded (--no-record)."
    assert (tmp_path / "r.xlsx").exists()
    assert review_store.reviews() == []
    assert [e.action for e in review_store.events()].count("review") == 0


def test_a_failed_write_leaves_the_old_file_and_records_nothing(
    review_store, tmp_path, monkeypatch
):
    from xlsxwriter import Workbook

    output = tmp_path / "review.xlsx"
    output.write_bytes(b"last quarter's review")

    def disk_full(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "_store_workbook", disk_full)
    with pytest.raises(RoadmapError, match=r"cannot write \(No space left on device\)"):
        write_and_record(review_store, str(output), "2021-12-15", force=True)
    assert output.read_bytes() == b"last quarter's review"
    assert sorted(os.listdir(tmp_path)) == sorted(
        n for n in os.listdir(tmp_path) if not n.endswith(".part")
    )
    assert review_store.reviews() == []


def test_an_output_that_is_not_xlsx_is_refused_and_nothing_recorded(review_store, invoke):
    result = invoke("review", "--output", "review.csv", "--as-of", "2021-12-15")
    assert result.exit_code == 1
    assert result.stderr == "error: review.csv: the output must be an .xlsx file\n"
    assert review_store.reviews() == []


def test_a_review_before_any_snapshot_still_lists_the_requirements(review_store, tmp_path):
    review = build_review(review_store, "2021-05-15")
    assert review.vendors == [] and review.primary is None
    write_review(review, str(tmp_path / "early.xlsx"))
    book = load_workbook(tmp_path / "early.xlsx")
    matrix = [r["ID"] for r in table(book["Matrix"], 1)]
    assert len([i for i in matrix if "-" in i]) == 9  # the May roadmap, MO-01 still open
    assert {r["Action"] for r in table(book["Gaps"], 3)} == {"assess"}  # nobody looked
    assert book["Summary"]["A2"].value == (
        "No vendor is assessed yet: 9 requirements, 4 gaps due by 2022-10 (4 assess), 0 overdue."
    )


def test_progress_is_reported_up_to_the_total(review_store, tmp_path):
    seen = []
    write_review(
        build_review(review_store, "2021-12-15"),
        str(tmp_path / "r.xlsx"),
        lambda done, total: seen.append((done, total)),
    )
    assert seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_previous_review_is_the_latest_recorded_before_this_date(review_store):
    june = build_review(review_store, "2021-06-30", "alpha")
    record_review(review_store, june)
    december = build_review(review_store, "2021-12-15", "alpha")
    record_review(review_store, december)
    again = build_review(review_store, "2021-12-15", "alpha")  # re-run: same previous
    assert again.changes.previous.as_of == "2021-06-30"
    assert [p.as_of.isoformat() for p in again.history] == ["2021-06-30", "2021-12-15"]
    earlier = build_review(review_store, "2021-06-30", "alpha")
    assert earlier.changes.previous is None
    # The records without their requirements (a big review's are read only when needed).
    bare = review_store.reviews(requirements=False)
    assert [(r.as_of, r.primary, r.requirements) for r in bare] == [
        ("2021-06-30", "alpha", {}),
        ("2021-12-15", "alpha", {}),
    ]
    december_seen = review_store.review_requirements(bare[1].id)
    assert len(december_seen) == 9 and december_seen == review_store.reviews()[1].requirements
    assert review_store.review_requirements(bare[1].id + 1) == {}
    # Recorded as the earlier versions recorded them (json.dumps, keys sorted), so a
    # review identical to one recorded before this version is still told identical.
    as_before = json.dumps({r.id: r.as_dict() for r in december.requirements}, sort_keys=True)
    assert december.recorded_requirements() == as_before
    assert not record_review(review_store, again)


def test_primary_errors_come_from_the_library_too(review_store):
    with pytest.raises(RoadmapError) as error:
        build_review(review_store, "2021-12-15", "delta")
    assert str(error.value).startswith("unknown vendor 'delta'")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_review(reviewed, tmp_path):
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    for target in ("pdf", "csv"):
        subprocess.run(
            [
                "soffice",
                profile,
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path / "converted"),
                str(tmp_path / "review.xlsx"),
            ],
            check=True,
            capture_output=True,
            timeout=240,
        )
    pdf = (tmp_path / "converted" / "review.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    # the first sheet; LibreOffice writes it in the system's 8-bit code page
    summary = (tmp_path / "converted" / "review.csv").read_bytes().decode("cp1252")
    assert "Review date,2021-12-15" in summary
    assert "Alpha ML,end-to-end,2021-12-01," in summary


def test_demo_writes_the_full_review_of_the_samples(runner, tmp_path, monkeypatch):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["demo", "--output", "demo.xlsx"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    wrote = next(i for i, line in enumerate(lines) if line.startswith("Wrote "))
    assert lines[wrote] == (
        f"Wrote {tmp_path / 'demo.xlsx'}: review of 2021-12-15, window "
        "2021-12 to 2023-05, 50 requirements, 5 vendors."
    )
    assert lines[wrote + 1].split() == [
        "vendor",
        "snapshot",
        "coverage",
        "table_stakes",
        "best_in_class",
        "assessed",
        "weighted",
        "primary",
        "caveats",
    ]
    assert lines[wrote + 3].split()[:2] == ["sagemaker", "2021-12-15"]
    book = load_workbook(tmp_path / "demo.xlsx")
    assert book.sheetnames == list(SHEETS)
    for name in SHEETS:
        assert book[name].max_row > 3, f"{name} is empty"
    changes = {row["Change"] for row in table(book["Changes"], 3)}
    assert changes == {"added", "changed", "retired", "upgraded", "downgraded"}
    assert charts(tmp_path / "demo.xlsx") == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    assert sorted(os.listdir(tmp_path)) == ["demo.xlsx"]  # the first review went elsewhere


def test_reviewing_a_past_date_marks_later_recorded_reviews(review_store, invoke, tmp_path):
    invoke("review", "--output", "december.xlsx", "--as-of", "2021-12-15")
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30", "--no-record")
    sheet = load_workbook(tmp_path / "june.xlsx")["Timeline"]
    marks = dict(zip(values(sheet, 2)[0][6:24], values(sheet)[0][6:24]))
    assert marks[D(2021, 6, 1)] == D(2021, 6, 30)  # this review
    assert marks[D(2021, 8, 1)] == D(2021, 8, 1)  # the next one the cadence asks for
    assert marks[D(2021, 12, 1)] == D(2021, 12, 15)  # recorded later
    assert fill(sheet["M1"]) == "C9C9C9"
    summary = {row[0]: row[1] for row in values(load_workbook(tmp_path / "june.xlsx")["Summary"])}
    assert summary["Previous review"] == "none recorded"


@pytest.mark.slow
def test_separate_processes_write_the_same_bytes(review_store, db, tmp_path):
    import sys

    outputs = []
    for seed in ("1", "2"):
        output = tmp_path / f"review-{seed}.xlsx"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "roadmap",
                "--db",
                str(db),
                "review",
                "--output",
                str(output),
                "--as-of",
                "2021-12-15",
                "--no-record",
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1]


def test_a_review_dated_before_the_first_import_says_which_roadmap_it_used(review_store, tmp_path):
    output = tmp_path / "early.xlsx"
    write_review(build_review(review_store, "2021-01-15"), str(output))
    legend = load_workbook(output)["Legend"]
    texts = [c.value for row in legend.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(
        t.startswith("the first import (2021-05-01), which is after the review date") for t in texts
    ), texts


def test_a_new_vendors_first_snapshot_is_one_first_assessment(
    review_store, invoke, tmp_path, make_csv
):
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30", "--primary", "alpha")
    make_csv(
        [
            ["Vendor:", "Delta"],
            ["As of:", "2021-09-01"],
            [],
            ["Requirement ID", "Level"],
            ["FE-01", "ga"],
            ["DM-01", "none"],
        ],
        "delta.csv",
    )
    assert invoke("import", "snapshot", "delta.csv").exit_code == 0
    invoke("review", "--output", "december.xlsx", "--as-of", "2021-12-15", "--primary", "alpha")
    book = load_workbook(tmp_path / "december.xlsx")
    rows = [tuple(r.values()) for r in table(book["Changes"], 3)]
    assert (
        "new vendor",
        "Delta",
        None,
        None,
        "levels",
        None,
        "first assessment: 2 of 9 assessed (1 ga, 1 none, 7 unknown)",
        "first snapshot used: 2021-09-01",
    ) in rows
    assert not [r for r in rows if r[1] == "Delta" and r[0] != "new vendor"]  # no upgrades
    counts = {
        r["Change"]: r["Count"] for r in block(book["Summary"], "Changes since the previous review")
    }
    assert counts["new vendors (first assessment)"] == 1
    assert counts["vendor levels upgraded"] == 3  # Alpha's three, nothing of Delta's


def test_level_moves_from_or_to_unknown_are_not_upgrades():
    from roadmap.review import LevelMove

    def kind(old, new):
        return LevelMove("v", "R", "r", old, new, "2021-01-01", "2021-06-01").change

    assert kind(Level.UNKNOWN, Level.NONE) == "assessed"
    assert kind(Level.UNKNOWN, Level.GA) == "assessed"
    assert kind(Level.GA, Level.UNKNOWN) == "unassessed"
    assert kind(Level.NONE, Level.PREVIEW) == "upgraded"
    assert kind(Level.GA, Level.PARTIAL) == "downgraded"


def test_a_back_dated_review_says_which_imports_it_left_out(review_store, invoke, tmp_path):
    result = invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30", "--no-record")
    assert result.exit_code == 0, result.output
    [note] = [line for line in result.stdout.splitlines() if line.startswith("Note: ")]
    assert note.startswith("Note: 1 requirements import dated after 2021-06-30 not used: ")
    assert (
        "roadmap_2021-11.csv (dated 2021-11-01); this review uses the requirements "
        "imported as of 2021-05-01." in note
    )
    assert note.endswith(
        "date it: re-import it with 'roadmap import requirements FILE "
        "--as-of YYYY-MM-DD', or put the date in the file name "
        "(requirements_2021-11.xlsx) or an 'As of:' cell."
    )
    summary = {row[0]: row[1] for row in values(load_workbook(tmp_path / "june.xlsx")["Summary"])}
    assert summary["Requirements used"] == note[len("Note: ") :]
    result = invoke("review", "--output", "dec.xlsx", "--as-of", "2021-12-15", "--no-record")
    assert not [line for line in result.stdout.splitlines() if line.startswith("Note: ")]


def test_the_report_names_ten_requirements_a_tool_would_close_and_counts_the_rest(
    store, invoke, make_csv
):
    ids = [f"R{n:02}" for n in range(1, 13)]
    make_csv([["ID", "Title", "Stage"], *[[i, f"Rule {i}", "training"] for i in ids]])
    assert invoke("import", "requirements", "reqs.csv", "--as-of", "2021-06").exit_code == 0
    for vendor, level in (("alpha", "none"), ("beta", "ga")):
        make_csv([["Requirement", "Level"], *[[i, level] for i in ids]], name=f"{vendor}.csv")
        result = invoke(
            "import", "snapshot", f"{vendor}.csv", "--vendor", vendor, "--as-of", "2021-07"
        )
        assert result.exit_code == 0, result.output
    result = invoke("review", "--output", "review.xlsx", "--as-of", "2021-08", "--primary", "alpha")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2] == (
        "Adding beta to alpha would close 12: R01 R02 R03 R04 R05 R06 R07 R08 R09 R10 … and "
        "2 more; weighted +100%, coverage 100% (roadmap recommend)."
    )
    listed = json.loads(invoke("recommend", "--primary", "alpha", "--format", "json").stdout)
    assert listed[0]["closes"] == ids  # the command itself lists them all


def test_the_workbook_is_freed_before_the_review_is_recorded(review_store, tmp_path, monkeypatch):
    # XlsxWriter's objects for a review of 100,000 requirements are hundreds of MB: held
    # while the review was recorded, they raised its peak from 520 MB to 605 MB.
    import gc

    import xlsxwriter

    import roadmap.review_workbook as review_workbook

    alive_when_recording = []
    record = review_workbook.record_review

    def recording(*args, **kwargs):
        alive_when_recording.append(
            sum(isinstance(o, xlsxwriter.Workbook) for o in gc.get_objects())
        )
        return record(*args, **kwargs)

    monkeypatch.setattr(review_workbook, "record_review", recording)
    _, recorded = write_and_record(review_store, tmp_path / "review.xlsx", "2021-12-15", "alpha")
    assert recorded and alive_when_recording == [0]
