"""The app as a whole: help, usage errors, and the guard in ``main`` that turns errors into one line."""

from __future__ import annotations

import errno

import pytest

from lfmdoctor.cli import main
from lfmdoctor.diagnose import run as diagnose_run
from lfmdoctor.errors import LfmdoctorError


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("lfmdoctor: error: "), lines[0]
    return lines[0]


def test_no_arguments_prints_the_help_once_and_exits_2(cli):
    done = cli()
    assert done.returncode == 2
    assert done.stdout.count("Usage:") == 1
    for command in ("check", "repro", "fixture", "matrix", "patch", "exec", "bench", "report", "run"):
        assert f" {command} " in done.stdout, command


def test_a_sub_group_without_a_command_prints_its_help(cli):
    done = cli("patch")
    assert done.returncode == 2
    assert done.stdout.count("Usage:") == 1 and "verify" in done.stdout


def test_an_unknown_option_is_one_line_with_the_help_command(cli, one_error):
    line = one_error(cli("check", "--no-such-option"))
    assert line.startswith("lfmdoctor: error: No such option") and "--no-such-option" in line
    assert line.endswith("; see 'lfmdoctor check --help'")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/out"), ["/data/out", "No space left", "disk is full"]),
        (PermissionError(errno.EACCES, "Permission denied", "/etc/x"), ["/etc/x", "Permission denied", "you may write"]),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/a/file/x"), ["/a/file/x", "not a folder"]),
        (OSError(errno.EROFS, "Read-only file system", "/ro/x", None), ["/ro/x", "read-only"]),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), ["utf-8", "invalid start byte", "UTF-8"]),
        (UnicodeEncodeError("ascii", "é", 0, 1, "ordinal not in range"), ["ascii", "PYTHONIOENCODING=utf-8"]),
        (LfmdoctorError("something is off; do this"), ["something is off; do this"]),
    ],
)
def test_errors_escaping_a_command_are_one_line_and_exit_2(monkeypatch, capsys, error, words):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(diagnose_run, "run_check", fail)
    with pytest.raises(SystemExit) as done:
        main(["check"])
    assert done.value.code == 2
    line = one_error_line(capsys)
    for word in words:
        assert word in line, (word, line)


def test_an_error_of_a_library_module_goes_through_the_table(monkeypatch, capsys):
    from lfmdoctor.repro.fixture import FixtureError

    def fail(*args, **kwargs):
        raise FixtureError("building the tiny checkpoint failed: no torch; install it")

    monkeypatch.setattr(diagnose_run, "run_check", fail)
    with pytest.raises(SystemExit) as done:
        main(["check"])
    assert done.value.code == 2
    assert one_error_line(capsys) == "lfmdoctor: error: building the tiny checkpoint failed: no torch; install it"


def test_an_unexpected_error_is_not_hidden(monkeypatch):
    """A bug in lfmdoctor itself keeps its traceback: the guard only knows the errors in its table."""

    def fail(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(diagnose_run, "run_check", fail)
    with pytest.raises(ZeroDivisionError):
        main(["check"])


@pytest.mark.parametrize("args", [["--version"], ["repro", "--list"]])  # plain print, and rich
def test_a_closed_stdout_is_a_quiet_exit(args):
    import subprocess
    import sys

    reader = subprocess.Popen(["true"], stdin=subprocess.PIPE)  # `lfmdoctor ... | true`: the reader is gone
    reader.wait()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lfmdoctor", *args], stdout=reader.stdin, stderr=subprocess.PIPE, text=True, check=False
        )
    finally:
        reader.stdin.close()
    assert done.stderr == ""
    assert done.returncode == 1


@pytest.mark.parametrize("args", [["--version"], ["patch", "diff", "--release", "1.3.0"], ["repro", "--list"]])
def test_warnings_as_errors_break_no_command(cli, args):
    """Issue 21 item 23: PYTHONWARNINGS=error (a library's deprecation warning must stay a warning here)."""
    done = cli(*args, env={"PYTHONWARNINGS": "error"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
