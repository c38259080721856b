"""``lfmdoctor check``: diagnose an environment and the installed liquid-audio code."""

from __future__ import annotations

from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt, PythonOpt, resolve_python


def check(
    python: PythonOpt = None,
    json_out: JsonOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds each probe may take.", min=1)] = 60.0,
    fresh: Annotated[bool, typer.Option(help="Import torch again even if its installed files are unchanged.")] = False,
) -> None:
    """Diagnose an environment: torch build, CUDA/MPS, torchaudio, liquid-audio and its known bugs."""
    from lfmdoctor.job import run_check

    report = run_check(resolve_python(python), timeout=timeout, fresh=fresh)
    if json_out:
        render.print_json(report.to_json())
    else:
        render.check_report(report)
    raise typer.Exit(report.exit_code)
