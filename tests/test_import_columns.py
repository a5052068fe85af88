"""`roadmap import requirements`: which column is which, decided by header and by cells."""

import json

import pytest

from roadmap.errors import RoadmapError
from roadmap.model import Level
from roadmap.requirements import import_requirements


def listed(invoke) -> list[dict]:
    result = invoke("requirements", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def columns_line(result) -> str:
    return next(line for line in result.stdout.splitlines() if line.startswith("Columns: "))


@pytest.mark.parametrize("id_header", ["UID", "Req ID", "Key", "Ref", "Identifier"])
@pytest.mark.parametrize("priority_header", ["Criticality", "Importance", "MoSCoW"])
def test_id_and_priority_synonyms(invoke, store, make_xlsx, id_header, priority_header):
    make_xlsx(
        [
            [id_header, "Requirement", priority_header, "Stage"],
            ["R-1", "Audit log", "Must", "deployment"],
            ["R-2", "SSO", "low", "deployment"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["priority"]) for r in listed(invoke)] == [("R-1", "high"), ("R-2", "low")]


@pytest.mark.parametrize("header", ["Statement", "Text", "Detail"])
def test_a_description_is_the_title_when_there_is_no_title_column(invoke, store, make_csv, header):
    make_csv([["UID", header], ["REQ-1", "The system shall log every login."]])
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"warning: reqs.csv:B1: no title column: titles are taken from {header!r} "
        "(use --map 'Column=title' to name another)"
    )
    (row,) = listed(invoke)
    assert (row["id"], row["title"], row["description"]) == (
        "REQ-1",
        "The system shall log every login.",
        None,
    )


def test_a_header_that_contains_a_synonym_is_a_guess(invoke, store, make_csv):
    make_csv(
        [
            ["req_id", "req_description", "Criticality: High, Medium, or Low"],
            ["V1.1", "Use a secure SDLC.", "High"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert columns_line(result) == (
        "Columns: id ← req_id (A1), title ← req_description (B1), stage ← none: requirements "
        "will be Unassigned, tier ← none: bold titles are best-in-class, "
        "priority ← Criticality: High, Medium, or Low (C1)"
    )


def test_a_free_text_category_is_not_the_tier(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["ID", "Title", "Category"],
            ["R-1", make_xlsx.bold("Inference graphs"), "Serving and routing"],
            ["R-2", "Endpoints", "Serving"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: reqs.xlsx:Requirements!C1: column 'Category' is not the tier (its values are "
        "not table-stakes or best-in-class); its values are kept in notes (use --map "
        "'Category=tier' to take it anyway)\n"
    )
    rows = listed(invoke)
    # no tier column after all: bold titles are best-in-class
    assert [(r["tier"], r["notes"]) for r in rows] == [
        ("best-in-class", "Category: Serving and routing"),
        ("table-stakes", "Category: Serving"),
    ]


def test_a_type_of_requirement_or_section_is_not_the_tier(invoke, store, make_csv):
    make_csv(
        [
            ["UID", "TYPE", "STATEMENT"],
            ["R-1", "REQUIREMENT", "Log logins"],
            ["R-2", "REQUIREMENT", "Lock accounts"],
            ["R-3", "SECTION", "Sessions"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert "column 'TYPE' is not the tier" in result.stderr
    assert listed(invoke)[0]["notes"] == "TYPE: REQUIREMENT"


def test_a_no_column_of_ticks_is_not_the_id(invoke, store, make_csv):
    make_csv(
        [
            ["REQUIREMENT", "YES", "NO", "CRITICALITY"],
            ["Encrypt data at rest", "", "x", "High"],
            ["Rotate keys", "x", "", "Medium"],
            ["Sign firmware", "", "x", "High"],
            ["Log access", "", "x", "Low"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert (
        "warning: reqs.csv:C1: column 'NO' is not the id (its values repeat, as answers "
        "do, where ids are unique)"
    ) in result.stderr
    assert [r["id"] for r in listed(invoke)] == [
        "encrypt-data-at-rest",
        "log-access",
        "rotate-keys",
        "sign-firmware",
    ]


def test_map_takes_a_column_as_said_even_when_its_cells_do_not_fit(invoke, store, make_csv):
    make_csv([["ID", "Title", "Category"], ["R-1", "Endpoints", "gold"]])
    result = invoke("import", "requirements", "reqs.csv", "--map", "Category=tier")
    assert result.exit_code == 1
    assert "reqs.csv:C2: unknown tier 'gold'" in result.stderr


def test_a_blank_header_over_labels_at_the_left_is_the_title(invoke, store, make_xlsx):
    make_xlsx(
        [
            [None, "Stage", "Priority"],
            ["Feature store", "features", "high"],
            ["Training jobs", "training", "low"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx", "--dry-run")
    assert result.exit_code == 0, result.output
    assert columns_line(result).startswith(
        "Columns: id ← none: derived from titles, title ← the unnamed column (A1), "
        "stage ← Stage (B1)"
    )
    assert "has values but no header" not in result.stderr


def test_repeated_header_blocks_are_chapters(invoke, store, make_xlsx):
    make_xlsx(
        [
            ["Checklist"],
            [],
            ["Information Gathering", "Test Name", "Status"],
            ["INFO-01", "Search engine discovery", "Not Started"],
            ["INFO-02", "Fingerprint the web server", "Not Started"],
            [],
            ["Configuration Testing", "Test Name", "Status"],
            ["CONF-01", "Network configuration", "Done"],
        ]
    )
    result = invoke("import", "requirements", "reqs.xlsx", "--add-stages")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["title"], r["stage"]) for r in listed(invoke)][-3:] == [
        ("INFO-01", "Search engine discovery", "Information Gathering"),
        ("INFO-02", "Fingerprint the web server", "Information Gathering"),
        ("CONF-01", "Network configuration", "Configuration Testing"),
    ]


# -- messages -----------------------------------------------------------------------------------


def test_duplicate_derived_ids_say_what_to_do_and_the_warning_still_shows(invoke, store, make_csv):
    make_csv([["Title", "Stage"], ["Backups", "training"], ["backups!", "training"]])
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "warning: reqs.csv:1: no id column: ids are derived from titles, so renaming a title "
        "will look like retiring one requirement and adding another"
    )
    assert result.stderr.splitlines()[-1] == (
        "reqs.csv:A3: two titles give the id 'backups' (first at reqs.csv:A2); without an id "
        "column titles must differ: add an ID column, or --map 'Column=id'"
    )


def test_a_header_error_says_which_column_each_field_came_from(invoke, store, make_csv):
    make_csv([["UID", "Colour\nof the day"], ["R-1", "red"]])
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        "reqs.csv:1: no title column (a column named Title, Feature, Requirement, Capability "
        "or Name); use --map 'Column=title' (columns: 'UID', 'Colour of the day')",
        "columns: id ← UID (A1), stage ← none: requirements will be Unassigned, "
        "tier ← none: bold titles are best-in-class",
    ]


def test_a_map_error_lists_the_real_column_names(invoke, store, make_csv):
    make_csv([["UID", "Summary"], ["R-1", "Logins"]])
    result = invoke("import", "requirements", "reqs.csv", "--map", "Name=title")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "--map: no column named 'Name' in the header row (columns: 'UID', 'Summary')"
    )


def test_rows_without_id_get_one_warning_and_derived_ids(invoke, store, make_csv):
    make_csv(
        [
            ["ID", "Title", "Stage"],
            ["T-1", "SQL injection", "training"],
            ["", "Oracle testing", "training"],
            ["", "MySQL testing", "training"],
            ["T-2", "XSS", "training"],
            ["T-3", "CSRF", "training"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert (
        "warning: reqs.csv:A3: no id in A3–A4: those ids are derived from the titles"
        in result.stderr
    )
    assert [r["id"] for r in listed(invoke)] == [
        "T-1",
        "T-2",
        "T-3",
        "mysql-testing",
        "oracle-testing",
    ]


def test_an_id_column_that_is_mostly_empty_is_not_the_id(invoke, store, make_csv):
    make_csv(
        [
            ["uid", "text", "ref"],
            ["REQ1", "Log logins", ""],
            ["REQ2", "Lock", "REF1"],
            ["REQ3", "Audit", ""],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert "column 'ref' is not the id (most of its cells are empty)" in result.stderr
    assert [r["id"] for r in listed(invoke)] == ["REQ1", "REQ2", "REQ3"]


def test_rows_with_an_id_but_no_title_are_skipped_with_one_warning(invoke, store, make_csv):
    make_csv(
        [
            ["uid", "text", "header"],
            ["REQ1", "Log logins", ""],
            ["REQ7", "", "My Heading"],
            ["REQ8", "", "Another"],
        ]
    )
    result = invoke("import", "requirements", "reqs.csv")
    assert result.exit_code == 0, result.output
    assert (
        "warning: reqs.csv:B3: rows with no title are skipped (B3–B4); fill in their "
        "titles to import them"
    ) in result.stderr
    assert [r["id"] for r in listed(invoke)] == ["REQ1"]


# -- a long import --------------------------------------------------------------------------------


def test_a_long_import_lists_the_first_twenty_lines_unless_verbose(invoke, store, make_csv):
    make_csv(
        [["ID", "Title", "Stage"], *[[f"R-{n:02}", f"Rule {n}", "training"] for n in range(1, 31)]]
    )
    result = invoke("import", "requirements", "reqs.csv", "--dry-run")
    lines = result.stdout.splitlines()
    assert lines[1:] == [
        *[f"added    R-{n:02}: Rule {n}" for n in range(1, 21)],
        "… and 10 more added (--verbose lists them all)",
        "Dry run: 30 added, 0 changed, 0 retired, 0 unchanged; nothing was written.",
    ]
    verbose = invoke("import", "requirements", "reqs.csv", "--verbose")
    assert len(verbose.stdout.splitlines()) == 31


# -- as of ---------------------------------------------------------------------------------------


def test_as_of_comes_from_a_labelled_cell(invoke, store, make_xlsx):
    make_xlsx([["As of:", "2021-11-15"], [], ["ID", "Title", "Stage"], ["R-1", "Jobs", "training"]])
    assert invoke("import", "requirements", "reqs.xlsx").exit_code == 0
    (event,) = json.loads(invoke("log", "--format", "json").stdout)
    assert event["as_of"] == "2021-11-15"


def test_as_of_comes_from_the_file_name(invoke, store, make_csv):
    make_csv([["ID", "Title", "Stage"], ["R-1", "Jobs", "training"]], "roadmap_2021-11.csv")
    assert invoke("import", "requirements", "roadmap_2021-11.csv").exit_code == 0
    (event,) = json.loads(invoke("log", "--format", "json").stdout)
    assert event["as_of"] == "2021-11-01"


def test_as_of_option_beats_the_file_name(store, make_csv):
    path = make_csv([["ID", "Title", "Stage"], ["R-1", "Jobs", "training"]], "roadmap_2021-11.csv")
    assert import_requirements(store, str(path), as_of="2021-12-01").as_of == "2021-12-01"


def test_a_bad_labelled_date_names_its_cell(store, make_xlsx):
    path = make_xlsx([["As of:", "someday"], ["ID", "Title", "Stage"], ["R-1", "J", "training"]])
    with pytest.raises(RoadmapError) as raised:
        import_requirements(store, str(path))
    assert [str(p) for p in raised.value.problems] == [
        f"{path}:Requirements!B1: not a date: 'someday' (use YYYY-MM-DD or YYYY-MM)"
    ]


# -- level words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, level",
    [
        ("✔️", Level.GA),
        ("✓*", Level.GA),
        ("Yes¹", Level.GA),
        ("✅", Level.GA),
        ("☑", Level.GA),
        ("TRUE", Level.GA),
        ("1", Level.GA),
        (" yes † ", Level.GA),
        ("❌", Level.NONE),
        ("✖", Level.NONE),
        ("FALSE", Level.NONE),
        ("0", Level.NONE),
        ("⏳", Level.PLANNED),
        ("🚧", Level.PLANNED),
        ("In progress", Level.PLANNED),
    ],
)
def test_level_words_after_unicode_normalisation(word, level):
    assert Level.parse(word) is level


def test_a_word_that_is_no_level_is_still_an_error():
    with pytest.raises(ValueError, match="unknown level 'sorta'"):
        Level.parse("sorta")
