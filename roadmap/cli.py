"""The command line: options in, library calls, results out. Nothing else lives here.

The shared options and helpers come first, then the commands in the order of the
README's walk-through (demo, init, templates, imports, settings, listings, export,
snapshots, vendors, diff, compare, recommend, parity, review, schedule, copy-store).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys

import click

from . import __version__
from .errors import RoadmapError, UsageError, problem_lines, shown


class RoadmapGroup(click.Group):
    """Turns the library's errors into located messages (at most 50, values shortened)
    and exit status 1 (2 for a UsageError, as click does for a wrong command line)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            from .engines import engine_error

            error = engine_error(exc, (ctx.obj or {}).get("db", ""))
            if error is None:
                raise
        # One write: 200,000 problems print as 51 lines, at once.
        lines = [f"warning: {shown(message)}" for message in error.warnings]
        lines += problem_lines(error.problems)
        if len(error.problems) > 1:
            lines.append(f"{len(error.problems)} problems; nothing was written.")
        lines += error.notes
        click.echo("\n".join(lines), err=True)
        ctx.exit(2 if isinstance(error, UsageError) else 1)


class OneLineText(click.ParamType):
    """Text a workbook can hold on one line: no control characters (tab and line breaks
    included), no non-characters, nothing that was not UTF-8, at most 32,767 characters.
    Names, keys and sources end up in every review, so they are refused here, by name."""

    name = "text"

    def convert(self, value, param, ctx):
        from .xlsx import text_problem

        problem = text_problem(value, one_line=True) if isinstance(value, str) else None
        if problem:
            self.fail(f"{problem}; type it without that", param, ctx)
        return value


ONE_LINE = OneLineText()


class FileName(click.Path):
    """A file path whose name can go in the store's log: UTF-8 text."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            self.fail(
                f"{shown!r} is not a UTF-8 file name, and roadmap keeps file names in "
                "its log; rename the file (e.g. with only ASCII letters)",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def force_option(command):
    """``--force``: replace an existing file that roadmap did not write (or a link, or a
    read-only file). Without it only roadmap's own earlier outputs are replaced."""
    return click.option(
        "--force",
        is_flag=True,
        help="Replace the output even if roadmap did not write it (or it is read-only or a link).",
    )(command)


def format_option(command):
    """``--format``: any tabulate format, ``json`` or ``csv`` (checked lazily)."""

    @click.option(
        "--format",
        "fmt",
        default="simple",
        show_default=True,
        metavar="FORMAT",
        help="Any tabulate table format (simple, github, grid…), json or csv.",
    )
    @functools.wraps(command)
    def wrapper(*args, fmt: str, **kwargs):
        from .output import format_names

        if fmt not in format_names():
            raise click.BadParameter(
                f"{fmt!r} is not a format; use json, csv or one of tabulate's: "
                f"{', '.join(format_names()[2:])}",
                param_hint="--format",
            )
        return command(*args, fmt=fmt, **kwargs)

    return wrapper


def sheet_option(preferred: str):
    return click.option(
        "--sheet",
        metavar="NAME",
        help=f"The sheet to read (default: '{preferred}', else the first).",
    )


def map_options(fields: str):
    """``--map 'Column=field'`` (repeatable), checked before anything is read."""
    return click.option(
        "--map",
        "mapping",
        multiple=True,
        metavar="'Column=field'",
        callback=lambda ctx, param, value: map_option(value, fields),
        help="Say which field a column holds, or 'Column=ignore'. Repeatable.",
    )


def as_of_option(text: str):
    return click.option("--as-of", metavar="DATE", help=text)


dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print what would change; write nothing."
)


def output_option(text: str, **settings):
    """``--output FILE.xlsx``: a file name the log can hold (``required``, ``default``…)."""
    return click.option(
        "--output", metavar="FILE.xlsx", type=FileName(dir_okay=False), help=text, **settings
    )


def primary_option(text: str):
    return click.option("--primary", metavar="VENDOR", type=ONE_LINE, help=text)


def vendor_option(text: str):
    return click.option("--vendor", metavar="KEY", type=ONE_LINE, help=text)


def name_option(text: str, **settings):
    return click.option("--name", type=ONE_LINE, help=text, **settings)


# The ranges the library checks too (roadmap.settings; not imported: --help stays quick).
def horizon_option(**settings):
    return click.option(
        "--horizon", type=click.IntRange(1, 120), help="Months a review looks ahead.", **settings
    )


def cadence_option(**settings):
    return click.option(
        "--cadence", type=click.IntRange(1, 24), help="Months between reviews.", **settings
    )


