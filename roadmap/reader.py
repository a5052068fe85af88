"""Reading spreadsheets: the only module that opens input files.

Every file is untrusted. Before any parser runs, the file's kind is told from its bytes
(not its name) and everything a parser would expand is bounded (``ZipLimits``): zip
sizes and ratios, XML prologs (no DTD), element counts of every part, shared strings,
and the rectangle of cells a sheet spans. Values then come from python-calamine (Rust:
.xlsx, .xlsm, .xls, .ods). What calamine does not see is read from the XML: bold, only
when there is no tier column; errors (#N/A) and links saved without their text, which
calamine reads as blanks; whole numbers shown through a format like "FE-"000. CSV is
read as a stream. The module chooses the sheet, finds the header row below any title
rows, collects labelled cells (``Vendor:``, ``As of:``) above it, and hands back the
rows with what is needed to name each cell in an error, and the cells merged down.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from .collector import collector_paused
from .errors import InputError, Problem, RoadmapError

HEADER_SEARCH_ROWS = 50
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_TEXT = 32_767  # characters in one cell

# Raised when a file may read differently: the import log's "unchanged" is told only
# from an import by this version (2: merges, errors, formatted numbers, odd cell tags).
READER_VERSION = 2


@dataclass(frozen=True)
class ZipLimits:
    """Every bound a file is checked against before a parser expands it.

    The defaults admit any workbook a person keeps requirements in (a 100,000-row sheet
    uses a quarter of them) and keep the worst file within about 300 MB.
    """

    max_member_bytes: int = 256 * 1024 * 1024  # one part, inflated
    max_total_bytes: int = 1024 * 1024 * 1024  # all parts, inflated
    max_ratio: float = 200.0  # inflated / compressed, for parts over ratio_applies_above
    ratio_applies_above: int = 1024 * 1024
    max_members: int = 10_000  # parts in the package
    # Elements of any XML part besides a sheet's rows, cells and values (styles, names,
    # relationships, content types, links...): parsers keep each one as an object.
    max_part_elements: int = 250_000
    # What may come before a part's first element: a declaration, a comment. Longer
    # prologs only serve to hide a DTD (and cost expat time that grows with its square).
    max_prolog_bytes: int = 65_536
    max_shared_strings: int = 1_000_000
    # Cells of the rectangle a sheet's values span (calamine holds all of it, empty
    # cells too, at 32 bytes each); for CSV, the cells of the rows kept.
    max_cells: int = 4_000_000
    max_csv_bytes: int = 64 * 1024 * 1024
    max_csv_line: int = 1024 * 1024  # characters in one line of a CSV file


Cells = tuple[object, ...]  # a row's values, blanks None
HeaderScore = Callable[[Cells], int]  # how many cells of a row name a known field


class Row(NamedTuple):
    number: int  # 1-based sheet row
    values: Cells
    bold: tuple[bool, ...] | None  # per cell, None when not read (CSV, or not needed)


@dataclass
class Table:
    """A sheet below its header row, with the labelled cells found above it.

    ``warnings`` say how the file was read when a user should know (an encoding
    guessed, a CSV named like a workbook); importers pass them on.
    """

    file: str
    sheet: str | None
    header_row: int
    header: Cells
    rows: list[Row]
    labels: dict[str, tuple[object, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # (column 0-based, first row, last row) of each cell merged down over the rows below
    # it: only its first row holds the value (the importer decides what it stands for)
    merged: list[tuple[int, int, int]] = field(default_factory=list)

    def where(self, row: int, column: int | None = None) -> str:
        """``file.xlsx:Sheet!D14`` (column 0-based), or ``file.xlsx:Sheet!14`` for a row."""
        return place(self.file, self.sheet, row, column)


def place(file: str, sheet: str | None, row: int, column: int | None = None) -> str:
    cell = f"{column_letter(column)}{row}" if column is not None else str(row)
    if sheet is None:
        return f"{file}:{cell}"
    if not re.fullmatch(r"\w+", sheet):
        sheet = "'" + sheet.replace("'", "''") + "'"
    return f"{file}:{sheet}!{cell}"


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: bytes | str) -> int:
    """A -> 0, AA -> 26."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


Progress = Callable[[int, int], None]


def cell_text(value: object) -> str | None:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, blanks as None."""
    if value is None:
        return None
    if value.__class__ is str:  # nearly every cell: skip the checks below
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def file_sha256(path: str) -> str:
    """The file's SHA-256, read in 1 MiB blocks: how the import log names a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def regular_file_sha256(path: str) -> str:
    """The file's SHA-256, or "" for what is not a regular file: a device or a pipe
    (/dev/zero) never ends, and the reader refuses it within its bounds; a missing
    file the reader names."""
    try:
        return file_sha256(path) if stat.S_ISREG(os.stat(path).st_mode) else ""
    except OSError:
        return ""


def input_path(path: object) -> str:
    """A file to read as a caller passes it (text or a ``pathlib.Path``); a
    ``UsageError`` for anything else (an int would read an open file descriptor)."""
    from .errors import UsageError

    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise UsageError(f"{path!r} is not a file's path: pass text or a pathlib.Path", "path")
    return path


def optional_text(value: object, parameter: str) -> str | None:
    """An option given as text (``sheet``, ``vendor``, ``source``), or None for none."""
    from .errors import UsageError

    if value is not None and not isinstance(value, str):
        raise UsageError(f"{value!r} is not text", parameter)
    return value


def read_table(
    path: str,
    header_score: HeaderScore,
    *,
    sheet: str | None = None,
    preferred_sheet: str = "Requirements",
    limits: ZipLimits = ZipLimits(),
    needs_bold: Callable[[Cells], bool] | None = None,
    progress: Progress | None = None,
) -> Table:
    """Read the sheet a user means and split it at its header row.

    ``header_score`` counts the cells of a row that name a known field; the header is
    the first row scoring 2 or more (else the first scoring 1) within the first rows.
    ``needs_bold(header)`` True reads which cells are bold too; otherwise (or without
    ``needs_bold``) rows carry ``bold=None``, as CSV rows do. ``progress(done, total)`` is
    called now and then; ``total`` is 0 when the size is not known (a pipe), and
    ``done`` then counts rows.
    Raises InputError naming the file for anything that is not a readable sheet.
    """
    display = str(path)
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                # A pipe or a device: read once, as CSV text (a workbook needs a seekable file).
                with collector_paused():
                    return _read_csv(handle, display, header_score, limits, progress, [])
            head = handle.read(8)
    except FileNotFoundError:
        raise InputError(f"{display}: no such file") from None
    except IsADirectoryError:
        if display.rstrip("/").lower().endswith(".numbers"):
            raise InputError(f"{display}: {_NUMBERS}") from None
        raise InputError(f"{display}: is a folder, not a spreadsheet") from None
    except OSError as exc:
        raise InputError(f"{display}: cannot read ({exc.strerror})") from None
    extension = os.path.splitext(display)[1].lower()
    with collector_paused():
        kind = None
        if head.startswith(b"PK\x03\x04"):
            kind = check_zip(path, display, limits)
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            _check_ole(path, display)
            kind = "xls"
        if kind is not None:
            return _read_workbook(
                path,
                display,
                kind,
                header_score,
                sheet,
                preferred_sheet,
                limits,
                needs_bold,
                progress,
            )
        if head == b"":
            raise InputError(f"{display}: the file is empty")
        warnings = []
        if extension in _WORKBOOK_EXTENSIONS:
            if not _looks_like_text(path):
                raise InputError(
                    f"{display}: not a spreadsheet (the file is not an Excel workbook)"
                )
            warnings.append(
                f"{display}: this is a CSV (text) file named like a workbook; it was read as CSV"
            )
        with open(path, "rb") as handle:
            return _read_csv(handle, display, header_score, limits, progress, warnings)


_WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
_NUMBERS = (
    "an Apple Numbers file; in Numbers choose File > Export To > Excel, then import the .xlsx"
)
_STRICT = (
    "a Strict Open XML workbook, which is not read; in Excel choose Save As > "
    "'Excel Workbook (.xlsx)', then import that file"
)
_PASSWORD = "the workbook is password-protected; remove the password in Excel and save again"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# -- the package: what kind of file, and bounds on every part --------------------------


