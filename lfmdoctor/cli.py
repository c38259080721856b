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
patch_app = typer.Typer(help="Fix the installed liquid-audio source, and verify every fix strategy.", no_args_is_help=True)
app.add_typer(patch_app, name="patch")

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
    fresh: Annotated[bool, typer.Option(help="Import torch again even if its installed files are unchanged.")] = False,
) -> None:
    """Diagnose an environment: torch build, CUDA/MPS, torchaudio, liquid-audio and its known bugs."""
    from lfmdoctor.diagnose.check import build_report
    from lfmdoctor.diagnose.detectors import detect_all
    from lfmdoctor.diagnose.environment import TargetUnusable, collect
    from lfmdoctor.repro.fixture import cache_root

    target = resolve_python(python)
    try:
        env = collect(target, timeout=timeout, cache_dir=cache_root(), fresh=fresh)
    except TargetUnusable as exc:
        raise UsageProblem(f"cannot inspect {target}: {exc}; pass --python with a working interpreter") from None
    location = env.liquid_audio.location
    findings = detect_all(Path(location) if location else None)  # type: ignore[arg-type]
    report = build_report(env, findings)
    if json_out:
        render.print_json(report.to_json())
    else:
        render.check_report(report)
    raise typer.Exit(report.exit_code)


@app.command()
def repro(
    bug: Annotated[list[str] | None, typer.Option("--bug", help="Bug id (or case id); repeat.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every known bug (the default without --bug).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the cases and exit.")] = False,
    model: Annotated[str, typer.Option(help="'fixture' (built-in tiny checkpoint), a hub id or a folder.")] = "fixture",
    simulate: Annotated[
        list[str] | None, typer.Option(help="Create a condition: no-cuda (hide GPUs), flash-attn (stub); repeat.")
    ] = None,
    emit: Annotated[Path | None, typer.Option(help="Write each case as a standalone script into this folder.")] = None,
    python: PythonOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds each case may take.", min=1)] = 120.0,
    json_out: JsonOpt = False,
) -> None:
    """Reproduce known bugs with the real liquid-audio code, each case isolated in a child process."""
    from lfmdoctor.repro.cases import CASES, SIMULATIONS, select
    from lfmdoctor.repro.engine import ReproUsageError, run_cases
    from lfmdoctor.repro.fixture import FixtureError
    from lfmdoctor.repro.models import ModelUnavailable, resolve_model
    from lfmdoctor.results import ReproReport

    if list_:
        render.case_list(CASES, SIMULATIONS)
        return
    if all_ and bug:
        raise UsageProblem("--all and --bug exclude each other; pass one of them")
    try:
        cases = select(bug)
    except KeyError as exc:
        raise UsageProblem(f"{exc.args[0]} (see 'lfmdoctor repro --list')") from None
    target = resolve_python(python)
    try:
        model_ref = resolve_model(model, target)
    except (ModelUnavailable, FixtureError) as exc:
        raise UsageProblem(str(exc)) from None
    if emit is not None:
        from lfmdoctor.repro.emit import emit_scripts

        if emit.exists() and not emit.is_dir():
            raise UsageProblem(f"--emit {emit} is a file; pass a folder")
        try:
            emit_scripts(cases, model_ref, emit)
        except OSError as exc:
            raise UsageProblem(f"cannot write to {emit}: {exc.strerror}; pass a writable folder") from None
    try:
        results = run_cases(target, cases, model_ref, simulate=simulate or [], timeout=timeout)
    except ReproUsageError as exc:
        raise UsageProblem(str(exc)) from None
    report = ReproReport(model=model_ref.spec, python=target, simulate=list(simulate or []), results=results)
    if json_out:
        render.print_json(report.to_json())
    else:
        render.repro_report(report, emitted=emit)
    raise typer.Exit(report.exit_code)


