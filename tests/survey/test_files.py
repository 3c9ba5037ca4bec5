"""Files the commands write: the whole file or nothing, and an existing file left alone."""

from __future__ import annotations

import errno
import os

import pytest

from survey.commands.files import atomic_output, write_file
from survey.errors import InputError
from survey.extensions import db

from .. import factories


def test_a_block_that_fails_midway_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "links.csv"
    target.write_text("the old file\n")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write(b"half of the new")
        raise RuntimeError("the command failed while making the file")
    assert target.read_text() == "the old file\n"
    assert os.listdir(tmp_path) == ["links.csv"]


def test_a_new_file_is_not_made_when_the_block_fails(tmp_path):
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "new.xlsx") as out:
        out.write(b"PK")
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_a_whole_write_replaces_the_file(tmp_path):
    target = tmp_path / "feed.json"
    target.write_text("old")
    write_file(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert os.listdir(tmp_path) == ["feed.json"]
    assert target.stat().st_mode & 0o077 == 0  # links and named answers: the owner only


def test_a_missing_folder_is_one_line_naming_the_option(tmp_path):
    with pytest.raises(InputError) as raised:
        write_file(tmp_path / "nowhere" / "f.csv", "x", option="--output")
    assert raised.value.message == f"--output: the folder '{tmp_path / 'nowhere'}' does not exist"


def _disk_full(fd):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    "args",
    [
        ["invitations", "confidence-2031"],
        ["export", "oruk"],
        ["export", "paper-template", "--instrument", "confidence"],
        ["export", "trends", "--area", "T-FILES"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_command_whose_disk_fills_up_leaves_the_existing_file_untouched(
    app, cli, tmp_path, monkeypatch, args
):
    factories.survey_round("confidence", slug="confidence-2031")
    factories.organisation(name="Lunch club", area=factories.area(code="T-FILES"))
    db.session.commit()
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "out.file"
    target.write_bytes(b"yesterday's file")
    monkeypatch.setattr(os, "fsync", _disk_full)  # the data is written, then the disk is full

    result = cli(*args, "-o", target)

    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {target}: cannot be written (No space left on device)"
    assert target.read_bytes() == b"yesterday's file"
    assert os.listdir(folder) == ["out.file"]
