"""Rows for the listing commands, keyed as the spec's JSON output."""
from __future__ import annotations

from .errors import RoadmapError
from .model import Tier
from .store import Store


def requirement_rows(store: Store, *, stage: str | None = None, tier: str | None = None,
                     status: str | None = None) -> list[dict]:
    """Requirements in stage order then id; filters matched as the importer matches."""
    settings = store.settings()
    try:
        stage_name = settings.stage_matcher.parse(stage) if stage else None
        tier_value = Tier.parse(tier).value if tier else None
    except ValueError as exc:
        raise RoadmapError(str(exc)) from None
    stages = settings.stage_matcher
    rows = []
    for requirement in sorted(store.requirements().values(),
                              key=lambda r: (stages.index(r.stage), r.id)):
        row = requirement.as_dict()
        if stage_name and row["stage"] != stage_name:
            continue
        if tier_value and row["tier"] != tier_value:
            continue
        if status and row["status"] != status.strip().lower():
            continue
        rows.append(row)
    return rows


def log_rows(store: Store) -> list[dict]:
    rows = []
    for event in store.events():
        summary = event.summary
        parts = [f"{len(v) if isinstance(v, (list, dict)) else v} {k}"
                 for k, v in summary.items() if v and k in (
                     "added", "changed", "retired", "unchanged", "entries", "replaced",
                     "snapshots", "requirements")]
        rows.append({
            "id": event.id, "at": event.at, "action": event.action, "as_of": event.as_of,
            "file": event.file, "sha256": event.sha256,
            "changes": ", ".join(parts) or summary.get("text", ""), "summary": summary,
        })
    return rows