def _write_atomic(path: Path, text: str) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _collect_report_data(target: str, model: str, bug: list[str] | None, with_verify: bool, on_step=None):
    from lfmdoctor import pipeline
    from lfmdoctor.diagnose.environment import TargetUnusable
    from lfmdoctor.report.compose import compose
    from lfmdoctor.repro.fixture import FixtureError
    from lfmdoctor.repro.models import ModelUnavailable, resolve_model

    step = on_step or (lambda message: None)
    step("checking the environment")
    try:
        check_report = pipeline.run_check(target)
    except TargetUnusable as exc:
        raise UsageProblem(f"cannot inspect {target}: {exc}; pass --python with a working interpreter") from None
    try:
        model_ref = resolve_model(model, target)
    except (ModelUnavailable, FixtureError) as exc:
        raise UsageProblem(str(exc)) from None
    step("reproducing")
    repro_results = pipeline.run_repro(target, model_ref, bug)
    step("verifying the fixes")
    verify_rows = pipeline.run_verify(target, model_ref, bug, before=repro_results) if with_verify else None
    patch_name, diff = pipeline.stored_diff(check_report)
    return (
        check_report,
        repro_results,
        verify_rows,
        compose(
            check_report,
            repro_results,
            bug_ids=bug,
            model=model_ref.spec,
            verify=verify_rows,
            diff=diff,
            patch_name=patch_name,
            affected=pipeline.affected_from_cache(),
            ruff=pipeline.ruff_evidence(target) if diff else None,
        ),
    )


@app.command()
def report(
    format_: Annotated[
        str, typer.Option("--format", click_type=click.Choice(["issue", "pr", "json"]), help="What to write.")
    ] = "issue",
    bug: Annotated[list[str] | None, typer.Option("--bug", help="Report only this bug id; repeat.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Keep paths, names and secrets as they are.")] = False,
    model: Annotated[str, typer.Option(help="'fixture', a hub id or a folder.")] = "fixture",
    verify: Annotated[bool, typer.Option(help="Re-run the reproductions with each fix for the evidence.")] = True,
    python: PythonOpt = None,
) -> None:
    """Write the GitHub issue (or PR body, or JSON) for liquid-audio's maintainers, with the evidence."""
    from lfmdoctor.catalog import BUG_IDS
    from lfmdoctor.report.document import render_document
    from lfmdoctor.report.handoff import handoff
    from lfmdoctor.report.redact import Context

    for wanted in bug or []:
        if wanted not in BUG_IDS:
            raise UsageProblem(f"unknown bug {wanted!r}; known: {', '.join(BUG_IDS)}")
    if out is not None and out.is_dir():
        raise UsageProblem(f"--out {out} is a folder; pass a file name such as {out / 'issue.md'}")
    target = resolve_python(python)
    err = render.console(stderr=True)
    *_, data = _collect_report_data(
        target, model, bug, verify, lambda m: err.print(f"[dim]{m}…[/dim]") if err.is_terminal else None
    )
    if not data.bugs:
        err.print("nothing to report: no known liquid-audio bug is present or reproduces here")
        return
    document = render_document(data, format_, None if no_redact else Context.from_machine())
    body_file = None
    if out is not None:
        try:
            _write_atomic(out, document.text)
            if format_ != "json":
                body_file = str(out.with_suffix(".body.md"))
                _write_atomic(Path(body_file), document.body)
        except OSError as exc:
            raise UsageProblem(f"cannot write {out}: {exc.strerror}; pass a writable path") from None
        err.print(f"wrote {out}")
    else:
        sys.stdout.write(document.text)
    if document.redacted is not None:
        err.print(f"redacted {document.redacted} item(s); --no-redact keeps them")
    if format_ == "issue":
        err.print(handoff(document.title, document.body, body_file), soft_wrap=True)


@app.command()
def run(
    out: Annotated[Path, typer.Option(help="Folder for report.md, results.json, reproducers and the diff.")] = Path(
        "lfmdoctor-run"
    ),
    model: Annotated[str, typer.Option(help="'fixture' (built-in tiny checkpoint), a hub id or a folder.")] = "fixture",
    bench: Annotated[bool, typer.Option(help="Run the short before/after ASR benchmark.")] = True,
    python: PythonOpt = None,
) -> None:
    """The main job: check, reproduce, verify the fixes, benchmark, and write the upstream report."""
    from lfmdoctor.mainjob import RunProblem, main_job

    target = resolve_python(python)
    try:
        summary = main_job(target, out, model=model, with_bench=bench, console=render.console(stderr=True))
    except RunProblem as exc:
        raise UsageProblem(str(exc)) from None
    render.run_summary(summary)


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
    from lfmdoctor.matrix import MatrixError, build_matrix
    from lfmdoctor.matrix.render import print_matrix

    target = resolve_python(python)
    err = render.console(stderr=True)
    progress = (lambda message: err.print(f"[dim]{message}…[/dim]")) if err.is_terminal else None
    try:
        result = build_matrix(target, versions, provision=provision, repro=not no_repro, progress=progress)
    except MatrixError as exc:
        raise UsageProblem(str(exc)) from None
    if json_out:
        render.print_json(result.to_json())
    else:
        print_matrix(result, render.console())


