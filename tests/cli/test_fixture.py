"""``lfmdoctor fixture build|path``; a bad output path is one line and exit 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path


def test_build_where_nothing_can_be_written_is_one_line_exit_2(cli, one_error):
    line = one_error(cli("fixture", "build", "/proc/x"))
    assert "/proc/" in line and "No such file or directory" in line


def test_build_below_a_file_is_one_line_exit_2(cli, one_error, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    line = one_error(cli("fixture", "build", str(tmp_path / "file" / "x")))
    assert str(tmp_path / "file") in line


def test_build_in_a_read_only_folder_is_one_line_exit_2(cli, one_error, tmp_path):
    import os

    if os.geteuid() == 0:  # root writes anyway: use a folder no one can create entries in
        line = one_error(cli("fixture", "build", "/sys/lfmdoctor-test"))
        assert "/sys/" in line
        return
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        line = one_error(cli("fixture", "build", str(locked / "x")))
    finally:
        locked.chmod(0o755)
    assert "Permission denied" in line and "you may write" in line


def test_path_prints_the_cached_checkpoint(cli, tiny_checkpoint):
    done = cli("fixture", "path", "--detokenizer")
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder == tiny_checkpoint
    assert "lfm" in json.loads((folder / "config.json").read_text())


def test_path_with_a_missing_interpreter_is_one_line_exit_2(cli, one_error):
    line = one_error(cli("fixture", "path", "--python", "/nonexistent/python"))
    assert "/nonexistent/python" in line and "--python" in line
