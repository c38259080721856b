"""``lfmdoctor exec -- python your_script.py``: run a program unmodified with liquid-audio fixed in memory."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Annotated

import typer

from lfmdoctor.errors import UsageError

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}


def exec_(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", help="Say on stderr which fixes went in.")] = False,
) -> None:
    """Run a program unmodified with liquid-audio fixed at runtime: lfmdoctor exec -- python your_script.py"""
    from lfmdoctor.patches.bootstrap import exec_environment

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
    if os.name == "posix":
        os.execve(program, command, env)
    import subprocess

    raise typer.Exit(subprocess.run([program, *command[1:]], env=env, check=False).returncode)
