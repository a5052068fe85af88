"""The one error type the library raises: a list of located problems."""
from __future__ import annotations

from dataclasses import dataclass


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

    def __init__(self, problems: list[Problem] | str, location: str = "", *,
                 warnings: list[str] | tuple[str, ...] = (),
                 notes: list[str] | tuple[str, ...] = ()) -> None:
        if isinstance(problems, str):
            problems = [Problem(location, problems)]
        self.problems = list(problems)
        self.warnings = list(warnings)
        self.notes = list(notes)
        super().__init__("\n".join(str(p) for p in self.problems))