def _check_ole(path: str, display: str) -> None:
    """An OLE file is an encrypted .xlsx (an ``EncryptedPackage`` stream) or an .xls.

    Stream names sit in the OLE directory, which may be anywhere in the file, so the
    whole file is scanned in blocks (linear, constant memory).
    """
    encrypted = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            if encrypted in tail + block:
                raise InputError(f"{display}: {_PASSWORD}")
            tail = block[-len(encrypted) :]


def check_zip(path: str, display: str, limits: ZipLimits = ZipLimits()) -> str:
    """Refuse zip bombs, XML with a DTD and element floods before any parser sees the file.

    Returns the kind of workbook: ``xlsx`` (also .xlsm) or ``ods``; refuses Apple
    Numbers, Strict Open XML and zip files that hold no workbook.
    """
    _check_directory_size(path, display, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"{display}: not a spreadsheet (damaged or not a zip file)") from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise InputError(f"{display}: refused: {len(members)} parts in the package")
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.max_member_bytes or (
                member.file_size > limits.ratio_applies_above and ratio > limits.max_ratio
            ):
                raise InputError(
                    f"{display}: refused: part {member.filename} would inflate to "
                    f"{member.file_size:,} bytes (ratio {ratio:.0f}:1), a likely zip bomb"
                )
        if total > limits.max_total_bytes:
            raise InputError(f"{display}: refused: the package would inflate to {total:,} bytes")
        names = set(archive.namelist())
        kind = _package_kind(archive, names, display)
        for member in members:
            if member.flag_bits & 0x1:
                raise InputError(
                    f"{display}: not a spreadsheet (a password-protected zip "
                    "file; Excel workbooks are protected differently)"
                )
            # Every part, whatever its name: a parser reads the parts the package names.
            root = _check_prolog(archive, member, display, limits)
            if root is None:
                continue
            name, attributes = root
            local = name.rpartition(":")[2]
            if member.filename == "xl/workbook.xml" and any(
                "purl.oclc.org/ooxml" in value for value in attributes.values()
            ):
                raise InputError(f"{display}: {_STRICT}")
            if local in _PARSED_PARTS:
                _check_part_elements(archive, member, display, limits, name)
        if (
            kind == "ods"
            and "META-INF/manifest.xml" in names
            and (b"encryption-data" in archive.read("META-INF/manifest.xml"))
        ):
            raise InputError(
                f"{display}: the spreadsheet is password-protected; remove "
                "the password in LibreOffice and save again"
            )
    return kind


# Root elements of the parts a reader expands besides the sheet read (whose cells are
# bounded by scan_sheet): package and workbook parts, strings, styles, external links,
# and OpenDocument's styles, settings and manifest. Other parts (comments, drawings,
# charts, pivot caches) are never parsed, so only their prologs are checked.
_PARSED_PARTS = frozenset(
    {
        "Types",
        "Relationships",
        "workbook",
        "sst",
        "styleSheet",
        "externalLink",
        "coreProperties",
        "Properties",
        "metadata",
        "document-styles",
        "document-meta",
        "document-settings",
        "manifest",
        "theme",
    }
)


def _package_kind(archive: zipfile.ZipFile, names: set[str], display: str) -> str:
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "mimetype" in names:
        mimetype = archive.open("mimetype").read(100)
        if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
            return "ods"
    if "xl/workbook.bin" in names:
        raise InputError(
            f"{display}: an Excel binary workbook (.xlsb), which is not read; "
            "in Excel choose Save As > 'Excel Workbook (.xlsx)'"
        )
    if (
        "Index.zip" in names
        or any(n.startswith("Index/") and n.endswith(".iwa") for n in names)
        or "index.xml.gz" in names
    ):
        raise InputError(f"{display}: {_NUMBERS}")
    raise InputError(f"{display}: not a spreadsheet (a zip file without a workbook)")


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
        count, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == _ZIP64_LOCATOR:
            handle.seek(struct.unpack("<Q", locator[8:16])[0])
            record = handle.read(56)
            if record[:4] == _ZIP64_END and len(record) == 56:
                count, directory_bytes = struct.unpack("<QQ", record[32:48])
    if count > limits.max_members or directory_bytes > limits.max_members * 256:
        raise InputError(
            f"{display}: refused: {count:,} parts in the package ({directory_bytes:,} bytes "
            f"of directory; at most {limits.max_members:,} parts)"
        )


class _PrologEnd(Exception):
    """The first element has started: no DTD can come after it."""


class _DtdFound(Exception):
    pass


_UNREADABLE_PART = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
)


def _unreadable(display: str, member: zipfile.ZipInfo, exc: BaseException) -> InputError:
    return InputError(
        f"{display}: not a readable workbook (part {member.filename}: {_reason(exc)})"
    )


def _check_prolog(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, display: str, limits: ZipLimits
) -> tuple[str, dict[str, str]] | None:
    """Office parts never declare a DTD; one that does is an entity-expansion attack.

    expat, the parser behind ElementTree, reads the part up to its first element: it
    sees comments, encodings (UTF-16 too) and padding exactly as a parser would, and
    stops at once on a part that is not XML. At most ``max_prolog_bytes`` are read.
    Returns the root element's name and attributes (None when the part is not XML).
    """
    from xml.parsers import expat

    def dtd(*_args: object) -> None:
        raise _DtdFound

    def element(name: str, attributes: dict[str, str]) -> None:
        raise _PrologEnd(name, attributes)

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = dtd
    parser.EntityDeclHandler = dtd
    parser.StartElementHandler = element
    read = 0
    try:
        with archive.open(member) as stream:
            for chunk in iter(lambda: stream.read(16384), b""):
                if read >= limits.max_prolog_bytes:
                    raise InputError(
                        f"{display}: refused: part {member.filename} has more than "
                        f"{limits.max_prolog_bytes:,} bytes before its first element (an "
                        "Excel part starts with a short XML declaration)"
                    )
                read += len(chunk)
                parser.Parse(chunk, False)
    except _PrologEnd as root:
        return str(root.args[0]), dict(root.args[1])  # the root element: past the prolog
    except expat.ExpatError:
        return None  # not XML: nothing here can declare an entity
    except _DtdFound:
        raise InputError(
            f"{display}: refused: part {member.filename} declares XML entities "
            "(an entity-expansion attack, or not an Excel file)"
        ) from None
    except _UNREADABLE_PART as exc:
        raise _unreadable(display, member, exc) from None
    return None  # no element at all


def _check_part_elements(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, display: str, limits: ZipLimits, root: str
) -> None:
    """Refuse a part holding more elements than any workbook needs (or, for the shared
    strings, more strings): every parser keeps each one as an object.

    Counted on the raw bytes (start tags are ``<`` not followed by ``/ ! ?``), so a
    flood costs a byte scan, not a parse.
    """
    prefix = root.rpartition(":")[0].encode()
    strings = root.rpartition(":")[2] == "sst"
    string_tags = (
        b"</" + prefix + b":si>" if prefix else b"</si>",
        b"<" + prefix + b":si/>" if prefix else b"<si/>",
    )
    elements = count = 0
    carry = b""
    try:
        with archive.open(member) as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                data = carry + chunk
                cut = max(data.rfind(b"<"), 0)  # no tag is split between two pieces
                data, carry = data[:cut], data[cut:]
                elements += (
                    data.count(b"<") - data.count(b"</") - data.count(b"<!") - data.count(b"<?")
                )
                if strings:
                    count += sum(data.count(tag) for tag in string_tags)
                    if count > limits.max_shared_strings:
                        raise InputError(
                            f"{display}: refused: part {member.filename} holds more than "
                            f"{limits.max_shared_strings:,} strings (at most "
                            f"{limits.max_shared_strings:,})"
                        )
                    # A string is a few elements (runs, their fonts): only the rest count.
                    bound = limits.max_part_elements + 16 * count
                else:
                    bound = limits.max_part_elements
                if elements > bound:
                    raise InputError(
                        f"{display}: refused: part {member.filename} has more than "
                        f"{limits.max_part_elements:,} elements (an element flood, or not "
                        "an Excel file)"
                    )
    except _UNREADABLE_PART as exc:
        raise _unreadable(display, member, exc) from None


# -- workbooks, through python-calamine ------------------------------------------------