def stages_option(text: str):
    return click.option("--stages", metavar='"a;b;…"', type=ONE_LINE, help=text)


def show(rows: list[dict], fmt: str, columns: list[str] | None = None) -> None:
    from .output import render

    text = render(rows, fmt, columns)
    if text:
        click.echo(text)


@contextlib.contextmanager
def progress_bar(label: str):
    """A ``progress(done, total)`` callback drawing click's bar on a terminal; None when
    stderr is piped, so scripts and logs stay clean."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: list = []
    counted = [False]

    def update(done: int, total: int) -> None:
        if not total:  # a stream of unknown size: rows so far, without a bar
            click.echo(f"\r{label}: {done:,} rows", nl=False, err=True)
            counted[0] = True
            return
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)
        elif counted[0]:
            click.echo(err=True)


CHANGE_LINES = 20  # an import lists this many added/changed/retired lines, unless --verbose


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def tell_waiting(message: str) -> None:
    """What a write waiting for another writer says (on stderr, so stdout stays clean)."""
    click.echo(message, err=True)


def open_store(ctx: click.Context):
    from .store import Store

    store = Store.open(ctx.obj["db"], on_wait=tell_waiting)
    ctx.call_on_close(store.close)
    return store


def month_option(value: str | None, name: str) -> str | None:
    from .months import parse_month

    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a month (use YYYY-MM)", param_hint=name
        ) from None


def usage(parse, value):
    """A library parser's RoadmapError as a command-line error (exit 2)."""
    try:
        return parse(value)
    except RoadmapError as error:
        hint = error.problems[0].location or None
        raise click.BadParameter(
            "; ".join(p.message for p in error.problems), param_hint=hint
        ) from None


def stage_names(text: str) -> list[str]:
    from .settings import parse_stage_names

    return parse_stage_names(text)


def map_option(values: tuple[str, ...], fields: str = "requirements") -> tuple[str, ...]:
    """``--map`` values checked before anything is read: a bad one is a usage error."""
    from .headers import parse_map_options
    from .model import REQUIREMENT_FIELDS

    if fields == "requirements":
        valid = list(REQUIREMENT_FIELDS)
    else:
        from .snapshots import SNAPSHOT_MAP_FIELDS

        valid = list(SNAPSHOT_MAP_FIELDS)
    try:
        parse_map_options(values, valid)
    except RoadmapError as error:
        raise click.BadParameter(
            "; ".join(p.message for p in error.problems), param_hint="--map"
        ) from None
    return values


def date_option(value: str | None, name: str) -> str | None:
    """An option's date as YYYY-MM-DD (a month alone is its first day)."""
    from .months import parse_date

    if value is None:
        return None
    try:
        return parse_date(value).isoformat()
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (use YYYY-MM-DD or YYYY-MM)", param_hint=name
        ) from None


def stack_arguments(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    """Stacks written wrong (``sagemaker+``) are a wrong command line, not a wrong store."""
    from .stacks import stack_members

    for value in values:
        try:
            stack_members(value)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="VENDOR or STACK") from None
    return values


def _marks(notes: list[str]) -> str:
    """``*`` after a vendor assessed on fewer than half the requirements."""
    return " *" if any(n.startswith("assessed") for n in notes) else ""


