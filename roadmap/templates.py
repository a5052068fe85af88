"""Blank input workbooks: the canonical headers, dropdowns and an instructions sheet."""

from __future__ import annotations

from .model import (
    BIG_EIGHT,
    LEVEL_SYNONYMS,
    PRIORITIES,
    REQUIREMENT_HEADINGS,
    VENDOR_KINDS,
    Tier,
)
from .xlsx import (
    Book,
    add_dropdown,
    column_letter,
    fit_columns,
    new_workbook,
    put,
    save_atomic,
    write_table,
)

REQUIREMENT_COLUMNS = list(REQUIREMENT_HEADINGS)
TEMPLATE_ROWS = 500

REQUIREMENT_INSTRUCTIONS = [
    "How to fill in the Requirements sheet",
    "",
    "One row per required feature of the ML platform. Keep the header row; add columns "
    "if you need them (their values are kept in Notes).",
    "ID: a short stable id (e.g. FE-03). Keep it when a title changes, so history follows.",
    "Title: the feature, as stakeholders say it.",
    "Stage: one of the roadmap's MLOps stages (dropdown).",
    "Tier: table-stakes (needed to ship models at all) or best-in-class (needed with many "
    "models in production).",
    "Priority: high, medium or low.",
    "Target: the month it is due: 2021-09, Sep 2021, Q3 2021, H2 2021 or M6 (the "
    "roadmap's sixth month). A quarter or half means its last month.",
    "Status: open, in progress, done, blocked... Rows you delete are kept as retired.",
    "Owner, Requested by, Description, Notes: free text.",
    "",
    "Then run: roadmap import requirements THIS_FILE.xlsx",
]


def _lists_sheet(book: Book, lists: dict[str, list[str]]) -> dict[str, str]:
    """A hidden sheet holding the dropdown values; returns a range per list."""
    sheet = book.create_sheet("Lists")
    sheet.hide()
    ranges = {}
    for column, (name, values) in enumerate(lists.items(), start=1):
        put(sheet, 1, column, name, bold=True)
        for row, value in enumerate(values, start=2):
            put(sheet, row, column, value)
        letter = column_letter(column)
        ranges[name] = f"Lists!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def instructions_sheet(book: Book, lines: list[str]) -> None:
    sheet = book.create_sheet("Instructions")
    for row, line in enumerate(lines, start=1):
        put(sheet, row, 1, line, bold=row == 1, wrap=True)
    fit_columns(sheet, {"A": 100})


def write_requirements_template(
    path: str, stages: list[str] | None = None, *, force: bool = False
) -> None:
    """The blank requirements workbook; the shipped templates/requirements.xlsx is this."""
    book = new_workbook()
    sheet = book.create_sheet("Requirements")
    write_table(
        sheet, REQUIREMENT_COLUMNS, [], widths={"B": 40, "C": 28, "D": 15, "J": 50, "K": 30}
    )
    instructions_sheet(book, REQUIREMENT_INSTRUCTIONS)
    ranges = _lists_sheet(
        book,
        {
            "Stage": list(stages or BIG_EIGHT),
            "Tier": [t.value for t in Tier],
            "Priority": list(PRIORITIES),
        },
    )
    add_dropdown(sheet, "C", ranges["Stage"], TEMPLATE_ROWS, "Pick one of the roadmap's stages.")
    add_dropdown(sheet, "D", ranges["Tier"], TEMPLATE_ROWS, "table-stakes or best-in-class.")
    add_dropdown(sheet, "E", ranges["Priority"], TEMPLATE_ROWS, "high, medium or low.")
    sheet.worksheet.autofilter(f"A1:K{TEMPLATE_ROWS + 1}")
    save_atomic(book, path, force=force)


SNAPSHOT_COLUMNS = ["Requirement ID", "Title", "Level", "Product", "Evidence", "Notes"]
SNAPSHOT_LABELS = ("Vendor:", "Kind:", "As of:", "Source:")
INPUT_FILL = "FFF2CC"


def snapshot_instructions() -> list[str]:
    words = [
        f"{level.value}: also {', '.join(repr(w) for w in synonyms if w) or 'nothing else'}"
        for level, synonyms in LEVEL_SYNONYMS.items()
    ]
    return [
        "How to fill in the Snapshots sheet",
        "",
        "One workbook per vendor and date: what the vendor offered for each requirement then.",
        "Vendor: the vendor's name (Amazon SageMaker) or the key already stored (sagemaker).",
        "Kind: end-to-end, best-of-breed, open-source or in-house (dropdown); used the first "
        "time a vendor is imported.",
        "As of: the date the snapshot describes (2021-12-15; a month alone means its first day).",
        "Source: where it comes from (an announcement, a changelog, a review).",
        "",
        "Then one row per requirement, below the header row:",
        "Requirement ID: the roadmap's id (FE-01); or leave it empty and give the Title.",
        "Level: one of the levels below (dropdown). An empty level is 'unknown', and so is "
        "any requirement you leave out.",
        "Product, Evidence (a URL or a release note), Notes: free text.",
        "",
        "Levels, strongest first, and the other words accepted for them:",
        *words,
        "",
        "Then run: roadmap import snapshot THIS_FILE.xlsx",
        "(--vendor, --as-of and --source override the cells above; --replace stores a "
        "different snapshot for a vendor and date already stored).",
    ]


def write_snapshot_template(path: str, *, force: bool = False) -> None:
    """The blank long-form snapshot workbook; the shipped templates/snapshot.xlsx is this."""
    book = new_workbook()
    sheet = book.create_sheet("Snapshots")
    for row, label in enumerate(SNAPSHOT_LABELS, start=1):
        put(sheet, row, 1, label, bold=True)
        put(
            sheet,
            row,
            2,
            None,
            fill=INPUT_FILL,
            number_format="yyyy-mm-dd" if label == "As of:" else None,
        )
    header_row = len(SNAPSHOT_LABELS) + 2
    write_table(
        sheet,
        SNAPSHOT_COLUMNS,
        [],
        start_row=header_row,
        widths={"A": 16, "B": 40, "C": 12, "D": 30, "E": 45, "F": 40},
    )
    instructions_sheet(book, snapshot_instructions())
    ranges = _lists_sheet(
        book, {"Level": [level.value for level in LEVEL_SYNONYMS], "Kind": list(VENDOR_KINDS)}
    )
    add_dropdown(
        sheet,
        "C",
        ranges["Level"],
        TEMPLATE_ROWS,
        "Pick one of the levels.",
        first_row=header_row + 1,
    )
    add_dropdown(sheet, "B", ranges["Kind"], 1, "Pick one of the vendor kinds.", first_row=2)
    sheet.worksheet.autofilter(f"A{header_row}:F{header_row + TEMPLATE_ROWS}")
    save_atomic(book, path, force=force)
