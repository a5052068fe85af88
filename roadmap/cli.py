"""The command line: options in, library calls, results out. Nothing else lives here."""
from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import sys

import click

from . import __version__
from .errors import RoadmapError


class RoadmapGroup(click.Group):
    """Turns the library's one error type into located messages and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RoadmapError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}" if not problem.location else str(problem),
                           err=True)
            if len(error.problems) > 1:
                click.echo(f"{len(error.problems)} problems; nothing was written.", err=True)
            ctx.exit(1)
        except sqlite3.OperationalError as error:
            click.echo(f"error: the store could not be written ({error}); nothing was "
                       "written. If another roadmap command is running, try again.", err=True)
            ctx.exit(1)


def format_option(command):
    """``--format``: any tabulate format, ``json`` or ``csv`` (checked lazily)."""
    @click.option("--format", "fmt", default="simple", show_default=True, metavar="FORMAT",
                  help="Any tabulate table format (simple, github, grid…), json or csv.")
    @functools.wraps(command)
    def wrapper(*args, fmt: str, **kwargs):
        from .output import format_names

        if fmt not in format_names():
            raise click.BadParameter(
                f"{fmt!r} is not a format; use json, csv or one of tabulate's: "
                f"{', '.join(format_names()[2:])}", param_hint="--format")
        return command(*args, fmt=fmt, **kwargs)

    return wrapper


def show(rows: list[dict], fmt: str, columns: list[str] | None = None) -> None:
    from .output import render

    text = render(rows, fmt, columns)
    if text:
        click.echo(text)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def open_store(ctx: click.Context):
    from .store import Store

    store = Store.open(ctx.obj["db"])
    ctx.call_on_close(store.close)
    return store


def month_option(value: str | None, name: str) -> str | None:
    from .months import parse_month

    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month (use YYYY-MM)", param_hint=name)


@click.group(cls=RoadmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roadmap")
@click.option("--db", envvar="ROADMAP_DB", default="roadmap.db", show_default=True,
              metavar="PATH", help="The store (an SQLite file); also ROADMAP_DB.")
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
@click.option("--name", default="ML platform roadmap", show_default=True,
              help="The roadmap's name, shown on every review.")
@click.option("--start", metavar="YYYY-MM", help="The roadmap's first month (default: this month).")
@click.option("--horizon", default=18, show_default=True, type=click.IntRange(1, 120),
              help="Months a review looks ahead.")
@click.option("--cadence", default=3, show_default=True, type=click.IntRange(1, 24),
              help="Months between reviews.")
@click.option("--stages", metavar='"a;b;…"',
              help="The roadmap's stages in order (default: the Big Eight MLOps stages).")
@click.pass_context
def init(ctx, name, start, horizon, cadence, stages):
    """Create the store; refuses to overwrite an existing one.

    Example: roadmap init --name "Acme ML platform" --start 2025-01
    """
    from .model import BIG_EIGHT
    from .store import Settings, Store

    start_month = month_option(start, "--start") or dt.date.today().strftime("%Y-%m")
    stage_list = [s.strip() for s in stages.split(";") if s.strip()] if stages else list(BIG_EIGHT)
    if len({s.lower() for s in stage_list}) != len(stage_list):
        raise click.BadParameter("a stage is named twice", param_hint="--stages")
    settings = Settings(name=name, start=start_month, horizon=horizon, cadence=cadence,
                        stages=stage_list)
    Store.create(ctx.obj["db"], settings).close()
    click.echo(f"Created {ctx.obj['db']}: {name}, from {start_month}, {horizon}-month horizon, "
               f"reviews every {cadence} months, {len(stage_list)} stages.")


@cli.group("import")
def import_group():
    """Load requirements or vendor snapshots from a spreadsheet."""


@import_group.command("requirements")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--sheet", help="The sheet to read (default: 'Requirements', else the first).")
@click.option("--map", "mapping", multiple=True, metavar="'Column=field'",
              help="Say which field a column holds, or 'Column=ignore'. Repeatable.")
@click.option("--as-of", metavar="DATE",
              help="When this version of the roadmap took effect (default: today).")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.pass_context
def import_requirements_command(ctx, file, sheet, mapping, as_of, dry_run):
    """Load or update requirements from .xlsx, .xlsm or .csv.

    A re-import is a sync: new ids are added, changed rows updated (history kept),
    rows gone from the file marked retired.

    Example: roadmap import requirements roadmap.xlsx --map 'Epic=title'
    """
    from .requirements import import_requirements

    result = import_requirements(open_store(ctx), file, sheet=sheet, mapping=mapping,
                                 as_of=as_of, dry_run=dry_run)
    for message in result.warnings:
        warn(message)
    plan = result.plan
    for requirement in plan.added:
        click.echo(f"added    {requirement.id}: {requirement.title}")
    for old, new, names in plan.changed:
        changes = "; ".join(f"{n}: {getattr(old, n)!s} -> {getattr(new, n)!s}" for n in names)
        click.echo(f"changed  {new.id}: {changes}")
    for requirement in plan.retired:
        click.echo(f"retired  {requirement.id}: {requirement.title}")
    counts = (f"{len(plan.added)} added, {len(plan.changed)} changed, "
              f"{len(plan.retired)} retired, {plan.unchanged} unchanged")
    if dry_run:
        click.echo(f"Dry run: {counts}; nothing was written.")
    elif plan.is_empty:
        click.echo(f"No changes ({plan.unchanged} unchanged); nothing was written.")
    else:
        click.echo(f"Imported {file}: {counts}.")


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
    from .listing import requirement_rows

    rows = requirement_rows(open_store(ctx), stage=stage, tier=tier, status=status)
    from .model import REQUIREMENT_FIELDS

    show(rows, fmt, list(REQUIREMENT_FIELDS) if fmt in ("json", "csv") else
         ["id", "title", "stage", "tier", "priority", "target", "status", "owner"])


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


@cli.group("template")
def template_group():
    """Write a blank input workbook."""


@template_group.command("requirements")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def template_requirements(ctx, file):
    """A blank requirements workbook: headers, dropdowns, an instructions sheet.

    Uses the store's stages when there is a store, else the Big Eight.

    Example: roadmap template requirements requirements.xlsx
    """
    import os

    from .templates import write_requirements_template

    stages = None
    if os.path.exists(ctx.obj["db"]):
        stages = open_store(ctx).settings().stages
    write_requirements_template(file, stages)
    click.echo(f"Wrote {file}")


@cli.command()
@click.option("--output", default="roadmap-demo-review.xlsx", show_default=True,
              metavar="FILE.xlsx", help="Where to write the demo's workbook.")
def demo(output):
    """Build a throw-away store from the bundled samples and write its workbook.

    Example: roadmap demo --output /tmp/review.xlsx
    """
    from .demo import run_demo

    for line in run_demo(output):
        click.echo(line)


def main() -> None:
    cli(prog_name="roadmap")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
