"""Properties over generated inputs, to find what hand-picked examples miss.

- Any requirements table the importer accepts (a workbook or a CSV file) survives
  ``export`` then ``import`` into a fresh store unchanged, snapshots and vendors too.
- For any two snapshots, the diff applied to the first gives the second.
- No text we write becomes a formula: every generated string comes back as a string
  cell holding exactly that text.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from roadmap.diff import DETAIL_FIELDS, diff_snapshots, stated_fields
from roadmap.errors import RoadmapError
from roadmap.export import write_export
from roadmap.model import BIG_EIGHT, PRIORITIES, Entry, Level, Snapshot, Tier
from roadmap.model import Vendor as VendorModel
from roadmap.requirements import import_requirements
from roadmap.store import Settings, Store

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The fast properties run in the default run: as many examples as the profile says (10, or
# 30 with HYPOTHESIS_PROFILE=ci; see tests/conftest.py).
PROFILED = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
HEADER = [
    "ID",
    "Title",
    "Stage",
    "Tier",
    "Priority",
    "Target",
    "Status",
    "Owner",
    "Requested by",
    "Description",
    "Notes",
]


def texts(characters) -> st.SearchStrategy[str]:
    """Short text, text starting like a formula, known attacks, and long text."""
    free = st.text(characters, min_size=1, max_size=40).map(str.strip).filter(bool)
    formula_like = st.builds(
        lambda start, rest: (start + rest).strip(),
        st.sampled_from(["=", "+", "-", "@"]),
        st.text(characters, max_size=20),
    )
    attacks = st.sampled_from(
        [
            '=HYPERLINK("http://evil.example","x")',
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "=cmd|' /C calc'!A0",
            "=1+1",
            "-",
            "@",
        ]
    )
    long = st.text(characters, min_size=500, max_size=3000).map(str.strip).filter(bool)
    return st.one_of(free, free, formula_like, attacks, long)


# What a workbook cell holds (no control characters but tab and line feed), and what a
# CSV file may bring besides: carriage returns, control characters, U+FFFF.
cell_characters = st.characters(
    blacklist_categories=("Cs", "Cc", "Cn"), whitelist_characters="\t\n"
)
csv_characters = st.characters(
    blacklist_categories=("Cs", "Cc", "Cn"), whitelist_characters="\t\n\r\x0b\x01\uffff"
)
free_text = st.text(cell_characters, min_size=1, max_size=40).map(str.strip).filter(bool)
cell_text = texts(cell_characters)
csv_text = texts(csv_characters)
optional_cell_text = st.none() | cell_text


@st.composite
def requirement_rows(draw, text: st.SearchStrategy[str] = cell_text) -> list[list]:
    """Rows of a requirements table as a team might type it (several word forms)."""
    optional = st.none() | text
    ids = draw(
        st.lists(
            st.one_of(st.from_regex(r"[A-Z]{2}-[0-9]{1,3}", fullmatch=True), free_text, cell_text),
            min_size=1,
            max_size=8,
            unique_by=str.casefold,
        )
    )
    rows = []
    for rid in ids:
        stage = draw(st.sampled_from(BIG_EIGHT))
        rows.append(
            [
                rid,
                draw(text),
                draw(st.sampled_from([stage, stage.upper(), stage.title()])),
                draw(st.sampled_from([t.value for t in Tier] + ["Table stakes", "BIC"])),
                draw(st.none() | st.sampled_from([*PRIORITIES, "P1", "must"])),
                draw(
                    st.none()
                    | st.sampled_from(
                        ["2021-09", "Sep 2022", "Q3 2021", "2022Q1", "H2 2021", "M6", "2023-12-15"]
                    )
                ),
                draw(st.none() | st.sampled_from(["open", "In progress", "done", "blocked"])),
                draw(optional),
                draw(optional),
                draw(optional),
                draw(optional),
            ]
        )
    return rows


def has_control_characters(rows: list[list]) -> bool:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return any(isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v) for row in rows for v in row)


def write_input(folder: Path, rows: list[list], as_csv: bool) -> Path:
    """The table as a user's file: a CSV, or a workbook whose text cells are all text."""
    if as_csv:
        path = folder / "input.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([HEADER, *rows])
        return path
    from openpyxl import Workbook

    assert not has_control_characters(rows)  # a workbook cannot hold them; a CSV file can
    book = Workbook()
    sheet = book.active
    sheet.title = "Requirements"
    for number, values in enumerate([HEADER, *rows], start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # typed text (Excel's leading apostrophe), not a formula
    path = folder / "input.xlsx"
    book.save(path)
    return path


@contextmanager
def folder():
    """A fresh folder per example (pytest's tmp_path is shared by all examples)."""
    path = Path(tempfile.mkdtemp(prefix="roadmap-hypothesis-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def new_store(path: Path) -> Store:
    return Store.create(str(path), Settings(start="2021-05"))


def string_cells(path: Path) -> list:
    """Every non-empty cell of a workbook we wrote, read back with openpyxl (not read-only)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def assert_no_formulas(path: Path, texts: set[str]) -> list:
    """No formula anywhere, and each of ``texts`` written as a string cell; the cells."""
    cells = string_cells(path)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    written = {c.value for c in cells if isinstance(c.value, str)}
    for expected in texts:
        assert expected in written, expected
    for cell in cells:
        if isinstance(cell.value, str) and cell.value in texts:
            assert cell.data_type == "s", (cell.coordinate, cell.value)
    return cells


@pytest.mark.slow
@EXAMPLES
@given(
    table=st.one_of(
        st.tuples(requirement_rows(csv_text), st.just(True)),
        st.tuples(requirement_rows(cell_text), st.just(False)),
    )
)
def test_export_then_import_gives_the_same_requirements(table):
    rows, as_csv = table
    with folder() as here:
        store = new_store(here / "a.db")
        try:
            try:
                first = import_requirements(
                    store, str(write_input(here, rows, as_csv)), as_of="2021-06-01"
                )
            except RoadmapError as error:
                # A CSV file may hold control characters no workbook can: refused, by cell.
                assert as_csv and has_control_characters(rows)
                assert all("control character" in p.message for p in error.problems)
                event("refused: control characters in a CSV file")
                return
            event("imported from a CSV file" if as_csv else "imported from a workbook")
            assert first.written
            write_export(store, str(here / "export.xlsx"))
            again = new_store(here / "b.db")
            import_requirements(again, str(here / "export.xlsx"), as_of="2021-06-01")
            assert again.requirements() == store.requirements()
            again.close()
            # The store's own export reads back as "no changes".
            assert import_requirements(
                store, str(here / "export.xlsx"), as_of="2021-06-01"
            ).plan.is_empty
        finally:
            store.close()
        texts = {v for row in rows for v in row if isinstance(v, str) and v not in ("", *BIG_EIGHT)}
        # Targets are written as month date cells, every other text as a string cell.
        stored = {
            value
            for r in store_requirements(here / "a.db")
            for key, value in r.as_dict().items()
            if isinstance(value, str) and key != "target"
        }
        assert_no_formulas(here / "export.xlsx", texts & stored)


def store_requirements(path: Path) -> list:
    store = Store.open(str(path))
    try:
        return list(store.requirements().values())
    finally:
        store.close()


@st.composite
def stores_with_snapshots(draw):
    """Requirements, vendors and snapshots as a store holds them after some imports."""
    rows = draw(requirement_rows())
    names = draw(
        st.lists(
            st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z]?[a-z0-9]{1,6})?", fullmatch=True),
            min_size=1,
            max_size=3,
            unique_by=lambda n: n.lower(),
        )
    )
    vendors = [
        VendorModel(
            name.lower().replace(" ", "-"),
            name,
            draw(st.sampled_from(["end-to-end", "best-of-breed", "open-source", "in-house"])),
        )
        for name in names
    ]
    vendors = list({v.key: v for v in vendors}.values())
    snapshots = []
    for vendor in vendors:
        days = draw(
            st.lists(
                st.dates(dt.date(2019, 1, 1), dt.date(2023, 12, 31)),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        for day in days:
            chosen = draw(st.lists(st.sampled_from([r[0] for r in rows]), min_size=1, unique=True))
            entries = {
                rid: Entry(
                    rid,
                    draw(st.sampled_from(list(Level))),
                    draw(optional_cell_text),
                    draw(
                        st.none()
                        | st.sampled_from(
                            [
                                "https://aws.amazon.com/sagemaker",
                                "javascript:alert(1)",
                                '=HYPERLINK("http://evil","x")',
                                "ftp://x",
                            ]
                        )
                        | cell_text
                    ),
                    draw(optional_cell_text),
                )
                for rid in chosen
            }
            snapshots.append(
                (vendor, Snapshot(vendor.key, day.isoformat(), draw(optional_cell_text), entries))
            )
    return rows, vendors, snapshots


@pytest.mark.slow
@EXAMPLES
@given(content=stores_with_snapshots())
def test_export_then_import_gives_the_same_snapshots_and_vendors(content):
    from roadmap.snapshots import import_snapshots

    rows, vendors, snapshots = content
    with folder() as here:
        store = new_store(here / "a.db")
        import_requirements(store, str(write_input(here, rows, False)), as_of="2021-06-01")
        with store.transaction():
            event = store.add_event("import snapshot", {})
            for vendor in vendors:
                store.add_vendor(vendor)
            for _, snapshot in snapshots:
                store.add_snapshot(snapshot, event)
        write_export(store, str(here / "export.xlsx"))
        again = new_store(here / "b.db")
        import_requirements(again, str(here / "export.xlsx"), as_of="2021-06-01")
        import_snapshots(again, str(here / "export.xlsx"))
        assert again.vendors() == store.vendors()
        assert current(again) == current(store)
        again.close()
        store.close()
        texts = {e.product for _, s in snapshots for e in s.entries.values() if e.product}
        cells = assert_no_formulas(here / "export.xlsx", texts)
        links = {c.hyperlink.target for c in cells if c.hyperlink}
        assert all(link.startswith(("http://", "https://")) for link in links)


def current(store: Store) -> list[Snapshot]:
    return [store.snapshot(info.id) for info in store.snapshot_infos()]


# -- diffs ---------------------------------------------------------------------------------

level_words = st.sampled_from(list(Level))
requirement_ids = st.sampled_from([f"R{n}" for n in range(12)])
entries = st.dictionaries(
    requirement_ids,
    st.tuples(
        level_words,
        st.none() | st.sampled_from(["Feature Store", "=1+1"]),
        st.none() | st.sampled_from(["https://docs", "re:Invent"]),
        st.none() | free_text,
    ),
    max_size=12,
)


def snapshot_of(day: str, drawn: dict) -> Snapshot:
    return Snapshot(
        "sagemaker", day, None, {rid: Entry(rid, *values) for rid, values in drawn.items()}
    )


def apply_diff(entries: dict[str, Entry], rows) -> dict[str, Entry]:
    """What a reader of the diff would do to the old snapshot to get the new one."""
    result = dict(entries)
    for row in rows:
        assert result.get(row.requirement) == row.old
        if row.new is None:
            del result[row.requirement]
        else:
            result[row.requirement] = row.new
    return result


@PROFILED
@given(old=entries, new=entries, titled=st.lists(requirement_ids, unique=True))
def test_a_diff_applied_to_the_first_snapshot_gives_the_second(old, new, titled):
    first, second = snapshot_of("2020-12-15", old), snapshot_of("2021-12-15", new)
    titles = {rid: f"Title of {rid}" for rid in titled}
    rows = diff_snapshots(first, second, titles)
    # A field only one side states (a comparison table has no product or evidence) is no
    # change: applying the diff gives the second snapshot in levels and in every field
    # both snapshots state.
    compared = [f for f in DETAIL_FIELDS if f in stated_fields(first) & stated_fields(second)]

    def said(entries: dict[str, Entry]) -> dict[str, tuple]:
        return {rid: (e.level, *[getattr(e, f) for f in compared]) for rid, e in entries.items()}

    assert said(apply_diff(first.entries, rows)) == said(second.entries)
    assert len({row.requirement for row in rows}) == len(rows)
    for row in rows:
        assert row.title == titles.get(row.requirement)
        assert row.old != row.new
        if row.old is None or row.new is None:
            assert row.change == ("added" if row.old is None else "removed")
        elif row.old.level is row.new.level:
            assert row.change == "changed"
        else:
            stronger = row.new.level.strength > row.old.level.strength
            assert row.change == ("upgraded" if stronger else "downgraded")
    order = [rid for rid in titles if any(r.requirement == rid for r in rows)]
    assert [r.requirement for r in rows][: len(order)] == order


# -- formulas ------------------------------------------------------------------------------


@PROFILED
@given(
    rows=st.lists(
        st.lists(st.none() | cell_text | st.integers(-(10**6), 10**6), min_size=1, max_size=5),
        min_size=1,
        max_size=10,
    )
)
def test_no_text_written_by_a_table_becomes_a_formula(rows):
    from roadmap.xlsx import new_workbook, save_atomic, write_table

    width = max(len(row) for row in rows)
    headers = [f"=H{n}" if n % 2 else f"Column {n}" for n in range(width)]
    with folder() as here:
        book = new_workbook()
        write_table(book.create_sheet("Table"), headers, rows)
        save_atomic(book, str(here / "table.xlsx"))
        from openpyxl import load_workbook

        sheet = load_workbook(here / "table.xlsx")["Table"]
        for number, values in enumerate([headers, *rows], start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=number, column=column)
                assert cell.value == value
                assert cell.data_type == (
                    "s" if isinstance(value, str) else "n" if value is not None else cell.data_type
                )
