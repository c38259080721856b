"""``lfmdoctor fixture build|path``: the built-in tiny checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import resolve_python
from lfmdoctor.errors import UsageError

app = typer.Typer(help="The built-in tiny checkpoint.", no_args_is_help=True)
BuilderOpt = Annotated[
    str | None,
    typer.Option("--python", help="Interpreter that builds the checkpoint, with its torch (default: this one)."),
]


@app.command("build")
def build(
    out: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
    detokenizer: Annotated[bool, typer.Option(help="Add audio_detokenizer/ (about 24 MB).")] = False,
    mimi: Annotated[bool, typer.Option(help="Add Mimi codec weights (about 190 MB).")] = False,
    seed: Annotated[int, typer.Option(help="Random seed for the weights.")] = 0,
    steer: Annotated[bool, typer.Option(help="Weights that make generation follow a fixed script, audio included.")] = False,
    python: BuilderOpt = None,
) -> None:
    """Write a seeded tiny checkpoint with the LFM2.5-Audio-1.5B file layout."""
    from lfmdoctor.repro.fixture import build_into

    try:
        path = build_into(out, python=resolve_python(python), seed=seed, detokenizer=detokenizer, mimi=mimi, steered=steer)
    except OSError as exc:  # the error names the hidden staging folder; the user named ``out``
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"cannot build the tiny checkpoint in {out}: {reason}; pass a folder you may write to") from None
    render.console().print(f"wrote tiny checkpoint to {path}")


@app.command("path")
def path(
    detokenizer: Annotated[bool, typer.Option(help="With audio_detokenizer/.")] = False,
    mimi: Annotated[bool, typer.Option(help="With Mimi codec weights.")] = False,
    steer: Annotated[bool, typer.Option(help="The steered checkpoint (generation follows a fixed script).")] = False,
    python: BuilderOpt = None,
) -> None:
    """Print the cached built-in checkpoint's folder, building it on first use."""
    from lfmdoctor.repro.fixture import ensure_fixture

    print(ensure_fixture(python=resolve_python(python), detokenizer=detokenizer, mimi=mimi, steered=steer))
