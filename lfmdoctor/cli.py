"""Command-line interface. Thin: parse, call the library, render, pick the exit code."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import click
import typer

from lfmdoctor import render

app = typer.Typer(
    help="Diagnose, reproduce, patch and report liquid-audio (LFM2.5-Audio) device and input bugs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fixture_app = typer.Typer(help="The built-in tiny checkpoint.", no_args_is_help=True)
app.add_typer(fixture_app, name="fixture")

PythonOpt = Annotated[
    str | None,
    typer.Option("--python", help="Interpreter whose environment to inspect (default: this one)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of the table.")]


class UsageProblem(Exception):
    """Bad input: reported as one line, exit code 2."""


def resolve_python(python: str | None) -> str:
    if python is None:
        return sys.executable
    found = python if os.path.sep in python else shutil.which(python)
    if not found or not os.path.isfile(found):
        raise UsageProblem(f"interpreter {python} not found; pass --python with the path of a Python executable")
    if not os.access(found, os.X_OK):
        raise UsageProblem(f"interpreter {python} is not executable; pass --python with a runnable Python")
    return found


@app.command()
def check(
    python: PythonOpt = None,
    json_out: JsonOpt = False,
    timeout: Annotated[float, typer.Option(help="Seconds each probe may take.", min=1)] = 60.0,
) -> None:
    """Diagnose an environment: torch build, CUDA/MPS, torchaudio, liquid-audio and its known bugs."""
    from lfmdoctor.diagnose.check import build_report
    from lfmdoctor.diagnose.detectors import detect_all
    from lfmdoctor.diagnose.environment import TargetUnusable, collect

    target = resolve_python(python)
    try:
        env = collect(target, timeout=timeout)
    except TargetUnusable as exc:
        raise UsageProblem(f"cannot inspect {target}: {exc}; pass --python with a working interpreter") from None
    location = env.liquid_audio.location
    findings = detect_all(Path(location)) if location else []
    report = build_report(env, findings)
    if json_out:
        render.print_json(report.to_json())
    else:
        render.check_report(report)
    raise typer.Exit(report.exit_code)


@fixture_app.command("build")
def fixture_build(
    out: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
    detokenizer: Annotated[bool, typer.Option(help="Add audio_detokenizer/ (about 24 MB).")] = False,
    mimi: Annotated[bool, typer.Option(help="Add Mimi codec weights (about 190 MB).")] = False,
    seed: Annotated[int, typer.Option(help="Random seed for the weights.")] = 0,
    python: PythonOpt = None,
) -> None:
    """Write a seeded tiny checkpoint with the LFM2.5-Audio-1.5B file layout."""
    from lfmdoctor.repro.fixture import FixtureError, build_into

    try:
        path = build_into(out, python=resolve_python(python), seed=seed, detokenizer=detokenizer, mimi=mimi)
    except FixtureError as exc:
        raise UsageProblem(str(exc)) from None
    render.console().print(f"wrote tiny checkpoint to {path}")


@fixture_app.command("path")
def fixture_path(
    detokenizer: Annotated[bool, typer.Option(help="With audio_detokenizer/.")] = False,
    python: PythonOpt = None,
) -> None:
    """Print the cached built-in checkpoint's folder, building it on first use."""
    from lfmdoctor.repro.fixture import FixtureError, ensure_fixture

    try:
        print(ensure_fixture(python=resolve_python(python), detokenizer=detokenizer))
    except FixtureError as exc:
        raise UsageProblem(str(exc)) from None


@app.command()
def demo(python: PythonOpt = None) -> None:
    """Check this environment, then load and run the built-in tiny checkpoint with liquid-audio."""
    from lfmdoctor.repro.fixture import FixtureError, ensure_fixture
    from lfmdoctor.repro.smoke import SmokeError, run_smoke

    target = resolve_python(python)
    try:
        check.callback(python=target, json_out=False, timeout=60.0)  # type: ignore[misc]
    except typer.Exit as done:
        if done.exit_code not in (0, 1):
            raise
    try:
        result = run_smoke(target, ensure_fixture(python=target))
    except (FixtureError, SmokeError) as exc:
        raise UsageProblem(str(exc)) from None
    render.console().print(
        f"\n[bold]smoke run[/bold] tiny checkpoint loaded in {result['load_s']:.2f} s, "
        f"{result['tokens']} tokens generated in {result['generate_s']:.2f} s on {result['device']}"
    )


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
    except UsageProblem as exc:
        render.fail(str(exc))
        sys.exit(2)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        sys.exit(2)
    except click.UsageError as exc:
        hint = f"; see '{exc.ctx.command_path} --help'" if exc.ctx else ""
        render.fail(f"{exc.format_message().rstrip('.')}{hint}")
        sys.exit(2)
    except click.exceptions.Abort:
        render.fail("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
