"""``lfmdoctor check``: diagnose an environment and the installed liquid-audio code."""

from __future__ import annotations

from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt, PythonOpt, resolve_python
from lfmdoctor.results import Status


def check(
    python: PythonOpt = None,
    json_out: JsonOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds each probe may take.", min=1)] = 60.0,
    fresh: Annotated[bool, typer.Option(help="Import torch again even if its installed files are unchanged.")] = False,
    perf: Annotated[
        bool,
        typer.Option(
            "--perf",
            help="Also time LFM2.5-Audio-1.5B's architecture (random weights) on a 10 s clip: memory, RTF, real time or not.",
        ),
    ] = False,
) -> None:
    """Diagnose an environment: torch build, CUDA/MPS, torchaudio, liquid-audio and its known bugs."""
    from lfmdoctor.diagnose.run import run_check

    target = resolve_python(python)
    report = run_check(target, timeout=timeout, fresh=fresh)
    answer = None
    if perf:
        from lfmdoctor.diagnose.perf import perf_item, probe

        answer = probe(target, report.environment)
        report.items.append(perf_item(answer))
    if json_out:
        data = report.to_json()
        if answer is not None:
            data["perf"] = answer.to_json()
        render.print_json(data)
    else:
        render.check_report(report)
        if answer is not None and report.items[-1].status is Status.OK:
            out = render.console()
            for message in report.items[-1].messages:
                out.print(f"[dim]  {message}[/dim]")
    raise typer.Exit(report.exit_code)
