"""``lfmdoctor matrix``: which liquid-audio releases carry which bug."""

from __future__ import annotations

from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt, PythonOpt, resolve_python


def matrix(
    versions: Annotated[str, typer.Option("--versions", help="'all', or released liquid-audio versions: 1.0.0,1.3.0")] = "all",
    provision: Annotated[
        bool, typer.Option("--provision", help="Add transformers 4.57 to the overlay of releases that need it.")
    ] = False,
    no_repro: Annotated[bool, typer.Option("--no-repro", help="Static detection only.")] = False,
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Bug x release table: each liquid-audio release laid over the target interpreter (never installed)."""
    from lfmdoctor.matrix import build_matrix
    from lfmdoctor.matrix.render import print_matrix

    target = resolve_python(python)
    err = render.console(stderr=True)
    progress = (lambda message: err.print(f"[dim]{message}…[/dim]")) if err.is_terminal else None
    result = build_matrix(target, versions, provision=provision, repro=not no_repro, progress=progress)
    if json_out:
        render.print_json(result.to_json())
    else:
        print_matrix(result, render.console())
