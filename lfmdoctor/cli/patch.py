"""``lfmdoctor patch status|apply|revert|diff|series|verify``: fix the installed liquid-audio, prove each fix, and
write the fixes as a patch series for upstream."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from lfmdoctor import render
from lfmdoctor.cli._common import (
    CaseOpt,
    CaseTimeoutOpt,
    JsonOpt,
    ModelOpt,
    PythonOpt,
    SimulateOpt,
    resolve_python,
    select_cases,
)
from lfmdoctor.errors import ExitCode, UsageError
from lfmdoctor.patches.verify import STRATEGIES

app = typer.Typer(help="Fix the installed liquid-audio source, and verify every fix strategy.", no_args_is_help=True)

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (never asked when stdin is not a terminal).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Also change a liquid_audio that is someone's own files: a linked folder (its target is changed, "
        "the link kept), a git checkout, an editable install.",
    ),
]


def _source_plan(python: str | None):
    from lfmdoctor.patches import source

    package_dir, version = source.locate(resolve_python(python))
    removed = source.recover(package_dir)  # what an interrupted apply or revert left
    if removed:
        render.console(stderr=True).print(
            f"removed {len(removed)} leftover(s) of an interrupted lfmdoctor patch: {', '.join(removed)}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    return source.plan(package_dir, version)


def _finish(result, json_out: bool) -> None:
    """Show a patch result as JSON or text, and exit with its code."""
    from lfmdoctor.patches.render import patch_result

    if json_out:
        render.print_json(result.to_json())
    else:
        patch_result(result)
    raise typer.Exit(result.exit_code)


def _write_source(action: str, python: str | None, yes: bool, dry_run: bool, json_out: bool, force: bool) -> None:
    from lfmdoctor.owner import not_an_install
    from lfmdoctor.patches import source
    from lfmdoctor.patches.render import patch_result

    plan = _source_plan(python)
    result, writes = source.preview(plan, action)
    if writes and not dry_run:
        theirs = not_an_install(plan.package_dir)
        if theirs and not force:
            raise UsageError(
                f"{theirs}: someone's own files, not an installed copy; nothing written; pass --force to {action} "
                "there anyway, or use the runtime patch (lfmdoctor exec -- python your_script.py)"
            )
        if plan.package_dir.is_symlink():  # --force: change the folder the link points to, and keep the link
            plan = source.plan(plan.package_dir.resolve(), plan.version)
        if not yes and sys.stdin.isatty():
            patch_result(result)
            if not typer.confirm(f"{action.capitalize()}?", default=False):
                render.console(stderr=True).print("nothing written")
                raise typer.Exit(ExitCode.PROBLEMS)
        result = source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
        result.detail += _unusable(resolve_python(python))
    _finish(result, json_out)


def _unusable(python: str) -> str:
    """What to add where the patched (or restored) liquid_audio does not import: a patch cannot make it work."""
    from lfmdoctor.diagnose.check import import_fix
    from lfmdoctor.matrix.overlay import check_import

    error = check_import(python, [], timeout=120).error
    return f"; but liquid_audio does not import here ({error}): {import_fix(error, None)}" if error else ""


@app.command("status")
def status(python: PythonOpt = None, json_out: JsonOpt = False) -> None:
    """Which release the installed liquid-audio files are, and whether lfmdoctor's source patch is in."""
    from lfmdoctor.patches import source

    _finish(source.status(_source_plan(python)), json_out)


@app.command("apply")
def apply(
    python: PythonOpt = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Patch the liquid_audio that `import liquid_audio` resolves to (backup, atomic, sha256-checked)."""
    _write_source("apply", python, yes, dry_run, json_out, force)


@app.command("revert")
def revert(
    python: PythonOpt = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Restore the files lfmdoctor patch apply changed, byte for byte."""
    _write_source("revert", python, yes, dry_run, json_out, force)


@app.command("diff")
def diff(
    python: PythonOpt = None,
    release: Annotated[str | None, typer.Option(help="Show this release's stored patch instead.")] = None,
) -> None:
    """Print the stored diff for the installed release (upstream layout: `git apply` on a checkout)."""
    from lfmdoctor.patches.stored import patch_for, stored_patches

    if release is not None:
        found = patch_for(release)
        if found is None:
            known = ", ".join(p.release for p in stored_patches())
            raise UsageError(f"no stored patch for liquid-audio {release}; stored: {known}")
    else:
        plan = _source_plan(python)
        found = plan.patch
        if found is None:
            raise UsageError(f"no stored patch fits {plan.package_dir}: {plan.detail}; pass --release V")
    sys.stdout.write(found.text)


@app.command("series")
def series(
    out: Annotated[Path, typer.Option("--out", help="A new or empty folder for the .patch files.")],
    python: PythonOpt = None,
) -> None:
    """Write a `git format-patch` series for upstream: a CPU test harness, then one commit per bug with its test."""
    from lfmdoctor.patches import series as patch_series

    patch_series.check_out(out)
    source, release = patch_series.installed_source(resolve_python(python))
    written = patch_series.write_series(out, source, release)
    console = render.console()
    for commit, patch in zip(written.commits, written.patches, strict=True):
        console.print(f"{patch}  {commit.subject}", soft_wrap=True, markup=False, highlight=False)
    console.print(
        f"On a checkout of liquid-audio {release} (upstream's layout): git am {out}/*.patch",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


@app.command("verify")
def verify(
    strategy: Annotated[str, typer.Option(click_type=click.Choice([*STRATEGIES, "all"]), help="Which fix to verify.")] = "all",
    bug: CaseOpt = None,
    model: ModelOpt = "fixture",
    simulate: SimulateOpt = None,
    python: PythonOpt = None,
    timeout: CaseTimeoutOpt = 120.0,
    json_out: JsonOpt = False,
) -> None:
    """Re-run every reproduction with each fix active: before -> after, per case and strategy."""
    from lfmdoctor.patches.render import verify_report as render_verify
    from lfmdoctor.patches.verify import parse_strategies, verify_report
    from lfmdoctor.repro.models import resolve_model

    select_cases(bug)
    target = resolve_python(python)
    model_ref = resolve_model(model, target)
    report = verify_report(
        target, model_ref, bug_ids=bug, strategies=parse_strategies(strategy), simulate=simulate or [], timeout=timeout
    )
    if json_out:
        render.print_json(report.to_json())
    else:
        render_verify(report)
    raise typer.Exit(report.exit_code)
