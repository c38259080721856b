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
