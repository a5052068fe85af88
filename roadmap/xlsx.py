"""Writing workbooks: the helpers every sheet we write is made with.

The one module that knows XlsxWriter (reading goes through ``roadmap.reader``). Text
from inputs is always stored as a string (``write_string``, never a formula: the
workbook converts no string), files are written to a temporary file beside the
destination and renamed, and nothing varies between runs (a fixed document date, and
XlsxWriter's fixed zip timestamps), so the same store gives the same bytes.

XlsxWriter cannot read cells back: each ``Sheet`` remembers the longest text of each
column and the wrapped text of each row as it is written, and sizes columns and rows
from that.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .collector import collector_paused
from .errors import OutputError, UsageError, shorten
from .model import Level

FIXED_TIME = dt.datetime(2000, 1, 1)
HEADER_FILL = "DDE4EE"
LEVEL_COLOURS = {
    Level.GA: "63BE7B",
    Level.PREVIEW: "B5D99C",
    Level.PARTIAL: "FFE699",
    Level.PARTNER: "9DC3E6",
    Level.PLANNED: "F4B183",
    Level.NONE: "F08080",
    Level.UNKNOWN: "E7E6E6",
}
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
PERCENT_FORMAT = "0%"
# Excel's limit for one cell, in UTF-16 code units (an emoji counts twice); XlsxWriter
# would cut longer text, so export -> import would not be a no-op.
MAX_CELL_TEXT = 32_767
# What no workbook can hold: C0 controls (XML 1.0 allows only tab, LF, CR), lone
# surrogates (bytes that were not UTF-8), and the Unicode non-characters (U+FFFE and
# U+FFFF make a file that neither openpyxl nor LibreOffice opens).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_UNWRITABLE_IN_A_LINE = re.compile("[\x00-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
# The other planes' non-characters make a slow character class: searched for only in
# the rare text that has a character beyond U+FFFF at all.
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")
_NON_CHARACTER_BEYOND_BMP = re.compile(
    "["
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)


def text_problem(text: str, *, one_line: bool = False) -> str | None:
    """Why no workbook can hold ``text`` (a character, or its length), or None when one can.

    ``one_line`` refuses tab, LF and CR too: names, keys and sources are one line.
    """
    if text.isascii() and text.isprintable() and len(text) <= MAX_CELL_TEXT:
        return None  # nearly every cell: no control character, short enough
    found = (_UNWRITABLE_IN_A_LINE if one_line else _UNWRITABLE).search(text)
    beyond_bmp = not text.isascii() and _BEYOND_BMP.search(text) is not None
    if found is None and beyond_bmp:
        found = _NON_CHARACTER_BEYOND_BMP.search(text)
    if found:
        character = found.group()
        code = ord(character)
        if 0xD800 <= code <= 0xDFFF:
            kind = "bytes that are not UTF-8"
        elif code < 0x20:
            kind = f"the control character U+{code:04X}"
        else:
            kind = f"the non-character U+{code:04X}"
        return f"holds {kind} (at character {found.start() + 1}), which no workbook can hold"
    if len(text) > MAX_CELL_TEXT // 2:
        length = len(text) + (len(_BEYOND_BMP.findall(text)) if beyond_bmp else 0)
        if length > MAX_CELL_TEXT:
            return f"is {length:,} characters long; a workbook cell holds at most {MAX_CELL_TEXT:,}"
    return None


# XlsxWriter keeps at most this many hyperlinks on a sheet, and none longer than
# MAX_LINK_LENGTH: past them the cell is text and its comment carries the address.
MAX_LINKS = 65_530
MAX_LINK_LENGTH = 2_079
# A sheet we write holds at most as many cell comments as links: Excel and LibreOffice
# crawl with more, and XlsxWriter keeps each one (about 900 bytes) until the file is
# closed. Past it a level cell has no comment (the review's Legend says where its text is).
MAX_COMMENTS = MAX_LINKS
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": False,  # worksheets go through temporary files: less memory
}


class Book:
    """A workbook being written; ``save_atomic`` names its file and closes it. Formats
    are made once."""

    def __init__(self) -> None:
        import xlsxwriter  # type: ignore[import-untyped]

        self.workbook: Any = xlsxwriter.Workbook(None, WORKBOOK_OPTIONS)
        self.workbook.set_properties({"author": "roadmap", "created": FIXED_TIME})
        self.workbook.set_custom_property(MARKER, MARKER_VALUE)
        self.workbook.set_size(1600, 1000)
        self.sheets: dict[str, Sheet] = {}
        self._formats: dict[tuple[object, ...], Any] = {}

    def create_sheet(self, title: str, *, rows: int | None = None) -> Sheet:
        """A new sheet; ``rows``, for a sheet that may be long, about how many it holds.
        A long one is streamed: its rows go to a temporary file as they are written
        (XlsxWriter's ``constant_memory`` mode, here for one sheet), so it costs little
        memory at any length. A sheet that gives ``rows`` is therefore written row by
        row, and ``put`` refuses a cell above the last row written rather than lose it."""
        streamed = rows is not None and rows >= STREAM_ROWS
        self.workbook.constant_memory = streamed  # read by add_worksheet only
        worksheet = self.workbook.add_worksheet(title)
        self.workbook.constant_memory = False
        sheet = Sheet(self, worksheet, title, streamed)
        self.sheets[title] = sheet
        return sheet

    def __getitem__(self, title: str) -> Sheet:
        return self.sheets[title]

    def close(self, filename: str) -> None:
        """Write the file. XlsxWriter closes the streamed sheets' temporary files only when
        the whole workbook is in ``constant_memory`` mode: say so, and mark the other
        sheets as having none to close."""
        streamed = any(sheet.streamed for sheet in self.sheets.values())
        for sheet in self.sheets.values():
            if not sheet.streamed:
                sheet.worksheet.row_data_fh_closed = True
        self.workbook.constant_memory = streamed
        self.workbook.filename = filename
        with collector_paused():  # a cell's objects or two each, no cycles
            self.workbook.close()

    def format(
        self,
        bold: bool = False,
        fill: str | None = None,
        number_format: str | None = None,
        wrap: bool = False,
        align: str | None = None,
        size: float | None = None,
        colour: str | None = None,
    ) -> Any:
        """The cell format for these settings (None for the default), made once."""
        key = (bold, fill, number_format, wrap, align, size, colour)
        found = self._formats.get(key, _MISSING)
        if found is _MISSING:
            found = self._formats[key] = self._make_format(*key)
        return found

    def _make_format(
        self,
        bold: bool,
        fill: str | None,
        number_format: str | None,
        wrap: bool,
        align: str | None,
        size: float | None,
        colour: str | None,
    ) -> Any:
        if not (bold or fill or number_format or wrap or align or size or colour):
            return None
        spec: dict[str, object] = {"font_name": "Calibri", "font_size": size or 11}
        if bold:
            spec["bold"] = True
        if fill:
            spec.update(pattern=1, bg_color=f"#{fill}")
        if number_format:
            spec["num_format"] = number_format
        if wrap:
            spec.update(text_wrap=True, valign="top")
        if align:
            spec["align"] = align
        if colour:
            spec["font_color"] = f"#{colour}"
        return self.workbook.add_format(spec)

    def chart(self, kind: str, subtype: str | None = None) -> Any:
        spec = {"type": kind, **({"subtype": subtype} if subtype else {})}
        return self.workbook.add_chart(spec)


_MISSING = object()
# A cell XlsxWriter holds costs about 190 bytes (measured: 20,000 rows x 11 cells); a
# streamed cell nothing, but its text is escaped once per cell instead of once per
# distinct text, which makes a sheet about 25% slower to write. Streamed from 20,000
# rows (about 40 MB held otherwise): a review of 2,000 requirements streams nothing,
# one of 100,000 every long sheet.
STREAM_ROWS = 20_000
MAX_ROWS = 1_048_576  # a sheet's rows, in Excel and LibreOffice alike
MAX_COLUMNS = 16_384


class Sheet:
    """One worksheet, and what was written to it that sizing needs (rows and columns
    count from 1, as in a spreadsheet)."""

    def __init__(self, book: Book, worksheet: Any, title: str, streamed: bool = False) -> None:
        self.book = book
        self.worksheet = worksheet
        self.title = title
        self.streamed = streamed
        self.longest: dict[int, int] = {}  # column -> longest line written
        self.widths: dict[int, float] = {}  # column -> width set
        self.wrapped: dict[tuple[int, int], str] = {}  # (row, column) -> wrapped text
        self.links = 0
        self.unlinked = 0  # web links past what a sheet can hold: text, address in comment
        self.comments = 0
        self.uncommented = 0  # notes past the comments a sheet holds: not written
        self.unlinked_uncommented = 0  # of the unlinked, those whose comment was not written

    def width(self, column: int | str, width: float) -> None:
        index = column if isinstance(column, int) else column_index(column)
        self.widths[index] = width
        self.worksheet.set_column(index - 1, index - 1, width)

    def height(self, row: int, height: float) -> None:
        """A row's height; on a streamed sheet, before any later row is written (XlsxWriter
        would ignore it after)."""
        if self.streamed and row - 1 < self.worksheet.previous_row:
            raise RuntimeError(f"{self.title}: row {row} sized after a later row was written")
        self.worksheet.set_row(row - 1, height)

    def merge(
        self,
        first_row: int,
        first_column: int,
        last_row: int,
        last_column: int,
        value: str,
        **style: Any,
    ) -> None:
        """Merge a range holding ``value`` (text), styled as ``put`` would."""
        check_text(self, first_row, first_column, value)
        self.worksheet.merge_range(
            first_row - 1,
            first_column - 1,
            last_row - 1,
            last_column - 1,
            "",
            self.book.format(**style),
        )
        put(self, first_row, first_column, value, **style)

    def page_break(self, row: int) -> None:
        """A page break below ``row``."""
        self.worksheet.set_h_pagebreaks([row])

    def hide(self) -> None:
        self.worksheet.hide()


def column_index(letter: str) -> int:
    """``A`` -> 1, ``AA`` -> 27."""
    number = 0
    for char in letter.upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letter(index: int) -> str:
    """1 -> ``A``, 27 -> ``AA``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def new_workbook() -> Book:
    """An empty workbook with a fixed document date (no wall-clock time)."""
    return Book()


