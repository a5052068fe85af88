"""``roadmap demo``: the bundled samples in a throw-away store, then their workbook."""

from __future__ import annotations

import os
import tempfile
from importlib import resources

from .output import plural, render
from .requirements import import_requirements
from .store import Settings, Store

DEMO_SETTINGS = Settings(name="Acme ML platform roadmap (sample)", start="2021-05")
DEMO_DIFF_VENDOR = "vertex"
DEMO_PARITY_ROWS = 10
REQUIREMENT_VERSIONS = (
    ("requirements_2021-05.csv", "2021-05-01"),
    ("requirements_2021-11.csv", "2021-11-01"),
)


def samples_folder() -> str:
    """The samples as installed with the package (they work from any folder)."""
    return str(resources.files("roadmap") / "samples")


def build_demo_store(path: str) -> Store:
    """A store holding every sample: both roadmap versions, then every snapshot."""
    store = Store.create(path, DEMO_SETTINGS)
    folder = samples_folder()
    for name, as_of in REQUIREMENT_VERSIONS:
        import_requirements(store, os.path.join(folder, name), as_of=as_of)
    import_sample_snapshots(store)
    return store


def import_sample_snapshots(store: Store) -> None:
    """Every file in samples/snapshots, in name order (vendor, then date)."""
    from .snapshots import import_snapshots

    folder = os.path.join(samples_folder(), "snapshots")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".csv"):
            import_snapshots(store, os.path.join(folder, name))


def diff_lines(store: Store, vendor: str = DEMO_DIFF_VENDOR) -> list[str]:
    """One vendor's two latest snapshots, diffed, as the terminal shows them."""
    from .diff import terminal_row, vendor_diff
    from .snapshots import vendor_named

    diff = vendor_diff(store, vendor_named(store, vendor))
    return [
        f"What changed at {diff.vendor.name}: {diff.old.as_of} → {diff.new.as_of}, "
        f"{plural(len(diff.rows), 'change')}",
        render(
            [terminal_row(row) for row in diff.rows],
            "simple",
            ["requirement", "title", "from", "to", "change"],
        ),
    ]


def parity_lines(store: Store, top: int = DEMO_PARITY_ROWS) -> list[str]:
    """The parity table's top rows: the longest lags between vendors reaching ga."""
    from .evaluate import parity_at

    parity = parity_at(store)
    rows, vendors = parity.rows, parity.vendors
    return [
        f"Parity: first month at ga per vendor, longest lags first (top {top} of "
        f"{len(rows)}; ≤ is ga in the vendor's first assessment, ≥ a lag at least that)",
        render(
            [r.terminal_row() for r in rows[:top]],
            "simple",
            ["requirement", *vendors, "leader", "lag_months"],
        ),
    ]


DEMO_STACKS = ("sagemaker", "sagemaker+seldon", "sagemaker+databricks")


def recommend_lines(store: Store, day: str, max_steps: int = 2) -> list[str]:
    """SageMaker with Seldon Core or Databricks beside it (``roadmap compare`` of stacks),
    then what ``roadmap recommend`` would add to the best-covered platform."""
    from .evaluate import compare_at, recommend_at

    stacks = compare_at(store, day, list(DEMO_STACKS)).as_rows()
    result = recommend_at(store, day, None, max_steps)
    steps = [
        {**step.as_dict(), "to ga": " ".join(step.to_ga), "glue": " ".join(step.glue)}
        for step in result.steps
    ]
    return [
        f"Stacks at {day} (roadmap compare {' '.join(DEMO_STACKS)})",
        render(
            stacks,
            "simple",
            ["vendor", "as_of", "coverage", "table_stakes", "best_in_class", "weighted"],
        ),
        f"What adding tools to {result.primary} would close (roadmap recommend --as-of "
        f"{day} --max {max_steps})",
        render(
            steps,
            "simple",
            ["step", "add", "to ga", "glue", "weighted_gain", "coverage", "weighted", "stack"],
        ),
    ]


DEMO_REVIEWS = ("2021-06-30", "2021-12-15")


def review_lines(store: Store, output: str, scratch: str, *, force: bool = False) -> list[str]:
    """Record the sample reviews (earlier ones written to ``scratch``), the last to ``output``,
    so its Changes sheet and coverage-over-time chart have something to show."""
    from .output import report_lines
    from .review_workbook import write_and_record

    for day in DEMO_REVIEWS[:-1]:
        write_and_record(store, os.path.join(scratch, f"review-{day}.xlsx"), day)
    review, recorded = write_and_record(store, output, DEMO_REVIEWS[-1], force=force)
    lines = report_lines(review, os.path.abspath(output), recorded=recorded, record=True)
    return lines[:-1]  # the last says it was recorded, but this store is thrown away


NEXT_STEPS = """Next, with your own roadmap:
  roadmap init --name "Our ML platform" --start 2025-01
  roadmap template requirements requirements.xlsx   (or import the spreadsheet you have)
  roadmap import requirements requirements.xlsx
  roadmap import snapshot sagemaker_2025-01-15.xlsx
  roadmap review --output review.xlsx"""


def run_demo(output: str, *, force: bool = False) -> list[str]:
    """Build the demo store in a temporary folder and write the workbook; lines to print.

    An existing ``output`` is replaced only when roadmap wrote it, or with ``force``."""
    from .model import RETIRED, stage_label
    from .xlsx import check_output

    check_output(output, force)  # before building the store, not after

    lines = []
    with tempfile.TemporaryDirectory(prefix="roadmap-demo-") as folder:
        store = build_demo_store(os.path.join(folder, "demo.db"))
        try:
            requirements = store.settings().stage_matcher.in_order(store.requirements().values())
            counts: dict[str, dict[str, int]] = {}
            for requirement in requirements:
                stage = counts.setdefault(
                    stage_label(requirement.stage),
                    {"table-stakes": 0, "best-in-class": 0, "retired": 0},
                )
                stage[RETIRED if requirement.status == RETIRED else requirement.tier.value] += 1
            lines.append(
                f"Sample roadmap: {len(requirements)} requirements from {samples_folder()}"
            )
            lines.append(
                render([{"stage": name, **tiers} for name, tiers in counts.items()], "simple")
            )
            lines.extend(diff_lines(store))
            lines.extend(parity_lines(store))
            lines.extend(recommend_lines(store, DEMO_REVIEWS[-1]))
            lines.extend(review_lines(store, output, folder, force=force))
            lines.append(NEXT_STEPS)
        finally:
            store.close()
    return lines
