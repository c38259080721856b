"""``lfmdoctor matrix``: which liquid-audio releases carry which bug, alone or x dependency versions."""

from __future__ import annotations

import shlex
import threading
from pathlib import Path
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt, PythonOpt, resolve_python
from lfmdoctor.errors import UsageError


def matrix(
    versions: Annotated[str, typer.Option("--versions", help="'all', or released liquid-audio versions: 1.0.0,1.3.0")] = "all",
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            help="A dependency axis, PACKAGE=SPEC[,SPEC...] with SPEC 'latest', a version or a pattern (4.57.*); repeat.",
        ),
    ] = None,
    provision: Annotated[
        bool, typer.Option("--provision", help="Add transformers 4.57 to the overlay of releases that need it.")
    ] = False,
    no_repro: Annotated[bool, typer.Option("--no-repro", help="Static detection only.")] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", help="Cells run at once with --with (default: the core count).", min=1)
    ] = None,
    emit_workflow: Annotated[
        Path | None,
        typer.Option("--emit-workflow", help="Write a GitHub Actions workflow that runs these cells as a job matrix."),
    ] = None,
    merge: Annotated[
        Path | None, typer.Option("--merge", help="Show the table of the cell JSON files under this folder (CI artifacts).")
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the cells table as Markdown.")] = False,
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Bug x release table: each liquid-audio release laid over the target interpreter (never installed)."""
    if json_out and markdown:
        raise UsageError("--json and --markdown exclude each other; pass one of them")
    if merge is not None:
        if with_ or emit_workflow is not None or provision:
            raise UsageError("--merge only reads cells: leave out --with, --provision and --emit-workflow")
        _show_merged(merge, json_out, markdown)
        return
    from lfmdoctor.matrix.deps import parse_with

    axes = parse_with(with_ or [])
    if provision and axes:
        raise UsageError("--provision and --with exclude each other; name the versions: --with transformers=4.57.*")
    if markdown and not axes:
        raise UsageError("--markdown shows the cells table: pass --with (or --merge)")
    target = resolve_python(python)
    if emit_workflow is not None:
        _emit(emit_workflow, target, versions, axes, not no_repro, with_ or [])
        return
    err = render.console(stderr=True)
    if axes:
        _run_cells(target, versions, axes, not no_repro, jobs, err, json_out, markdown)
        return
    from lfmdoctor.matrix import build_matrix
    from lfmdoctor.matrix.render import print_matrix

    progress = (lambda message: err.print(f"[dim]{message}…[/dim]")) if err.is_terminal else None
    result = build_matrix(target, versions, provision=provision, repro=not no_repro, progress=progress)
    if json_out:
        render.print_json(result.to_json())
    else:
        print_matrix(result, render.console())


def _run_cells(
    target: str, versions: str, axes: list, repro: bool, jobs: int | None, err, json_out: bool, markdown: bool
) -> None:
    from lfmdoctor.matrix.cells import build_cells

    events = _ProgressDisplay(err) if err.is_terminal else None
    try:
        result = build_cells(target, versions, axes, repro=repro, events=events, jobs=jobs)
    finally:
        if events is not None:
            events.close()
    _show_cells(result, json_out, markdown)


def _show_merged(folder: Path, json_out: bool, markdown: bool) -> None:
    from lfmdoctor.matrix.workflow import merge_cells

    _show_cells(merge_cells(folder), json_out, markdown)


def _show_cells(result, json_out: bool, markdown: bool) -> None:
    from lfmdoctor.matrix.render import cells_markdown, print_cells

    if json_out:
        render.print_json(result.to_json())
    elif markdown:
        render.console().file.write(cells_markdown(result.cells))
    else:
        print_cells(result, render.console())


def _emit(path: Path, target: str, versions: str, axes: list, repro: bool, with_: list[str]) -> None:
    from lfmdoctor.files import write_atomic
    from lfmdoctor.matrix.releases import pip_command, select_versions, wheel_cache
    from lfmdoctor.matrix.workflow import RUNNERS, to_yaml, workflow, workflow_cells

    chosen, _ = select_versions(versions, lambda: pip_command(target), wheel_cache())
    words = ["lfmdoctor", "matrix", "--versions", versions] + [w for value in with_ for w in ("--with", value)]
    words += ([] if repro else ["--no-repro"]) + ["--emit-workflow", str(path)]
    data = workflow(chosen, axes, repro=repro, command=" ".join(shlex.quote(word) for word in words))
    write_atomic(path, to_yaml(data))
    cells = len(workflow_cells(chosen, axes, repro))
    runners = f"{len(RUNNERS)} runners ({', '.join(RUNNERS)})"
    render.console().print(f"wrote {path}: {cells} cell(s) × {runners} = {cells * len(RUNNERS)} jobs", soft_wrap=True)


class _ProgressDisplay:
    """The cells' progress on a terminal (stderr): a bar with the cells running now, a line per finished cell."""

    def __init__(self, err) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.err = err
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("cells"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.description}"),
            console=err,
            transient=True,
        )
        self.task = None
        self.running: dict[str, None] = {}
        self.lock = threading.Lock()

    def message(self, text: str) -> None:
        if self.task is None:
            self.err.print(f"[dim]{text}…[/dim]")

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("", total=total)
        self.progress.start()

    def cell_started(self, label: str) -> None:
        with self.lock:
            self.running[label] = None
            self.progress.update(self.task, description=", ".join(self.running))

    def cell_done(self, cell) -> None:
        from lfmdoctor.matrix.results import NOT_RUN, REPRODUCED

        with self.lock:
            self.running.pop(cell.label, None)
            if cell.importable:
                reproduced = sum(bug.outcome == REPRODUCED for bug in cell.bugs)
                ran = any(bug.outcome != NOT_RUN for bug in cell.bugs)
                note = f"{reproduced} reproduced, {len(cell.deprecations)} deprecation(s)" if ran else "imports"
                mark = "[green]✓[/green]"
            else:
                note, mark = f"cannot run: {cell.import_problem}", "[yellow]![/yellow]"
            self.progress.console.print(f"{mark} {cell.label} [dim]{note}[/dim]", soft_wrap=True)
            self.progress.update(self.task, advance=1, description=", ".join(self.running))

    def close(self) -> None:
        self.progress.stop()