@app.command()
def bench(
    audio: Annotated[list[str] | None, typer.Option("--audio", help="Audio file (wav/flac/ogg); repeat.")] = None,
    ref: Annotated[
        list[str] | None, typer.Option("--ref", help="Reference text or a text file, one per --audio, in order.")
    ] = None,
    manifest: Annotated[str | None, typer.Option(help="JSONL or CSV file of audio path and reference.")] = None,
    model: Annotated[str, typer.Option(help="'fixture' (built-in tiny checkpoint), a hub id or a folder.")] = "fixture",
    device: Annotated[str, typer.Option(click_type=click.Choice(["auto", "cpu", "cuda", "mps"]))] = "auto",
    dtype: Annotated[
        str | None,
        typer.Option(click_type=click.Choice(["float32", "bfloat16"]), help="Default: bfloat16 on CUDA, float32 elsewhere."),
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            click_type=click.Choice(["none", "callsite", "runtime", "source"]),
            help="How the run meets the liquid-audio bugs: none = the seed report's code as written.",
        ),
    ] = "callsite",
    runs: Annotated[int, typer.Option(help="Measured runs; figures are medians.")] = 1,
    warmup: Annotated[int, typer.Option(help="Uncounted warm-up runs (on the first clip).")] = 1,
    chunk_seconds: Annotated[float, typer.Option(help="Split longer audio into chunks this long; 0: never.")] = 30.0,
    baselines: Annotated[bool, typer.Option(help="Also run cached openai-whisper / faster-whisper.")] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON result to this file (atomically).")] = None,
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """ASR benchmark: WER/CER (normalised), RTF/RTFx, latency, first token, tokens/s, memory, flags."""
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, run_bench, write_json_atomic
    from lfmdoctor.bench.render import bench_result, progress_bar

    config = BenchConfig(
        audio=list(audio or []),
        refs=list(ref or []),
        manifest=manifest,
        model=model,
        device=device,
        dtype=dtype,
        strategy=strategy,
        runs=runs,
        warmup=warmup,
        chunk_seconds=chunk_seconds,
        python=resolve_python(python),
        baselines=baselines,
    )
    try:
        with progress_bar(render.console(stderr=True)) as progress:
            result = run_bench(config, progress)
    except BenchInputError as exc:
        raise UsageProblem(str(exc)) from None
    if out is not None:
        write_json_atomic(out, result.to_json())
    if json_out:
        render.print_json(result.to_json())
    else:
        bench_result(result, render.console())
    raise typer.Exit(result.exit_code)


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (never asked when stdin is not a terminal).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]


def _source_plan(python: str | None):
    from lfmdoctor.patches import source

    try:
        package_dir, version = source.locate(resolve_python(python))
    except source.NoPackage as exc:
        raise UsageProblem(str(exc)) from None
    return source.plan(package_dir, version)


def _write_source(action: str, python: str | None, yes: bool, dry_run: bool, json_out: bool) -> None:
    from lfmdoctor.patches import source
    from lfmdoctor.patches.render import patch_result

    plan = _source_plan(python)
    result, writes = source.preview(plan, action)
    if writes and not dry_run:
        if not yes and sys.stdin.isatty():
            patch_result(result)
            if not typer.confirm(f"{action.capitalize()}?", default=False):
                render.console(stderr=True).print("nothing written")
                raise typer.Exit(1)
        try:
            result = source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
        except (source.NotWritable, source.SourcePatchError) as exc:
            raise UsageProblem(str(exc)) from None
    _finish_patch(result, json_out)


@patch_app.command("status")
def patch_status(python: PythonOpt = None, json_out: JsonOpt = False) -> None:
    """Which release the installed liquid-audio files are, and whether lfmdoctor's source patch is in."""
    from lfmdoctor.patches import source

    _finish_patch(source.status(_source_plan(python)), json_out)


def _finish_patch(result, json_out: bool) -> None:
    """Show a patch result as JSON or text, and exit with its code."""
    from lfmdoctor.patches.render import patch_result

    if json_out:
        render.print_json(result.to_json())
    else:
        patch_result(result)
    raise typer.Exit(result.exit_code)


