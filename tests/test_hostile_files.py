"""Untrusted spreadsheets: each hostile file is refused in one line, fast, store untouched.

The corpus is built here in code (no binary fixtures): billion-laughs XML in every kind
of part and behind every disguise, zip bombs, huge part counts, files that are not
workbooks at all, old and password-protected Excel files, through both importers; and
a macro-enabled workbook, whose data is imported while its macros are dropped. Text
that starts like a formula stays text in every workbook the tool writes.
``bench/bench_attacks.py`` runs the same corpus and prints what each attack costs.
"""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import prepared

from roadmap.headers import requirement_header_score
from roadmap.reader import ZipLimits, check_zip, column_letter, read_table
from roadmap.requirements import import_requirements

SECONDS = 5
MEGABYTES = 300

# A small workbook written the way Excel writes one (shared strings, core properties),
# part by part, so that each attack below changes one part a reader can see here.
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
STRINGS = [
    "ID",
    "Title",
    "Stage",
    "Tier",
    "R1",
    "Feature store",
    "feature engineering",
    "best-in-class",
]


def workbook_parts(
    sheet_part: str = "xl/worksheets/sheet1.xml", *, rows: int = 1
) -> dict[str, bytes]:
    """The parts of a one-sheet requirements workbook: a header, then R1 ``rows`` times."""
    cells = "".join(
        f'<row r="{row}">'
        + "".join(
            f'<c r="{letter}{row}" t="s"><v>{min(row - 1, 1) * 4 + column}</v></c>'
            for column, letter in enumerate("ABCD")
        )
        + "</row>"
        for row in range(1, rows + 2)
    )
    strings = "".join(f"<si><t>{text}</t></si>" for text in STRINGS)
    sheet_target = sheet_part.removeprefix("xl/")
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/{sheet_part}" ContentType="{TYPES}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" '
        f'ContentType="{TYPES}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/'
        'vnd.openxmlformats-package.core-properties+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/metadata/core-properties" '
        'Target="docProps/core.xml"/></Relationships>',
        "docProps/core.xml": '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>Roadmap</dc:title></cp:coreProperties>",
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
        '<sheet name="Requirements" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="{sheet_target}"/>'
        f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        sheet_part: f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="8" uniqueCount="8">{strings}</sst>',
    }
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {name: (declaration + xml).encode() for name, xml in parts.items()}


# Ten entities of ten: "lol" expands to 10**9 copies, 3 GB of text from 1 KB.
ENTITIES = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    + "]>"
)


def with_laughs(xml: bytes, text: str, *, before: str = "") -> bytes:
    """The part with a DTD after its XML declaration and ``text`` replaced by ``&lol9;``."""
    declaration, body = xml.decode().split("\n", 1)
    assert text in body
    return f"{declaration}\n{before}{ENTITIES}{body.replace(text, '&lol9;', 1)}".encode()


@dataclass(frozen=True)
class Deflated:
    """A raw deflate stream and what the zip directory says it inflates to."""

    stream: bytes
    size: int
    crc: int

    @classmethod
    def of(cls, data: bytes) -> Deflated:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return cls(compressor.compress(data) + compressor.flush(), len(data), zlib.crc32(data))


