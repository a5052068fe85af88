"""Writing workbooks: the helpers every sheet we write is made with.

Text from inputs is always stored as a string (never a formula), files are written
to a temporary file beside the destination and renamed, and nothing varies between
runs (fixed document dates and zip timestamps), so the same store gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile

from .errors import RoadmapError
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
_FORMULA_STARTS = ("=", "+", "-", "@")


def new_workbook():
    """An empty workbook with fixed document properties (no wall-clock time)."""
    from openpyxl import Workbook

    book = Workbook()
    book.properties.creator = "roadmap"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.remove(book.active)
    return book


def put(sheet, row: int, column: int, value: object, *, bold: bool = False,
        fill: str | None = None, number_format: str | None = None, wrap: bool = False,
        align: str | None = None):
    """Set one cell; a string is always text, even when it starts with ``=``.

    ``align`` is a horizontal alignment (``left``, ``center``…); ``wrap`` wraps the text.
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell.data_type = "s"
    if bold:
        cell.font = _font(True)
    if fill:
        cell.fill = _fill(fill)
    if number_format:
        cell.number_format = number_format
    if wrap or align:
        cell.alignment = _wrap(wrap, align)
    return cell


_STYLE_CACHE: dict = {}


def _font(bold: bool):
    from openpyxl.styles import Font

    # Named, so LibreOffice does not fall back to a serif font for bold cells.
    return _STYLE_CACHE.setdefault(("font", bold), Font(name="Calibri", size=11, bold=bold))


def _fill(colour: str):
    from openpyxl.styles import PatternFill

    return _STYLE_CACHE.setdefault(
        ("fill", colour), PatternFill(fill_type="solid", start_color=colour, end_color=colour))


def _wrap(wrap: bool = True, align: str | None = None):
    from openpyxl.styles import Alignment

    return _STYLE_CACHE.setdefault(("align", wrap, align), Alignment(
        wrap_text=wrap or None, vertical="top" if wrap else None, horizontal=align))



def write_table(sheet, headers: list[str], rows, *, start_row: int = 1,
                widths: dict[str, int] | None = None,
                formats: dict[str, str] | None = None) -> int:
    """A header row (bold, filled, frozen, filtered) and the rows below; returns the last row.

    ``formats`` gives a column (by header) a number format, e.g. ``{"As of": DATE_FORMAT}``.
    """
    from openpyxl.utils import get_column_letter

    for column, name in enumerate(headers, start=1):
        put(sheet, start_row, column, name, bold=True, fill=HEADER_FILL)
    row_number = start_row
    by_index = {headers.index(c): f for c, f in (formats or {}).items() if c in headers}
    for row_number, values in enumerate(rows, start=start_row + 1):
        for column, value in enumerate(values, start=1):
            put(sheet, row_number, column, value, number_format=by_index.get(column - 1))
    last_column = get_column_letter(max(len(headers), 1))
    sheet.freeze_panes = sheet.cell(row=start_row + 1, column=1)
    sheet.auto_filter.ref = f"A{start_row}:{last_column}{max(row_number, start_row)}"
    sheet.print_title_rows = f"{start_row}:{start_row}"
    fit_columns(sheet, widths)
    return row_number


def fit_columns(sheet, fixed: dict[str, int] | None = None, *, least: int = 8,
                most: int = 60) -> None:
    """Column widths from the longest text in each column, within readable bounds."""
    from openpyxl.utils import get_column_letter

    longest: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                text = cell.value.isoformat()[:10] if isinstance(
                    cell.value, (dt.date, dt.datetime)) else str(cell.value)
                width = max(len(line) for line in text.splitlines()) if text else 0
                longest[cell.column] = max(longest.get(cell.column, 0), width)
    for column, width in longest.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, least), most)
    for letter, width in (fixed or {}).items():
        sheet.column_dimensions[letter].width = width


