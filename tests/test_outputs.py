"""Writing files: roadmap replaces only what it wrote itself (else `--force`), keeps a
file's permissions, never writes over the store, and `review` records and writes all or
nothing, whatever step fails."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

import roadmap.engines
import roadmap.store
import roadmap.xlsx
from roadmap.errors import OutputError, RoadmapError, StoreError
from roadmap.review_workbook import write_and_record
from roadmap.store import Store
from roadmap.templates import write_requirements_template
from roadmap.xlsx import written_by_roadmap

# Each command that writes a file, writing out.xlsx (the review and diff need review_store).
WRITERS = {
    "review": ("review", "--output", "out.xlsx", "--as-of", "2021-12-15"),
    "diff": ("diff", "alpha", "--output", "out.xlsx"),
    "export": ("export", "out.xlsx"),
    "template requirements": ("template", "requirements", "out.xlsx"),
    "template snapshot": ("template", "snapshot", "out.xlsx"),
    "demo": ("demo", "--output", "out.xlsx"),
}
NOT_OURS = (
    "error: out.xlsx was not written by roadmap; pass --force to replace it, or "
    "choose another file name\n"
)


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("command", WRITERS)
def test_a_file_roadmap_did_not_write_is_refused(
    command, review_store, invoke, make_xlsx, tmp_path
):
    mine = make_xlsx([["My own notes"], ["keep me"]], "out.xlsx")
    before = mine.read_bytes()
    result = invoke(*WRITERS[command])
    assert result.exit_code == 1
    assert result.stderr == NOT_OURS
    assert mine.read_bytes() == before
    assert review_store.reviews() == []
    assert parts(tmp_path) == []


@pytest.mark.parametrize("command", ["review", "export", "template requirements"])
def test_force_replaces_a_file_roadmap_did_not_write(
    command, review_store, invoke, make_xlsx, tmp_path
):
    make_xlsx([["My own notes"]], "out.xlsx")
    result = invoke(*WRITERS[command], "--force")
    assert result.exit_code == 0, result.output
    assert written_by_roadmap(str(tmp_path / "out.xlsx"))
    assert "My own notes" not in str(load_workbook(tmp_path / "out.xlsx").worksheets[0]["A1"].value)


@pytest.mark.parametrize("command", [c for c in WRITERS if c != "demo"])
def test_a_file_roadmap_wrote_is_replaced_without_force(command, review_store, invoke, tmp_path):
    assert invoke(*WRITERS[command]).exit_code == 0
    first = (tmp_path / "out.xlsx").read_bytes()
    result = invoke(*WRITERS[command])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.xlsx").read_bytes() == first  # same store, same bytes
    assert parts(tmp_path) == []


@pytest.mark.slow
def test_the_demo_replaces_its_own_workbook(runner, tmp_path, monkeypatch):
    from roadmap.cli import cli

    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["demo", "--output", "demo.xlsx"]).exit_code == 0
    result = runner.invoke(cli, ["demo", "--output", "demo.xlsx"])
    assert result.exit_code == 0, result.output
    assert written_by_roadmap(str(tmp_path / "demo.xlsx"))


def test_what_we_write_is_marked_in_its_document_properties(invoke, tmp_path):
    assert invoke("template", "snapshot", "t.xlsx").exit_code == 0
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        core = archive.read("docProps/core.xml").decode()
        custom = archive.read("docProps/custom.xml").decode()
    assert "<dc:creator>roadmap</dc:creator>" in core
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core
    assert 'name="roadmap-output"' in custom
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        assert archive.comment.startswith(b"roadmap-output sha256:")
    assert load_workbook(tmp_path / "t.xlsx").custom_doc_props["roadmap-output"].value == (
        "written by roadmap; it replaces this file until another program saves it"
    )


def fill_in(path: Path) -> None:
    """What a user does with a template: open it, type a row, save."""
    book = load_workbook(path)
    book["Requirements"].append(
        ["FE-01", "Our feature store", "Feature engineering", "table-stakes"]
    )
    book.save(path)


def test_a_filled_in_template_is_not_overwritten_by_a_new_one(invoke, tmp_path):
    assert invoke("template", "requirements", "filled.xlsx").exit_code == 0
    fill_in(tmp_path / "filled.xlsx")
    before = (tmp_path / "filled.xlsx").read_bytes()
    result = invoke("template", "requirements", "filled.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: filled.xlsx was saved by another program since roadmap wrote it; pass "
        "--force to replace it, or choose another file name\n"
    )
    assert (tmp_path / "filled.xlsx").read_bytes() == before
    rows = list(load_workbook(tmp_path / "filled.xlsx")["Requirements"].values)
    assert ("FE-01", "Our feature store", "Feature engineering", "table-stakes") in [
        tuple(r[:4]) for r in rows
    ]


def test_a_workbook_changed_inside_but_keeping_our_zip_comment_is_not_ours(invoke, tmp_path):
    assert invoke("template", "snapshot", "t.xlsx").exit_code == 0
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        members = {info: archive.read(info) for info in archive.infolist()}
        comment = archive.comment
    with zipfile.ZipFile(tmp_path / "t.xlsx", "w") as archive:
        for info, data in members.items():
            archive.writestr(info, data.replace(b"Vendor:", b"Vendor?"))
        archive.comment = comment
    result = invoke("template", "snapshot", "t.xlsx")
    assert result.exit_code == 1
    assert "saved by another program since roadmap wrote it" in result.stderr


def test_a_filled_in_template_is_not_overwritten_from_python(tmp_path):
    path = tmp_path / "filled.xlsx"
    write_requirements_template(str(path))
    fill_in(path)
    with pytest.raises(OutputError, match="saved by another program since roadmap wrote it"):
        write_requirements_template(str(path))
    write_requirements_template(str(path), force=True)
    assert written_by_roadmap(str(path))


@pytest.mark.slow
def test_a_template_saved_by_libreoffice_is_not_overwritten(invoke, tmp_path):
    assert invoke("template", "requirements", "blank.xlsx").exit_code == 0
    converted = tmp_path / "converted"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(converted),
            str(tmp_path / "blank.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    os.replace(converted / "blank.xlsx", tmp_path / "filled.xlsx")
    result = invoke("template", "requirements", "filled.xlsx")
    assert result.exit_code == 1
    assert "pass --force to replace it" in result.stderr


def test_a_symbolic_link_is_refused_and_with_force_its_target_is_written(
    review_store, invoke, tmp_path
):
    assert invoke("export", "real.xlsx").exit_code == 0
    (tmp_path / "link.xlsx").symlink_to("real.xlsx")
    result = invoke("export", "link.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: link.xlsx is a symbolic link (to real.xlsx); pass --force to write to the "
        "file it points to, or choose another file name\n"
    )
    (tmp_path / "real.xlsx").write_bytes(b"changed by hand")
    assert invoke("export", "link.xlsx", "--force").exit_code == 0
    assert (tmp_path / "link.xlsx").is_symlink()
    assert written_by_roadmap(str(tmp_path / "real.xlsx"))


def test_a_read_only_file_is_refused_and_with_force_replaced_keeping_its_mode(
    review_store, invoke, tmp_path
):
    assert invoke("export", "out.xlsx").exit_code == 0
    os.chmod(tmp_path / "out.xlsx", 0o444)
    result = invoke("export", "out.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: out.xlsx is read-only; pass --force to replace it, or choose another file name\n"
    )
    assert invoke("export", "out.xlsx", "--force").exit_code == 0
    assert stat.S_IMODE((tmp_path / "out.xlsx").stat().st_mode) == 0o444


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(
    review_store, invoke, tmp_path
):
    assert invoke("export", "private.xlsx").exit_code == 0
    os.chmod(tmp_path / "private.xlsx", 0o600)
    assert invoke("export", "private.xlsx").exit_code == 0
    assert stat.S_IMODE((tmp_path / "private.xlsx").stat().st_mode) == 0o600
    old = os.umask(0o027)
    try:
        assert invoke("export", "new.xlsx").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o640


@pytest.mark.parametrize("output", ["store.xlsx", "./store.xlsx", "hard-link.xlsx"])
def test_the_store_is_never_an_output_even_with_force(review_store, runner, tmp_path, output):
    from roadmap.cli import cli

    review_store.close()
    os.replace(review_store.path, tmp_path / "store.xlsx")
    os.link(tmp_path / "store.xlsx", tmp_path / "hard-link.xlsx")
    before = (tmp_path / "store.xlsx").read_bytes()
    result = runner.invoke(
        cli,
        ["--db", "store.xlsx", "review", "--output", output, "--as-of", "2021-12-15", "--force"],
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {output} is an SQLite database (a roadmap store?), not a workbook; roadmap "
        "never replaces it: choose another file name\n"
    )
    assert (tmp_path / "store.xlsx").read_bytes() == before
    assert Store.open(str(tmp_path / "store.xlsx")).reviews() == []


def test_a_folder_is_not_an_output_even_with_force(tmp_path, monkeypatch):
    from roadmap.templates import write_snapshot_template

    monkeypatch.chdir(tmp_path)
    (tmp_path / "out.xlsx").mkdir()
    with pytest.raises(OutputError) as error:
        write_snapshot_template("out.xlsx", force=True)
    assert str(error.value) == (
        "out.xlsx is a folder; name a file inside it, e.g. out.xlsx/review.xlsx"
    )


def test_stale_part_files_of_ours_are_cleaned_and_nothing_else(invoke, tmp_path):
    stale = tmp_path / ".roadmap-k1ll3d.xlsx.part"
    fresh = tmp_path / ".roadmap-running.xlsx.part"
    other = tmp_path / ".roadmap-notes.txt"
    theirs = tmp_path / "download.xlsx.part"
    for path in (stale, fresh, other, theirs):
        path.write_bytes(b"x")
    hour_ago = time.time() - 3600
    for path in (stale, other, theirs):
        os.utime(path, (hour_ago, hour_ago))
    assert invoke("template", "snapshot", "t.xlsx").exit_code == 0
    assert not stale.exists()
    assert fresh.exists() and other.exists() and theirs.exists()


# -- review: record and write, all or nothing ---------------------------------------------


@pytest.fixture
def last_review(review_store, tmp_path) -> bytes:
    """review.xlsx as last quarter's run of roadmap left it (recorded)."""
    write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-06-30")
    return (tmp_path / "review.xlsx").read_bytes()


