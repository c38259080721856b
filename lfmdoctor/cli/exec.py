"""``lfmdoctor exec -- python your_script.py``: run a program unmodified with liquid-audio fixed in memory.

The program's exit status is lfmdoctor's; when it fails, its stderr (passed through as it comes) is triaged:
the known bug it matches is named, or it is said to be new and how to report it.
"""

from __future__ import annotations

import os
import shutil
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
    program = shutil.which(command[0])
    if program is None:
        raise UsageError(f"command {command[0]} not found; pass a program on PATH or its path")
    try:
        env = exec_environment(os.environ, verbose=verbose)
    except OSError as exc:
        raise UsageError(f"cannot write the runtime bootstrap ({exc}); set LFMDOCTOR_CACHE to a writable folder") from None
    sys.stdout.flush()
    sys.stderr.flush()
    code, stderr = watch.run([program, *command[1:]], env)
    if code != ExitCode.OK and stderr.strip():
        said = watch.verdict(triage(stderr, BUGS, threads.known(BUGS), Context.from_machine()))
        if said:
            sys.stderr.write(f"\n{said}\n")
    raise typer.Exit(code)