def zeros(megabytes: int, *, crc: bool = True) -> Deflated:
    """``megabytes`` MB of zero bytes, deflated in milliseconds.

    After a full flush the compressor forgets its history, so every further megabyte
    compresses to the same block: the stream is that block repeated. Without ``crc`` the
    checksum is left at 0 (cheaper for gigabytes; such a file is refused from its
    directory, before anything would check it).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    megabyte = bytes(1 << 20)
    first = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(megabyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = first + block * (megabytes - 1) + compressor.flush()
    checksum = 0
    if crc:
        for _ in range(megabytes):
            checksum = zlib.crc32(megabyte, checksum)
    return Deflated(stream, megabytes << 20, checksum)


_EMPTY = Deflated.of(b"")  # deflated once: some attacks hold 100,000 empty parts


def write_zip(path: Path, parts: dict, *, flags: int = 0, count: int | None = None) -> Path:
    """A zip written by hand, so a part may claim what a real attack claims.

    ``parts`` maps names to bytes or to ``Deflated``; ``flags`` sets the general-purpose
    bits of every part (1: encrypted); ``count`` forges the end record's part count.
    """
    body, directory = bytearray(), bytearray()
    for name, data in parts.items():
        part = data if isinstance(data, Deflated) else _EMPTY if not data else Deflated.of(data)
        encoded = name.encode()
        common = struct.pack(
            "<HHHHHIII", 20, flags, 8, 0, 0x21, part.crc, len(part.stream), part.size
        )
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + common
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(body))
            + encoded
        )
        body += b"PK\x03\x04" + common + struct.pack("<HH", len(encoded), 0) + encoded
        body += part.stream
    entries = len(parts) if count is None else count
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))
    return path


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A compound file (the container of .xls and of password-protected .xlsx).

    Version 3, 512-byte sectors: the FAT sectors first, then each stream (padded to 4 KB
    so none lives in the mini stream), then the directory, last, as large files have it.
    """
    end_of_chain, fat_mark, free = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    padded = [
        content.ljust(max(4096, -(-len(content) // 512) * 512), b"\0")
        for content in streams.values()
    ]
    data_sectors = sum(len(p) // 512 for p in padded)
    directory_sectors = -(-(len(streams) + 1) // 4)  # four 128-byte entries a sector
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + data_sectors + directory_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "the header lists at most 109 FAT sectors"
    fat, starts = [fat_mark] * fat_sectors, []
    for content in padded + [bytes(directory_sectors * 512)]:
        starts.append(len(fat))
        sectors = len(content) // 512
        fat += [len(fat) + i + 1 for i in range(sectors - 1)] + [end_of_chain]

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, free, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    entries = entry("Root Entry", 5, free, 1 if names else free, end_of_chain, 0)
    for index, name in enumerate(names):
        right = index + 2 if index + 1 < len(names) else free
        entries += entry(name, 2, right, free, starts[index], len(streams[name]))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack(
            "<HHHHH6sIIIIIIIII",
            0x3E,
            3,
            0xFFFE,
            9,
            6,
            bytes(6),
            0,
            fat_sectors,
            starts[-1],
            0,
            4096,
            end_of_chain,
            0,
            end_of_chain,
            0,
        )
        + struct.pack("<109I", *range(fat_sectors), *[free] * (109 - fat_sectors))
    )
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(fat_sectors * 512, b"\xff")
    return header + fat_bytes + b"".join(padded) + entries.ljust(directory_sectors * 512, b"\0")


def png_bytes() -> bytes:
    """A real one-pixel PNG."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Attack:
    name: str
    file: str  # as the user types it, relative to the folder it was built in
    message: str | None  # the one line on stderr; None: the file is read (exit 0)


def hostile_files(folder: Path) -> list[Attack]:
    """Build every hostile file in ``folder``; each with the one line it must be refused with."""
    rng = random.Random(5)
    attacks: list[Attack] = []

    def refused(name: str, file: str, reason: str) -> None:
        attacks.append(Attack(name, file, f"error: {file}: {reason}"))

    def laughs(
        name: str, part: str, parts: dict, file: str | None = None, *, hidden: bool = False
    ) -> None:
        """``hidden``: the DTD comes after a long prolog, refused for its length."""
        file = file or f"{name}.xlsx"
        write_zip(folder / file, parts)
        refused(
            name,
            file,
            f"refused: part {part} has more than 65,536 bytes before its "
            "first element (an Excel part starts with a short XML declaration)"
            if hidden
            else f"refused: part {part} declares XML entities "
            "(an entity-expansion attack, or not an Excel file)",
        )

    good = workbook_parts()
    targets = {
        "laughs-in-workbook": ("xl/workbook.xml", "Requirements"),
        "laughs-in-worksheet": ("xl/worksheets/sheet1.xml", "<v>5</v>"),
        "laughs-in-shared-strings": ("xl/sharedStrings.xml", "Feature store"),
        "laughs-in-content-types": ("[Content_Types].xml", "application/xml"),
        "laughs-in-doc-props": ("docProps/core.xml", "Roadmap"),
        "laughs-in-package-rels": ("_rels/.rels", "xl/workbook.xml"),
    }
    for name, (part, text) in targets.items():
        laughs(name, part, {**good, part: with_laughs(good[part], text)})

    # The same attack in disguises a byte-level look for "<!DOCTYPE" would miss.
    sheet = good["xl/worksheets/sheet1.xml"]
    padding = " \n" * 400_000 + "<!-- padding -->" * 1000  # under the zip bomb bounds
    laughs(
        "laughs-after-padding",
        "xl/worksheets/sheet1.xml",
        {**good, "xl/worksheets/sheet1.xml": with_laughs(sheet, "<v>5</v>", before=padding)},
        hidden=True,
    )
    noise = "<!-- " + rng.randbytes(1_500_000).hex() + " -->"  # 3 MB of hex digits
    laughs(
        "laughs-after-3mb-comment",
        "xl/worksheets/sheet1.xml",
        {**good, "xl/worksheets/sheet1.xml": with_laughs(sheet, "<v>5</v>", before=noise)},
        hidden=True,
    )
    laughs(
        "laughs-after-comment-with-tag",
        "xl/worksheets/sheet1.xml",
        {
            **good,
            "xl/worksheets/sheet1.xml": with_laughs(sheet, "<v>5</v>", before="<!-- <row> -->"),
        },
    )
    utf16 = (
        with_laughs(good["xl/workbook.xml"], "Requirements")
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .encode("utf-16")
    )
    laughs("laughs-in-utf16", "xl/workbook.xml", {**good, "xl/workbook.xml": utf16})
    odd = workbook_parts("xl/worksheets/sheet1.dat")
    laughs(
        "laughs-in-part-not-named-xml",
        "xl/worksheets/sheet1.dat",
        {
            **odd,
            "xl/worksheets/sheet1.dat": with_laughs(odd["xl/worksheets/sheet1.dat"], "<v>5</v>"),
        },
    )
    strings = good["xl/sharedStrings.xml"].decode()
    external = strings.replace(
        "\n", '\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1
    ).replace("Feature store", "&xxe;")
    laughs(
        "external-entity",
        "xl/sharedStrings.xml",
        {**good, "xl/sharedStrings.xml": external.encode()},
    )

    bomb = zeros(200)
    write_zip(folder / "zip-bomb.xlsx", {**good, "xl/worksheets/sheet1.xml": bomb})
    refused(
        "zip-bomb",
        "zip-bomb.xlsx",
        f"refused: part xl/worksheets/sheet1.xml would inflate to 209,715,200 bytes "
        f"(ratio {bomb.size / len(bomb.stream):.0f}:1), a likely zip bomb",
    )
    giant = zeros(2048, crc=False)
    write_zip(folder / "zip-bomb-2gb.xlsx", {**good, "xl/sharedStrings.xml": giant})
    refused(
        "zip-bomb-2gb",
        "zip-bomb-2gb.xlsx",
        f"refused: part xl/sharedStrings.xml would inflate to 2,147,483,648 bytes "
        f"(ratio {giant.size / len(giant.stream):.0f}:1), a likely zip bomb",
    )
    # Sizes are bounded per part and in total: five parts of 240 MB pass the first bound.
    quarter = zeros(240)
    many_big = {**good, **{f"xl/media/image{n}.bin": quarter for n in range(5)}}
    write_zip(folder / "zip-bomb-spread.xlsx", many_big)
    refused(
        "zip-bomb-spread",
        "zip-bomb-spread.xlsx",
        f"refused: part xl/media/image0.bin would inflate to 251,658,240 bytes "
        f"(ratio {quarter.size / len(quarter.stream):.0f}:1), a likely zip bomb",
    )
    empties = {f"xl/media/{n}": b"" for n in range(20_000)}
    write_zip(folder / "many-parts.xlsx", {**good, **empties})
    directory = sum(46 + len(name.encode()) for name in {**good, **empties})
    refused(
        "many-parts",
        "many-parts.xlsx",
        f"refused: 20,007 parts in the package ({directory:,} bytes of directory; "
        "at most 10,000 parts)",
    )
    lots = {f"xl/media/{n}": b"" for n in range(100_000)}
    write_zip(folder / "many-parts-forged-count.xlsx", {**good, **lots}, count=7)
    directory = sum(46 + len(name.encode()) for name in {**good, **lots})
    refused(
        "many-parts-forged-count",
        "many-parts-forged-count.xlsx",
        f"refused: 7 parts in the package ({directory:,} bytes of directory; at most 10,000 parts)",
    )
    # A part whose directory entry understates it: zipfile stops at the stated size.
    understated = Deflated(zeros(200).stream, 2_000, 0)
    write_zip(folder / "understated-size.xlsx", {**good, "xl/worksheets/sheet1.xml": understated})
    refused(
        "understated-size",
        "understated-size.xlsx",
        "not a readable workbook (part xl/worksheets/sheet1.xml: BadZipFile: "
        "Bad CRC-32 for file 'xl/worksheets/sheet1.xml')",
    )

    write_zip(folder / "zip-password.xlsx", good, flags=0x1)
    refused(
        "zip-password",
        "zip-password.xlsx",
        "not a spreadsheet (a password-protected zip file; Excel workbooks are "
        "protected differently)",
    )
    write_zip(folder / "archive.zip", {"README.txt": b"not a workbook", "data.csv": b"a,b"})
    refused(
        "zip-not-a-workbook", "archive.zip", "not a spreadsheet (a zip file without a workbook)"
    )
    whole = folder / "whole.xlsx"
    write_zip(whole, good)
    (folder / "truncated.xlsx").write_bytes(whole.read_bytes()[:600])
    whole.unlink()
    refused("truncated", "truncated.xlsx", "not a spreadsheet (damaged or not a zip file)")

    (folder / "picture.xlsx").write_bytes(png_bytes())
    refused(
        "png-named-xlsx", "picture.xlsx", "not a spreadsheet (the file is not an Excel workbook)"
    )
    (folder / "picture.png").write_bytes(png_bytes())
    refused("png", "picture.png", "not a spreadsheet (binary data, not CSV text)")
    noise_bytes = rng.randbytes(100_000)
    (folder / "random.xlsx").write_bytes(noise_bytes)
    refused("random-bytes", "random.xlsx", "not a spreadsheet (the file is not an Excel workbook)")
    (folder / "random.csv").write_bytes(noise_bytes)
    refused("random-bytes-csv", "random.csv", "not a spreadsheet (binary data, not CSV text)")
    (folder / "empty.xlsx").write_bytes(b"")
    refused("empty", "empty.xlsx", "the file is empty")
    (folder / "empty.csv").write_bytes(b"")
    refused("empty-csv", "empty.csv", "the file is empty")

    (folder / "old.xls").write_bytes(ole_file({"Workbook": b"\x09\x08" + bytes(2000)}))
    # OLE files with a Workbook stream of zeros: damaged .xls files, read by calamine.
    damaged = "not a readable workbook (damaged, or not an Excel or LibreOffice file)"
    refused("old-xls", "old.xls", damaged)
    (folder / "old-renamed.xlsx").write_bytes(ole_file({"Workbook": bytes(2000)}))
    refused("old-xls-named-xlsx", "old-renamed.xlsx", damaged)
    locked = {
        "EncryptionInfo": b"\x04\x00\x04\x00" + bytes(300),
        "EncryptedPackage": rng.randbytes(20_000),
    }
    (folder / "locked.xlsx").write_bytes(ole_file(locked))
    password = "the workbook is password-protected; remove the password in Excel and save again"
    refused("password-protected", "locked.xlsx", password)
    # Only the directory, written after the 2 MB stream, names the EncryptedPackage.
    (folder / "locked-big.xlsx").write_bytes(
        ole_file({**locked, "EncryptedPackage": rng.randbytes(2_000_000)})
    )
    refused("password-protected-large", "locked-big.xlsx", password)

    # Floods that zip small and pass every zip bound, but that openpyxl would hold in
    # memory whole: elements that are neither rows nor cells, and one enormous row.
    sheet = "xl/worksheets/sheet1.xml"
    junk = "".join(f"<x{rng.getrandbits(40)}/>" for _ in range(260_000))
    write_zip(
        folder / "element-flood.xlsx",
        {**good, sheet: good[sheet].replace(b"</sheetData>", f"{junk}</sheetData>".encode())},
    )
    # Read: calamine keeps nothing of elements it does not know.
    attacks.append(Attack("element-flood", "element-flood.xlsx", None))
    row = "".join(
        f'<c r="{column_letter(n)}3"><v>{rng.getrandbits(30)}</v></c>' for n in range(20_000)
    )
    write_zip(
        folder / "huge-row.xlsx",
        {
            **good,
            sheet: good[sheet].replace(
                b"</sheetData>", f'<row r="3">{row}</row></sheetData>'.encode()
            ),
        },
    )
    attacks.append(
        Attack(
            "huge-row",
            "huge-row.xlsx",
            "error: huge-row.xlsx: refused: part xl/worksheets/sheet1.xml has a "
            "cell in column XFE, past Excel's last column (XFD): not a sheet "
            "Excel wrote",
        )
    )
    return attacks


def _with_part(
    parts: dict,
    name: str,
    xml: str,
    *,
    rel: tuple[str, str] | None = None,
    content_type: str | None = None,
) -> dict:
    """``parts`` with one more part, linked from the workbook (``rel``: type, target)."""
    parts = {**parts, name: xml.encode() if isinstance(xml, str) else xml}
    if rel:
        rels = (
            parts["xl/_rels/workbook.xml.rels"]
            .decode()
            .replace(
                "</Relationships>",
                f'<Relationship Id="rId9" Type="{DOC_RELS}/{rel[0]}" '
                f'Target="{rel[1]}"/></Relationships>',
            )
        )
        parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    if content_type:
        types = (
            parts["[Content_Types].xml"]
            .decode()
            .replace(
                "</Types>", f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>'
            )
        )
        parts["[Content_Types].xml"] = types.encode()
    return parts


def _replace(parts: dict, name: str, old: str, new: str) -> dict:
    xml = parts[name].decode()
    assert old in xml, (name, old)
    return {**parts, name: xml.replace(old, new, 1).encode()}


def expansion_attacks(folder: Path, rng: random.Random) -> list[Attack]:
    """Files that zip small, pass every zip bound, and ask a parser for gigabytes: cells
    far apart (a reader holds the rectangle between them), floods of elements in parts
    other than sheets, millions of strings, an endless or huge CSV."""
    good = workbook_parts()
    sheet = "xl/worksheets/sheet1.xml"
    attacks: list[Attack] = []

    def add(name: str, file: str, parts: dict | None, reason: str) -> None:
        if parts is not None:
            write_zip(folder / file, parts)
        attacks.append(Attack(name, file, f"error: {file}: {reason}"))

    far = "".join(f'<row r="{n}"><c r="XFD{n}"><v>{n}</v></c></row>' for n in range(3, 3003))
    add(
        "cells-in-column-xfd",
        "xfd.xlsx",
        _replace(good, sheet, "</sheetData>", f"{far}</sheetData>"),
        "refused: sheet Requirements spans A1:XFD3002, 49,184,768 cells "
        "(at most 4,000,000): delete what lies outside the table and save again",
    )
    for name, row in (("row-50-million", 50_000_000), ("row-2-billion", 2_000_000_000)):
        add(
            name,
            f"{name}.xlsx",
            _replace(
                good,
                sheet,
                "</sheetData>",
                f'<row r="{row}"><c r="A{row}"><v>1</v></c></row></sheetData>',
            ),
            f"refused: part {sheet} has a cell in row {row:,}, past Excel's last row "
            "(1,048,576): not a sheet Excel wrote",
        )
    formats = "".join(f'<xf numFmtId="{rng.getrandbits(16)}"/>' for _ in range(1_500_000))
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="{MAIN}">'
        f'<cellXfs count="1500000">{formats}</cellXfs></styleSheet>'
    )
    flood = "has more than 250,000 elements (an element flood, or not an Excel file)"
    add(
        "styles-flood",
        "styles-flood.xlsx",
        _with_part(
            good,
            "xl/styles.xml",
            styles,
            rel=("styles", "styles.xml"),
            content_type=f"{TYPES}.styles+xml",
        ),
        f"refused: part xl/styles.xml {flood}",
    )
    overrides = "".join(f'<Override PartName="/x/{n}" ContentType="a/b"/>' for n in range(300_000))
    add(
        "content-types-flood",
        "types-flood.xlsx",
        _replace(good, "[Content_Types].xml", "</Types>", f"{overrides}</Types>"),
        f"refused: part [Content_Types].xml {flood}",
    )
    names = "".join(
        f'<definedName name="n{n}">Requirements!$A$1</definedName>' for n in range(300_000)
    )
    add(
        "defined-names-flood",
        "names-flood.xlsx",
        _replace(
            good, "xl/workbook.xml", "</sheets>", f"</sheets><definedNames>{names}</definedNames>"
        ),
        f"refused: part xl/workbook.xml {flood}",
    )
    rels = "".join(
        f'<Relationship Id="x{n}" Type="{DOC_RELS}/hyperlink" Target="http://a/{n}" '
        'TargetMode="External"/>'
        for n in range(300_000)
    )
    add(
        "workbook-rels-flood",
        "rels-flood.xlsx",
        _replace(good, "xl/_rels/workbook.xml.rels", "</Relationships>", f"{rels}</Relationships>"),
        f"refused: part xl/_rels/workbook.xml.rels {flood}",
    )
    cells = "".join(f'<cell r="A{n}"><v>{n}</v></cell>' for n in range(1, 300_001))
    link = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<externalLink xmlns="{MAIN}">'
        f'<externalBook xmlns:r="{DOC_RELS}" r:id="rId1"><sheetNames><sheetName val="S"/>'
        f'</sheetNames><sheetDataSet><sheetData sheetId="0">{cells}</sheetData>'
        "</sheetDataSet></externalBook></externalLink>"
    )
    linked = _with_part(
        good,
        "xl/externalLinks/externalLink1.xml",
        link,
        rel=("externalLink", "externalLinks/externalLink1.xml"),
        content_type=f"{TYPES}.externalLink+xml",
    )
    linked = _replace(
        linked,
        "xl/workbook.xml",
        "</sheets>",
        '</sheets><externalReferences><externalReference r:id="rId9"/></externalReferences>',
    )
    add(
        "external-links-flood",
        "links-flood.xlsx",
        linked,
        f"refused: part xl/externalLinks/externalLink1.xml {flood}",
    )
    # Numbers, so the part compresses no better than text and passes the ratio bound.
    many = "".join(f"<si><t>{n}</t></si>" for n in range(6_000_000))
    add(
        "shared-strings-6m",
        "strings-6m.xlsx",
        _replace(good, "xl/sharedStrings.xml", "</sst>", f"{many}</sst>"),
        "refused: part xl/sharedStrings.xml holds more than 1,000,000 strings (at most 1,000,000)",
    )
    # Each cell holds one value: more values than cells is refused before calamine
    # spends seconds on them.
    values = "".join(f"<v>{rng.getrandbits(30)}</v>" for _ in range(3_000_000))
    inline = "".join(
        f'<c r="{column}3" t="inlineStr"><is><t>{text}</t></is></c>'
        for column, text in zip("ABCD", ("R2", "Model registry", "model training", "table-stakes"))
    )
    add(
        "values-in-one-cell",
        "values-flood.xlsx",
        _replace(
            good,
            sheet,
            "</sheetData>",
            f'<row r="3">{inline}<c r="E3">{values}</c></row></sheetData>',
        ),
        f"refused: part {sheet} has more values than cells (a value flood, or not an Excel sheet)",
    )
    comment = "<!-- " + rng.randbytes(16 << 20).hex() + " -->"
    add(
        "inert-part-32mb-comment",
        "comment.xlsx",
        {**good, "xl/inert.xml": (f'<?xml version="1.0"?>\n{comment}<a/>').encode()},
        "refused: part xl/inert.xml has more than 65,536 bytes before its first element "
        "(an Excel part starts with a short XML declaration)",
    )

    # CSV: read as a stream, with bounds on its size and its records.
    add("endless-stream", "/dev/zero", None, "not a spreadsheet (binary data, not CSV text)")
    big = folder / "big.csv"
    line = b"R1,Feature store,feature engineering,best-in-class," + b"x" * 200 + b"\n"
    with big.open("wb") as handle:
        handle.write(b"ID,Title,Stage,Tier,Notes\n")
        block = line * 4096
        for _ in range(280 * 1024 * 1024 // len(block) + 1):
            handle.write(block)
    size = big.stat().st_size
    add(
        "csv-280mb",
        "big.csv",
        None,
        f"refused: {size:,} bytes of CSV (at most 67,108,864); save it as .xlsx, or split it",
    )
    (folder / "commas.csv").write_bytes(b",,,,,,,,,,\n" * 1_000_000)
    add(
        "csv-million-rows-of-commas",
        "commas.csv",
        None,
        "no header row found in the first 50 rows (expected column names such as ID, Title, "
        "Stage, Tier, Target); check the sheet or use --sheet NAME / --map 'Column=field'",
    )
    return attacks


# The attacks, in the order hostile_files builds them (pytest ids are these names).
NAMES = [
    "laughs-in-workbook",
    "laughs-in-worksheet",
    "laughs-in-shared-strings",
    "laughs-in-content-types",
    "laughs-in-doc-props",
    "laughs-in-package-rels",
    "laughs-after-padding",
    "laughs-after-3mb-comment",
    "laughs-after-comment-with-tag",
    "laughs-in-utf16",
    "laughs-in-part-not-named-xml",
    "external-entity",
    "zip-bomb",
    "zip-bomb-2gb",
    "zip-bomb-spread",
    "many-parts",
    "many-parts-forged-count",
    "understated-size",
    "zip-password",
    "zip-not-a-workbook",
    "truncated",
    "png-named-xlsx",
    "png",
    "random-bytes",
    "random-bytes-csv",
    "empty",
    "empty-csv",
    "old-xls",
    "old-xls-named-xlsx",
    "password-protected",
    "password-protected-large",
    "element-flood",
    "huge-row",
]
EXPANSION_NAMES = [
    "cells-in-column-xfd",
    "row-50-million",
    "row-2-billion",
    "styles-flood",
    "content-types-flood",
    "defined-names-flood",
    "workbook-rels-flood",
    "external-links-flood",
    "shared-strings-6m",
    "values-in-one-cell",
    "inert-part-32mb-comment",
    "endless-stream",
    "csv-280mb",
    "csv-million-rows-of-commas",
]


# Starts the command and reports its status, seconds and peak memory (KB). A small
# process of its own, because a child's ru_maxrss counts the memory of the process it
# was forked from, and pytest (or the benchmark, holding the corpus) is a big one.
# Optional bounds, for measuring a reader that would run away: seconds (killed past
# them, status -9) and megabytes of address space.
LAUNCHER = """
import os, resource, signal, subprocess, sys, time
seconds, megabytes = float(sys.argv[1]), int(sys.argv[2])
def cap():
    if megabytes:
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
start = time.perf_counter()
child = subprocess.Popen(sys.argv[3:], stdout=subprocess.DEVNULL, preexec_fn=cap)
if seconds:
    signal.signal(signal.SIGALRM, lambda *_: child.kill())
    signal.setitimer(signal.ITIMER_REAL, seconds)
_, status, usage = os.wait4(child.pid, 0)
signal.setitimer(signal.ITIMER_REAL, 0)
print(os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_maxrss)
"""


def run_cli(
    args: list[str], cwd: Path, *, timeout: float = 0, megabytes: int = 0
) -> tuple[int, float, float, str]:
    """``python -m roadmap ARGS`` in ``cwd``: exit status, seconds, peak memory (MB), stderr.

    ``timeout`` kills it after that many seconds (status -9); ``megabytes`` caps its
    address space. Both off by default."""
    launched = subprocess.run(
        [
            sys.executable,
            "-c",
            LAUNCHER,
            str(timeout),
            str(megabytes),
            sys.executable,
            "-m",
            "roadmap",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    status, seconds, kilobytes = launched.stdout.split()
    return int(status), float(seconds), int(kilobytes) / 1024, launched.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, Attack]]:
    """The hostile files, built once for the module, by name."""
    folder = tmp_path_factory.mktemp("hostile")
    return folder, {attack.name: attack for attack in hostile_files(folder)}


@pytest.fixture
def filled_db(engine, db, request):
    """A store holding one imported requirement, so 'untouched' means something."""
    prepared(request, _one_requirement)
    return db


def _one_requirement(store, make_csv) -> None:
    import_requirements(
        store,
        str(
            make_csv(
                [
                    ["ID", "Title", "Stage", "Tier"],
                    ["FE-1", "Feature store", "feature engineering", "best-in-class"],
                ]
            )
        ),
    )


@pytest.mark.slow
def test_the_corpus_holds_every_attack_once(corpus):
    assert list(corpus[1]) == NAMES


def test_the_hand_built_workbook_itself_imports(tmp_path, invoke, store):
    write_zip(tmp_path / "good.xlsx", workbook_parts())
    result = invoke("import", "requirements", "good.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    R1: Feature store\n")


def _refused_or_read(attack: Attack, status: int, stderr: str) -> None:
    assert "Traceback" not in stderr
    if attack.message is None:  # read: the dry run's report, nothing on stderr
        assert (status, stderr) == (0, "")
    else:
        assert (status, stderr) == (1, attack.message + "\n")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["requirements", "snapshot"])
def test_a_hostile_file_is_refused_in_one_line_and_the_store_is_untouched(
    kind, name, corpus, filled_db, invoke, monkeypatch
):
    folder, attacks = corpus
    attack = attacks[name]
    monkeypatch.chdir(folder)
    before = filled_db.read_bytes()
    result = invoke("import", kind, attack.file, *(["--dry-run"] if not attack.message else []))
    if attack.message is None and kind == "snapshot":
        assert result.exit_code == 1  # a requirements sheet is no snapshot: read, then refused
    else:
        _refused_or_read(attack, result.exit_code, result.stderr)
    if attack.message:
        assert result.stdout == ""
    assert filled_db.read_bytes() == before
    assert not Path(f"{filled_db}-journal").exists()


def _through_the_cli(attack: Attack, folder: Path, filled_db: Path) -> None:
    before = filled_db.read_bytes()
    status, seconds, megabytes, stderr = run_cli(
        ["--db", str(filled_db), "import", "requirements", attack.file, "--dry-run"],
        folder,
        timeout=4 * SECONDS,
        megabytes=4096,
    )
    _refused_or_read(attack, status, stderr)
    assert seconds < SECONDS
    assert megabytes < MEGABYTES
    assert filled_db.read_bytes() == before


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_file_costs_under_5_seconds_and_300_mb_through_the_real_cli(
    name, corpus, filled_db
):
    folder, attacks = corpus
    _through_the_cli(attacks[name], folder, filled_db)


@pytest.fixture(scope="module")
def expansions(tmp_path_factory) -> tuple[Path, dict[str, Attack]]:
    """The files that ask a parser for gigabytes (some take seconds to build)."""
    folder = tmp_path_factory.mktemp("expansions")
    return folder, {a.name: a for a in expansion_attacks(folder, random.Random(12))}


@pytest.mark.slow
def test_the_expansion_corpus_holds_every_attack_once(expansions):
    assert list(expansions[1]) == EXPANSION_NAMES


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPANSION_NAMES)
def test_a_file_asking_for_gigabytes_is_refused_or_read_in_5_seconds_and_300_mb(
    name, expansions, filled_db
):
    folder, attacks = expansions
    _through_the_cli(attacks[name], folder, filled_db)


def test_a_macro_enabled_workbook_is_imported_and_its_macros_go_nowhere(
    invoke, store, make_xlsx, tmp_path
):
    from roadmap.export import write_export

    source = make_xlsx(
        [
            ["ID", "Title", "Stage", "Tier"],
            ["R1", "Feature store", "feature engineering", "best-in-class"],
        ],
        "macros.xlsm",
        macros=True,
    )
    assert "xl/vbaProject.bin" in zipfile.ZipFile(source).namelist()
    before = source.read_bytes()
    result = invoke("import", "requirements", "macros.xlsm")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    R1: Feature store\n")
    assert source.read_bytes() == before

    write_export(store, str(tmp_path / "export.xlsx"))
    assert invoke("template", "requirements", "template.xlsx").exit_code == 0
    for written in ("export.xlsx", "template.xlsx"):
        with zipfile.ZipFile(tmp_path / written) as archive:
            assert not [n for n in archive.namelist() if "vba" in n.lower()], written
            types = archive.read("[Content_Types].xml").decode()
        assert "macroEnabled" not in types and "vbaProject" not in types, written
        assert not (tmp_path / written.replace(".xlsx", ".xlsm")).exists()


def test_the_tool_never_writes_a_macro_enabled_file(invoke, db, tmp_path):
    result = invoke("template", "requirements", "template.xlsm")
    assert result.exit_code == 1
    assert result.stderr == "error: template.xlsm: the output must be an .xlsx file\n"
    assert not (tmp_path / "template.xlsm").exists()


def _big_sheet(tmp_path: Path) -> tuple[Path, zipfile.ZipInfo, int]:
    """A 3,000-row workbook the default bounds accept; its sheet part; the package's size."""
    path = write_zip(tmp_path / "big.xlsx", workbook_parts(rows=3000))
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        total = sum(member.file_size for member in archive.infolist())
    assert len(read_table(str(path), requirement_header_score).rows) == 3000
    return path, sheet, total


@pytest.mark.parametrize(
    "bound", ["max_member_bytes", "max_ratio", "max_total_bytes", "max_members"]
)
def test_lower_zip_bounds_refuse_a_file_the_defaults_accept(bound, tmp_path):
    path, sheet, total = _big_sheet(tmp_path)
    ratio = sheet.file_size / sheet.compress_size
    bomb = (
        f"big.xlsx: refused: part xl/worksheets/sheet1.xml would inflate to "
        f"{sheet.file_size:,} bytes (ratio {ratio:.0f}:1), a likely zip bomb"
    )
    limits, message = {
        "max_member_bytes": (ZipLimits(max_member_bytes=sheet.file_size - 1), bomb),
        "max_ratio": (ZipLimits(max_ratio=ratio - 1, ratio_applies_above=10_000), bomb),
        "max_total_bytes": (
            ZipLimits(max_total_bytes=total - 1),
            f"big.xlsx: refused: the package would inflate to {total:,} bytes",
        ),
        "max_members": (
            ZipLimits(max_members=6),
            "big.xlsx: refused: 7 parts in the package "
            f"({os.path.getsize(path) - _directory_offset(path) - 22:,} bytes of "
            "directory; at most 6 parts)",
        ),
    }[bound]
    with pytest.raises(Exception) as refused:
        check_zip(str(path), "big.xlsx", limits)
    assert str(refused.value) == message
    with pytest.raises(Exception) as refused:
        read_table(str(path), requirement_header_score, limits=limits)
    assert str(refused.value) == message.replace("big.xlsx", str(path), 1)


def test_a_lower_element_bound_refuses_a_part_the_default_accepts(tmp_path):
    parts = workbook_parts()
    names = "<definedNames>" + '<definedName name="a">Requirements!$A$1</definedName>' * 6
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", f"</sheets>{names}</definedNames>".encode()
    )
    path = write_zip(tmp_path / "names.xlsx", parts)
    assert len(read_table(str(path), requirement_header_score).rows) == 1
    with pytest.raises(Exception) as refused:
        read_table(str(path), requirement_header_score, limits=ZipLimits(max_part_elements=9))
    assert str(refused.value) == (
        f"{path}: refused: part xl/workbook.xml has more than 9 elements (an element flood, "
        "or not an Excel file)"
    )


@pytest.mark.parametrize(
    "bound, message",
    [
        (
            ZipLimits(max_cells=7),
            "refused: sheet Requirements spans A1:D2, 8 cells (at most 7): "
            "delete what lies outside the table and save again",
        ),
        (
            ZipLimits(max_shared_strings=7),
            "refused: part xl/sharedStrings.xml holds more than 7 strings (at most 7)",
        ),
    ],
)
def test_lower_cell_and_string_bounds_refuse_a_sheet_the_defaults_accept(bound, message, tmp_path):
    path = write_zip(tmp_path / "small.xlsx", workbook_parts())
    assert len(read_table(str(path), requirement_header_score).rows) == 1
    with pytest.raises(Exception) as refused:
        read_table(str(path), requirement_header_score, limits=bound)
    assert str(refused.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    "cell, message",
    [
        # A row past 99,999 and a column past Z: far, but the table is small.
        ('<row r="150000"><c r="D150000" t="s"><v>4</v></c></row>', None),
        ('<row r="3000"><c r="AB3000" t="s"><v>4</v></c></row>', None),
        (
            '<row r="900000"><c r="E900000" t="s"><v>4</v></c></row>',
            "refused: sheet Requirements spans A1:E900000, 4,500,000 cells (at most "
            "4,000,000): delete what lies outside the table and save again",
        ),
        (
            '<row r="200000"><c r="AB200000" t="s"><v>4</v></c></row>',
            "refused: sheet Requirements spans A1:AB200000, 5,600,000 cells (at most "
            "4,000,000): delete what lies outside the table and save again",
        ),
    ],
)
def test_a_far_cell_is_read_when_the_rectangle_fits_and_refused_when_not(
    cell, message, tmp_path, invoke, store
):
    parts = _replace(
        workbook_parts(), "xl/worksheets/sheet1.xml", "</sheetData>", f"{cell}</sheetData>"
    )
    path = write_zip(tmp_path / "far.xlsx", parts)
    result = invoke("import", "requirements", "far.xlsx", "--dry-run")
    if message is None:
        assert result.exit_code == 0, result.output
        table = read_table(str(path), requirement_header_score)
        assert [row.number for row in table.rows] == [2, int(cell.split('"')[1])]
    else:
        assert (result.exit_code, result.stderr) == (1, f"error: far.xlsx: {message}\n")
        with pytest.raises(Exception) as refused:
            read_table(str(path), requirement_header_score)
        assert str(refused.value) == f"{path}: {message}"


def test_a_sheet_written_with_a_namespace_prefix_imports(tmp_path, invoke, store):
    """Some writers spell every element ``x:row``, ``x:c``: those are rows and cells too."""
    parts = workbook_parts()
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    xml = xml.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=").replace(
        "</worksheet>", "</x:worksheet>"
    )
    for tag in ("sheetData", "row", "c", "v"):
        xml = xml.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ")
        xml = xml.replace(f"</{tag}>", f"</x:{tag}>")
    parts[sheet] = xml.encode()
    write_zip(tmp_path / "prefixed.xlsx", parts)
    assert (
        len(
            read_table(
                str(tmp_path / "prefixed.xlsx"),
                requirement_header_score,
                limits=ZipLimits(max_cells=8),
            ).rows
        )
        == 1
    )
    result = invoke("import", "requirements", "prefixed.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added    R1: Feature store\n")


def _directory_offset(path: Path) -> int:
    data = path.read_bytes()
    return struct.unpack("<I", data[-6:-2])[0]


# -- formula injection ------------------------------------------------------------------

INJECTIONS = [
    '=HYPERLINK("http://evil.example","click me")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
]
EVIDENCE_LINK = "https://docs.example.com/feature-store"


@pytest.fixture
def injected(invoke, store, make_csv) -> str:
    """A store whose every input text starts like a formula; returns the vendor's key."""
    one, two, three, four, five = INJECTIONS
    make_csv(
        [
            ["ID", "Title", "Stage", "Tier", "Owner", "Requested by", "Description", "Notes"],
            ["FE-1", one, "feature engineering", "best-in-class", two, three, four, five],
            ["@MT-1", two, "model training", "table-stakes", one, five, three, four],
            [
                "-DM-1",
                f"{three} endpoints",
                "model deployment",
                "best-in-class",
                None,
                None,
                None,
                one,
            ],
        ]
    )
    assert invoke("import", "requirements", "reqs.csv").exit_code == 0
    for day, levels in (
        ("2021-06-15", ("preview", "none", "planned")),
        ("2021-12-15", ("ga", "partner", "preview")),
    ):
        make_csv(
            [
                ["Vendor:", one],
                ["As of:", day],
                ["Source:", four],
                [],
                ["Requirement ID", "Level", "Product", "Evidence", "Notes"],
                ["FE-1", levels[0], five, EVIDENCE_LINK, two],
                ["@MT-1", levels[1], three, "javascript:alert(1)", one],
                ["-DM-1", levels[2], four, one, f"{five} ({day})"],
            ],
            f"snapshot_{day}.csv",
        )
        result = invoke("import", "snapshot", f"snapshot_{day}.csv")
        assert result.exit_code == 0, result.output
    (vendor,) = json.loads(invoke("vendors", "--format", "json").stdout)
    assert vendor["name"] == one
    return vendor["key"]


def workbook_cells(path: Path) -> list:
    from openpyxl import load_workbook

    book = load_workbook(path)  # not read-only: data types and hyperlinks as stored
    return [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_text_from_input_files_is_never_a_formula_in_any_workbook_we_write(
    injected, invoke, tmp_path
):
    commands = {
        "export.xlsx": ["export", "export.xlsx"],
        "review.xlsx": ["review", "--output", "review.xlsx", "--as-of", "2021-12-31"],
        "diff.xlsx": ["diff", injected, "--output", "diff.xlsx"],
        "template-requirements.xlsx": ["template", "requirements", "template-requirements.xlsx"],
        "template-snapshot.xlsx": ["template", "snapshot", "template-snapshot.xlsx"],
    }
    texts: dict[str, set[str]] = {}
    for name, args in commands.items():
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        cells = workbook_cells(tmp_path / name)
        formulas = [c for c in cells if c.data_type == "f"]
        assert not [
            c.value
            for c in formulas
            if any(part in c.value for part in ("evil", "SUM(A1)", "cmd|", "1+1", "2+3"))
        ]
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                assert cell.data_type == "s", (name, cell.coordinate, cell.value)
        links = {c.hyperlink.target for c in cells if c.hyperlink and c.hyperlink.target}
        assert all(link.startswith(("http://", "https://")) for link in links), (name, links)
        texts[name] = {c.value for c in cells if isinstance(c.value, str)}
        if name == "review.xlsx":
            assert EVIDENCE_LINK in links
    for name in ("export.xlsx", "review.xlsx"):
        assert set(INJECTIONS) <= texts[name], name
        assert "javascript:alert(1)" in texts[name]
    assert {INJECTIONS[1], INJECTIONS[0]} <= texts["diff.xlsx"]  # a title, and notes moved


def test_stage_names_that_look_like_formulas_stay_text_in_the_template(invoke, tmp_path):
    assert invoke("init", "--stages", "=1+2;@stage;-minus").exit_code == 0
    assert invoke("template", "requirements", "template.xlsx").exit_code == 0
    cells = workbook_cells(tmp_path / "template.xlsx")
    stages = {c.value: c.data_type for c in cells if c.value in ("=1+2", "@stage", "-minus")}
    assert stages == {"=1+2": "s", "@stage": "s", "-minus": "s"}


@pytest.mark.parametrize(
    "flood, reason",
    [
        (  # the search for formulas with no value tried every tag to the end of the piece
            "<f " * 330_000,
            "flood.xlsx:Requirements: cannot read the sheet (XmlError: ill-formed document: "
            "start tag not closed: `</f>` not found before end of input)",
        ),
        (  # so did the search for error cells, and the parser's error was a traceback
            '<c t="e" ' * 110_000,
            "flood.xlsx: not a readable workbook (part xl/worksheets/sheet1.xml: ExpatError: "
            "not well-formed (invalid token): line 2, column 376)",
        ),
        (
            '<c r="A3"><f>' + "<f " * 330_000 + "</f></c>",
            "flood.xlsx:Requirements: cannot read the sheet (CalamineError: Expecting 'v, f, "
            "or is' node)",
        ),
    ],
    ids=["unclosed-formulas", "unclosed-error-cells", "unclosed-tags-in-a-formula"],
)
def test_a_sheet_of_unclosed_tags_is_refused_at_once(flood, reason, invoke, store, tmp_path):
    # Under a megabyte (no ratio bound applies), so only the scan's searches stand between
    # the file and the reader: each must stop at the next tag.
    parts = _replace(
        workbook_parts(),
        "xl/worksheets/sheet1.xml",
        "</sheetData>",
        f'<row r="3"><c r="A3">{flood}</c></row></sheetData>',
    )
    assert len(parts["xl/worksheets/sheet1.xml"]) < 1 << 20
    write_zip(tmp_path / "flood.xlsx", parts)
    started = time.perf_counter()
    result = invoke("import", "requirements", "flood.xlsx")
    assert time.perf_counter() - started < SECONDS
    assert (result.exit_code, result.stderr) == (1, f"error: {reason}\n")
