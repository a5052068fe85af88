"""`roadmap schedule`: the cadence's review dates, each done, missed, next or planned."""

import datetime as dt
import json

import pytest

from roadmap.schedule import next_review_date, schedule
from roadmap.store import Settings

pytestmark = pytest.mark.engines  # every test here runs on SQLite and PostgreSQL

SETTINGS = Settings(start="2021-05", horizon=18, cadence=3)


def states(rows) -> list[tuple[str, str]]:
    return [(row.date.isoformat(), row.state) for row in rows]


def test_without_reviews_the_first_date_is_next_through_one_horizon():
    assert states(schedule(SETTINGS, [])) == [
        ("2021-05-01", "next"),
        ("2021-08-01", "planned"),
        ("2021-11-01", "planned"),
        ("2022-02-01", "planned"),
        ("2022-05-01", "planned"),
        ("2022-08-01", "planned"),
        ("2022-11-01", "planned"),
    ]


def test_done_missed_next_and_planned_through_one_horizon_past_the_latest_review():
    assert states(schedule(SETTINGS, ["2021-06-30", "2021-12-15"])) == [
        ("2021-05-01", "done"),  # 2021-06-30 is in its period (up to 2021-08-01)
        ("2021-08-01", "missed"),
        ("2021-11-01", "done"),
        ("2022-02-01", "next"),  # the first date after the latest review
        ("2022-05-01", "planned"),
        ("2022-08-01", "planned"),
        ("2022-11-01", "planned"),
        ("2023-02-01", "planned"),
        ("2023-05-01", "planned"),  # 2021-12-15 + 18 months is 2023-06-15
    ]


def test_a_review_on_a_cadence_date_counts_for_that_date_and_the_next_follows():
    rows = states(schedule(SETTINGS, ["2021-08-01"]))
    assert rows[:3] == [("2021-05-01", "missed"), ("2021-08-01", "done"), ("2021-11-01", "next")]


def test_two_reviews_in_one_period_make_one_done_date():
    rows = states(schedule(SETTINGS, ["2021-05-03", "2021-07-20"]))
    assert rows[:2] == [("2021-05-01", "done"), ("2021-08-01", "next")]


@pytest.mark.parametrize(
    "reviewed", [[], ["2021-04-01"], ["2021-06-30"], ["2021-05-01", "2022-01-31"], ["2023-12-31"]]
)
def test_exactly_one_date_is_next(reviewed):
    assert [row.state for row in schedule(SETTINGS, reviewed)].count("next") == 1


def test_another_cadence_and_horizon():
    settings = Settings(start="2025-01", horizon=12, cadence=6)
    assert states(schedule(settings, ["2025-03-10"])) == [
        ("2025-01-01", "done"),
        ("2025-07-01", "next"),
        ("2026-01-01", "planned"),
    ]


def test_the_next_review_date_is_the_first_cadence_date_after_a_day():
    assert next_review_date(SETTINGS, "2021-12-15") == dt.date(2022, 2, 1)
    assert next_review_date(SETTINGS, "2022-02-01") == dt.date(2022, 5, 1)
    assert next_review_date(SETTINGS, "2020-01-01") == dt.date(2021, 5, 1)


def test_schedule_json_follows_recorded_reviews(review_store, invoke):
    invoke("review", "--output", "june.xlsx", "--as-of", "2021-06-30")
    invoke("review", "--output", "draft.xlsx", "--as-of", "2021-09-15", "--no-record")
    result = invoke("schedule", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[:3] == [
        {"date": "2021-05-01", "state": "done"},
        {"date": "2021-08-01", "state": "next"},
        {"date": "2021-11-01", "state": "planned"},
    ]
    assert rows[-1] == {"date": "2022-11-01", "state": "planned"}  # 2021-06-30 + 18 months


def test_schedule_table(review_store, invoke):
    result = invoke("schedule")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:3] == [
        "date        state",
        "----------  -------",
        "2021-05-01  next",
    ]


def test_schedule_needs_a_store(invoke, db, engine):
    result = invoke("schedule")
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: {db}: no store here; run 'roadmap init' first, or pass "
        f"--db {'PATH' if engine == 'sqlite' else 'URL'}\n"
    )
