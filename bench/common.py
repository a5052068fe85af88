"""What the benchmark scripts share: finding the CLI, and printing a profile."""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import sys


def roadmap_command() -> list[str]:
    """The installed ``roadmap`` script beside this Python, else ``python -m roadmap``."""
    script = os.path.join(os.path.dirname(sys.executable), "roadmap")
    if os.path.exists(script):
        return [script]
    found = shutil.which("roadmap")
    return [found] if found else [sys.executable, "-m", "roadmap"]


def compile_roadmap() -> None:
    """Compile roadmap's modules to bytecode, as ``pip install`` does: an editable
    install under PYTHONDONTWRITEBYTECODE would otherwise compile them in every
    process it starts (about 0.2 s of CPU), which XlsxWriter, installed, never pays."""
    import compileall

    import roadmap

    compileall.compile_dir(os.path.dirname(roadmap.__file__), quiet=1)


def print_profile(call, lines: int) -> None:
    """cProfile of one ``call()``: the top ``lines`` by cumulative, then by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: steadier on a busy machine."""
    import resource
    import time

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# A child's ru_maxrss counts the memory of the process it was forked from (the
# benchmark, holding openpyxl), so a command's peak is measured through a small launcher.
LAUNCHER = """
import os, resource, subprocess, sys, time
cpu = sys.argv[1] == "cpu"
def now():
    if not cpu:
        return time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime
start = now()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
elapsed = now() - start
assert os.waitstatus_to_exitcode(status) == 0, sys.argv[2:]
print(elapsed, usage.ru_maxrss)
"""


def run_measured(command: list[str], clock: str = "wall") -> tuple[float, float]:
    """Seconds (``wall`` or ``cpu``) and peak resident MB of one ``command``."""
    import subprocess

    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, clock, *command], capture_output=True, text=True
    )
    if launched.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{launched.stderr}")
    elapsed, kilobytes = launched.stdout.split()
    return float(elapsed), int(kilobytes) / 1024


def count_cells(path: str) -> tuple[int, int]:
    """Cells holding a value, and comments, in a written workbook (python-calamine for
    the cells, the comments parts' own count for the comments: fast at any size)."""
    import zipfile

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    cells = 0
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).iter_rows():
            cells += sum(value != "" for value in row)
    book.close()
    with zipfile.ZipFile(path) as archive:
        comments = sum(
            archive.read(info).count(b"<comment ")
            for info in archive.infolist()
            if info.filename.startswith("xl/comments")
        )
    return cells, comments


def xlsxwriter_floor(cells: int, comments: int, output: str, clock, columns: int = 20) -> float:
    """XlsxWriter writing ``cells`` cells, each with a font and a fill, ``comments`` of
    them with a comment, and saving them: the floor for any workbook we write."""
    import gc

    import xlsxwriter

    gc.collect()
    start = clock()
    book = xlsxwriter.Workbook(
        output,
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    sheet = book.add_worksheet()
    formats = [
        book.add_format({"font_name": "Calibri", "bold": True, "pattern": 1, "bg_color": f"#{c}"})
        for c in ("63BE7B", "FFE699", "F08080")
    ]
    every = max(1, cells // max(comments, 1))
    for index in range(cells):
        row, column = index // columns, index % columns
        sheet.write_string(row, column, f"text {index % 97}", formats[index % 3])
        if comments and index % every == 0 and index // every < comments:
            sheet.write_comment(
                row,
                column,
                f"Product: p\nEvidence: e {index}",
                {"author": "roadmap", "width": 320, "height": 60},
            )
    book.close()
    return clock() - start


def openpyxl_floor(cells: int, output: str, clock, columns: int = 20) -> float:
    """openpyxl writing ``cells`` cells, each with a font and a fill, and saving them
    (no comments): the reference the review was first measured against."""
    import gc

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    gc.collect()
    start = clock()
    book = Workbook()
    sheet = book.active
    font = Font(name="Calibri", bold=True)
    fills = [
        PatternFill(fill_type="solid", start_color=c, end_color=c)
        for c in ("63BE7B", "FFE699", "F08080")
    ]
    for index in range(cells):
        cell = sheet.cell(
            row=index // columns + 1, column=index % columns + 1, value=f"text {index % 97}"
        )
        cell.font = font
        cell.fill = fills[index % 3]
    book.save(output)
    return clock() - start


if __name__ == "__main__":  # the floor as a whole process: python common.py CELLS COMMENTS OUT
    import time

    xlsxwriter_floor(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], time.perf_counter)
