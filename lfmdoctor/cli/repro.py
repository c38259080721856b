"""``lfmdoctor repro``: reproduce known bugs, each case in an isolated child process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import (
    CaseOpt,
    CaseTimeoutOpt,
    JsonOpt,
    ModelOpt,
    PythonOpt,
    SimulateOpt,
    print_case_list,
    resolve_python,
    select_cases,
)
from lfmdoctor.errors import UsageError


def repro(
    bug: CaseOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Every known bug (the default without --bug).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the cases and exit.")] = False,
    model: ModelOpt = "fixture",
    simulate: SimulateOpt = None,
    emit: Annotated[Path | None, typer.Option(help="Write each case as a standalone script into this folder.")] = None,
    python: PythonOpt = None,
    timeout: CaseTimeoutOpt = 120.0,
    json_out: JsonOpt = False,
) -> None:
    """Reproduce known bugs with the real liquid-audio code, each case isolated in a child process."""
    from lfmdoctor.repro.engine import run_cases
    from lfmdoctor.repro.models import resolve_model
    from lfmdoctor.results import ReproReport, nothing_ran

    if list_:
        print_case_list()
        return
    if all_ and bug:
        raise UsageError("--all and --bug exclude each other; pass one of them")
    cases = select_cases(bug)
    target = resolve_python(python)
    model_ref = resolve_model(model, target)
    if emit is not None:
        from lfmdoctor.report.redact import Context
        from lfmdoctor.repro.emit import emit_scripts
        from lfmdoctor.repro.models import private_folders

        if emit.exists() and not emit.is_dir():
            raise UsageError(f"--emit {emit} is a file; pass a folder")
        try:
            emit_scripts(cases, model_ref, emit, Context.from_machine(private_folders(model)))
        except OSError as exc:
            raise UsageError(f"cannot write to --emit {emit}: {exc.strerror or exc}; pass a writable folder") from None
    from lfmdoctor.repro.deprecations import unique

    try:
        results = run_cases(target, cases, model_ref, simulate=simulate or [], timeout=timeout)
    except UnicodeDecodeError:  # a wrapper that prints garbage
        from lfmdoctor.diagnose.environment import TargetUnusable

        raise TargetUnusable(f"{target} writes output that is not UTF-8 text") from None
    report = ReproReport(
        model=model_ref.spec, python=target, simulate=list(simulate or []), results=results, deprecations=unique(results)
    )
    if json_out:
        render.print_json(report.to_json())
    else:
        render.repro_report(report, emitted=emit)
    why = nothing_ran(results)
    if why:
        from lfmdoctor.diagnose.check import import_fix

        fix = f"'lfmdoctor check --python {target}' says what is missing"
        if "does not import" in why:
            fix = import_fix(why, None)
        render.fail(f"no case could run on {target} ({why}); {fix}")
    raise typer.Exit(report.exit_code)