def _read_workbook(
    path: str,
    display: str,
    kind: str,
    header_score: HeaderScore,
    sheet: str | None,
    preferred_sheet: str,
    limits: ZipLimits,
    needs_bold: Callable[[Cells], bool] | None,
    progress: Progress | None,
) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    # calamine reads every sheet of these as it opens them: all are checked first.
    ods = OdsTables({}, {}, {})
    if kind == "ods":
        ods = check_ods_tables(path, display, limits)
    elif kind == "xls":
        check_xls_cells(path, display, limits)
    try:
        with _quiet_panics(), _named_for(path, kind) as named:
            book = CalamineWorkbook.from_path(named)
    except PasswordError:
        raise InputError(f"{display}: {_PASSWORD}") from None
    except (CalamineError, ValueError, OSError) as exc:
        raise InputError(f"{display}: not a readable workbook ({_reason(exc)})") from None
    except BaseException as exc:  # a panic in the Rust reader: a file it cannot parse
        if type(exc).__name__ != "PanicException":
            raise
        raise InputError(
            f"{display}: not a readable workbook (damaged, or not an Excel or LibreOffice file)"
        ) from None
    try:
        name = _choose_sheet(book.sheets_metadata, display, sheet, preferred_sheet)
        others = [m.name for m in book.sheets_metadata if m.name != name]
        where = f"{display}:{name}"
        scan = None
        if kind == "xlsx":
            scan = scan_sheet(path, display, name, limits)
        try:
            with _quiet_panics():
                values = book.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            raise InputError(f"{where}: cannot read the sheet ({_reason(exc)})") from None
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            raise InputError(f"{where}: cannot read the sheet (damaged)") from None
        if values.height == 0 or values.start is None:
            raise InputError(f"{where}: the sheet is empty{_sheets_hint(others)}")
        start_row, start_column = values.start
        listed = values.iter_rows()
        first = next(listed, None)
        # python-calamine yields rows from the sheet's first row (0.9) or from the first
        # row holding a value; that row has one, so an empty first row tells them apart.
        from_top = start_row > 0 and first is not None and all(v == "" for v in first)
        offset = 0 if from_top else start_row
        total = values.height + (start_row if from_top else 0)

        def rows() -> Iterator[Row]:
            pad = (None,) * start_column  # columns start at the first holding a value
            shared: dict[str, str] = {}
            for index, cells in enumerate(itertools.chain([first] if first else [], listed)):
                if index % PROGRESS_EVERY == 0:
                    if progress is not None:
                        progress(index, total)
                    if len(shared) > SHARED_TEXTS:
                        shared.clear()
                row = _cell_values(cells, shared)
                if row is not None:
                    yield Row(offset + index + 1, pad + row if pad else row, None)

        checked = _checked(rows(), display, name)
        table = _table(display, name, checked, header_score, limits, others)
        if scan is not None and scan.formulas:
            _fill_formula_values(table, scan.formulas, display, name)
        if ods.errors.get(name):
            _fill_formula_values(table, dict(ods.errors[name]), display, name)
        if kind == "xlsx" and (formats := number_texts(path, display, name)):
            _show_numbers(table, formats, display, name)
        table.merged = ods.merged.get(name, []) or [
            (first_column, top + 1, bottom + 1)
            for (top, first_column), (bottom, _) in values.merged_cell_ranges or []
            if bottom > top
        ]
        if needs_bold is not None and needs_bold(table.header):
            if kind in ("xlsx", "ods"):
                bold = (
                    bold_cells(path, display, name, limits)
                    if kind == "xlsx"
                    else ods.bold.get(name, set())
                )
                table.rows = [
                    row._replace(
                        bold=tuple((row.number, c) in bold for c in range(len(row.values)))
                    )
                    for row in table.rows
                ]
            else:
                table.warnings.append(
                    f"{display}: bold text is not read from .{kind} files, so without a tier "
                    "column every requirement is table-stakes; add a Tier column, or save "
                    "the file as .xlsx"
                )
                table.rows = [row._replace(bold=(False,) * len(row.values)) for row in table.rows]
        if progress is not None:
            progress(total, total)
        return table
    except RoadmapError:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise InputError(f"{display}: not a readable workbook ({_reason(exc)})") from None
    finally:
        book.close()


_EXTENSIONS = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",), "ods": (".ods",)}


@contextmanager
def _named_for(path: str, kind: str) -> Iterator[str]:
    """The path under a name whose extension says ``kind``: calamine goes by the name, and
    a user's file may be misnamed (an .xls saved as .xlsx). A link in a temporary folder,
    so the file is neither copied nor touched."""
    import shutil
    import tempfile

    if os.path.splitext(str(path))[1].lower() in _EXTENSIONS[kind]:
        yield str(path)
        return
    folder = tempfile.mkdtemp(prefix="roadmap-")
    named = os.path.join(folder, "workbook" + _EXTENSIONS[kind][0])
    try:
        try:
            os.symlink(os.path.abspath(path), named)
        except OSError:
            shutil.copyfile(path, named)
        yield named
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _quiet_panics() -> Iterator[None]:
    """Keep a Rust panic's report (and backtrace) off the terminal: the panic still
    raises, and becomes one located line."""
    import sys

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _sheets_hint(others: list[str]) -> str:
    if not others:
        return ""
    return f" (other sheets: {', '.join(others)}); use --sheet NAME with one of those"


def _choose_sheet(sheets: list[Any], display: str, sheet: str | None, preferred: str) -> str:
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    names = [s.name for s in sheets]
    if sheet is not None:
        for name in names:
            if name == sheet or name.lower() == sheet.lower():
                return str(name)
        raise InputError(
            f"{display}: no sheet named {sheet!r} (sheets: {', '.join(names)}); "
            "use --sheet NAME with one of those"
        )
    for name in names:
        if name.lower() == preferred.lower():
            return str(name)
    for meta in sheets:
        # A chart sheet (no cells) is skipped like a hidden one.
        if meta.visible == SheetVisibleEnum.Visible and meta.typ == SheetTypeEnum.WorkSheet:
            return str(meta.name)
    raise InputError(f"{display}: no visible sheet; use --sheet NAME")


def _cell_values(cells: Sequence[object], shared: dict[str, str]) -> tuple[object, ...] | None:
    """A row as the importers take it: blanks None, whole numbers ints; None when empty.

    calamine makes a new string for every cell, so a column of a few words repeated
    (stages, tiers, owners) costs a string per row; short texts are shared through
    ``shared`` instead: 40 MB less at 100,000 rows. One comprehension, no calls per
    cell: this runs for every cell of the sheet.
    """
    share = shared.setdefault
    values = [
        value
        if value.__class__ is not str
        else (share(value, value) if len(value) < 32 else value)
        if value
        else None
        for value in cells
    ]
    if float in map(type, values):
        values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
    return tuple(values) if values.count(None) != len(values) else None


SHARED_TEXTS = 20_000  # distinct short texts remembered for sharing before starting afresh


PROGRESS_EVERY = 2000


# What XML 1.0, so a workbook, cannot hold: C0 controls but tab, LF and CR; U+FFFE, U+FFFF.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Every ASCII character but the C0 controls, which _UNWRITABLE also finds.
_WRITABLE_ASCII = bytes(c for c in range(128) if c >= 32 or chr(c) in "\t\n\r")