def fail_at(monkeypatch, statement: str, exc: Exception) -> None:
    """The store's connection raises ``exc`` when it runs ``statement``."""
    execute = roadmap.engines.SQLiteConnection.execute

    def failing(self, sql, parameters=()):
        if sql == statement:
            raise exc
        return execute(self, sql, parameters)

    monkeypatch.setattr(roadmap.engines.SQLiteConnection, "execute", failing)


def test_a_failed_commit_puts_the_previous_review_back(
    review_store, last_review, tmp_path, monkeypatch
):
    fail_at(monkeypatch, "COMMIT", sqlite3.OperationalError("database or disk is full"))
    with pytest.raises(StoreError) as error:
        write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")
    assert error.value.reason == "full"
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]
    assert parts(tmp_path) == []


def test_a_failed_commit_of_a_first_review_leaves_no_file(
    review_store, tmp_path, monkeypatch, invoke
):
    fail_at(monkeypatch, "COMMIT", sqlite3.OperationalError("disk I/O error"))
    result = invoke("review", "--output", "review.xlsx", "--as-of", "2021-12-15")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {review_store.path}: the disk could not be read or written (disk I/O error); "
        "nothing was written. Check the disk and free space, then run the command again\n"
    )
    assert not (tmp_path / "review.xlsx").exists()
    assert review_store.reviews() == []
    assert parts(tmp_path) == []


