"""Reading spreadsheets: the only module that opens input files.

It treats every file as untrusted (zip sizes and XML prologs are checked before
openpyxl parses anything), chooses the sheet, finds the header row below any title
rows, collects labelled cells (``Vendor:``, ``As of:``) above it, and hands back the
rows with what is needed to name each cell in an error.
"""
from __future__ import annotations

import csv
import gc
import io
import itertools
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import Problem, RoadmapError

HEADER_SEARCH_ROWS = 50


@dataclass(frozen=True)
class ZipLimits:
    """Bounds checked from the zip directory before any XML is parsed."""

    max_member_bytes: int = 256 * 1024 * 1024
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_applies_above: int = 1024 * 1024
    max_members: int = 10_000
    # Elements of a worksheet other than rows and cells (column widths, merged cells,
    # links...). openpyxl keeps every one of them in memory while it reads the sheet, so an
    # "element flood" that zips small would otherwise cost gigabytes.
    max_sheet_other_elements: int = 250_000


class Row(NamedTuple):
    number: int  # 1-based sheet row
    values: tuple
    bold: tuple | None  # per cell, None for CSV (no formatting)


@dataclass
class Table:
    """A sheet below its header row, with the labelled cells found above it."""

    file: str
    sheet: str | None
    header_row: int
    header: tuple
    rows: list[Row]
    labels: dict[str, tuple[object, str]] = field(default_factory=dict)

    def where(self, row: int, column: int | None = None) -> str:
        """``file.xlsx:Sheet!D14`` (column 0-based), or ``file.xlsx:Sheet!14`` for a row."""
        cell = f"{column_letter(column)}{row}" if column is not None else str(row)
        if self.sheet is None:
            return f"{self.file}:{cell}"
        sheet = self.sheet
        if not re.fullmatch(r"\w+", sheet):
            sheet = "'" + sheet.replace("'", "''") + "'"
        return f"{self.file}:{sheet}!{cell}"


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(
    path: str,
    header_score: Callable[[tuple], int],
    *,
    sheet: str | None = None,
    preferred_sheet: str = "Requirements",
    limits: ZipLimits = ZipLimits(),
    needs_bold: Callable[[tuple], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Table:
    """Read the sheet a user means and split it at its header row.

    ``header_score`` counts the cells of a row that name a known field; the header is
    the first row scoring 2 or more (else the first scoring 1) within the first rows.
    ``needs_bold(header)`` False lets a workbook's rows be read faster, values only:
    they then carry ``bold=None``, as CSV rows do. ``progress(row, last_row)`` is called
    now and then while a long workbook sheet is read.
    Raises RoadmapError naming the file for anything that is not a readable sheet.
    """
    display = str(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise RoadmapError(f"{display}: no such file") from None
    except IsADirectoryError:
        raise RoadmapError(f"{display}: is a folder, not a spreadsheet") from None
    except OSError as exc:
        raise RoadmapError(f"{display}: cannot read ({exc.strerror})") from None
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, display, header_score, sheet, preferred_sheet, limits,
                          needs_bold, progress)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RoadmapError(f"{display}: {_describe_ole(path)}")
    if head == b"":
        raise RoadmapError(f"{display}: the file is empty")
    if os.path.splitext(display)[1].lower() in (".xlsx", ".xlsm", ".xls"):
        raise RoadmapError(f"{display}: not a spreadsheet (the file is not an Excel workbook)")
    return _read_csv(path, display, header_score, sheet)


def _describe_ole(path: str) -> str:
    """An OLE file is an encrypted .xlsx (an ``EncryptedPackage`` stream) or an old .xls.

    Stream names sit in the OLE directory, which may be anywhere in the file, so the
    whole file is scanned in blocks (linear, constant memory).
    """
    encrypted = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if encrypted in tail + block:
                return ("the workbook is password-protected; remove the password in Excel "
                        "and save again")
            tail = block[-len(encrypted):]
    return "an old Excel .xls workbook; open it in Excel or LibreOffice and save it as .xlsx"


def check_zip(path: str, display: str, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse zip bombs and XML with a DOCTYPE before any parser sees the file."""
    _check_directory_size(path, display, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise RoadmapError(f"{display}: not a spreadsheet (damaged or not a zip file)") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise RoadmapError(f"{display}: refused: {len(members)} parts in the package")
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.max_member_bytes or (
                member.file_size > limits.ratio_applies_above and ratio > limits.max_ratio
            ):
                raise RoadmapError(
                    f"{display}: refused: part {member.filename} would inflate to "
                    f"{member.file_size:,} bytes (ratio {ratio:.0f}:1), a likely zip bomb"
                )
        if total > limits.max_total_bytes:
            raise RoadmapError(
                f"{display}: refused: the package would inflate to {total:,} bytes"
            )
        if "xl/workbook.xml" not in archive.namelist():
            raise RoadmapError(f"{display}: not a spreadsheet (a zip file without a workbook)")
        for member in members:
            if member.flag_bits & 0x1:
                raise RoadmapError(f"{display}: not a spreadsheet (a password-protected zip "
                                   "file; Excel workbooks are protected differently)")
            # Every part, whatever its name: openpyxl parses the parts the package points at.
            root = _check_prolog(archive, member, display)
            if root is not None and root.rpartition(":")[2] == "worksheet":
                # openpyxl reads every sheet as it opens the workbook (to size it), so
                # every sheet is checked before, not only the one imported.
                check_sheet_elements(archive, member, display, limits)


_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"


def _check_directory_size(path: str, display: str, limits: ZipLimits) -> None:
    """Refuse a huge part count from the zip's end record, before zipfile reads the directory.

    zipfile holds one object per directory entry (about 600 bytes), so a million tiny
    parts cost more memory than any workbook; the directory's byte size is bounded too,
    because zipfile reads entries by size, whatever count the end record claims.
    """
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        start = max(0, size - 22 - 65535)  # the end record, then at most a 64 KB comment
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(_END_OF_DIRECTORY)
        if at < 0 or len(tail) - at < 22:
            return  # zipfile says it is damaged
        count, directory_bytes = struct.unpack("<HI", tail[at + 10:at + 16])
        locator = tail[at - 20:at] if at >= 20 else b""
        if locator[:4] == _ZIP64_LOCATOR:
            handle.seek(struct.unpack("<Q", locator[8:16])[0])
            record = handle.read(56)
            if record[:4] == _ZIP64_END and len(record) == 56:
                count, directory_bytes = struct.unpack("<QQ", record[32:48])
    if count > limits.max_members or directory_bytes > limits.max_members * 256:
        raise RoadmapError(
            f"{display}: refused: {count:,} parts in the package ({directory_bytes:,} bytes "
            f"of directory; at most {limits.max_members:,} parts)")


class _PrologEnd(Exception):
    """The first element has started: no DTD can come after it."""


class _DtdFound(Exception):
    pass


def _check_prolog(archive: zipfile.ZipFile, member: zipfile.ZipInfo,
                  display: str) -> str | None:
    """OOXML parts never declare a DTD; one that does is an entity-expansion attack.

    expat, the parser openpyxl uses, reads the part up to its first element: it sees
    comments, encodings (UTF-16 too) and padding exactly as openpyxl would, and stops
    at once on a part that is not XML. Only the prolog is read, however big the part.
    Returns the root element's name (None when the part is not XML).
    """
    from xml.parsers import expat

    def dtd(*_args):
        raise _DtdFound

    def element(name, *_args):
        raise _PrologEnd(name)

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.StartElementHandler = element
    try:
        with archive.open(member) as stream:
            for chunk in iter(lambda: stream.read(65536), b""):
                parser.Parse(chunk, False)
    except _PrologEnd as root:
        return str(root.args[0])  # the root element's name: past the prolog
    except expat.ExpatError:
        return None  # not XML: nothing here can declare an entity
    except _DtdFound:
        raise RoadmapError(
            f"{display}: refused: part {member.filename} declares XML entities "
            "(an entity-expansion attack, or not an Excel file)"
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            OSError) as exc:
        raise RoadmapError(
            f"{display}: not a readable workbook (part {member.filename}: {_reason(exc)})"
        ) from None
    return None  # no element at all


EXCEL_MAX_COLUMNS = 16_384


def _other_element_pattern(prefix: bytes) -> re.Pattern:
    """Start tags other than a row's or a cell's (``row c v f is t``): openpyxl clears those."""
    return re.compile(rb"<(?![/?!]|" + re.escape(prefix) + rb"(?:row|c|v|f|is|t)[\s>/])")


def check_sheet_elements(archive: zipfile.ZipFile, member: zipfile.ZipInfo, display: str,
                         limits: ZipLimits = ZipLimits()) -> None:
    """Refuse a worksheet that would cost openpyxl far more memory than its data.

    openpyxl keeps every element that is neither a row nor a cell in memory while it
    reads, and a whole row at a time; a sheet built of those zips small and costs
    gigabytes. Counted on the raw bytes a megabyte at a time (a row inside one megabyte
    is small enough whatever it holds), for a few percent of what parsing costs.
    """
    other = open_row_cells = 0
    carry = b""
    with archive.open(member) as stream:
        chunks = iter(lambda: stream.read(1 << 20), b"")
        first = next(chunks, b"")
        match = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]", first)
        prefix = (match.group(1) or b"") if match else b""
        other_element = _other_element_pattern(prefix)
        row_start = re.compile(b"<" + re.escape(prefix) + rb"row[\s>]")
        cell_tags = (b"<" + prefix + b"c ", b"<" + prefix + b"c>")

        def cells(data: bytes, begin: int, end: int) -> int:
            return sum(data.count(tag, begin, end) for tag in cell_tags)

        for chunk in itertools.chain([first], chunks):
            data = carry + chunk
            cut = max(data.rfind(b"<"), 0)  # no tag is split between two pieces
            data, carry = data[:cut], data[cut:]
            other += len(other_element.findall(data))
            if other > limits.max_sheet_other_elements:
                raise RoadmapError(
                    f"{display}: refused: part {member.filename} has more than "
                    f"{limits.max_sheet_other_elements:,} elements besides rows and cells "
                    "(an element flood, or not an Excel sheet)")
            starts = [m.start() for m in row_start.finditer(data)]
            # The row still open from the pieces before, then the last row begun here.
            open_row_cells += cells(data, 0, starts[0] if starts else len(data))
            if open_row_cells <= EXCEL_MAX_COLUMNS and starts:
                open_row_cells = cells(data, starts[-1], len(data))
            if open_row_cells > EXCEL_MAX_COLUMNS:
                raise RoadmapError(
                    f"{display}: refused: part {member.filename} has a row with over "
                    f"{EXCEL_MAX_COLUMNS:,} cells (Excel's limit): not a sheet Excel wrote")


def _read_xlsx(path, display, header_score, sheet, preferred_sheet, limits,
               needs_bold=None, progress=None) -> Table:
    check_zip(path, display, limits)
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except RoadmapError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged packages
        raise RoadmapError(f"{display}: not a readable workbook ({_reason(exc)})") from None
    try:
        worksheet = book[_choose_sheet(book, display, sheet, preferred_sheet)]
        try:
            declared_rows = worksheet.max_row  # the sheet's own <dimension>: for progress only
            # Some writers store a stale <dimension>; read-only openpyxl would stop there
            # and silently drop the rows and columns beyond it.
            worksheet.reset_dimensions()
            with _collector_paused():
                # The header is among the first rows; it says whether the rest need bold.
                head = _scan_xlsx_rows(worksheet, limit=HEADER_SEARCH_ROWS)
                table = _split(display, worksheet.title, head, header_score)
                bold = needs_bold is None or needs_bold(table.header)
                if not bold:
                    table.rows = [row._replace(bold=None) for row in table.rows]
                if len(head) == HEADER_SEARCH_ROWS:
                    table.rows += _scan_xlsx_rows(
                        worksheet, min_row=head[-1].number + 1, bold=bold,
                        progress=progress if declared_rows else None,
                        last_row=declared_rows or 0)
            return table
        except RoadmapError:
            raise
        except Exception as exc:
            raise RoadmapError(
                f"{display}:{worksheet.title}: cannot read the sheet ({_reason(exc)})"
            ) from None
    finally:
        book.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _choose_sheet(book, display: str, sheet: str | None, preferred: str) -> str:
    names = book.sheetnames
    if sheet is not None:
        for name in names:
            if name == sheet or name.lower() == sheet.lower():
                return name
        raise RoadmapError(
            f"{display}: no sheet named {sheet!r} (sheets: {', '.join(names)}); "
            "use --sheet NAME with one of those"
        )
    for name in names:
        if name.lower() == preferred.lower():
            return name
    for name in names:
        # A chart sheet (no cells) is skipped like a hidden one.
        if book[name].sheet_state == "visible" and hasattr(book[name], "iter_rows"):
            return name
    raise RoadmapError(f"{display}: no visible sheet; use --sheet NAME")


@contextmanager
def _collector_paused():
    """Pause Python's cycle collector while a sheet is read.

    A big sheet makes millions of short-lived containers and no reference cycles, so
    the collector's passes (some over the whole heap) cost time and free nothing;
    reference counting still frees everything. On 20,000 rows the collector took
    0.22 s of a 2.8 s import, and 0.07 s with this pause.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


PROGRESS_EVERY = 2000


def _scan_xlsx_rows(worksheet, *, limit: int | None = None, min_row: int = 1,
                    bold: bool = True, progress=None, last_row: int = 0) -> list[Row]:
    """Non-empty rows from ``min_row`` on (at most ``limit``): values and, per cell,
    whether the text is bold. ``bold=False`` reads values alone (rows carry
    ``bold=None``), skipping openpyxl's cell objects, which cost more than the values."""
    rows: list[Row] = []
    if not bold:
        values_by_row = worksheet.iter_rows(min_row=min_row, values_only=True)
        for number, values in enumerate(values_by_row, start=min_row):
            if progress and number % PROGRESS_EVERY == 0:
                progress(min(number, last_row), last_row)
            if any(value is not None for value in values):
                rows.append(Row(number, values, None))
                if len(rows) == limit:
                    break
        return rows
    fonts = worksheet.parent._fonts
    bold_by_font: dict[int, bool] = {}
    for cells in worksheet.iter_rows(min_row=min_row):
        values = []
        flags = []
        row_number: int | None = None
        for cell in cells:
            value = getattr(cell, "value", None)
            values.append(value)
            if value is None:
                flags.append(False)
                continue
            if row_number is None:
                row_number = cell.row
            font_id = cell.style_array.fontId if cell.has_style else 0
            is_bold = bold_by_font.get(font_id)
            if is_bold is None:
                is_bold = bool(fonts[font_id].b) if font_id < len(fonts) else False
                bold_by_font[font_id] = is_bold
            flags.append(is_bold)
        if row_number is None:
            continue  # an empty row
        if progress and row_number % PROGRESS_EVERY == 0:
            progress(min(row_number, last_row), last_row)
        rows.append(Row(row_number, tuple(values), tuple(flags)))
        if len(rows) == limit:
            break
    return rows


def _read_csv(path, display, header_score, sheet) -> Table:
    with open(path, "rb") as handle:
        data = handle.read()
    if b"\x00" in data[:4096]:
        raise RoadmapError(f"{display}: not a spreadsheet (binary data, not CSV text)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RoadmapError(
            f"{display}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' or .xlsx"
        ) from None
    if not text.strip():
        raise RoadmapError(f"{display}: the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows = []
    problems = []
    try:
        for number, record in enumerate(reader, start=1):
            values = tuple(_csv_text(v) if v.strip() else None for v in record)
            if any(v is not None for v in values):
                rows.append(Row(number, values, None))
            for column, value in enumerate(values):
                unwritable = _UNWRITABLE.search(value) if value else None
                if unwritable:
                    problems.append(Problem(
                        f"{display}:{column_letter(column)}{number}",
                        f"the control character U+{ord(unwritable.group()):04X} cannot be "
                        "kept (no workbook can hold it); remove it from the file"))
    except csv.Error as exc:
        raise RoadmapError(f"{display}:{reader.line_num}: malformed CSV ({exc})") from None
    if problems:
        raise RoadmapError(problems)
    return _split(display, None, rows, header_score)


# What XML 1.0, so a workbook, cannot hold: C0 controls but tab, LF and CR; U+FFFE, U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _csv_text(value: str) -> str:
    """Line breaks as a workbook cell gives them (``\\n``), so CSV and .xlsx agree."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the largest share of the first records into the same
    number of columns (more columns break a tie).

    Agreement beats a high count, so a ``;`` file whose titles contain commas is still
    read with ``;``; records are parsed, not lines split, so a quoted cell holding line
    breaks and tabs does not vote for the tab.
    """
    best, best_key = ",", (0.0, 0)
    for delimiter in (",", ";", "\t"):
        records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            filled = (r for r in records if any(v.strip() for v in r))
            counts = [len(r) for r in itertools.islice(filled, 20)]
        except csv.Error:
            continue
        wide = [c for c in counts if c > 1]
        columns = max(set(wide), key=lambda c: (wide.count(c), c)) if wide else 0
        key = (wide.count(columns) / len(counts) if counts else 0.0, columns)
        if key > best_key:
            best, best_key = delimiter, key
    return best


_LABEL = re.compile(r"^\s*([^:]{1,40}):\s*(.*)$")


def _split(display, sheet_name, rows: list[Row], header_score) -> Table:
    found = None
    fallback = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = header_score(row.values)
        if score >= 2:
            found = index
            break
        if score == 1 and fallback is None and not _is_label_row(row):
            fallback = index
    if found is None:
        found = fallback
    if found is None:
        place = f"{display}:{sheet_name}" if sheet_name else display
        raise RoadmapError(
            f"{place}: no header row found in the first {HEADER_SEARCH_ROWS} rows "
            "(expected column names such as ID, Title, Stage, Tier, Target); "
            "check the sheet or use --sheet NAME / --map 'Column=field'"
        )
    table = Table(display, sheet_name, rows[found].number, rows[found].values,
                  rows[found + 1:])
    for row in rows[:found]:
        _collect_labels(table, row)
    return table


def _is_label_row(row: Row) -> bool:
    first = next((v for v in row.values if v is not None), None)
    return isinstance(first, str) and _LABEL.match(first) is not None


def _collect_labels(table: Table, row: Row) -> None:
    """``Vendor: | Amazon SageMaker`` in two cells, or ``Vendor: Amazon SageMaker`` in one."""
    values = row.values
    for column, value in enumerate(values):
        if not isinstance(value, str):
            continue
        match = _LABEL.match(value)
        if not match:
            continue
        label, rest = match.group(1).strip().lower(), match.group(2).strip()
        if rest:
            table.labels.setdefault(label, (rest, table.where(row.number, column)))
            continue
        following = next(
            ((c, v) for c, v in enumerate(values[column + 1:], start=column + 1) if v is not None),
            None,
        )
        if following is not None:
            table.labels.setdefault(label, (following[1], table.where(row.number, following[0])))
