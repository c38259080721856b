"""``lfmdoctor exec -- PROGRAM``: the program runs unmodified, with the runtime fix first on PYTHONPATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


def test_the_exit_status_is_the_programs(cli):
    done = cli("exec", "--", sys.executable, "-c", "import sys; sys.exit(7)")
    assert done.returncode == 7, done.stderr


def test_the_bootstrap_is_first_on_pythonpath_and_the_rest_is_kept(cli, tmp_path):
    code = "import os; print(os.environ['PYTHONPATH'])"
    done = cli("exec", "--", sys.executable, "-c", code, env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.strip().split(os.pathsep)
    assert (Path(first) / "sitecustomize.py").is_file()
    assert rest == [str(tmp_path)]


def test_arguments_after_the_program_are_the_programs(cli):
    done = cli("exec", "--", sys.executable, "-c", "import sys; print(sys.argv[1:])", "--verbose", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['--verbose', '--json']"


@pytest.mark.parametrize(("args", "words"), [([], "nothing to run"), (["--", "no-such-program-x"], "not found")])
def test_bad_input_is_one_line_exit_2(cli, one_error, args, words):
    assert words in one_error(cli("exec", *args))


def test_an_unwritable_cache_is_one_line_naming_the_fix(cli, one_error, tmp_path):
    (tmp_path / "file").write_text("")
    done = cli("exec", "--", sys.executable, "-c", "pass", env={"LFMDOCTOR_CACHE": str(tmp_path / "file" / "cache")})
    assert "set LFMDOCTOR_CACHE to a writable folder" in one_error(done)


def _targets(tmp_path):
    import os

    plain = tmp_path / "script.sh"
    plain.write_text("#!/bin/sh\necho hi\n")  # no execute bit
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    busy = tmp_path / "busy.sh"
    busy.write_text("#!/bin/sh\n")
    busy.chmod(0o755)
    return {"plain": plain, "folder": tmp_path, "fifo": fifo, "busy": busy}


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("plain", "is not executable; chmod +x"),
        ("folder", "is a folder, not a program"),
        ("fifo", "is not a regular file (a FIFO)"),
        ("busy", "is open for writing by another process (text file busy)"),
    ],
)
def test_a_target_that_cannot_run_is_named_for_what_it_is(cli, one_error, tmp_path, target, words):
    """Issue 21 item 25: exec of a non-executable file, a folder, a FIFO, a file another process is writing."""
    path = _targets(tmp_path)[target]
    writer = open(path, "a") if target == "busy" else None  # held open while exec runs
    try:
        line = one_error(cli("exec", "--", str(path)))
    finally:
        if writer is not None:
            writer.close()
    assert f"{path} {words}" in line
    assert "not found" not in line
