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


def print_profile(call, lines: int) -> None:
    """cProfile of one ``call()``: the top ``lines`` by cumulative, then by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
