"""``lfmdoctor run``: the main job, every step written into one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import ModelOpt, PythonOpt, resolve_python


def run(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder to write (new, empty, or an earlier run's): README.md (what to file upstream, in order), "
            "issues/, prs/, results.json, reproducers/ and series/ (the patch series)."
        ),
    ] = Path("lfmdoctor-run"),
    model: ModelOpt = "fixture",
    bench: Annotated[bool, typer.Option(help="Run the short before/after ASR benchmark.")] = True,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Keep paths, names and secrets in every file as they are.")
    ] = False,
    python: PythonOpt = None,
) -> None:
    """The main job: check, reproduce, verify the fixes, benchmark, and write the upstream report."""
    from lfmdoctor import job

    target = resolve_python(python)
    summary = job.run(
        target,
        out,
        model=model,
        with_bench=bench,
        redact=not no_redact,
        progress=render.StepLines(render.console(stderr=True)),
    )
    render.run_summary(summary)