def _writable(text: str) -> bool:
    """Whether a workbook can hold ``text``; most sheets are ASCII, which deleting the
    writable bytes checks four times faster than the search."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _WRITABLE_ASCII)
    return _UNWRITABLE.search(text) is None


def _checked(rows: Iterable[Row], display: str, sheet: str | None) -> Iterator[Row]:
    """Rows whose every text a workbook can hold; the others raise, every cell named.

    Checked a block of rows at a time: one search over the block's joined text finds
    nothing in nearly every block, so checking costs little more than the join.
    """
    problems: list[Problem] = []
    rows = iter(rows)
    while block := list(itertools.islice(rows, 512)):
        texts = [v for row in block for v in row.values if v.__class__ is str]
        if (texts and max(map(len, texts)) > EXCEL_MAX_TEXT) or not _writable("\t".join(texts)):
            for row in block:
                problems += _unwritable_cells(row, display, sheet)
        if not problems:
            yield from block
    if problems:
        raise InputError(problems)


def _unwritable_cells(row: Row, display: str, sheet: str | None) -> list[Problem]:
    found = []
    for column, value in enumerate(row.values):
        if not isinstance(value, str):
            continue
        bad = _UNWRITABLE.search(value)
        if bad:
            found.append(
                Problem(
                    place(display, sheet, row.number, column),
                    f"the control character U+{ord(bad.group()):04X} cannot be kept (no "
                    "workbook can hold it); remove it from the file",
                )
            )
        elif len(value) > EXCEL_MAX_TEXT:
            found.append(
                Problem(
                    place(display, sheet, row.number, column),
                    f"{len(value):,} characters, more than a workbook cell holds "
                    f"({EXCEL_MAX_TEXT:,}); shorten it",
                )
            )
    return found


@dataclass
class SheetScan:
    """What the raw sheet XML says that calamine does not: formulas with no value, and
    errors (calamine reads ``#N/A`` as a blank)."""

    # (row, column 0-based) -> the text a HYPERLINK("url", "text") shows, or the error a
    # cell shows (#N/A), else None
    formulas: dict[tuple[int, int], str | None] = field(default_factory=dict)


def _sheet_part(archive: zipfile.ZipFile, display: str, sheet: str) -> zipfile.ZipInfo:
    """The part holding the named sheet, from the workbook and its relationships.

    Parsed whole by defusedxml's ElementTree: check_zip has already refused any DTD and
    bounded the elements, and defusedxml refuses entities again should a check miss one.
    """
    from defusedxml import ElementTree

    def local(tag: str) -> str:
        return tag.rpartition("}")[2]

    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError as exc:
        raise InputError(f"{display}: not a readable workbook (no part {exc})") from None
    except Exception as exc:  # defusedxml and expat raise several types
        raise InputError(f"{display}: not a readable workbook ({_reason(exc)})") from None
    rid = None
    for element in workbook.iter():
        if local(element.tag) == "sheet" and element.get("name") == sheet:
            rid = next((v for k, v in element.attrib.items() if local(k) == "id"), None)
    for element in rels.iter():
        if local(element.tag) == "Relationship" and element.get("Id") == rid:
            target = element.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            name = os.path.normpath(name).replace(os.sep, "/")
            try:
                return archive.getinfo(name)
            except KeyError:
                break
    raise InputError(f"{display}:{sheet}: not a readable workbook (the sheet's part is missing)")


def _open_sheet(path: str, display: str, sheet: str) -> tuple[zipfile.ZipFile, zipfile.ZipInfo]:
    archive = zipfile.ZipFile(path)
    return archive, _sheet_part(archive, display, sheet)


def _chunks(stream: IO[bytes], size: int = 1 << 20, before: bytes = b"<") -> Iterator[bytes]:
    """The part in pieces of about ``size`` bytes, each cut before its last ``before`` (a
    tag's ``<``, or a cell's, so that no cell is split), else before its last ``<``."""
    carry = b""
    for chunk in iter(lambda: stream.read(size), b""):
        data = carry + chunk
        cut = data.rfind(before)
        if cut <= 0:
            cut = max(data.rfind(b"<"), 0)
        carry = data[cut:]
        yield data[:cut]
    yield carry


def scan_sheet(path: str, display: str, sheet: str, limits: ZipLimits = ZipLimits()) -> SheetScan:
    """Refuse a sheet whose cells lie so far apart that the rectangle between them is
    too big to hold, or that addresses cells Excel cannot; find formulas with no value.

    calamine holds the whole rectangle from the first value to the last, empty cells
    too, so one cell at XFD1,000,000 costs gigabytes. The bounds are found from the
    raw bytes: cheap searches show nearly every sheet is small (references of at most
    two letters and few digits); only a sheet they cannot clear is measured exactly.
    """
    from xml.parsers.expat import ExpatError

    archive, member = _open_sheet(path, display, sheet)
    scan = SheetScan()
    with archive:
        try:
            prefix = _sheet_prefix(archive, member)
            cell = b"<" + re.escape(prefix) + b"c"
            # A cell tag not led by exactly ' r="' (the searches below look for that).
            irregular = re.compile(cell + rb'(?=[\s>/])(?! r=")')
            value_end, cell_start = b"</" + prefix + b"v>", b"<" + prefix + b"c"
            p = re.escape(prefix)
            # A formula then no value, or an empty one (openpyxl writes ``<v />``).
            formula = re.compile(
                b"(?:</"
                + p
                + b"f>|<"
                + p
                + rb"f\b[^<>]*/>)(?:<"
                + p
                + rb"v\s*/>|<"
                + p
                + b"v></"
                + p
                + b"v>)?</"
                + p
                + b"c>"
            )
            letters, digits = 1, 1  # the longest reference seen: A1
            exact = False
            plain_cell = cell_start + b' r="'
            formula_start = b"<" + prefix + b"f"
            with archive.open(member) as stream:
                # Cut before a cell: a formula and the value after it are seen together.
                for data in _chunks(stream, before=cell_start):
                    cells = data.count(cell_start)  # and <col>, <cfRule>...: a bound
                    if cells < 1000 and data.count(value_end) > cells + 16:
                        raise InputError(
                            f"{display}: refused: part {member.filename} has more values than "
                            "cells (a value flood, or not an Excel sheet)"
                        )
                    errors = b't="e"' in data  # a cell holding an error
                    if cells != data.count(plain_cell):
                        exact = exact or irregular.search(data) is not None
                        errors = errors or b"t='e'" in data
                    # Only a reference longer than any before matches: a few per sheet.
                    at = 0
                    while found := re.compile(
                        rb' r="(?:[A-Z]{%d,}|[A-Z]*\d{%d})' % (letters + 1, digits + 1)
                    ).search(data, at):
                        ref = _REFERENCE.match(data, found.start())
                        if ref is None:  # cannot be: the search matched there
                            break
                        letters = max(letters, len(ref.group(1)))
                        digits = max(digits, len(ref.group(2)))
                        if letters >= 3 or digits >= 7:
                            _refuse_outside_excel(data, display, member)
                        at = found.start() + 1
                    if formula_start in data and formula.search(data):
                        scan.formulas.update(
                            _formula_cells(data, formula, cell, f"{display}:{sheet}")
                        )
                    if errors:
                        scan.formulas.update(_error_cells(data, prefix))
            columns = {1: 26, 2: 702}.get(letters, EXCEL_MAX_COLUMNS)
            rows = min(10**digits - 1, EXCEL_MAX_ROWS)
            if not exact and rows * columns > limits.max_cells:
                rows, columns = _farthest_references(archive, member, letters, digits)
            if exact or rows * columns > limits.max_cells:
                _check_rectangle(archive, member, display, sheet, limits, prefix, exact)
        except (*_UNREADABLE_PART, ExpatError) as exc:  # the parser placing irregular cells
            raise _unreadable(display, member, exc) from None
    return scan


_REFERENCE = re.compile(rb' r="([A-Z]*)(\d*)')


def _sheet_prefix(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The namespace prefix of the sheet's elements (``x:`` from the OpenXML SDK), or b""."""
    with archive.open(member) as stream:
        first = stream.read(4096)
    match = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]", first)
    return (match.group(1) or b"") if match else b""


def _farthest_references(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, letters: int, digits: int
) -> tuple[int, int]:
    """The last row and column any reference names, found among the longest references
    only (``letters`` and ``digits`` long): a bound on the rectangle that spares finding
    every cell of a sheet past row 99,999 or column Z, unless even it is too big."""
    longest_row = re.compile(rb' r="[A-Z]*(\d{%d})"' % digits)
    longest_column = re.compile(rb' r="([A-Z]{%d})\d' % letters)
    row = column = 0
    with archive.open(member) as stream:
        for data in _chunks(stream):
            if found := longest_row.findall(data):
                row = max(row, max(map(int, found)))
            if letters > 1 and (found := longest_column.findall(data)):
                column = max(column, max(map(column_index, set(found))))
    return row, column + 1 if letters > 1 else 26


def _refuse_outside_excel(data: bytes, display: str, member: zipfile.ZipInfo) -> None:
    """A reference past XFD or row 1,048,576: no sheet Excel wrote has one."""
    for letters in dict.fromkeys(re.findall(rb' r="([A-Z]{3,})\d', data)):
        if column_index(letters) >= EXCEL_MAX_COLUMNS:
            raise InputError(
                f"{display}: refused: part {member.filename} has a cell in column "
                f"{letters.decode()}, past Excel's last column (XFD): not a sheet Excel wrote"
            )
    for number in re.findall(rb' r="[A-Z]{0,3}(\d{7,})', data):
        if int(number) > EXCEL_MAX_ROWS:
            raise InputError(
                f"{display}: refused: part {member.filename} has a cell in row "
                f"{int(number):,}, past Excel's last row ({EXCEL_MAX_ROWS:,}): not a sheet "
                "Excel wrote"
            )


_HYPERLINK = re.compile(
    r'\s*=?\s*HYPERLINK\(\s*"(?:[^"]|"")*"\s*[,;]\s*"((?:[^"]|"")*)"\s*\)\s*', re.IGNORECASE
)


_CELL_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Z]+)(\d+)["']""")
_TEXT_TYPE = re.compile(rb"""\st\s*=\s*["']str["']""")


