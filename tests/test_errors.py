"""lfmdoctor.errors: one base class, one table, and the line each error becomes."""

from __future__ import annotations

import ast
import errno
from pathlib import Path

import pytest

from lfmdoctor import errors
from lfmdoctor.errors import ERRORS, LfmdoctorError, UsageError, lookup, one_line, resolve


@pytest.mark.parametrize("key", list(ERRORS), ids=str)
def test_every_table_entry_names_an_exception_class(key):
    cls = resolve(key)
    assert cls is not None, f"{key} does not import: update lfmdoctor.errors.ERRORS"
    assert issubclass(cls, BaseException)
    if isinstance(key, str):
        assert key.partition(":")[2] == cls.__name__


def test_errors_of_the_library_modules_become_their_own_message():
    from lfmdoctor.repro.models import ModelUnavailable

    assert one_line(ModelUnavailable("model x is not cached; run hf download x")) == (
        "model x is not cached; run hf download x",
        2,
    )


def test_subclasses_of_the_base_are_one_line():
    class Mine(UsageError):
        pass

    assert one_line(Mine("bad\n  input;   fix it")) == ("bad input; fix it", 2)  # always one line
    assert lookup(Mine("x")) is ERRORS[LfmdoctorError]


def test_the_most_specific_entry_wins():
    # UnicodeDecodeError is a ValueError and a UnicodeError: the UnicodeError entry, not none
    message, code = one_line(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"))
    assert code == 2 and "not utf-8 text" in message and "invalid start byte" in message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/proc/.x.abc"),
            "cannot use /proc/.x.abc: No such file or directory; check that the path and the folder it is in exist",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "/data/f"),
            "cannot use /data/f: No space left on device; the disk is full; free some space or pass a path on another disk",
        ),
        (
            OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b"),
            "cannot use /a -> /b: Invalid cross-device link; check the path and the disk, then retry",
        ),
        (OSError("no errno at all"), "OSError; check the path and the disk, then retry"),
    ],
)
def test_os_errors_name_the_path_and_the_fix(error, expected):
    assert one_line(error) == (expected, 2)


def test_unexpected_errors_are_not_in_the_table():
    assert one_line(ZeroDivisionError("a bug")) is None
    assert one_line(KeyError("x")) is None


def test_a_table_module_that_does_not_import_is_skipped(monkeypatch):
    monkeypatch.setitem(ERRORS, "lfmdoctor.no_such_module:KeyError", errors.OneLine(lambda exc: "never"))
    assert one_line(KeyError("x")) is None


CLI = Path(__file__).resolve().parents[1] / "lfmdoctor" / "cli"


def _literal_exit_codes(path: Path) -> list[str]:
    """``typer.Exit(<int>)``, ``sys.exit(<int>)``, ``SystemExit(<int>)`` and ``return <int>`` in a command module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = ast.unparse(node.func)
            if name in ("typer.Exit", "sys.exit", "SystemExit") and isinstance(node.args[0].value, int):
                found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_commands_give_exit_codes_by_name_only():
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) > 5
    assert [hit for path in modules for hit in _literal_exit_codes(path)] == []


def test_the_exit_codes_are_the_readme_convention():
    assert (errors.ExitCode.OK, errors.ExitCode.PROBLEMS, errors.ExitCode.USAGE) == (0, 1, 2)
    assert one_line(UsageError("x"))[1] is errors.ExitCode.USAGE


@pytest.mark.parametrize("debug", [False, True])
def test_lfmdoctor_debug_shows_the_traceback_behind_the_line(cli, debug):
    done = cli("report", "--bug", "no-such-bug", env={"LFMDOCTOR_DEBUG": "1" if debug else ""})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("lfmdoctor: error: unknown bug 'no-such-bug'"), lines[-1]
    assert ("Traceback (most recent call last):" in done.stderr) is debug
    assert lines[-2].startswith("lfmdoctor.errors.UsageError: unknown bug") if debug else len(lines) == 1, lines
