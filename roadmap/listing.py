"""Rows for the listing commands, keyed as their ``--format json`` output (README)."""

from __future__ import annotations

from typing import Any

from .errors import InputError
from .model import REQUIREMENT_FIELDS, Tier
from .store import Store

# A terminal lists a requirement's short fields; JSON and CSV every field.
REQUIREMENT_TABLE_COLUMNS = [
    name for name in REQUIREMENT_FIELDS if name not in ("requested_by", "description", "notes")
]


def requirement_rows(
    store: Store, *, stage: str | None = None, tier: str | None = None, status: str | None = None
) -> list[dict[str, object]]:
    """Requirements in stage order then id; filters matched as the importer matches."""
    settings = store.settings()
    try:
        # ``--stage Unassigned`` (parsed as no stage) lists the requirements with none.
        stage_name = settings.stage_matcher.parse(stage) if stage else None
        tier_value = Tier.parse(tier).value if tier else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    rows = []
    for requirement in settings.stage_matcher.in_order(store.requirements().values()):
        row = requirement.as_dict()
        if stage and row["stage"] != stage_name:
            continue
        if tier_value and row["tier"] != tier_value:
            continue
        if status and row["status"] != status.strip().lower():
            continue
        rows.append(row)
    return rows


def no_requirements_reason(
    store: Store, *, stage: str | None = None, tier: str | None = None, status: str | None = None
) -> str:
    """Why ``requirement_rows`` found nothing, in words that say what to type instead."""
    stored = store.requirements()
    if not stored:
        return "no requirements yet; import some: roadmap import requirements FILE"
    said = " ".join(
        f"--{name} {value!r}"
        for name, value in (("stage", stage), ("tier", tier), ("status", status))
        if value
    )
    reason = f"no requirements match {said}"
    if status:
        statuses = sorted({r.status for r in stored.values() if r.status})
        reason += f" (statuses in the store: {', '.join(statuses)})"
    return reason


def log_rows(store: Store) -> list[dict[str, object]]:
    rows = []
    for event in store.events():
        summary = event.summary
        parts = [
            f"{len(v) if isinstance(v, (list, dict)) else v} {k}"
            for k, v in summary.items()
            if v
            and k
            in (
                "added",
                "changed",
                "retired",
                "unchanged",
                "entries",
                "replaced",
                "snapshots",
                "requirements",
            )
        ]
        if event.action == "import snapshot":
            parts = [_snapshot_changes(summary)]
        rows.append(
            {
                "id": event.id,
                "at": event.at,
                "action": event.action,
                "as_of": event.as_of,
                "file": event.file,
                "sha256": event.sha256,
                "changes": ", ".join(parts) or summary.get("text", ""),
                "summary": summary,
            }
        )
    return rows


def _snapshot_changes(summary: dict[str, Any]) -> str:
    """``sagemaker 2021-12-15 (replaced), 35 entries``: which snapshots, not just how many."""
    replaced = set(summary.get("replaced", []))
    stored = [
        f"{name} (replaced)" if name in replaced else name for name in summary.get("snapshots", [])
    ]
    count = summary.get("entries", 0)
    text = ", ".join(stored) + f"; {count} {'entry' if count == 1 else 'entries'}"
    if summary.get("unchanged"):
        text += f", {summary['unchanged']} unchanged"
    return text


def vendor_rows(store: Store) -> list[dict[str, object]]:
    """Vendors by key, with how many current snapshots each has and the latest date."""
    infos = store.snapshot_infos()
    rows = []
    for vendor in store.vendors().values():
        dates = [info.as_of for info in infos if info.vendor == vendor.key]
        rows.append(
            {
                "key": vendor.key,
                "name": vendor.name,
                "kind": vendor.kind,
                "snapshots": len(dates),
                "latest": max(dates) if dates else None,
            }
        )
    return rows


def snapshot_rows(
    store: Store, vendor: str | None = None, *, history: bool = False
) -> list[dict[str, object]]:
    """Snapshots by vendor then date; ``history`` adds replaced ones and a ``current`` key."""
    rows = []
    for info in store.snapshot_infos(vendor, include_replaced=history):
        row: dict[str, object] = {
            "vendor": info.vendor,
            "as_of": info.as_of,
            "source": info.source,
            "entries": info.entries,
            "ga": info.ga,
        }
        if history:
            row["current"] = info.replaced_by is None
        rows.append(row)
    return rows