def _formula_cells(
    data: bytes, formula: re.Pattern[bytes], cell: bytes, where: str
) -> dict[tuple[int, int], str | None]:
    """Formula cells with no value, by (row, column): the text a ``HYPERLINK`` with
    literal arguments shows (a script's link, written without computing it), else None.
    An empty text (``t="str"``) is a value: Excel stores it for a formula giving ``""``.
    The reference may be anywhere in the cell's tag; a cell without one is refused."""
    from html import unescape

    found: dict[tuple[int, int], str | None] = {}
    for match in formula.finditer(data):
        start = data.rfind(cell, 0, match.start())  # the formula's own cell: nothing between
        tag = data[start : data.find(b">", start) + 1]
        ref = _CELL_REFERENCE.search(tag)
        if _TEXT_TYPE.search(tag) and b"<v" in data[start : match.end()]:
            continue
        if not ref:
            raise InputError(
                f"{where}: a formula with no stored value, in a cell without a reference; "
                "open and save the file in Excel or LibreOffice so the values are stored"
            )
        body = re.search(rb"<(?:[\w.-]+:)?f\b[^<>]*>(.*?)</", data[start : match.end()], re.S)
        link = (
            _HYPERLINK.fullmatch(unescape(body.group(1).decode("utf-8", "replace")))
            if body
            else None
        )
        shown = link.group(1).replace('""', '"') if link else None
        found[(int(ref.group(2)), column_index(ref.group(1)))] = shown
    return found


def _error_cells(data: bytes, prefix: bytes) -> dict[tuple[int, int], str | None]:
    """Cells holding an error (``t="e"``), by (row, column): the error they show, so that
    a failed lookup reads as ``#N/A``, as Excel shows it and saves it in a CSV."""
    from html import unescape

    p = re.escape(prefix)
    error = re.compile(  # the value before the cell ends (or the next one starts)
        b"<"
        + p
        + rb"""c\b([^<>]*\st\s*=\s*["']e["'][^<>]*)>(?:(?!</"""
        + p
        + rb"c>|<"
        + p
        + rb"c[\s>/]).)*?<"
        + p
        + rb"v>([^<]*)</"
        + p
        + b"v>",
        re.S,
    )
    found: dict[tuple[int, int], str | None] = {}
    for match in error.finditer(data):
        ref = _CELL_REFERENCE.search(match.group(1))
        if ref:
            shown = unescape(match.group(2).decode("utf-8", "replace")).strip()
            found[(int(ref.group(2)), column_index(ref.group(1)))] = shown or None
    return found


def _fill_formula_values(
    table: Table, formulas: dict[tuple[int, int], str | None], display: str, sheet: str
) -> None:
    """Put a link's shown text in its cell; any other formula with no value is an error
    (its value cannot be known without computing the workbook)."""
    problems = [
        Problem(
            place(display, sheet, row, column),
            "a formula with no stored value; open and save the file in Excel or "
            "LibreOffice so the values are stored",
        )
        for (row, column), shown in sorted(formulas.items())
        if shown is None
    ]
    if problems:
        raise InputError(problems)
    shown_by_row: dict[int, list[tuple[int, str | None]]] = {}
    for (row, column), shown in formulas.items():
        shown_by_row.setdefault(row, []).append((column, shown))
    if table.header_row in shown_by_row:
        table.header = _with_values(table.header, shown_by_row[table.header_row])
    table.rows = [
        row._replace(values=_with_values(row.values, shown_by_row[row.number]))
        if row.number in shown_by_row
        else row
        for row in table.rows
    ]


def _with_values(values: Cells, shown_at: list[tuple[int, str | None]]) -> Cells:
    cells = list(values)
    for column, shown in shown_at:
        cells += [None] * (column + 1 - len(cells))
        cells[column] = shown
    return tuple(cells)


def _check_rectangle(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    display: str,
    sheet: str,
    limits: ZipLimits,
    prefix: bytes,
    irregular: bool,
) -> None:
    """The exact rectangle of the sheet's value cells (as calamine will hold it)."""
    low_row = low_column = 1 << 62
    high_row = high_column = -1
    if irregular:
        blocks: Iterator[tuple[list[int], list[int]]] = (
            ([row for row, _, _ in cells], [column for _, column, _ in cells])
            for cells in _cells_by_parser(archive, member)
        )
    else:
        value_cell = re.compile(b"<" + re.escape(prefix) + rb'c r="([A-Z]+)(\d+)"[^>]*(?<!/)>')

        def regular() -> Iterator[tuple[list[int], list[int]]]:
            with archive.open(member) as stream:
                for data in _chunks(stream):
                    found = value_cell.findall(data)
                    if found:
                        letters, numbers = zip(*found)
                        index = {name: column_index(name) for name in set(letters)}
                        yield list(map(int, numbers)), [index[name] for name in index]

        blocks = regular()
    for rows, columns in blocks:
        if not rows:
            continue
        low_row, high_row = min(low_row, min(rows)), max(high_row, max(rows))
        low_column = min(low_column, min(columns))
        high_column = max(high_column, max(columns))
        if high_column >= EXCEL_MAX_COLUMNS or high_row > EXCEL_MAX_ROWS:
            raise InputError(
                f"{display}: refused: part {member.filename} has a cell past Excel's last "
                "cell (XFD1048576): not a sheet Excel wrote"
            )
    if high_row < 0:
        return
    area = (high_row - low_row + 1) * (high_column - low_column + 1)
    if area > limits.max_cells:
        span = f"{column_letter(low_column)}{low_row}:{column_letter(high_column)}{high_row}"
        raise InputError(
            f"{display}: refused: sheet {sheet} spans {span}, {area:,} cells (at most "
            f"{limits.max_cells:,}): delete what lies outside the table and save again"
        )


def _cells_by_parser(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo
) -> Iterator[list[tuple[int, int, str | None]]]:
    """(row, column, style) of every cell holding something, for sheets whose cells are
    not all led by their reference: positions then follow the rows and cells before
    them, as calamine counts them. Slower (a parser callback per element), and rare."""
    from xml.parsers import expat

    found: list[tuple[int, int, str | None]] = []
    state: dict[str, Any] = {"row": 0, "column": 0, "cell": None, "filled": False}

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            if "r" in attributes and attributes["r"].isdigit():
                state["row"] = int(attributes["r"]) - 1
        elif local == "c":
            ref = re.fullmatch(r"([A-Z]+)(\d+)", attributes.get("r", ""))
            if ref:
                state["row"], state["column"] = int(ref.group(2)) - 1, column_index(ref.group(1))
            state["cell"] = (state["row"], state["column"], attributes.get("s"))
            state["filled"] = False
        elif state["cell"] is not None:
            state["filled"] = True

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            if state["filled"]:
                row, column, style = state["cell"]
                found.append((row + 1, column, style))
            state["cell"] = None
            state["column"] += 1
        elif local == "row":
            state["row"] += 1
            state["column"] = 0

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with archive.open(member) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            parser.Parse(chunk, False)
            yield found[:]
            found.clear()


