"""What the command modules share: options, the interpreter and bug-id checks, writing an output file."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.errors import UsageError

PythonOpt = Annotated[
    str | None,
    typer.Option("--python", help="Interpreter whose environment to inspect (default: this one)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of the table.")]
ModelOpt = Annotated[str, typer.Option(help="'fixture' (built-in tiny checkpoint), a hub id or a folder.")]
CaseOpt = Annotated[list[str] | None, typer.Option("--bug", help="Bug id (or case id); repeat.")]
SimulateOpt = Annotated[
    list[str] | None, typer.Option(help="Create a condition this machine lacks (listed by 'lfmdoctor repro --list'); repeat.")
]
CaseTimeoutOpt = Annotated[float, typer.Option(help="Seconds each case may take.", min=1)]
ReplaceOpt = Annotated[bool, typer.Option("--force", help="Replace the --out file(s) where they exist.")]


def resolve_python(python: str | None) -> str:
    """The interpreter to work on: ``--python`` (a path, or a name on PATH), else this one."""
    if python is None:
        return sys.executable
    found = python if os.path.sep in python else shutil.which(python)
    if not found or not os.path.isfile(found):
        raise UsageError(f"interpreter {python} not found; pass --python with the path of a Python executable")
    if not os.access(found, os.X_OK):
        raise UsageError(f"interpreter {python} is not executable; pass --python with a runnable Python")
    return found


# What the bug registry and its reproduction cases know: the commands ask here, nowhere else.


def select_cases(wanted: list[str] | None) -> list:
    """The reproduction cases for ``--bug`` ids or case ids (all without any)."""
    from lfmdoctor.bugs import select

    try:
        return select(wanted)
    except KeyError as exc:
        raise UsageError(f"{exc.args[0]} (see 'lfmdoctor repro --list')") from None


def check_bug_ids(wanted: list[str] | None) -> None:
    """Refuse a ``--bug`` that is not a known bug id."""
    from lfmdoctor.bugs import BUG_IDS

    for bug_id in wanted or []:
        if bug_id not in BUG_IDS:
            raise UsageError(f"unknown bug {bug_id!r}; known: {', '.join(BUG_IDS)}")


def print_case_list() -> None:
    from lfmdoctor.bugs import CASES
    from lfmdoctor.bugs._spec import SIMULATIONS

    render.case_list(CASES, {name: condition.simulate.help for name, condition in SIMULATIONS.items()})


def check_output(path: Path, flag: str = "--out", *, force: bool = False, also: tuple[Path, ...] = ()) -> None:
    """Refuse, before any work, an output file that cannot be written: a folder, a place nothing can be made, or,
    without ``force``, a file that exists (``also``: files written with it, such as a report's body file)."""
    import tempfile

    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; pass a file name such as {path / 'result'}")
    existing = next((file for file in (path, *also) if os.path.lexists(file)), None)
    if existing is not None and not force:
        raise UsageError(f"{flag} {existing} exists; nothing written; pass --force to replace it, or another file name")
    folder = next((part for part in path.parents if os.path.lexists(part)), Path("."))
    if not folder.is_dir():
        raise UsageError(f"cannot write {flag} {path}: {folder} is a file, not a folder; pass a writable path")
    try:
        fd, probe = tempfile.mkstemp(prefix=".lfmdoctor-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"cannot write {flag} {path}: {exc.strerror or exc}; pass a writable path") from None


def for_others(name: str, text: str, context) -> str:
    """``text`` of the file ``name`` through the one redaction rule (``report.redact.redact_file``)."""
    from lfmdoctor.report.redact import redact_file

    return redact_file(name, text, context).text


def write_output(path: Path, text: str, flag: str = "--out") -> None:
    """Write a file the user named (its folder created), atomically; a failure is one line naming ``flag``."""
    write_outputs({path: text}, flag)


def write_outputs(files: dict[Path, str], flag: str = "--out") -> None:
    """Write the files of one command's output all or none (their folders created); a failure is one line."""
    from lfmdoctor.files import write_all

    try:
        for path in files:
            path.parent.mkdir(parents=True, exist_ok=True)
        write_all(files)
    except OSError as exc:
        names = ", ".join(str(path) for path in files)
        reason = exc.strerror or exc
        raise UsageError(f"cannot write {flag} {names}: {reason}; nothing written; pass a writable path") from None