@patch_app.command("apply")
def patch_apply(python: PythonOpt = None, yes: YesOpt = False, dry_run: DryRunOpt = False, json_out: JsonOpt = False) -> None:
    """Patch the liquid_audio that `import liquid_audio` resolves to (backup, atomic, sha256-checked)."""
    _write_source("apply", python, yes, dry_run, json_out)


@patch_app.command("revert")
def patch_revert(python: PythonOpt = None, yes: YesOpt = False, dry_run: DryRunOpt = False, json_out: JsonOpt = False) -> None:
    """Restore the files lfmdoctor patch apply changed, byte for byte."""
    _write_source("revert", python, yes, dry_run, json_out)


@patch_app.command("diff")
def patch_diff(
    python: PythonOpt = None,
    release: Annotated[str | None, typer.Option(help="Show this release's stored patch instead.")] = None,
) -> None:
    """Print the stored diff for the installed release (upstream layout: `git apply` on a checkout)."""
    from lfmdoctor.patches.stored import patch_for, stored_patches

    if release is not None:
        found = patch_for(release)
        if found is None:
            known = ", ".join(p.release for p in stored_patches())
            raise UsageProblem(f"no stored patch for liquid-audio {release}; stored: {known}")
    else:
        plan = _source_plan(python)
        found = plan.patch
        if found is None:
            raise UsageProblem(f"no stored patch fits {plan.package_dir}: {plan.detail}; pass --release V")
    sys.stdout.write(found.text)


@patch_app.command("verify")
def patch_verify(
    strategy: Annotated[
        str, typer.Option(click_type=click.Choice(["callsite", "runtime", "source", "all"]), help="Which fix to verify.")
    ] = "all",
    bug: Annotated[list[str] | None, typer.Option("--bug", help="Bug id (or case id); repeat.")] = None,
    model: Annotated[str, typer.Option(help="'fixture' (built-in tiny checkpoint), a hub id or a folder.")] = ("fixture"),
    simulate: Annotated[
        list[str] | None,
        typer.Option(help="Create a condition: no-cuda (hide GPUs), flash-attn (stub); repeat."),
    ] = None,
    python: PythonOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds each case may take.", min=1)] = 120.0,
    json_out: JsonOpt = False,
) -> None:
    """Re-run every reproduction with each fix active: before -> after, per case and strategy."""
    from lfmdoctor.patches.render import verify_report as render_verify
    from lfmdoctor.patches.verify import parse_strategies, verify_report
    from lfmdoctor.repro.cases import select
    from lfmdoctor.repro.engine import ReproUsageError
    from lfmdoctor.repro.fixture import FixtureError
    from lfmdoctor.repro.models import ModelUnavailable, resolve_model

    try:
        select(bug)
    except KeyError as exc:
        raise UsageProblem(f"{exc.args[0]} (see 'lfmdoctor repro --list')") from None
    target = resolve_python(python)
    try:
        model_ref = resolve_model(model, target)
    except (ModelUnavailable, FixtureError) as exc:
        raise UsageProblem(str(exc)) from None
    try:
        report = verify_report(
            target, model_ref, bug_ids=bug, strategies=parse_strategies(strategy), simulate=simulate or [], timeout=timeout
        )
    except ReproUsageError as exc:
        raise UsageProblem(str(exc)) from None
    if json_out:
        render.print_json(report.to_json())
    else:
        render_verify(report)
    raise typer.Exit(report.exit_code)


@app.command(
    "exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False}
)
def exec_(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", help="Say on stderr which fixes went in.")] = False,
) -> None:
    """Run a program unmodified with liquid-audio fixed at runtime: lfmdoctor exec -- python your_script.py"""
    from lfmdoctor.patches.bootstrap import exec_environment

    command = list(ctx.args)
    if not command:
        raise UsageProblem("nothing to run; usage: lfmdoctor exec -- python your_script.py")
    program = shutil.which(command[0])
    if program is None:
        raise UsageProblem(f"command {command[0]} not found; pass a program on PATH or its path")
    try:
        env = exec_environment(os.environ, verbose=verbose)
    except OSError as exc:
        raise UsageProblem(f"cannot write the runtime bootstrap ({exc}); set LFMDOCTOR_CACHE to a writable folder") from None
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(program, command, env)
    import subprocess

    raise typer.Exit(subprocess.run([program, *command[1:]], env=env, check=False).returncode)


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