def bold_cells(
    path: str, display: str, sheet: str, limits: ZipLimits = ZipLimits()
) -> set[tuple[int, int]]:
    """(row, column 0-based) of the cells whose font is bold.

    calamine reads no formatting, so the styles part says which cell formats are bold
    and the sheet's cells are matched against them by their ``s`` attribute: a regex
    pass, run only when bold matters (no tier column).
    """
    archive, member = _open_sheet(path, display, sheet)
    with archive:
        styles = _styles(archive, display)
        if styles is None:
            return set()
        bold_fonts = set()
        for index, font in enumerate(_children(styles, "fonts")):
            for part in font:
                if part.tag.rpartition("}")[2] == "b" and part.get("val", "1") not in (
                    "0",
                    "false",
                ):
                    bold_fonts.add(index)
        bold_styles = {
            str(index).encode()
            for index, xf in enumerate(_children(styles, "cellXfs"))
            if int(xf.get("fontId", "0") or 0) in bold_fonts
        }
        return set(_styled_cells(archive, member, bold_styles)) if bold_styles else set()


def _styles(archive: zipfile.ZipFile, display: str, holding: bytes = b"") -> Any:
    """The styles part parsed; None when there is none, or when it lacks ``holding``.
    check_zip checked it like every part (no DTD, bounded elements) before this parse."""
    from defusedxml import ElementTree

    try:
        data = archive.read("xl/styles.xml")
        return ElementTree.fromstring(data) if holding in data else None
    except KeyError:
        return None
    except Exception as exc:
        raise InputError(
            f"{display}: not a readable workbook (part xl/styles.xml: {_reason(exc)})"
        ) from None


def _children(styles: Any, parent_name: str) -> list[Any]:
    for element in styles:
        if element.tag.rpartition("}")[2] == parent_name:
            return list(element)
    return []


def _styled_cells(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, styles: set[bytes]
) -> dict[tuple[int, int], bytes]:
    """(row, column 0-based) -> style of the sheet's cells whose style (``s``) is one of
    ``styles``: a regex pass over the sheet."""
    found = {}
    styled = re.compile(rb'<(?:[\w.-]+:)?c\s([^<>]*\bs="\d+"[^<>]*)>')
    reference = re.compile(rb'\br="([A-Z]+)(\d+)"')
    style = re.compile(rb'\bs="(\d+)"')
    # A cell not led by ' r="' may have no reference, or quote it with ''.
    cell = b"<" + _sheet_prefix(archive, member) + b"c"
    irregular = re.compile(re.escape(cell) + rb'(?=[\s>/])(?! r=")')
    with archive.open(member) as stream:
        for data in _chunks(stream):
            # Counts first (<c also starts <col>): the search runs on few pieces.
            if data.count(cell) != data.count(cell + b' r="') and irregular.search(data):
                break
            for attributes in styled.findall(data):
                s = style.search(attributes)
                ref = reference.search(attributes)
                if s and ref and s.group(1) in styles:
                    found[(int(ref.group(2)), column_index(ref.group(1)))] = s.group(1)
        else:
            return found
    # Such cells are placed as calamine places them: by the parser, as the rectangle is.
    names = {name.decode() for name in styles}
    return {
        (row, column): name.encode()
        for cells in _cells_by_parser(archive, member)
        for row, column, name in cells
        if name in names
    }


# A format showing a whole number with text around it, or zero-padded: "FE-"000, 000.
_PADDED_NUMBER = re.compile(r'((?:"[^"]*"|\\.)*)([0#]+)((?:"[^"]*"|\\.)*)')
_FIRST_SECTION = re.compile(r'(?:"[^"]*"|\\.|[^;"\\])*')
_LITERAL = re.compile(r'"([^"]*)"|\\(.)')


def _padded_number(code: str) -> tuple[str, int, str] | None:
    """(text before, least digits, text after) of a format like ``"FE-"000``, else None
    (formats that also round, group, colour or date numbers are not read)."""
    section = _FIRST_SECTION.match(code)
    match = _PADDED_NUMBER.fullmatch(section.group()) if section else None
    if match is None:
        return None
    before, after = ("".join(a + b for a, b in _LITERAL.findall(match[i])) for i in (1, 3))
    least = match[2].count("0")
    return (before, least, after) if before or after or least > 1 else None


def number_texts(
    path: str, display: str, sheet: str
) -> dict[tuple[int, int], tuple[str, int, str]]:
    """(row, column 0-based) -> the format of each cell showing a whole number with text
    or leading zeros (``"FE-"000``: calamine reads the 1 that shows as FE-001). The sheet
    is searched only when the styles part has such a format, which few workbooks have."""
    with zipfile.ZipFile(path) as archive:
        # Only a custom format has a formatCode ("numFmt" is in every xf's numFmtId).
        styles = _styles(archive, display, holding=b"formatCode")
        if styles is None:
            return {}
        formats = {}
        for element in _children(styles, "numFmts"):
            shown = _padded_number(element.get("formatCode", ""))
            if shown is not None and element.get("numFmtId", "").isdigit():
                formats[element.get("numFmtId")] = shown
        cell_formats = {
            str(index).encode(): formats[xf.get("numFmtId", "0")]
            for index, xf in enumerate(_children(styles, "cellXfs"))
            if xf.get("numFmtId", "0") in formats
        }
        if not cell_formats:
            return {}
        cells = _styled_cells(archive, _sheet_part(archive, display, sheet), set(cell_formats))
        return {at: cell_formats[style] for at, style in cells.items()}


def _show_numbers(
    table: Table, formats: dict[tuple[int, int], tuple[str, int, str]], display: str, sheet: str
) -> None:
    """Whole numbers written as their format shows them (FE-001): Excel's CSV says so too."""
    rows = {row.number: row.values for row in table.rows}
    shown: dict[tuple[int, int], str | None] = {}
    for (number, column), (before, least, after) in formats.items():
        values = rows.get(number, ())
        value = values[column] if column < len(values) else None
        if value.__class__ is int and value >= 0:
            digits = f"{value:0{least}d}" if value or least else ""  # # shows no 0
            shown[(number, column)] = f"{before}{digits}{after}"
    if shown:
        _fill_formula_values(table, shown, display, sheet)


class OdsTables(NamedTuple):
    """By sheet, what calamine does not read from an .ods: (row, column 0-based) of the
    cells in bold, the error each cell holding one shows (``#N/A``: calamine reads a
    blank), and the cells merged down."""

    bold: dict[str, set[tuple[int, int]]]
    errors: dict[str, dict[tuple[int, int], str]]
    merged: dict[str, list[tuple[int, int, int]]]  # as Table.merged