@click.group(cls=RoadmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roadmap")
@click.option(
    "--db",
    envvar="ROADMAP_DB",
    default="roadmap.db",
    show_default=True,
    metavar="PATH|URL",
    help="The store: an SQLite file, or a shared PostgreSQL database "
    "(postgresql://user@host:port/dbname); also ROADMAP_DB.",
)
@click.pass_context
def cli(ctx: click.Context, db: str) -> None:
    """Keep an ML platform roadmap, compare vendors against it, review it over time.

    \b
    Start with:  roadmap demo
    Then:        roadmap init --name "Our ML platform" --start 2025-01
                 roadmap import requirements roadmap.xlsx
    """
    ctx.obj = {"db": db}


@cli.command()
@output_option(
    "Where to write the demo's workbook.", default="roadmap-demo-review.xlsx", show_default=True
)
@force_option
def demo(output, force):
    """Build a throw-away store from the bundled samples and write its review workbook.

    Example: roadmap demo --output /tmp/review.xlsx
    """
    from .demo import run_demo

    for line in run_demo(output, force=force):
        click.echo(line)


@cli.command()
@name_option(
    "The roadmap's name, shown on every review.", default="ML platform roadmap", show_default=True
)
@click.option("--start", metavar="YYYY-MM", help="The roadmap's first month (default: this month).")
@horizon_option(default=18, show_default=True)
@cadence_option(default=3, show_default=True)
@stages_option("The roadmap's stages in order (default: the Big Eight MLOps stages).")
@click.pass_context
def init(ctx, name, start, horizon, cadence, stages):
    """Create the store; refuses to overwrite an existing one.

    Example: roadmap init --name "Acme ML platform" --start 2025-01
    """
    from .model import BIG_EIGHT
    from .store import Settings, Store

    if not name.strip():
        raise click.BadParameter("the name is empty", param_hint="--name")
    start_month = month_option(start, "--start") or dt.date.today().strftime("%Y-%m")
    stage_list = usage(stage_names, stages) if stages is not None else list(BIG_EIGHT)
    settings = Settings(
        name=name, start=start_month, horizon=horizon, cadence=cadence, stages=stage_list
    )
    store = Store.create(ctx.obj["db"], settings, on_wait=tell_waiting)
    store.close()
    click.echo(
        f"Created {store.path}: {name}, from {start_month}, {horizon}-month horizon, "
        f"reviews every {'month' if cadence == 1 else f'{cadence} months'}, "
        f"{len(stage_list)} stages."
    )


@cli.group("template")
def template_group():
    """Write a blank input workbook."""


@template_group.command("requirements")
@click.argument("file", type=click.Path(dir_okay=False))
@force_option
@click.pass_context
def template_requirements(ctx, file, force):
    """A blank requirements workbook: headers, dropdowns, an instructions sheet.

    Uses the store's stages when there is a store, else the Big Eight.

    Example: roadmap template requirements requirements.xlsx
    """
    from .store import Store
    from .templates import write_requirements_template

    stages = None
    if Store.exists(ctx.obj["db"]):
        stages = open_store(ctx).settings().stages
    write_requirements_template(file, stages, force=force)
    click.echo(f"Wrote {file}")


@cli.group("import")
def import_group():
    """Load requirements or vendor snapshots from a spreadsheet."""


@import_group.command("requirements")
@click.argument("file", type=FileName(dir_okay=False))
@sheet_option("Requirements")
@map_options("requirements")
@click.option(
    "--add-stages",
    is_flag=True,
    help="Add stage names the roadmap lacks (in the order they first appear) "
    "instead of refusing them.",
)
@as_of_option(
    "When this version of the roadmap took effect (default: an 'As of:' cell, "
    "else a date in the file name, else today)."
)
@dry_run_option
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help=f"List every change (default: the first {CHANGE_LINES} of each kind).",
)
@click.pass_context
def import_requirements_command(ctx, file, sheet, mapping, add_stages, as_of, dry_run, verbose):
    """Load or update requirements from .xlsx, .xlsm, .xls, .ods or .csv.

    A re-import is a sync: new ids are added, changed rows updated (history kept),
    rows gone from the file marked retired. A sheet with no stage column gives
    requirements with no stage (Unassigned), unless section-heading rows name them.

    Example: roadmap import requirements roadmap.xlsx --map 'Epic=title' --add-stages
    """
    from .output import words
    from .requirements import import_requirements

    with progress_bar(f"Reading {file}") as progress:
        result = import_requirements(
            open_store(ctx),
            file,
            sheet=sheet,
            mapping=mapping,
            as_of=date_option(as_of, "--as-of"),
            add_stages=add_stages,
            dry_run=dry_run,
            progress=progress,
        )
    for message in result.warnings:
        warn(message)
    plan = result.plan
    if dry_run:
        click.echo(f"Columns: {result.columns}")
    lines: list[str] = []
    if result.new_stages:
        lines.append(
            f"{'would add' if dry_run else 'added'} stages: {'; '.join(result.new_stages)}"
        )

    def some(kind: str, found: list, shown) -> list[str]:
        """The first lines of a kind (each made only when shown), and how many more."""
        if verbose or len(found) <= CHANGE_LINES:
            return [shown(item) for item in found]
        return [
            *map(shown, found[:CHANGE_LINES]),
            f"… and {len(found) - CHANGE_LINES} more {kind} (--verbose lists them all)",
        ]

    def line(text: object) -> str:  # a title with line breaks is listed on one line
        return " ".join(str(text).split())

    def changed(change: tuple) -> str:
        old, new, names = change
        changes = "; ".join(
            f"{n}: {line(words(getattr(old, n)))} -> {line(words(getattr(new, n)))}" for n in names
        )
        return f"changed  {new.id}: {changes}"

    lines += some("added", plan.added, lambda r: f"added    {r.id}: {line(r.title)}")
    lines += some("changed", plan.changed, changed)
    lines += some("retired", plan.retired, lambda r: f"retired  {r.id}: {line(r.title)}")
    if lines:
        click.echo("\n".join(lines))  # one write: a 20,000-row import prints fast
    counts = (
        f"{len(plan.added)} added, {len(plan.changed)} changed, "
        f"{len(plan.retired)} retired, {plan.unchanged} unchanged"
    )
    if dry_run:
        click.echo(f"Dry run: {counts}; nothing was written.")
    elif not result.written:
        click.echo(f"No changes ({plan.unchanged} unchanged); nothing was written.")
    else:
        click.echo(f"Imported {file}: {counts}.")


