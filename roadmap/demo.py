"""``roadmap demo``: the bundled samples in a throw-away store, then their workbook."""
from __future__ import annotations

import os
import tempfile
from importlib import resources

from .output import render
from .requirements import import_requirements
from .store import Settings, Store

DEMO_SETTINGS = Settings(name="Acme ML platform roadmap (sample)", start="2021-05")
REQUIREMENT_VERSIONS = (("requirements_2021-05.csv", "2021-05-01"),
                        ("requirements_2021-11.csv", "2021-11-01"))


def samples_folder() -> str:
    """The samples as installed with the package (they work from any folder)."""
    return str(resources.files("roadmap") / "samples")


def build_demo_store(path: str) -> Store:
    """A store holding every sample: both roadmap versions."""
    store = Store.create(path, DEMO_SETTINGS)
    folder = samples_folder()
    for name, as_of in REQUIREMENT_VERSIONS:
        import_requirements(store, os.path.join(folder, name), as_of=as_of)
    return store


def run_demo(output: str) -> list[str]:
    """Build the demo store in a temporary folder and write the workbook; lines to print."""
    from .listing import requirement_rows

    lines = []
    with tempfile.TemporaryDirectory(prefix="roadmap-demo-") as folder:
        store = build_demo_store(os.path.join(folder, "demo.db"))
        try:
            rows = requirement_rows(store)
            counts: dict[str, dict[str, int]] = {}
            for row in rows:
                stage = counts.setdefault(row["stage"], {"stage": row["stage"],
                                                         "table-stakes": 0,
                                                         "best-in-class": 0, "retired": 0})
                stage["retired" if row["status"] == "retired" else row["tier"]] += 1
            lines.append(f"Sample roadmap: {len(rows)} requirements "
                         f"from {samples_folder()}")
            lines.append(render(list(counts.values()), "simple"))
            from .export import write_export

            write_export(store, output)
            lines.append(f"Wrote {output} (the sample store exported as a workbook).")
        finally:
            store.close()
    return lines