def check_ods_tables(path: str, display: str, limits: ZipLimits = ZipLimits()) -> OdsTables:
    """Refuse an .ods table whose repeated rows and cells would fill too big a rectangle.

    OpenDocument writes a run of equal cells (or rows) once with a repeat count, and a
    reader expands it: one element may stand for billions of cells. Returns what
    calamine does not read (``OdsTables``) from the same pass, so it costs nothing more.
    A cell naming no style takes its row's or column's (LibreOffice keeps a bolded column
    so); named styles (Heading) are in styles.xml, read first.
    """
    from xml.parsers import expat

    table_name = "table:name"
    state: dict[str, Any] = {
        "in": False,
        "row": 0,
        "row_repeat": 1,
        "column": 0,
        "low": None,
        "high": None,
        "left": None,
        "right": None,
        "name": "",
        "style": None,
        "columns": 0,
        "bold_columns": [],  # (first, last) column runs whose cells' style is bold
        "row_style": None,
    }
    bold_styles: set[str] = set()
    bold: dict[str, set[tuple[int, int]]] = {}
    errors: dict[str, dict[tuple[int, int], str]] = {}
    merged: dict[str, list[tuple[int, int, int]]] = {}
    error_text: list[str] = []  # the text of the error cell being read

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "style:style":
            state["style"] = attributes.get("style:name")
            if attributes.get("style:parent-style-name") in bold_styles:
                bold_styles.add(state["style"])
        elif name == "style:text-properties" and state["style"]:
            weight = attributes.get("fo:font-weight")
            if weight in ("bold", "600", "700", "800", "900"):
                bold_styles.add(state["style"])
            elif weight is not None:  # a plain style made from a bold one
                bold_styles.discard(state["style"])
        if name == "table:table":
            state.update(
                {
                    "in": True,
                    "row": 0,
                    "low": None,
                    "high": None,
                    "left": None,
                    "right": None,
                    "name": attributes.get(table_name, ""),
                    "columns": 0,
                    "bold_columns": [],
                }
            )
        if not state["in"]:
            return
        if name == "table:table-column":
            repeat = int(attributes.get("table:number-columns-repeated", "1") or 1)
            if attributes.get("table:default-cell-style-name") in bold_styles:
                state["bold_columns"].append((state["columns"], state["columns"] + repeat - 1))
            state["columns"] += repeat
        elif name == "table:table-row":
            state["row_repeat"] = int(attributes.get("table:number-rows-repeated", "1") or 1)
            state["column"] = 0
            state["row_style"] = attributes.get("table:default-cell-style-name")
        elif name in ("table:table-cell", "table:covered-table-cell"):
            repeat = int(attributes.get("table:number-columns-repeated", "1") or 1)
            style = attributes.get("table:style-name") or state["row_style"]
            bolded = style in bold_styles if style is not None else bool(state["bold_columns"])
            if bolded and "office:value-type" in attributes and repeat * state["row_repeat"] < 1000:
                columns: Iterable[int] = range(state["column"], state["column"] + repeat)
                if style is None:  # the column's style
                    runs = state["bold_columns"]
                    columns = [c for c in columns if any(a <= c <= b for a, b in runs)]
                bold.setdefault(state["name"], set()).update(
                    (state["row"] + r + 1, c) for r in range(state["row_repeat"]) for c in columns
                )
            if "office:value-type" in attributes:
                first_row, last_row = state["row"], state["row"] + state["row_repeat"] - 1
                first, last = state["column"], state["column"] + repeat - 1
                state["low"] = first_row if state["low"] is None else min(state["low"], first_row)
                state["high"] = last_row if state["high"] is None else max(state["high"], last_row)
                state["left"] = first if state["left"] is None else min(state["left"], first)
                state["right"] = last if state["right"] is None else max(state["right"], last)
                area = (state["high"] - state["low"] + 1) * (state["right"] - state["left"] + 1)
                if area > limits.max_cells:
                    raise InputError(
                        f"{display}: refused: sheet {state['name']} spans more than "
                        f"{limits.max_cells:,} cells (its repeated rows and cells); delete "
                        "what lies outside the table and save again"
                    )
            spanned = attributes.get("table:number-rows-spanned", "1")
            if spanned != "1" and spanned.isdigit() and int(spanned) > 1:
                top = state["row"] + 1
                merged.setdefault(state["name"], []).append(
                    (state["column"], top, top + int(spanned) - 1)
                )
            if attributes.get("calcext:value-type") == "error" and repeat < 1000:
                state["error"] = [(state["row"] + 1, state["column"] + c) for c in range(repeat)]
                state["parser"].CharacterDataHandler = error_text.append
            state["column"] += repeat

    def end(name: str) -> None:
        if name == "table:table-cell" and state.get("error"):
            shown = "".join(error_text).strip()
            errors.setdefault(state["name"], {}).update(dict.fromkeys(state["error"], shown))
            state["error"] = None
            state["parser"].CharacterDataHandler = None
            error_text.clear()
        if name == "style:style":
            state["style"] = None
        elif name == "table:table":
            state["in"] = False
        elif name == "table:table-row" and state["in"]:
            state["row"] += state["row_repeat"]

    try:
        with zipfile.ZipFile(path) as archive:
            parts = ["styles.xml"] if "styles.xml" in archive.namelist() else []
            for part in [*parts, "content.xml"]:
                with archive.open(part) as stream:
                    parser = state["parser"] = expat.ParserCreate()
                    parser.StartElementHandler = start
                    parser.EndElementHandler = end
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        parser.Parse(chunk, False)
    except (KeyError, expat.ExpatError, ValueError, *_UNREADABLE_PART) as exc:
        raise InputError(f"{display}: not a readable workbook ({_reason(exc)})") from None
    return OdsTables(bold, errors, merged)


def check_xls_cells(path: str, display: str, limits: ZipLimits = ZipLimits()) -> None:
    """Refuse an .xls file whose sheet's cells span too big a rectangle (calamine holds
    all of it). The compound file is followed to its Workbook stream, whose cell
    records give their rows and columns."""
    with open(path, "rb") as handle:
        data = handle.read(limits.max_member_bytes + 1)
    if len(data) > limits.max_member_bytes:
        raise InputError(f"{display}: refused: more than {limits.max_member_bytes:,} bytes")
    try:
        stream = _ole_stream(data, ("Workbook", "Book"))
    except (struct.error, IndexError, ValueError):
        raise InputError(
            f"{display}: not a readable workbook (damaged, or not an Excel or LibreOffice file)"
        ) from None
    if stream is None:
        raise InputError(f"{display}: not a spreadsheet (an Office file with no workbook in it)")
    low_row = low_column = 1 << 30
    high_row = high_column = -1
    at = 0
    while at + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, at)
        body = at + 4
        at = body + size
        if kind == 0x0809:  # BOF: a new substream (a sheet) begins
            low_row = low_column = 1 << 30
            high_row = high_column = -1
            continue
        if kind in _XLS_CELLS and size >= 4:
            row, column = struct.unpack_from("<HH", stream, body)
            last = column
            if kind == 0x00BD and size >= 6:  # MULRK: a run of cells in one row
                last = struct.unpack_from("<H", stream, body + size - 2)[0]
            low_row, high_row = min(low_row, row), max(high_row, row)
            low_column, high_column = min(low_column, column), max(high_column, last)
            area = (high_row - low_row + 1) * (high_column - low_column + 1)
            if area > limits.max_cells:
                raise InputError(
                    f"{display}: refused: a sheet spans more than {limits.max_cells:,} cells "
                    f"(to {column_letter(high_column)}{high_row + 1}): delete what lies "
                    "outside the table and save again"
                )


# NUMBER, LABELSST, RK, BOOLERR, LABEL, FORMULA, RSTRING, MULRK: cells holding a value.
_XLS_CELLS = frozenset({0x0203, 0x00FD, 0x027E, 0x0205, 0x0204, 0x0006, 0x00D6, 0x00BD})


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The first stream of a compound file (the container of .xls) named one of
    ``names``; every chain is bounded by the file's sector count, so a loop ends."""
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if not 7 <= shift <= 16 or not 2 <= mini_shift < shift:
        raise ValueError("bad sector size")
    sector = 1 << shift
    sectors = len(data) // sector + 1
    fat_count, directory_start = struct.unpack_from("<II", data, 44)
    cutoff, mini_fat_start = struct.unpack_from("<II", data, 56)
    difat_start, difat_count = struct.unpack_from("<II", data, 68)
    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    next_difat = difat_start
    for _ in range(min(difat_count, sectors)):
        if next_difat >= 0xFFFFFFFA:
            break
        listed = struct.unpack_from(f"<{sector // 4}I", data, (next_difat + 1) * sector)
        fat_sectors += listed[:-1]
        next_difat = listed[-1]
    fat: list[int] = []
    for number in fat_sectors[: min(fat_count, sectors)]:
        fat += struct.unpack_from(f"<{sector // 4}I", data, (number + 1) * sector)

    def chain(start: int, table: list[int]) -> Iterator[int]:
        for _ in range(len(table) + 1):
            if start >= 0xFFFFFFFA or start >= len(table):
                return
            yield start
            start = table[start]

    def read(start: int, size: int) -> bytes:
        return b"".join(data[(n + 1) * sector : (n + 2) * sector] for n in chain(start, fat))[:size]

    directory = read(directory_start, sectors * sector)
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    root_start, root_size = struct.unpack_from("<IQ", entries[0], 116) if entries else (0, 0)
    for entry in entries:
        length = min(struct.unpack_from("<H", entry, 64)[0], 64)
        name = entry[: max(length - 2, 0)].decode("utf-16-le", "replace")
        if entry[66] != 2 or name not in names:
            continue
        start, size = struct.unpack_from("<IQ", entry, 116)
        size &= 0xFFFFFFFF if shift == 9 else size  # version 3 files keep 32 bits
        if size >= cutoff:
            return read(start, size)
        mini = read(root_start, root_size)
        mini_fat = [
            n
            for number in chain(mini_fat_start, fat)
            for n in struct.unpack_from(f"<{sector // 4}I", data, (number + 1) * sector)
        ]
        small = 1 << mini_shift
        return b"".join(mini[n * small : (n + 1) * small] for n in chain(start, mini_fat))[:size]
    return None


