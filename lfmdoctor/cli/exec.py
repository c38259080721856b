"""``lfmdoctor exec -- python your_script.py``: run a program unmodified with liquid-audio fixed in memory.

The program's exit status is lfmdoctor's; when it fails, its stderr (passed through as it comes) is triaged:
the known bug it matches is named, or it is said to be new and how to report it.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
from typing import Annotated

import typer

from lfmdoctor.errors import ExitCode, UsageError

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}


def exec_(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", help="Say on stderr which fixes went in.")] = False,
) -> None:
    """Run a program unmodified with liquid-audio fixed at runtime: lfmdoctor exec -- python your_script.py"""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.patches.bootstrap import exec_environment
    from lfmdoctor.report.redact import Context
    from lfmdoctor.triage import threads, watch
    from lfmdoctor.triage.engine import triage

    command = list(ctx.args)
    if not command:
        raise UsageError("nothing to run; usage: lfmdoctor exec -- python your_script.py")
    program = find_program(command[0])
    try:
        env = exec_environment(os.environ, verbose=verbose)
    except OSError as exc:
        raise UsageError(f"cannot write the runtime bootstrap ({exc}); set LFMDOCTOR_CACHE to a writable folder") from None
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        code, stderr = watch.run([program, *command[1:]], env)
    except OSError as exc:  # it changed between the look and the start, or the system refuses it
        raise UsageError(cannot_start(program, exc)) from None
    if code != ExitCode.OK and stderr.strip():
        said = watch.verdict(triage(stderr, BUGS, threads.known(BUGS), Context.from_machine()))
        if said:
            sys.stderr.write(f"\n{said}\n")
    raise typer.Exit(code)


NOT_REGULAR = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def find_program(name: str) -> str:
    """The program to run for ``name`` (on PATH, or a path); one line naming what it is where it cannot run."""
    found = shutil.which(name)
    if found is None and os.sep not in name:
        raise UsageError(f"command {name} not found on PATH; pass a program on PATH or its path")
    path = found or name
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UsageError(f"{path} not found; pass a program on PATH or its path") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{path} is a folder, not a program; pass the program in it")
    kind = next((what for test, what in NOT_REGULAR if test(info.st_mode)), None)
    if kind is not None:
        raise UsageError(f"{path} is not a regular file ({kind}); pass a program")
    if not os.access(path, os.X_OK):
        raise UsageError(
            f"{path} is not executable; chmod +x {path}, or name its interpreter (lfmdoctor exec -- python {path})"
        )
    return path


def cannot_start(program: str, exc: OSError) -> str:
    """Why the system would not start ``program``, in one line with what to do."""
    if exc.errno == errno.ETXTBSY:
        return f"{program} is open for writing by another process (text file busy); run again once it is written"
    if exc.errno == errno.ENOEXEC:
        return f"{program} is not a program this system can run (no #! line, or another machine's binary)"
    if exc.errno == errno.EACCES:
        return f"{program} may not be run here (permission denied); check its mode and the mount's noexec"
    return f"cannot start {program}: {exc.strerror or exc}"