@cli.command("settings")
@name_option("Rename the roadmap.")
@horizon_option()
@cadence_option()
@stages_option("The whole stage list, in order: add, reorder, or drop unused stages.")
@click.option(
    "--rename-stage",
    "renames",
    multiple=True,
    metavar="'Old=New'",
    type=ONE_LINE,
    help="Rename a stage; its requirements and their history follow. Repeatable.",
)
@click.option(
    "--weights",
    metavar="'high=3,medium=2,low=1,best-in-class=1'",
    help="Weights of weighted coverage: by priority, and a factor for best-in-class.",
)
@format_option
@click.pass_context
def settings_command(ctx, name, horizon, cadence, stages, renames, weights, fmt):
    """Show the roadmap's settings, or change them (in one step, logged).

    A renamed stage keeps its requirements and their history, and the old name still
    matches on import; a stage that requirements still have cannot be dropped.

    Example: roadmap settings --rename-stage 'Model design=Experimentation'
    """
    from .settings import (
        change_settings,
        parse_renames,
        parse_weights,
        settings_rows,
    )

    stage_list = usage(stage_names, stages) if stages is not None else None
    rename_map = usage(parse_renames, renames)
    weight_map = usage(parse_weights, weights) if weights is not None else None
    store = open_store(ctx)
    if (name, horizon, cadence, stage_list, weight_map) == (None,) * 5 and not rename_map:
        show(settings_rows(store.settings()), fmt, ["setting", "value"])
        return
    if name is not None and not name.strip():
        raise click.BadParameter("the name is empty", param_hint="--name")
    change = change_settings(
        store,
        name=name,
        horizon=horizon,
        cadence=cadence,
        stages=stage_list,
        renames=rename_map,
        weights=weight_map,
    )
    if not change.changes:
        click.echo("No changes; nothing was written.")
        return
    for key, (old, new) in change.changes.items():
        click.echo(f"{key}: {old} -> {new}")
    for old, new in change.renames.items():
        click.echo(f"renamed stage {old!r} to {new!r}")
    click.echo(f"Changed {', '.join(change.changes)}.")


@cli.command("requirements")
@click.option("--stage", help="Only this stage.")
@click.option("--tier", help="Only this tier (table-stakes or best-in-class).")
@click.option("--status", help="Only this status (e.g. open, retired).")
@format_option
@click.pass_context
def requirements_command(ctx, stage, tier, status, fmt):
    """List the requirements, retired ones included.

    Example: roadmap requirements --tier best-in-class --format json
    """
    from .listing import REQUIREMENT_TABLE_COLUMNS, no_requirements_reason, requirement_rows

    store = open_store(ctx)
    rows = requirement_rows(store, stage=stage, tier=tier, status=status)
    if not rows and fmt not in ("json", "csv"):
        warn(no_requirements_reason(store, stage=stage, tier=tier, status=status))
    from .model import REQUIREMENT_FIELDS

    show(
        rows, fmt, list(REQUIREMENT_FIELDS) if fmt in ("json", "csv") else REQUIREMENT_TABLE_COLUMNS
    )


@cli.command("log")
@format_option
@click.pass_context
def log_command(ctx, fmt):
    """Every import and review: when, from which file (SHA-256), what changed.

    Example: roadmap log --format json
    """
    from .listing import log_rows

    rows = log_rows(open_store(ctx))
    show(rows, fmt, ["id", "at", "action", "as_of", "file", "sha256", "changes"])


@cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@force_option
@click.pass_context
def export_command(ctx, file, force):
    """Everything in the store as one workbook that the importers read back.

    Sheets: Requirements (retired ones included) for 'import requirements', and
    Snapshots (every current snapshot, with its vendor) for 'import snapshot'.

    Example: roadmap export everything.xlsx
    """
    from .export import write_export

    store = open_store(ctx)
    write_export(store, file, force=force)
    snapshots = store.snapshot_infos()
    from .output import plural

    click.echo(
        f"Wrote {file}: {plural(len(store.requirements()), 'requirement')}, "
        f"{plural(len(snapshots), 'snapshot')} of "
        f"{plural(len({s.vendor for s in snapshots}), 'vendor')}."
    )