# -- CSV, as a stream --------------------------------------------------------------------


def _looks_like_text(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" not in head


class _Refused(Exception):
    """A bound was passed while reading a CSV stream."""


class _Replayed(io.RawIOBase):
    """A stream's first bytes, already read, then the rest of it."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        return int(self.rest.readinto(buffer))


def _read_csv(
    handle: Any,
    display: str,
    header_score: HeaderScore,
    limits: ZipLimits,
    progress: Progress | None,
    warnings: list[str],
) -> Table:
    info = os.fstat(handle.fileno())
    size = info.st_size if stat.S_ISREG(info.st_mode) else 0
    if size > limits.max_csv_bytes:
        raise InputError(
            f"{display}: refused: {size:,} bytes of CSV (at most {limits.max_csv_bytes:,}); "
            "save it as .xlsx, or split it"
        )
    head = handle.read(4096)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) and not size:
        raise InputError(
            f"{display}: a workbook is read from a file, not from a pipe; save it to a file first"
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
        warnings.append(f'{display}: read as UTF-16 text (Excel\'s "Unicode Text")')
    elif b"\x00" in head:
        raise InputError(f"{display}: not a spreadsheet (binary data, not CSV text)")
    elif head.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]  # said by the file: no other encoding is tried
    else:
        encodings = ["utf-8-sig", "cp1252"]
    seekable = handle.seekable()
    for encoding in encodings:
        if seekable:
            handle.seek(0)
            source = handle
        else:  # a pipe: what was read is replayed, and there is one try
            source = io.BufferedReader(_Replayed(head, handle))
        try:
            table = _csv_table(source, display, header_score, limits, progress, size, encoding)
        except UnicodeDecodeError:
            if encodings == ["utf-8-sig"] and seekable:
                raise _not_utf8(handle, display) from None
            if encoding == "utf-8-sig" and seekable:
                continue
            raise InputError(
                f"{display}: not text in UTF-8, UTF-16 or Windows-1252; save it as "
                "'CSV UTF-8' or .xlsx"
            ) from None
        if encoding == "cp1252":
            warnings.append(
                f"{display}: not UTF-8; read as Windows-1252 (Excel's CSV on Windows): "
                "if a letter looks wrong, save it as 'CSV UTF-8'"
            )
        table.warnings = warnings + table.warnings
        return table
    raise AssertionError("unreachable")


def _not_utf8(handle: Any, display: str) -> InputError:
    """Where a file marked UTF-8 is not: its line and byte (the file is at most
    ``max_csv_bytes``, read again only for this message)."""
    handle.seek(0)
    data = handle.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return InputError(
            f"{display}: line {line}: byte 0x{data[exc.start]:02X} is not UTF-8, though the "
            "file starts with UTF-8's byte order mark; retype that character, or save the "
            "file again as 'CSV UTF-8'"
        )
    return InputError(f"{display}: not UTF-8 text; save it again as 'CSV UTF-8'")


def _csv_table(
    handle: Any,
    display: str,
    header_score: HeaderScore,
    limits: ZipLimits,
    progress: Progress | None,
    size: int,
    encoding: str,
) -> Table:
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    try:
        start = text.read(65536)
        if start and not start.endswith("\n"):  # nor between a line break's \r and \n
            start += text.readline(limits.max_csv_line)
        if not start.strip():
            raise InputError(f"{display}: the file is empty")
        delimiter = _sniff_delimiter(start)
        read = [0]

        def lines() -> Iterator[str]:
            for line in itertools.chain(
                io.StringIO(start, newline=""), iter(lambda: text.readline(limits.max_csv_line), "")
            ):
                read[0] += len(line)
                if len(line) >= limits.max_csv_line and not line.endswith(("\n", "\r")):
                    raise _Refused(f"a line longer than {limits.max_csv_line:,} characters")
                if read[0] > limits.max_csv_bytes:
                    raise _Refused(
                        f"more than {limits.max_csv_bytes:,} characters of CSV; "
                        "save it as .xlsx, or split it"
                    )
                yield line

        # A file's size was bounded before: its lines are read at C speed. A stream of
        # unknown size is counted line by line, each line bounded.
        source = itertools.chain(io.StringIO(start, newline=""), text) if size else lines()
        reader = csv.reader(source, delimiter=delimiter)

        def rows() -> Iterator[Row]:
            for number, record in enumerate(reader, start=1):
                if len(record) > EXCEL_MAX_COLUMNS:
                    raise _Refused(
                        f"line {reader.line_num} has {len(record):,} fields, more "
                        f"than a sheet's {EXCEL_MAX_COLUMNS:,} columns"
                    )
                if progress is not None and number % PROGRESS_EVERY == 0:
                    progress(min(handle.tell(), size) if size else number, size)
                if not any(record):  # a row of bare delimiters: skipped at C speed
                    continue
                values = tuple([_csv_text(v) if v.strip() else None for v in record])
                if values.count(None) != len(values):
                    yield Row(number, values, None)

        try:
            table = _table(display, None, _checked(rows(), display, None), header_score, limits, [])
        except _Refused as exc:
            raise InputError(f"{display}: refused: {exc}") from None
        except csv.Error as exc:
            raise InputError(f"{display}:{reader.line_num}: malformed CSV ({exc})") from None
        if progress is not None:
            progress(size or reader.line_num, size)
        return table
    finally:
        text.detach()


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


# -- the table: header row, labels, rows ---------------------------------------------------

_LABEL = re.compile(r"^\s*([^:]{1,40}):\s*(.*)$")


def _table(
    display: str,
    sheet_name: str | None,
    rows: Iterator[Row],
    header_score: HeaderScore,
    limits: ZipLimits,
    others: list[str],
) -> Table:
    """The header among the first rows, then every row below it (read from ``rows``
    only as far as needed to say there is no header)."""
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    found = None
    fallback = None
    tops: list[tuple[int, int]] = []  # (filled cells, index) of the rows above, labels aside
    for index, row in enumerate(head):
        score = header_score(row.values)
        if score >= 2:
            found = index
            break
        label = _is_label_row(row)
        filled = len(row.values) - row.values.count(None)
        if score == 1 and fallback is None and not label:
            # One field named, below a row as full as this one: that row is the top of
            # the table, so its header (a word in a data cell, ``true/false, comment``,
            # names no column).
            fallback = next((above for width, above in tops if width >= filled), index)
        if not label:
            tops.append((filled, index))
    if found is None:
        found = fallback
    if found is None:
        where = f"{display}:{sheet_name}" if sheet_name else display
        sheets = f" (other sheets: {', '.join(others)})" if others else ""
        raise InputError(
            f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows{sheets} "
            "(expected column names such as ID, Title, Stage, Tier, Target); "
            "check the sheet or use --sheet NAME / --map 'Column=field'"
        )
    table = Table(display, sheet_name, head[found].number, head[found].values, head[found + 1 :])
    cells = sum(len(row.values) for row in table.rows)
    for row in rows:
        cells += len(row.values)
        if cells > limits.max_cells:
            raise InputError(
                f"{display}: refused: more than {limits.max_cells:,} cells "
                "(save it as .xlsx, or split it)"
            )
        table.rows.append(row)
    for row in head[:found]:
        _collect_labels(table, row)
    return table


def fill_merged(table: Table, columns: set[int]) -> None:
    """Give each row a cell merged down over it in ``columns`` holds (a stage beside
    several requirements), as the sheet shows it; only the merge's first row has it."""
    merged = [m for m in table.merged if m[0] in columns and m[1] > table.header_row]
    if not merged:
        return
    index = {row.number: at for at, row in enumerate(table.rows)}
    for column, top, bottom in merged:
        if top not in index or column >= len(table.rows[index[top]].values):
            continue
        value = table.rows[index[top]].values[column]
        for number in range(top + 1, bottom + 1):
            if number in index:
                row = table.rows[index[number]]
                cells = list(row.values) + [None] * (column + 1 - len(row.values))
                if cells[column] is None:
                    cells[column] = value
                    table.rows[index[number]] = row._replace(values=tuple(cells))


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
            ((c, v) for c, v in enumerate(values[column + 1 :], start=column + 1) if v is not None),
            None,
        )
        if following is not None:
            table.labels.setdefault(label, (following[1], table.where(row.number, following[0])))