def check_text(sheet: Sheet, row: int, column: int, text: str) -> None:
    """Text is never cut or garbled: text no workbook can hold (too long, a control
    character, a non-character) is refused with OutputError naming the cell."""
    problem = text_problem(text)
    if problem:
        raise OutputError(
            f"{sheet.title}!{column_letter(column)}{row}: the text {shorten(text, 60)!r} "
            f"{problem}; correct it where it came from (the roadmap's settings, or the file "
            "its requirement or snapshot was imported from) and run again"
        )


def cell_width(value: object) -> int:
    """How many characters wide ``value`` reads (its longest line): what a column is
    sized from, since XlsxWriter cannot read cells back."""
    if isinstance(value, str):
        return len(value) if "\n" not in value else max(map(len, value.splitlines()))
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        return len(str(value))
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, Level):
        return len(value.value)
    return cell_width(str(value))


def measure(sheet: Sheet, rows: Iterable[Sequence[object]]) -> None:
    """Count ``rows`` towards the column widths before they are written, so a streamed
    sheet can size its columns (and so its wrapped rows' heights) first."""
    longest = sheet.longest
    for values in rows:
        for column, value in enumerate(values, start=1):
            width = cell_width(value)
            if width > longest.get(column, 0):
                longest[column] = width


def put(
    sheet: Sheet,
    row: int,
    column: int,
    value: object,
    *,
    bold: bool = False,
    fill: str | None = None,
    number_format: str | None = None,
    wrap: bool = False,
    align: str | None = None,
    size: float | None = None,
    colour: str | None = None,
) -> None:
    """Write one cell (the choke point): a string is always text, even ``=1+1``.

    Writing a cell again replaces it (value and format); on a streamed sheet only within
    the last row written. ``align`` is a horizontal alignment (``left``, ``center``…);
    ``wrap`` wraps the text, top-aligned.
    """
    book = sheet.book
    key = (bold, fill, number_format, wrap, align, size, colour)
    fmt = book._formats.get(key, _MISSING)  # Book.format, without a call for each cell
    if fmt is _MISSING:
        fmt = book.format(*key)
    worksheet = sheet.worksheet
    if type(value) is str:  # nearly every cell: the checks below in line, in order of cost
        if not (len(value) <= MAX_CELL_TEXT // 2 and value.isascii() and value.isprintable()):
            check_text(sheet, row, column, value)
        if value.startswith("<r>") and value.endswith("</r>"):
            written = _write_markup_lookalike(worksheet, row - 1, column - 1, value, fmt)
        else:
            written = worksheet.write_string(row - 1, column - 1, value, fmt)
        if wrap:
            sheet.wrapped[(row, column)] = value
        width = len(value) if "\n" not in value else max(map(len, value.splitlines()))
    elif value is None:
        if fmt is None:
            return
        written = worksheet.write_blank(row - 1, column - 1, None, fmt)
        width = 0
    elif isinstance(value, bool):
        written = worksheet.write_boolean(row - 1, column - 1, value, fmt)
        width = 5
    elif isinstance(value, (int, float)):
        written = worksheet.write_number(row - 1, column - 1, value, fmt)
        width = len(str(value))
    elif isinstance(value, dt.date):
        if number_format is None:
            fmt = book.format(bold, fill, DATE_FORMAT, wrap, align, size, colour)
        written = worksheet.write_datetime(row - 1, column - 1, value, fmt)
        width = 10
    else:  # a str subclass, or anything else: as plain text
        put(
            sheet,
            row,
            column,
            str(value),
            bold=bold,
            fill=fill,
            number_format=number_format,
            wrap=wrap,
            align=align,
            size=size,
            colour=colour,
        )
        return
    if written:
        _not_written(sheet, row, column)
    if width > sheet.longest.get(column, 0):
        sheet.longest[column] = width


def _write_markup_lookalike(worksheet: Any, row: int, column: int, text: str, fmt: Any) -> int:
    """Text such as ``<r>a & b</r>``, which XlsxWriter would copy into the file as raw
    XML (its own rich-text marker, unescaped: a file nobody can open), written as a
    rich string of three runs instead: every character escaped, the same text read back."""
    parts = (text[:1], text[1:-1], text[-1:])
    fragments: list[object] = []
    for part in parts:
        fragments += [fmt, part] if fmt is not None else [part]
    if fmt is not None:
        fragments.append(fmt)  # the cell's own format (fill, alignment) after the runs
    return int(worksheet.write_rich_string(row, column, *fragments))


def _not_written(sheet: Sheet, row: int, column: int) -> None:
    """XlsxWriter refused a cell (it returns a status, it does not raise): never lose it
    silently."""
    if row > MAX_ROWS or column > MAX_COLUMNS:
        raise OutputError(
            f"{sheet.title}!{column_letter(column)}{row}: a sheet holds at most "
            f"{MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns; the {sheet.title} sheet would "
            "need more"
        )
    raise RuntimeError(
        f"{sheet.title}!{column_letter(column)}{row} was not written (a cell "
        "above the last row written to a streamed sheet)"
    )


def write_table(
    sheet: Sheet,
    headers: list[str],
    rows: Iterable[Sequence[object]],
    *,
    start_row: int = 1,
    widths: dict[str, int] | None = None,
    formats: dict[str, str] | None = None,
    styles: RowStyles | None = None,
) -> int:
    """A header row (bold, filled, frozen, filtered) and the rows below; returns the last row.

    ``formats`` gives a column (by header) a number format, e.g. ``{"As of": DATE_FORMAT}``;
    ``styles`` some cells a style of their own (see ``write_rows``).
    """
    by_column = {headers.index(c) + 1: f for c, f in (formats or {}).items() if c in headers}
    last = write_block(sheet, headers, rows, start_row=start_row, formats=by_column, styles=styles)
    finish_table(sheet, start_row, last, len(headers))
    sheet.worksheet.repeat_rows(start_row - 1)
    fit_columns(sheet, widths)
    return last


Style = dict[str, Any]  # put's keyword arguments: bold, fill, number_format, align…
RowStyles = Callable[[int, Sequence[object]], dict[int, Style]]


def write_block(
    sheet: Sheet,
    headers: list[str],
    rows: Iterable[Sequence[object]],
    *,
    start_row: int = 1,
    formats: dict[int, str] | None = None,
    wrap_header: bool = False,
    styles: RowStyles | None = None,
    fit_wrapped: bool = False,
) -> int:
    """A bold header row and rows below, without freeze or filter (one of several tables
    on a sheet); see ``write_rows``. Returns the last row."""
    write_header(sheet, start_row, headers, wrap=wrap_header)
    return write_rows(
        sheet, start_row + 1, rows, formats=formats, styles=styles, fit_wrapped=fit_wrapped
    )


def write_header(sheet: Sheet, row: int, headers: Sequence[str], *, wrap: bool = False) -> None:
    """A table's header row: bold on the header fill."""
    for column, name in enumerate(headers, start=1):
        put(sheet, row, column, name, bold=True, fill=HEADER_FILL, wrap=wrap)


def write_rows(
    sheet: Sheet,
    first_row: int,
    rows: Iterable[Sequence[object]],
    *,
    formats: dict[int, str] | None = None,
    styles: RowStyles | None = None,
    fit_wrapped: bool = False,
) -> int:
    """Rows from ``first_row`` down; a Level is written as its key on its colour. Returns
    the last row (``first_row - 1`` when there are none).

    ``formats`` gives columns a number format; ``styles(index, values)`` gives cells of
    one row (0-based index) a style of their own, by column: each cell is written once,
    in row order, as a streamed sheet needs. ``fit_wrapped``: a row with wrapped cells is
    made as tall as they need as it is written (the columns must be sized first).
    """
    formats = formats or {}
    row_number = first_row - 1
    for index, values in enumerate(rows):
        row_number = first_row + index
        own = styles(index, values) if styles else None
        for column, value in enumerate(values, start=1):
            style = own.get(column) if own else None
            if style is not None:
                put(sheet, row_number, column, value, **style)
            elif isinstance(value, Level):
                level_cell(sheet, row_number, column, value)
            else:
                put(sheet, row_number, column, value, number_format=formats.get(column))
        if fit_wrapped and own and any(style.get("wrap") for style in own.values()):
            fit_row_height(sheet, row_number, own)
    return row_number


def finish_table(
    sheet: Sheet, header_row: int, last_row: int, columns: int, *, frozen_columns: int = 0
) -> None:
    """Freeze the rows down to the header (and some columns), filter it, repeat it in print."""
    worksheet = sheet.worksheet
    worksheet.freeze_panes(header_row, frozen_columns)
    worksheet.autofilter(header_row - 1, 0, max(last_row, header_row) - 1, max(columns, 1) - 1)
    worksheet.repeat_rows(0, header_row - 1)


FIT_LEAST, FIT_MOST = 8, 60  # fit_columns' readable bounds


def fit_columns(
    sheet: Sheet,
    fixed: dict[str, int] | None = None,
    *,
    least: int = FIT_LEAST,
    most: int = FIT_MOST,
) -> None:
    """Column widths from the longest text written (or measured) in each column, within
    readable bounds; ``fixed`` widths (by letter) win."""
    for column, width in sorted(sheet.longest.items()):
        sheet.width(column, min(max(width + 2, least), most))
    for letter, width in (fixed or {}).items():
        sheet.width(letter, width)


def fit_row_height(
    sheet: Sheet, row: int, columns: Iterable[int], *, line_height: float = 15.0
) -> None:
    """Make a row tall enough for its wrapped cells in ``columns`` (LibreOffice does not
    grow rows by itself). A column not sized yet counts as ``fit_columns`` would size it
    from what it holds so far, so a header row can be sized before the rows below it."""
    lines = 1
    for column in columns:
        text = sheet.wrapped.get((row, column))
        if text is None:
            continue
        width = sheet.widths.get(column)
        if width is None:
            width = min(max(sheet.longest.get(column, 0) + 2, FIT_LEAST), FIT_MOST)
        chars = max(1, int(width * 1.1))  # proportional text: a bit more than the width
        count = sum(max(1, -(-len(part) // chars)) for part in text.splitlines())
        lines = max(lines, count)
    if lines > 1:
        sheet.height(row, line_height * lines)


def print_landscape(sheet: Sheet) -> None:
    """Landscape, one page wide: how stakeholders print a review."""
    sheet.worksheet.set_landscape()
    sheet.worksheet.fit_to_pages(1, 0)


def add_dropdown(
    sheet: Sheet, column_letter: str, source: str, rows: int, prompt: str, *, first_row: int = 2
) -> None:
    """A list to pick from (``source`` a range such as ``Lists!$A$2:$A$9``) in a column."""
    column = column_index(column_letter) - 1
    sheet.worksheet.data_validation(
        first_row - 1,
        column,
        first_row + rows - 2,
        column,
        {
            "validate": "list",
            "source": f"={source}",
            "ignore_blank": True,
            "error_title": "Not in the list",
            "error_message": prompt,
        },
    )


def month_date(month: object | None) -> dt.date | None:
    """A ``YYYY-MM`` month (or a ``months.Month``) as a real date cell value (its first day)."""
    if not month:
        return None
    text = str(month)
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def day_date(day: str | dt.date | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` day (or a date) as a real date cell value."""
    if isinstance(day, dt.date):
        return day
    return dt.date.fromisoformat(day) if day else None


def is_web_link(text: str | None) -> bool:
    """Only http(s) evidence becomes a hyperlink; anything else stays text."""
    if not text:
        return False
    return text.lower().startswith(("http://", "https://")) and not _SPACE.search(text)


_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts: one search per link


COMMENT_WIDTH = 320


def level_cell(
    sheet: Sheet,
    row: int,
    column: int,
    level: Level,
    *,
    note: str | None = None,
    link: str | None = None,
    bold: bool = False,
) -> None:
    """A level key on its colour; ``note`` as a comment, ``link`` a hyperlink when it is
    http(s). Past the links a sheet holds (or a link too long for one) the cell stays text
    and its comment carries the address; past the comments it holds (MAX_COMMENTS) the
    cell has no comment. Both are counted on the sheet, for the caller to say where the
    text is instead: nothing is dropped silently."""
    fmt = sheet.book.format(bold, LEVEL_COLOURS[level], None, False, "center")
    worksheet = sheet.worksheet
    unlinked = False
    if link is not None and is_web_link(link):
        if sheet.links < MAX_LINKS and len(link) <= MAX_LINK_LENGTH:
            written = worksheet.write_url(row - 1, column - 1, link, fmt, level.value)
            sheet.links += 1
        else:
            written = worksheet.write_string(row - 1, column - 1, level.value, fmt)
            sheet.unlinked += 1
            unlinked = True
            if link not in (note or ""):
                note = f"{note}\nLink: {link}" if note else f"Link: {link}"
    else:
        written = worksheet.write_string(row - 1, column - 1, level.value, fmt)
    if written:
        _not_written(sheet, row, column)
    if len(level.value) > sheet.longest.get(column, 0):
        sheet.longest[column] = len(level.value)
    if not note:
        return
    if sheet.comments >= MAX_COMMENTS:
        sheet.uncommented += 1
        sheet.unlinked_uncommented += unlinked
        return
    check_text(sheet, row, column, note)
    lines = note.splitlines()
    worksheet.write_comment(
        row - 1,
        column - 1,
        note,
        {
            "author": "roadmap",
            "width": COMMENT_WIDTH,
            "height": max(60, 18 * (len(lines) + sum(len(x) // 45 for x in lines))),
        },
    )
    sheet.comments += 1


WRITER = "roadmap"
# Everything we write carries a custom document property (visible in Excel's File >
# Properties) and, as the zip's comment, a fingerprint of its parts (names, CRCs and
# sizes, from the zip's directory: nothing to decompress). Any program that saves the
# file writes a new zip without our comment (LibreOffice even keeps ``modified`` when it
# converts), so a filled-in template or an annotated review is no longer ours to replace.
MARKER = "roadmap-output"
MARKER_VALUE = "written by roadmap; it replaces this file until another program saves it"
_FINGERPRINT = b"roadmap-output sha256:"
_PART_PREFIX = ".roadmap-"
_PART_SUFFIX = ".part"
STALE_PART_SECONDS = 15 * 60  # a write takes seconds; older parts are from killed runs
_SQLITE_MAGIC = b"SQLite format 3\x00"


def written_by_roadmap(path: str) -> bool:
    """True when ``path`` is a workbook roadmap wrote and no other program has saved since."""
    return _writer(path) == "roadmap"


def _writer(path: str) -> str:
    """``roadmap`` (ours, as we left it), ``changed`` (ours, saved since by another
    program) or ``other``."""
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.comment.startswith(_FINGERPRINT):
                if archive.comment == _fingerprint(archive.infolist()):
                    return "roadmap"
            custom = _small_member(archive, "docProps/custom.xml")
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError):
        return "other"
    return "changed" if f'name="{MARKER}"'.encode() in custom else "other"


def _fingerprint(members: list[zipfile.ZipInfo]) -> bytes:
    import hashlib

    digest = hashlib.sha256()
    for info in sorted(members, key=lambda i: i.filename):
        digest.update(f"{info.filename}\0{info.CRC:08x}\0{info.file_size}\n".encode())
    return _FINGERPRINT + digest.hexdigest().encode()


def _small_member(archive: zipfile.ZipFile, name: str, most: int = 64 * 1024) -> bytes:
    """A member's bytes, or b"" when it is missing or too big to be one of ours."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > most:
        return b""
    with archive.open(info) as handle:
        return handle.read(most)


def output_path(path: object) -> str:
    """An output file as a caller may name it (text or a ``pathlib.Path``) as text;
    UsageError naming anything else."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise UsageError(
            f"{path!r} is not a file name (give a path such as 'review.xlsx')", "output"
        )
    return path


def check_output(path: str | os.PathLike[str], force: bool = False) -> str:
    """The file to write for ``path`` (a symbolic link's target, with ``force``), or
    OutputError saying why not and what to do.

    An existing file is replaced only when roadmap wrote it; a file someone else wrote,
    a symbolic link and a read-only file need ``force``. A folder, a device and an
    SQLite database (a store) are never replaced.
    """
    path = output_path(path)
    if not path.lower().endswith(".xlsx"):
        raise OutputError(f"{path}: the output must be an .xlsx file")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{path}: folder {folder} does not exist")
    target = path
    if os.path.islink(path):
        if not force:
            raise OutputError(
                f"{path} is a symbolic link (to {os.readlink(path)}); pass --force to "
                "write to the file it points to, or choose another file name"
            )
        target = os.path.realpath(path)
    try:
        status = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror})") from None
    if stat.S_ISDIR(status.st_mode):
        raise OutputError(f"{path} is a folder; name a file inside it, e.g. {path}/review.xlsx")
    if not stat.S_ISREG(status.st_mode):
        raise OutputError(f"{path} is not a regular file; choose another file name")
    with open(target, "rb") as handle:
        if handle.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
            raise OutputError(
                f"{path} is an SQLite database (a roadmap store?), not a "
                "workbook; roadmap never replaces it: choose another file name"
            )
    if force:
        return target
    reasons = []
    writer = _writer(target)
    if writer == "changed":
        reasons.append("was saved by another program since roadmap wrote it")
    elif writer != "roadmap":
        reasons.append("was not written by roadmap")
    if not status.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        reasons.append("is read-only")
    if reasons:
        raise OutputError(
            f"{path} {' and '.join(reasons)}; pass --force to replace it, "
            "or choose another file name"
        )
    return target


@contextmanager
def staged_save(
    book: Book, path: str | os.PathLike[str], *, force: bool = False
) -> Iterator[Callable[[], None]]:
    """Write ``book`` to a hidden file beside ``path`` and yield ``publish``, which renames
    it into place. Leaving the block publishes it (when the body did not); an exception
    in the block removes the hidden file and, if it was published, puts the previous file
    back, so a caller can publish just before committing a transaction and undo both.

    The file keeps the mode of the one it replaces; a new one follows the umask.
    OutputError when it cannot be written (any existing file is then unchanged).
    """
    path = output_path(path)
    target = check_output(path, force)
    folder = os.path.dirname(os.path.abspath(target))
    remove_stale_parts(folder)
    temporary = _write_part(book, path, folder, _mode_for(target))
    del book  # saved: its objects may go before the caller's transaction below
    previous: str | None = None
    published = False

    def publish() -> None:
        nonlocal previous, published
        if published:
            return
        try:
            if os.path.exists(target):
                previous = _keep_previous(target, folder)
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(
                f"{path}: cannot write ({exc.strerror or exc}); any existing file is unchanged"
            ) from None
        published = True
        _sync_folder(folder)

    try:
        yield publish
        publish()
    except BaseException:
        if published:
            _put_back(previous, target)
        _remove_quietly(temporary)
        if previous and not published:
            _remove_quietly(previous)
        raise
    if previous:
        _remove_quietly(previous)


def save_atomic(book: Book, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write beside ``path`` and rename; an existing file survives any failure, and is
    replaced only when roadmap wrote it (or with ``force``: see ``check_output``)."""
    with staged_save(book, path, force=force):
        pass


def _write_part(book: Book, path: str, folder: str, mode: int) -> str:
    """The workbook in a hidden ``.roadmap-*.xlsx.part`` file in ``folder``, on disk,
    its zip comment our fingerprint."""
    from xlsxwriter.exceptions import FileCreateError  # type: ignore[import-untyped]

    try:
        handle, temporary = tempfile.mkstemp(
            prefix=_PART_PREFIX, suffix=".xlsx" + _PART_SUFFIX, dir=folder
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror})") from None
    os.close(handle)
    try:
        try:
            book.close(temporary)
        except FileCreateError as wrapped:  # XlsxWriter's wrapper of the OSError
            raise (
                wrapped.args[0]
                if wrapped.args and isinstance(wrapped.args[0], OSError)
                else OSError(str(wrapped))
            ) from None
        with zipfile.ZipFile(temporary, "a") as archive:  # rewrites only the directory
            archive.comment = _fingerprint(archive.infolist())
        os.chmod(temporary, mode)
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)  # the bytes are on disk before the name points at them
        finally:
            os.close(descriptor)
    except OSError as exc:
        _remove_quietly(temporary)
        raise OutputError(
            f"{path}: cannot write ({exc.strerror or exc}); any existing file is unchanged"
        ) from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    return temporary


def _mode_for(target: str) -> int:
    """The existing file's permissions, else what the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _keep_previous(target: str, folder: str) -> str:
    """A second name for the file about to be replaced (a hard link, else a copy)."""
    import secrets
    import shutil

    keep = os.path.join(folder, f"{_PART_PREFIX}{secrets.token_hex(8)}.previous{_PART_SUFFIX}")
    try:
        os.link(target, keep)
    except OSError:
        shutil.copy2(target, keep)
    return keep


def _put_back(previous: str | None, target: str) -> None:
    try:
        if previous:
            os.replace(previous, target)
        else:
            os.remove(target)
    except OSError:
        pass


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def remove_stale_parts(folder: str, older_than: float = STALE_PART_SECONDS) -> None:
    """Remove our hidden ``.roadmap-*.part`` files left in ``folder`` by killed runs."""
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(_PART_PREFIX) and entry.name.endswith(_PART_SUFFIX):
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.remove(entry.path)
            except OSError:
                pass