@template_group.command("snapshot")
@click.argument("file", type=click.Path(dir_okay=False))
@force_option
def template_snapshot(file, force):
    """A blank long-form snapshot workbook: Vendor:/Kind:/As of:/Source: cells, a level
    dropdown, an instructions sheet.

    Example: roadmap template snapshot snapshot.xlsx
    """
    from .templates import write_snapshot_template

    write_snapshot_template(file, force=force)
    click.echo(f"Wrote {file}")


@import_group.command("snapshot")
@click.argument("file", type=FileName(dir_okay=False))
@vendor_option(
    "The vendor (key or name), for a long-form sheet that does not say; in a "
    "comparison table, import only its column."
)
@as_of_option("The snapshot's date (default: the 'As of:' cell, else the file name).")
@click.option("--source", metavar="TEXT", type=ONE_LINE, help="Where the snapshot comes from.")
@sheet_option("Snapshots")
@map_options("snapshot")
@click.option(
    "--replace",
    is_flag=True,
    help="Store it even if a different snapshot has the same vendor and date "
    "(the old one stays in history).",
)
@dry_run_option
@click.pass_context
def import_snapshot_command(ctx, file, vendor, as_of, source, sheet, mapping, replace, dry_run):
    """Store vendor capability snapshots from .xlsx, .xlsm or .csv.

    Long form: one row per requirement with a Level column (Vendor and As of columns
    make each group its own snapshot). Wide form: one column per vendor, as in a
    side-by-side comparison table. Vendor and date come from the options, else the
    'Vendor:' and 'As of:' cells above the header, else the file name. A column
    --map names (requirement, title, level, product, evidence, notes, vendor, as_of,
    or ignore) is taken as said.

    Example: roadmap import snapshot sagemaker_2021-12-15.xlsx --source "re:Invent 2021"
    """
    from .output import plural
    from .snapshots import import_snapshots

    with progress_bar(f"Reading {file}") as progress:
        result = import_snapshots(
            open_store(ctx),
            file,
            vendor=vendor,
            as_of=date_option(as_of, "--as-of"),
            source=source,
            sheet=sheet,
            mapping=mapping,
            replace=replace,
            dry_run=dry_run,
            progress=progress,
        )
    for message in result.warnings:
        warn(message)
    for found in result.snapshots:
        line = (
            f"{found.status:<10}{found.vendor.key} {found.snapshot.as_of}: "
            f"{plural(found.entries, 'entry', 'entries')}, {found.ga} ga"
        )
        if found.new_vendor:
            line += f" (new vendor: {found.vendor.name}, {found.vendor.kind})"
        click.echo(line)
    counts = ", ".join(
        f"{sum(s.status == status for s in result.snapshots)} {status}"
        for status in ("added", "replaced", "unchanged")
    )
    if dry_run:
        click.echo(f"Dry run: {counts}; nothing was written.")
    elif not result.written:
        click.echo(f"No changes ({counts}); nothing was written.")
    else:
        click.echo(f"Imported {file}: {counts}.")


