"""Rendering rows for the terminal: any tabulate format, ``json`` or ``csv``."""
from __future__ import annotations

import csv
import io
import json


def format_names() -> list[str]:
    import tabulate

    return ["json", "csv", *tabulate.tabulate_formats]


def render(rows: list[dict], fmt: str, columns: list[str] | None = None) -> str:
    """Rows as text; ``columns`` fixes the order (and the header when there are no rows)."""
    columns = columns or (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    import tabulate

    table = [[_plain(row.get(c)) for c in columns] for row in rows]
    return tabulate.tabulate(table, headers=columns, tablefmt=fmt, disable_numparse=True)


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0%}" if 0 <= value <= 1 else f"{value:g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v is not None)
    return value
