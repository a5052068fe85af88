"""The errors the library raises: located problems, under one base class.

A caller catches ``RoadmapError`` for everything, or one kind: ``InputError`` (a file or
value given to us is wrong), ``StoreError`` (the store cannot be opened, read or
written), ``OutputError`` (a file we were asked to write cannot be), ``UsageError`` (the
call itself is wrong; the CLI exits 2 for it, as click does for a wrong command line).
No exception of the database engine or of openpyxl escapes the library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PROBLEMS_SHOWN = 50
MAX_VALUE_SHOWN = 80
MAX_LINE_SHOWN = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at one place (``file.xlsx:Sheet!D14``; empty when nowhere)."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RoadmapError(Exception):
    """Raised with every problem found, so a user can fix them all in one go.

    ``warnings`` found on the way are still worth reading (``no id column…`` explains a
    duplicate id); ``notes`` say what the input was read as (which column is which).
    """

    def __init__(
        self,
        problems: list[Problem] | str,
        location: str = "",
        *,
        warnings: list[str] | tuple[str, ...] = (),
        notes: list[str] | tuple[str, ...] = (),
    ) -> None:
        if isinstance(problems, str):
            problems = [Problem(location, problems)]
        self.problems = list(problems)
        self.warnings = list(warnings)
        self.notes = list(notes)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(RoadmapError):
    """A file, cell or value handed to the library is wrong; fix it and run again."""


class StoreError(RoadmapError):
    """The store cannot be opened, read or written (a folder, damaged, busy, disk full…).

    ``reason`` names the cause for a caller that acts on it: ``busy``, ``full``,
    ``read-only``, ``damaged``, ``cannot open``, ``i/o``, ``closed`` (used after
    ``close()``), ``other``; empty when the store
    is simply not there or not a store. ``detail`` is the engine's own words.
    """

    reason: str = ""
    detail: str = ""


class OutputError(RoadmapError):
    """A file we were asked to write cannot be written, or may not be replaced."""


class UsageError(RoadmapError):
    """The call is wrong in itself (an option's value, options that conflict)."""


# A quoted value as ``repr`` writes it: a quote that no letter touches on the outside, so
# the apostrophe in "store's" neither opens nor closes one.
_QUOTED = re.compile(r"""(?<!\w)(['"])((?:\\.|(?!\1).)*)\1(?!\w)""")


def shorten(text: str, most: int = MAX_VALUE_SHOWN) -> str:
    """``text`` cut to ``most`` characters with ``…`` at the end (unchanged when shorter)."""
    return text if len(text) <= most else text[: most - 1] + "…"


def shown(line: str) -> str:
    """One problem line as printed: each quoted value over ``MAX_VALUE_SHOWN`` characters
    shortened with ``…``, and the whole line bounded too (a value the quotes missed)."""
    if len(line) <= MAX_VALUE_SHOWN:
        return line

    def short(match: re.Match[str]) -> str:
        quote, inner = match.group(1), match.group(2)
        return f"{quote}{shorten(inner, MAX_VALUE_SHOWN - 2)}{quote}"

    # Cut first, so a flood of unmatched quotes cannot make the search slow.
    return shorten(_QUOTED.sub(short, line[: 4 * MAX_LINE_SHOWN]), MAX_LINE_SHOWN)


def problem_lines(problems: list[Problem], most: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """What a terminal shows of ``problems``: the first ``most``, then "… and N more"."""
    lines = [shown(f"error: {p}" if not p.location else str(p)) for p in problems[:most]]
    if len(problems) > most:
        lines.append(f"… and {len(problems) - most} more")
    return lines