@cli.group("vendors", invoke_without_command=True)
@format_option
@click.pass_context
def vendors_command(ctx, fmt):
    """List the vendors, with how many snapshots each has and the latest date; or join
    two that are one (merge), or rename one.

    Example: roadmap vendors --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    from .listing import vendor_rows

    store = open_store(ctx)
    rows = vendor_rows(store)
    if not rows and fmt not in ("json", "csv"):
        warn("no vendors yet; import a snapshot: roadmap import snapshot FILE")
    columns = ["key", "name", "kind", "snapshots", "latest"]
    aliases = store.vendor_aliases()
    if aliases and fmt not in ("json", "csv"):
        for row in rows:
            row["aliases"] = ", ".join(a for a, key in aliases.items() if key == row["key"])
        columns.append("aliases")
    show(rows, fmt, columns)


@vendors_command.command("merge")
@click.argument("source", metavar="FROM", type=ONE_LINE)
@click.argument("target", metavar="INTO", type=ONE_LINE)
@click.option(
    "--keep",
    type=click.Choice(["from", "into"]),
    help="Where both have a different snapshot at the same date: whose stays "
    "current (the other stays in history).",
)
@click.pass_context
def vendors_merge_command(ctx, source, target, keep):
    """One vendor stored under two names becomes one: FROM's snapshots and history move
    to INTO, and FROM's key and name become aliases that later imports resolve.

    Example: roadmap vendors merge google-vertex-ai vertex
    """
    from .output import plural
    from .snapshots import merge_vendors

    merged = merge_vendors(open_store(ctx), source, target, keep)
    line = (
        f"Merged {merged.source.key} into {merged.target.key}: "
        f"{plural(merged.moved, 'snapshot')} moved; {merged.source.key} and "
        f"'{merged.source.name}' now mean {merged.target.key}."
    )
    if merged.replaced:
        line += f" Same date in both ({', '.join(merged.replaced)}): one stays in history."
    click.echo(line)


@vendors_command.command("rename")
@click.argument("key", type=ONE_LINE)
@name_option("The vendor's new display name.", required=True)
@click.pass_context
def vendors_rename_command(ctx, key, name):
    """Change a vendor's display name; the old name stays an alias.

    Example: roadmap vendors rename vertex --name "Google Vertex AI"
    """
    from .snapshots import rename_vendor

    old, new = rename_vendor(open_store(ctx), key, name)
    click.echo(f"Renamed {new.key}: {old.name} → {new.name}.")


@cli.command("snapshots")
@vendor_option("Only this vendor (key or name).")
@click.option(
    "--history", is_flag=True, help="Include replaced snapshots (with a 'current' column)."
)
@format_option
@click.pass_context
def snapshots_command(ctx, vendor, history, fmt):
    """List the snapshots: vendor, date, source, entries and how many are ga.

    Example: roadmap snapshots --vendor sagemaker
    """
    from .listing import snapshot_rows
    from .snapshots import vendor_named

    store = open_store(ctx)
    key = vendor_named(store, vendor).key if vendor else None
    columns = ["vendor", "as_of", "source", "entries", "ga"] + (["current"] if history else [])
    rows = snapshot_rows(store, key, history=history)
    if not rows and fmt not in ("json", "csv"):
        warn(
            f"{key} has no snapshots"
            if key
            else "no snapshots yet; import one: roadmap import snapshot FILE"
        )
    show(rows, fmt, columns)


@cli.command("diff")
@click.argument("vendor", type=ONE_LINE)
@click.option(
    "--from",
    "start",
    metavar="DATE",
    help="The earlier snapshot's date (a month picks that month's snapshot).",
)
@click.option("--to", "end", metavar="DATE", help="The later snapshot's date (default: latest).")
@output_option("Write a highlighted diff workbook instead.")
@click.option(
    "--levels",
    "levels_only",
    is_flag=True,
    help="Only rows whose level moved (no product, evidence or notes changes).",
)
@force_option
@format_option
@click.pass_context
def diff_command(ctx, vendor, start, end, output, levels_only, force, fmt):
    """What changed in one vendor's capabilities between two snapshots.

    Default: its two latest. Rows are added, removed, upgraded, downgraded or changed
    (same level, other product, evidence or notes); unchanged ones are left out. A
    field only one snapshot states (a comparison table has no product or evidence)
    is not a change.

    Example: roadmap diff sagemaker --from 2020-12 --to 2021-12 --output diff.xlsx
    """
    from .diff import terminal_row, vendor_diff
    from .output import plural
    from .snapshots import vendor_named

    for value, name in ((start, "--from"), (end, "--to")):
        date_option(value, name)  # a wrong date is a wrong command line (exit 2)
    store = open_store(ctx)
    diff = vendor_diff(store, vendor_named(store, vendor), start, end, levels_only=levels_only)
    span = f"{diff.vendor.key}: {diff.old.as_of} → {diff.new.as_of}"
    if output:
        from .diff_workbook import write_diff_workbook

        write_diff_workbook(diff, output, force=force)
        click.echo(f"Wrote {output} ({span}, {plural(len(diff.rows), 'change')}).")
        return
    if fmt in ("json", "csv"):
        show(diff.as_rows(), fmt, ["requirement", "title", "from", "to", "change"])
        return
    click.echo(f"{span}, {plural(len(diff.rows), 'change')}")
    if diff.rows:
        show(
            [terminal_row(row) for row in diff.rows],
            fmt,
            ["requirement", "title", "from", "to", "change", "details"],
        )


@cli.command("compare")
@click.argument(
    "vendors", nargs=-1, metavar="[VENDOR or STACK]...", type=ONE_LINE, callback=stack_arguments
)
@as_of_option("The date to compare at (default: today).")
@format_option
@click.pass_context
def compare_command(ctx, vendors, as_of, fmt):
    """Vendors or stacks side by side: coverage overall, by tier and by stage, weighted.

    Each vendor's latest snapshot on or before the date, scored over the requirements
    active then (ga 1, preview/partial/partner ½, unless the roadmap says otherwise). A
    stack such as sagemaker+seldon takes the strongest level among its members; its
    as_of is its oldest member's. Weighted coverage weighs each requirement by its
    priority and tier (roadmap settings).

    Example: roadmap compare --as-of 2021-12-31 sagemaker+seldon vertex
    """
    from .evaluate import compare_at

    store = open_store(ctx)
    day = date_option(as_of, "--as-of") or dt.date.today().isoformat()
    keys = list(vendors) or None  # resolved (key, name or alias) by compare_at
    from .output import plural

    comparison = compare_at(store, day, keys)
    compared = comparison.as_rows()
    if not compared and fmt not in ("json", "csv"):
        warn(
            f"no vendor has a snapshot on or before {day}; import one: "
            "roadmap import snapshot FILE, or pass --as-of DATE"
        )
    for key, lacking in comparison.missing.items():
        if lacking == (key,):
            warn(f"{key} has no snapshot on or before {day}")
        else:
            warn(f"{key} left out: {', '.join(lacking)} has no snapshot on or before {day}")
    from .model import UNASSIGNED

    stages = store.settings().stages  # then Unassigned, when some requirement has no stage
    stages += [UNASSIGNED] if any(UNASSIGNED in row for row in compared) else []
    columns = [
        "vendor",
        "coverage",
        "table_stakes",
        "best_in_class",
        "assessed",
        "weighted",
        "as_of",
        *stages,
    ]
    if fmt in ("json", "csv"):
        show(compared, fmt, columns)
        return
    click.echo(f"Coverage at {day} over {plural(comparison.requirements, 'active requirement')}")
    rows = [
        {
            **row,
            "vendor": row["vendor"] + _marks(comparison.caveats[row["vendor"]]),
            "as_of": row["as_of"]
            + (
                " (stale)"
                if any(n.startswith("stale") for n in comparison.caveats[row["vendor"]])
                else ""
            ),
        }
        for row in compared
    ]
    show(
        rows,
        fmt,
        [
            "vendor",
            "as_of",
            "coverage",
            "assessed",
            "table_stakes",
            "best_in_class",
            "weighted",
            *stages,
        ],
    )
    for key, notes in comparison.caveats.items():
        if notes:
            click.echo(f"{key}: {'; '.join(notes)}; read its coverage with care.")


@cli.command("recommend")
@as_of_option("The date to recommend at (default: today).")
@primary_option(
    "The platform the team is on, key or name, or a stack it already runs "
    "(default: the best covered vendor)."
)
@click.option(
    "--max",
    "max_steps",
    default=3,
    show_default=True,
    type=click.IntRange(1, 50),
    help="At most this many vendors to add.",
)
@format_option
@click.pass_context
def recommend_command(ctx, as_of, primary, max_steps, fmt):
    """Which vendors to add to the primary platform, one at a time: build or glue.

    Each step adds the vendor whose closes raise the stack's weighted coverage most: the
    requirements it brings to ga, or to partner (glue) where the stack had nothing
    usable; ties go to the one closing more to ga, then by key. Stops at --max or when
    no vendor closes anything more. Only vendors with a snapshot on or before the date
    count; unassessed cells close nothing. What stays open is to build, wait for or
    assess. JSON keys: step, add, closes, glue (which closes are glue), weighted_gain,
    coverage, weighted, stack.

    Example: roadmap recommend --as-of 2021-12-15 --primary sagemaker --max 2
    """
    from .evaluate import recommend_at

    day = date_option(as_of, "--as-of") or dt.date.today().isoformat()
    result = recommend_at(open_store(ctx), day, primary, max_steps)
    rows = result.as_rows()
    columns = ["step", "add", "closes", "glue", "weighted_gain", "coverage", "weighted", "stack"]
    if fmt == "json":
        show(rows, fmt, columns)
        return
    if fmt == "csv":
        show(
            [
                {**row, "closes": " ".join(row["closes"]), "glue": " ".join(row["glue"])}
                for row in rows
            ],
            fmt,
            columns,
        )
        return
    flat = [
        {**row, "to ga": " ".join(step.to_ga), "glue": " ".join(step.glue)}
        for row, step in zip(rows, result.steps)
    ]
    click.echo(
        f"{result.primary} alone at {day}: coverage {result.coverage or 0:.0%}, "
        f"weighted {result.weighted or 0:.0%}"
    )
    if flat:
        show(flat, fmt, ["step", "add", "to ga", *columns[3:]])
    if result.stopped == "nothing closes":
        click.echo(
            "No other vendor closes anything more: what is still open is to build, "
            "wait for, or assess."
        )


@cli.command("parity")
@format_option
@click.pass_context
def parity_command(ctx, fmt):
    """When each vendor first reached ga per requirement, who led, and the lag in months.

    Longest lags first; the lag runs from the leader to the last vendor that got there.
    A ga in a vendor's first snapshot only says "ga by then" (shown ≤ YYYY-MM): no lag
    is counted to it, and a lag from it is a lower bound (≥).

    Example: roadmap parity --format json
    """
    from .evaluate import parity_at

    parity = parity_at(open_store(ctx))
    rows, vendors = parity.rows, parity.vendors
    if fmt in ("json", "csv"):
        show(
            parity.as_rows(),
            fmt,
            [
                "requirement",
                "title",
                "first_ga",
                "censored",
                "leader",
                "lag_months",
                "lag_is_lower_bound",
            ],
        )
        return
    show(
        [row.terminal_row() for row in rows],
        fmt,
        ["requirement", "title", *vendors, "leader", "lag_months"],
    )
    if any(row.censored for row in rows):
        click.echo(
            "≤ 2021-06: ga in the vendor's first snapshot that assessed it (ga by "
            "then); ≥ 18: a lag at least that long; a=b: leaders in the same month."
        )


@cli.command("review")
@output_option("Where to write the review workbook.", required=True)
@as_of_option("The review date (default: today).")
@primary_option("The platform the team is on, key or name (default: the best covered).")
@click.option(
    "--no-record", is_flag=True, help="Only write the workbook; do not record the review."
)
@click.option(
    "--stack",
    metavar="A+B",
    type=ONE_LINE,
    help="The primary and the tools run beside it (e.g. sagemaker+seldon): scored "
    "beside the vendors, and the gaps are the stack's.",
)
@force_option
@click.pass_context
def review_command(ctx, output, as_of, primary, no_record, stack, force):
    """Write the periodic review workbook and record the review.

    Each vendor's latest snapshot on or before the date, against the requirements in
    force then; the window is the review's month plus the horizon. Sheets: Summary,
    Matrix, Changes (since the previous recorded review), Gaps (buy, glue, wait or
    build), Timeline, Parity, Requirements, Snapshots, Legend.

    Example: roadmap review --output review-2021-12.xlsx --as-of 2021-12-15
    """
    from .review_workbook import write_and_record

    store = open_store(ctx)
    day = date_option(as_of, "--as-of") or dt.date.today().isoformat()
    with progress_bar("Writing the review") as progress:
        review, recorded = write_and_record(
            store,
            output,
            day,
            primary,
            record=not no_record,
            progress=progress,
            stack=stack,
            force=force,
        )
    from .output import report_lines

    for line in report_lines(review, output, recorded=recorded, record=not no_record):
        click.echo(line)


@cli.command("schedule")
@format_option
@click.pass_context
def schedule_command(ctx, fmt):
    """The review dates the cadence asks for, and which were done, missed or are next.

    From the roadmap's start through one horizon past the latest recorded review. A date
    is done when a review was recorded in its period (up to the next date), next when it
    is the first after the latest recorded review, missed before that, else planned.

    Example: roadmap schedule --format json
    """
    from .schedule import store_schedule

    show([s.as_dict() for s in store_schedule(open_store(ctx))], fmt, ["date", "state"])


@cli.command("copy-store")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
def copy_store_command(source, target):
    """Copy a whole store, history included, to a new one: SQLite file or PostgreSQL URL.

    Moves a team's file to a shared server, or takes an offline copy of one; refuses a
    TO that already holds a store.

    \b
    Example: roadmap copy-store roadmap.db postgresql://me@db.example/roadmap
             roadmap copy-store postgresql://me@db.example/roadmap offline.db
    """
    from .engines import display_name
    from .store import copy_store

    counts = copy_store(source, target, on_wait=tell_waiting)
    click.echo(
        f"Copied {display_name(source)} to {display_name(target)}: "
        f"{counts.get('events', 0)} events, "
        f"{counts.get('requirement_versions', 0)} requirement versions, "
        f"{counts.get('snapshots', 0)} snapshots, {counts.get('reviews', 0)} reviews."
    )


def main() -> None:
    cli(prog_name="roadmap")


if __name__ == "__main__":  # pragma: no cover
    main()
