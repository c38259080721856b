"""``lfmdoctor bench``: ASR before and after the fixes (WER, CER, RTF, latency, memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from lfmdoctor import render
from lfmdoctor.bench.strategy import STRATEGIES as BENCH_STRATEGIES
from lfmdoctor.cli._common import JsonOpt, PythonOpt, ReplaceOpt, check_output, for_others, resolve_python, write_output


def bench(
    audio: Annotated[list[str] | None, typer.Option("--audio", help="Audio file (wav/flac/ogg); repeat.")] = None,
    ref: Annotated[
        list[str] | None, typer.Option("--ref", help="Reference text or a text file, one per --audio, in order.")
    ] = None,
    manifest: Annotated[str | None, typer.Option(help="JSONL or CSV file of audio path and reference.")] = None,
    model: Annotated[
        str,
        typer.Option(
            help="'fixture' (built-in tiny checkpoint), 'full-size' (the real architecture with random weights: "
            "timing only), a hub id or a folder."
        ),
    ] = "fixture",
    device: Annotated[str, typer.Option(click_type=click.Choice(["auto", "cpu", "cuda", "mps"]))] = "auto",
    dtype: Annotated[
        str | None,
        typer.Option(
            click_type=click.Choice(["float32", "bfloat16"]),
            help="Default: bfloat16 on CUDA, float32 on the CPU and MPS (bfloat16 there too with --model full-size); "
            "--strategy none passes no dtype (liquid-audio's own default).",
        ),
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            click_type=click.Choice(list(BENCH_STRATEGIES)),
            help="How the run meets the liquid-audio bugs: none = liquid-audio's documented usage, unpatched.",
        ),
    ] = "callsite",
    runs: Annotated[int, typer.Option(help="Measured runs; figures are medians.")] = 1,
    warmup: Annotated[int, typer.Option(help="Uncounted warm-up runs (on the first clip).")] = 1,
    chunk_seconds: Annotated[float, typer.Option(help="Split longer audio into chunks this long; 0: never.")] = 30.0,
    baselines: Annotated[bool, typer.Option(help="Also run cached openai-whisper / faster-whisper.")] = True,
    project_seconds: Annotated[
        float | None,
        typer.Option(help="--model full-size: time one chunk of a recording this long and project it (default 163; 0: none)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON result to this file (atomically).")] = None,
    force: ReplaceOpt = False,
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """ASR benchmark: WER/CER (normalised), RTF/RTFx, latency, first token, tokens/s, memory, flags."""
    from lfmdoctor.bench.core import BenchConfig, run_bench
    from lfmdoctor.bench.render import bench_result, progress_bar

    if out is not None:
        check_output(out, force=force)  # before the run, not after it
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
        project_seconds=project_seconds,
    )
    with progress_bar(render.console(stderr=True)) as progress:
        result = run_bench(config, progress)
    if json_out:
        render.print_json(result.to_json())
    else:
        bench_result(result, render.console())
    if out is not None:
        from lfmdoctor.report.redact import Context
        from lfmdoctor.repro.models import private_folders

        text = for_others(out.name, render.json_text(result.to_json()), Context.from_machine(private_folders(model)))
        write_output(out, text)  # a failure here still has the result printed
    raise typer.Exit(result.exit_code)