def test_a_failed_rename_records_nothing(review_store, last_review, tmp_path, monkeypatch):
    def refused(source, target):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(roadmap.xlsx.os, "replace", refused)
    with pytest.raises(
        OutputError, match="cannot write \\(Permission denied\\); any existing file is unchanged"
    ):
        write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")
    monkeypatch.undo()
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]
    assert parts(tmp_path) == []


def test_a_failed_record_leaves_the_previous_review(
    review_store, last_review, tmp_path, monkeypatch
):
    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "add_review", broken)
    with pytest.raises(StoreError, match="the store is read-only"):
        write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]
    assert [e.action for e in review_store.events()].count("review") == 1


def test_a_failed_workbook_records_nothing(review_store, last_review, tmp_path, monkeypatch):
    from xlsxwriter import Workbook

    def disk_full(self):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "_store_workbook", disk_full)
    with pytest.raises(RoadmapError, match="cannot write \\(No space left on device\\)"):
        write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]


def test_a_successful_review_is_both_written_and_recorded(review_store, last_review, tmp_path):
    review, recorded = write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")
    assert recorded
    assert (tmp_path / "review.xlsx").read_bytes() != last_review
    assert load_workbook(tmp_path / "review.xlsx")["Summary"] is not None
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30", "2021-12-15"]
    assert parts(tmp_path) == []


def test_a_review_already_recorded_or_not_recorded_is_still_written(
    review_store, last_review, tmp_path
):
    (tmp_path / "review.xlsx").unlink()
    _, recorded = write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-06-30")
    assert not recorded  # the same review as last quarter's: recorded once
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    _, recorded = write_and_record(
        review_store, str(tmp_path / "other.xlsx"), "2021-12-15", record=False
    )
    assert not recorded and (tmp_path / "other.xlsx").exists()
    assert [r.as_of for r in review_store.reviews()] == ["2021-06-30"]


def test_a_refused_output_is_refused_before_the_review_is_built(
    review_store, tmp_path, monkeypatch
):
    import roadmap.review_workbook

    def never(*args, **kwargs):
        raise AssertionError("built a review for an output that is refused")

    monkeypatch.setattr(roadmap.review_workbook, "build_review", never)
    (tmp_path / "review.xlsx").write_bytes(b"someone's file")
    with pytest.raises(OutputError, match="was not written by roadmap"):
        write_and_record(review_store, str(tmp_path / "review.xlsx"), "2021-12-15")


@pytest.mark.slow
def test_a_review_killed_while_writing_leaves_the_old_review_and_records_nothing(
    review_store, last_review, tmp_path
):
    import signal

    from test_durability import start_child

    reached = tmp_path / "reached"
    child = start_child(
        "die-while-saving",
        reached,
        "--db",
        review_store.path,
        "review",
        "--output",
        "review.xlsx",
        "--as-of",
        "2021-12-15",
        cwd=tmp_path,
    )
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert reached.exists()
    assert (tmp_path / "review.xlsx").read_bytes() == last_review
    assert [r.as_of for r in Store.open(review_store.path).reviews()] == ["2021-06-30"]
    # What a kill leaves is our hidden part file, which a later write cleans when stale.
    assert all(name.startswith(".roadmap-") for name in parts(tmp_path))
