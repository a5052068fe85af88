"""The docs cannot drift from the CLI: every command has help with an example and is in README."""

import re
from pathlib import Path

import click
import pytest

from roadmap.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def command_paths(group: click.Group, prefix: tuple = ()) -> list[tuple[tuple, click.Command]]:
    """Every command under ``group`` with its path, groups included, in the tree's order."""
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(command_paths(command, path))
    return found


COMMANDS = command_paths(cli)
LEAVES = [(path, command) for path, command in COMMANDS if not isinstance(command, click.Group)]


def ids(items) -> list[str]:
    return [" ".join(path) for path, _ in items]


@pytest.mark.parametrize("path, command", COMMANDS, ids=ids(COMMANDS))
def test_every_command_has_help(runner, path, command):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert (command.help or "").strip(), f"roadmap {' '.join(path)} has no help text"


@pytest.mark.parametrize("path, command", LEAVES, ids=ids(LEAVES))
def test_every_command_help_shows_an_example(runner, path, command):
    result = runner.invoke(cli, [*path, "--help"])
    text = " ".join(result.stdout.split())
    assert re.search(rf"Examples?: roadmap {re.escape(' '.join(path))}\b", text), (
        f"roadmap {' '.join(path)} --help has no 'Example: roadmap {' '.join(path)} …'"
    )


@pytest.mark.parametrize("path, command", LEAVES, ids=ids(LEAVES))
def test_every_command_is_in_the_readme(path, command):
    assert f"roadmap {' '.join(path)}" in README, (
        f"README.md does not mention `roadmap {' '.join(path)}`"
    )


def test_the_top_level_help_lists_every_command(runner):
    result = runner.invoke(cli, ["--help"])
    for name in cli.commands:
        assert re.search(rf"^  {re.escape(name)}\b", result.stdout, re.MULTILINE), name


PACKAGE = Path(__file__).resolve().parent.parent / "roadmap"


def test_the_code_cites_only_documents_the_repository_has():
    """Comments cite the README or ``--help``; there is no spec file to point at."""
    citing = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bthe spec\b|\bspec's\b", line, re.IGNORECASE)
    ]
    assert citing == []


def test_the_requirement_fields_are_one_list():
    """Store, export, template, header synonyms and JSON keys all follow model's list."""
    from roadmap.headers import REQUIREMENT_HEADERS
    from roadmap.model import REQUIREMENT_FIELDS
    from roadmap.templates import REQUIREMENT_COLUMNS

    assert REQUIREMENT_FIELDS == (
        "id",
        "title",
        "stage",
        "tier",
        "priority",
        "target",
        "status",
        "owner",
        "requested_by",
        "description",
        "notes",
    )
    assert REQUIREMENT_COLUMNS == [
        "ID",
        "Title",
        "Stage",
        "Tier",
        "Priority",
        "Target",
        "Status",
        "Owner",
        "Requested by",
        "Description",
        "Notes",
    ]
    assert tuple(REQUIREMENT_HEADERS) == REQUIREMENT_FIELDS


def test_the_readme_python_example_runs_as_printed(tmp_path, monkeypatch, capsys):
    """A user who copies the README's example next to the samples sees what it says."""
    import shutil

    from roadmap.demo import samples_folder

    samples = Path(samples_folder())
    shutil.copy(samples / "requirements_2021-11.csv", tmp_path)
    for name in ("sagemaker_2021-12-15.csv", "vertex_2021-05-18.csv", "seldon_2021-06-15.csv"):
        shutil.copy(samples / "snapshots" / name, tmp_path)
    example = re.search(r"### From Python.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "sagemaker+seldon 0.62 0.7"
    assert printed[-1] == "as_of: not a date: '2021-13' (use YYYY-MM-DD or YYYY-MM)"
    assert (tmp_path / "review.xlsx").stat().st_size > 0
    import roadmap

    assert [(r.as_of, r.primary) for r in roadmap.Store.open("roadmap.db").reviews()] == [
        ("2021-12-15", "sagemaker")
    ]