class _FixedTimeZip(zipfile.ZipFile):
    """Every member stamped with one fixed time, so equal workbooks are equal bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=(1980, 1, 1, 0, 0, 0))
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet from a temporary file, whose mtime is wall-clock.
        with open(filename, "rb") as handle:
            self.writestr(arcname or os.path.basename(filename), handle.read())


def save_atomic(book, path: str) -> None:
    """Write beside ``path`` and rename; an existing file survives any failure."""
    from openpyxl.writer.excel import ExcelWriter

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RoadmapError(f"{path}: folder {folder} does not exist")
    if not path.lower().endswith(".xlsx"):
        raise RoadmapError(f"{path}: the output must be an .xlsx file")
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    try:
        handle, temporary = tempfile.mkstemp(prefix=".roadmap-", suffix=".xlsx.part",
                                             dir=folder)
    except OSError as exc:
        raise RoadmapError(f"{path}: cannot write here ({exc.strerror})") from None
    os.close(handle)
    try:
        with _FixedTimeZip(temporary, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(book, archive).write_data()
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly(temporary)
        raise RoadmapError(
            f"{path}: cannot write ({exc.strerror or exc}); any existing file is unchanged"
        ) from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
PERCENT_FORMAT = "0%"


def month_date(month: str | None) -> dt.date | None:
    """A ``YYYY-MM`` month as a real date cell value (its first day)."""
    return dt.date(int(month[:4]), int(month[5:7]), 1) if month else None


def is_web_link(text: str | None) -> bool:
    """Only http(s) evidence becomes a hyperlink; anything else stays text."""
    if not text:
        return False
    return text.lower().startswith(("http://", "https://")) and not any(
        c.isspace() for c in text)


def level_cell(sheet, row: int, column: int, level: Level, *, note: str | None = None,
               link: str | None = None, bold: bool = False):
    """A level key on its colour; ``note`` as a comment, ``link`` only when it is http(s)."""
    from openpyxl.comments import Comment

    cell = put(sheet, row, column, level.value, fill=LEVEL_COLOURS[level], bold=bold,
               align="center")
    if note:
        lines = note.splitlines()
        cell.comment = Comment(note, "roadmap", width=320,
                               height=max(60, 18 * (len(lines) + sum(len(x) // 45 for x in lines))))
    if is_web_link(link):
        cell.hyperlink = link
    return cell


def write_block(sheet, headers: list[str], rows, *, start_row: int = 1,
                formats: dict[int, str] | None = None, wrap_header: bool = False) -> int:
    """A bold header row and rows below, without freeze or filter (one of several tables
    on a sheet); a Level is written as its key on its colour. Returns the last row."""
    formats = formats or {}
    for column, name in enumerate(headers, start=1):
        put(sheet, start_row, column, name, bold=True, fill=HEADER_FILL, wrap=wrap_header)
    row_number = start_row
    for row_number, values in enumerate(rows, start=start_row + 1):
        for column, value in enumerate(values, start=1):
            if isinstance(value, Level):
                level_cell(sheet, row_number, column, value)
                continue
            number_format = formats.get(column)
            if number_format is None and isinstance(value, dt.date):
                number_format = DATE_FORMAT
            put(sheet, row_number, column, value, number_format=number_format)
    return row_number


def finish_table(sheet, header_row: int, last_row: int, columns: int, *,
                 frozen_columns: int = 0) -> None:
    """Freeze the rows down to the header (and some columns), filter it, repeat it in print."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=frozen_columns + 1)
    sheet.auto_filter.ref = (f"A{header_row}:{get_column_letter(max(columns, 1))}"
                             f"{max(last_row, header_row)}")
    sheet.print_title_rows = f"1:{header_row}"


def print_landscape(sheet) -> None:
    """Landscape, one page wide: how stakeholders print a review."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def day_date(day: str | None) -> dt.date | None:
    """A ``YYYY-MM-DD`` day as a real date cell value."""
    return dt.date.fromisoformat(day) if day else None


def fit_row_height(sheet, row: int, columns, *, line_height: float = 15.0) -> None:
    """Make a row tall enough for its wrapped cells in ``columns`` (LibreOffice does not
    grow rows by itself), after the column widths are set."""
    from openpyxl.utils import get_column_letter

    lines = 1
    for column in columns:
        cell = sheet.cell(row=row, column=column)
        if cell.value is None or not cell.alignment.wrap_text:
            continue
        width = sheet.column_dimensions[get_column_letter(column)].width or 10
        chars = max(1, int(width * 1.1))  # proportional text: a bit more than the width
        count = sum(max(1, -(-len(part) // chars)) for part in str(cell.value).splitlines())
        lines = max(lines, count)
    if lines > 1:
        sheet.row_dimensions[row].height = line_height * lines
