"""Terminal output of ``lfmdoctor bench`` (rich): per-clip table, overall figures, baselines, notes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from lfmdoctor.bench.core import Progress as ProgressFn
from lfmdoctor.bench.results import BenchResult

HYPOTHESIS_WIDTH = 100


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, fmt: str = ".3f", unit: str = "") -> str:
    return "—" if value is None else f"{value:{fmt}}{unit}"


def _clip_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= HYPOTHESIS_WIDTH else text[: HYPOTHESIS_WIDTH - 1] + "…"


def _count(value: int) -> str:
    return f"{value / 1e9:.2f}B" if value >= 1e9 else f"{value / 1e6:.0f}M"


def bench_result(result: BenchResult, out: Console) -> None:
    s = result.summary
    model = f"{s.model} (random weights)" if s.random_weights else s.model
    if s.label:
        out.print(Text(s.label, style="bold yellow"))
    runs = f"{s.runs} run{'s' if s.runs != 1 else ''}" + (f" + {s.warmup} warm-up" if s.warmup else "")
    where = f"{s.device} {s.dtype or ''}".strip() if s.device else "device not reached"
    out.print(f"[bold]lfmdoctor bench[/bold]  model {model} · {where} · strategy {s.strategy} · {runs}")
    if s.liquid_audio or s.torch:
        threads = f" ({s.torch_threads} threads)" if s.torch_threads else ""
        out.print(
            f"[dim]liquid-audio {s.liquid_audio or '?'}, torch {s.torch or '?'}{threads}"
            + (f", model {'built' if s.label else 'loaded'} in {s.load_s:.2f} s" if s.load_s is not None else "")
            + "[/dim]"
        )
    if s.parameters:
        p = s.parameters
        out.print(
            f"[dim]parameters: {_count(p['total'])} in all, backbone {_count(p['backbone'])}, "
            f"encoder {_count(p['encoder'])}; text tokens forced per chunk ({s.token_source})[/dim]"
        )
    if result.failure is not None:
        _failure(result, out)
    else:
        _table(result, out)
        _overall(result, out)
        if s.projection is not None:
            _projection(result, out)
    for baseline in result.baselines:
        if baseline.status == "ok":
            out.print(
                f"baseline {baseline.name} ({baseline.model}): WER {_pct(baseline.wer)}, CER {_pct(baseline.cer)}, "
                f"RTFx {_num(baseline.rtfx, '.1f')}"
            )
        else:
            out.print(f"[dim]baseline {baseline.name}: {baseline.status}: {baseline.detail}[/dim]")
    for note in result.notes:
        out.print(Text(f"note: {note}", style="yellow"))


def _table(result: BenchResult, out: Console) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("clip", overflow="fold")
    for name in ("audio s", "WER", "CER", "S/D/I", "latency s", "TTFT s", "tok/s", "RTF", "RTFx"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name.split()[0]))

    for clip in result.clips:
        sdi = "—" if clip.substitutions is None else f"{clip.substitutions}/{clip.deletions}/{clip.insertions}"
        table.add_row(
            clip.id,
            f"{clip.audio_s:.2f}",
            _pct(clip.wer),
            _pct(clip.cer),
            sdi,
            _num(clip.latency_s),
            _num(clip.first_token_s),
            _num(clip.tokens_per_s, ".1f" if (clip.tokens_per_s or 0) < 10 else ".0f"),
            _num(clip.rtf),
            _num(clip.rtfx, ".1f"),
        )
    out.print(table)
    if result.summary.label:
        return  # random weights: no text to show
    for clip in result.clips:
        flags = clip.flags + ([] if clip.runs_agree else ["runs disagree"])
        out.print(
            Text.assemble(
                (f"  {clip.id}", "bold"),
                (f" [{', '.join(flags)}]" if flags else "", "yellow"),
                ": ",
                _clip_text(clip.hypothesis) or "(empty)",
            )
        )


def _projection(result: BenchResult, out: Console) -> None:
    p = result.summary.projection
    assert p is not None
    out.print(
        f"[bold]long audio[/bold] one {p.chunk_s:.1f} s chunk took {p.chunk_latency_s:.1f} s ({p.chunk_tokens} tokens, "
        f"first after {_num(p.chunk_first_token_s, '.1f')} s) → a {p.audio_s:.0f} s recording in {p.chunks} chunks: "
        f"~{p.latency_s:.0f} s, RTF {p.rtf:.2f} (RTFx {p.rtfx:.2f})"
    )


def _overall(result: BenchResult, out: Console) -> None:
    s = result.summary
    if s.label:
        out.print(f"[bold]overall[/bold] {s.clips} clips, {s.audio_s:.2f} s audio, {s.tokens} tokens (no WER: {s.label})")
    else:
        sdi = f"S/D/I {s.substitutions}/{s.deletions}/{s.insertions} of {s.ref_words} words"
        out.print(
            f"[bold]overall[/bold] {s.clips} clips, {s.audio_s:.2f} s audio: WER {_pct(s.wer)}, CER {_pct(s.cer)} ({sdi})"
        )
    out.print(
        f"  RTF {_num(s.rtf)} (processing ÷ audio, lower is faster) · RTFx {_num(s.rtfx, '.1f')} "
        f"(audio ÷ processing, higher is faster)"
    )
    out.print(
        f"  total latency {_num(s.latency_s)} s · time to first token (TTFT) {_num(s.first_token_s)} s (median) · "
        f"{_num(s.tokens_per_s, '.1f' if (s.tokens_per_s or 0) < 10 else '.0f')} tokens/s"
    )
    memory = f"  peak memory: RSS {_num(s.peak_mem_mb, '.0f')} MiB"
    if s.cuda_peak_mb is not None:
        memory += f" · CUDA allocator {s.cuda_peak_mb:.0f} MiB"
    if s.mps_peak_mb is not None:
        memory += f" · MPS driver {s.mps_peak_mb:.0f} MiB"
    out.print(memory)
    if s.flagged:
        flags = ", ".join(f"{flag} {count}/{s.clips}" for flag, count in sorted(s.flagged.items()))
        out.print(Text(f"  output flags: {flags}", style="yellow"))


def _failure(result: BenchResult, out: Console) -> None:
    f = result.failure
    assert f is not None
    out.print(
        Text(
            f"✗ the ASR run stopped ({f.stage}{', clip ' + f.clip if f.clip else ''}): "
            f"{f.error_type}: {f.message or '(no message)'}",
            style="bold red",
        )
    )
    if f.where:
        out.print(f"  at {f.where}")
    if f.bug_id:
        out.print(Text.assemble("  bug: ", (f.bug_id, "bold"), f" — {f.bug_title}"))
        out.print(Text(f"  workaround: {f.workaround}", style="cyan"))
        if result.summary.strategy == "none":
            out.print(
                Text(
                    "  the same run with the workarounds: lfmdoctor bench --strategy callsite (or runtime, source)",
                    style="cyan",
                )
            )
    else:
        out.print("  this failure matches no known liquid-audio bug; run 'lfmdoctor check'")


@contextmanager
def progress_bar(console: Console) -> Iterator[ProgressFn | None]:
    """A transient rich progress bar on ``console`` (none when it is not a terminal)."""
    if not console.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("[bold]bench[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("loading", total=None)

    def update(done: int, total: int, what: str) -> None:
        bar.update(task, completed=done, total=total, description=what)

    with bar:
        yield update
