"""``lfmdoctor check --perf``: will LFM2.5-Audio-1.5B run here, in how much memory, how fast?

A short measured probe: the full-size model (the published architecture, random weights, built in memory
by ``bench --model full-size``) transcribes one built-in clip of about 3 s with the text-token count the
real model would write for it. When the memory is too small it says so without building anything. The
answer carries the probe's RTF and an estimate for long recordings (30 s chunks) from the probe's
prefill and per-token times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from lfmdoctor.bench import fullsize
from lfmdoctor.bench.chunking import chunk_lengths
from lfmdoctor.results import CheckItem, EnvironmentFacts, JsonMixin, Status

PROBE_CLIP = "time"  # the shortest built-in clip (3.0 s, 12 text tokens)
PROBE_TIMEOUT = 50.0  # seconds the probe child may take, so that check --perf answers within a minute
ITEM = "Performance"
CHUNK_SECONDS = 30.0  # bench's default --chunk-seconds


@dataclass
class PerfAnswer(JsonMixin):
    """What ``check --perf`` found; ``answer`` is the one line for the user."""

    model: str
    device: str | None
    dtype: str | None
    needed_gb: float
    available_gb: float | None
    fits: bool | None  # None: not known (the probe failed before the memory check)
    measured: bool
    probe_audio_s: float | None = None
    rtf: float | None = None
    rtfx: float | None = None
    first_token_s: float | None = None
    tokens_per_s: float | None = None
    peak_mem_mb: float | None = None
    build_s: float | None = None
    long_audio_s: float = fullsize.ANCHOR_SECONDS
    long_audio_rtf: float | None = None  # estimate for a long recording in 30 s chunks
    real_time: bool | None = None
    wall_s: float | None = None
    answer: str = ""
    problem: str | None = None  # why there is no measurement


def _device(env: EnvironmentFacts) -> str:
    if env.torch.cuda_available:
        return "cuda"
    if env.torch.mps_available:
        return "mps"
    return "cpu"


def long_audio_rtf(
    audio_s: float, first_token_s: float, latency_s: float, tokens: int, speech_tokens_per_s: float, seconds: float
) -> float:
    """RTF for ``seconds`` of speech in 30 s chunks, from one short probe.

    Per chunk: the probe's prefill scaled by audio length (an upper bound: the prompt's share does not grow)
    plus the probe's time per generated token times the tokens the chunk's speech needs, plus the stop.
    """
    per_token = (latency_s - first_token_s) / max(tokens - 1, 1)
    prefill_per_s = first_token_s / audio_s
    total = sum(
        prefill_per_s * length + per_token * (round(speech_tokens_per_s * length) + 1)
        for length in chunk_lengths(seconds, CHUNK_SECONDS)
    )
    return total / seconds


def _words(answer: PerfAnswer) -> str:
    where = {"cpu": "this CPU", "cuda": "this GPU", "mps": "this Mac's GPU"}.get(answer.device or "cpu", "this machine")
    need = f"LFM2.5-Audio-1.5B needs ~{answer.needed_gb:.1f} GB"
    if answer.dtype:
        need += f" in {answer.dtype}"
    if answer.fits is False:
        have = f"{answer.available_gb:.1f} GB" if answer.available_gb is not None else "less"
        return f"{need}; {where} has {have} available: it will not fit"
    if not answer.measured:
        return f"{need}; the speed probe did not finish: {answer.problem}"
    real_time = "yes" if answer.real_time else "no"
    long = f", ~{answer.long_audio_rtf:.2f} on long audio" if answer.long_audio_rtf is not None else ""
    return (
        f"{need}; ASR on {where} would run at RTF ~{answer.rtf:.2f} on a {answer.probe_audio_s:.0f} s clip{long} "
        f"(faster than real time: {real_time})"
    )


def probe(python: str, env: EnvironmentFacts, timeout: float = PROBE_TIMEOUT) -> PerfAnswer:
    """Measure (or refuse when it cannot fit). Never raises for a failed probe: the answer says what happened."""
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, NotEnoughMemory, run_bench
    from lfmdoctor.bench.inputs import ASSETS_MANIFEST, assets_dir, read_manifest

    started = time.perf_counter()
    device = _device(env)
    dtype = "bfloat16" if device in ("cuda", "mps") else fullsize.CPU_DTYPE
    needed = fullsize.memory_needed(dtype)
    available = fullsize.available_memory() if device != "cuda" else None
    answer = PerfAnswer(
        model=fullsize.REPO,
        device=device,
        dtype=dtype,
        needed_gb=needed / 2**30,
        available_gb=None if available is None else available / 2**30,
        fits=None if available is None else available >= needed,
        measured=False,
    )
    if answer.fits is False:
        answer.answer = _words(answer)
        return answer
    row = next(r for r in read_manifest(assets_dir() / ASSETS_MANIFEST) if r.clip_id == PROBE_CLIP)
    config = BenchConfig(
        audio=[str(assets_dir() / row.path)],
        refs=[row.reference],
        model=fullsize.NAME,
        python=python,
        warmup=0,
        baselines=False,
        project_seconds=0,
        timeout=timeout,
    )
    try:
        result = run_bench(config)
    except NotEnoughMemory as exc:
        answer.fits, answer.problem = False, str(exc)
    except BenchInputError as exc:
        answer.problem = str(exc)
    else:
        s = result.summary
        if result.failure is not None:
            f = result.failure
            answer.problem = f"{f.error_type}: {f.message}" if f.error_type != "ChildDied" else f.message
        else:
            answer.fits, answer.measured = True, True
            answer.device, answer.dtype = s.device, s.dtype
            answer.probe_audio_s, answer.rtf, answer.rtfx = s.audio_s, s.rtf, s.rtfx
            answer.first_token_s, answer.tokens_per_s, answer.peak_mem_mb = s.first_token_s, s.tokens_per_s, s.peak_mem_mb
            answer.build_s = s.load_s
            if s.first_token_s is not None and s.latency_s:
                answer.long_audio_rtf = long_audio_rtf(
                    s.audio_s, s.first_token_s, s.latency_s, s.tokens, fullsize.SPEECH_TOKENS_PER_S, answer.long_audio_s
                )
            answer.real_time = (answer.long_audio_rtf if answer.long_audio_rtf is not None else s.rtf or 99) < 1
    answer.wall_s = time.perf_counter() - started
    answer.answer = _words(answer)
    return answer


def perf_item(answer: PerfAnswer) -> CheckItem:
    """The check line: an error when it will not fit, a warning when slower than real time or not measured."""
    messages = []
    if answer.measured:
        messages.append(
            f"probe: {answer.probe_audio_s:.1f} s of speech on the full-size model ({fullsize.LABEL}), "
            f"{answer.device} {answer.dtype}: first token after {answer.first_token_s:.1f} s, "
            f"{answer.tokens_per_s:.1f} tokens/s, peak RSS {answer.peak_mem_mb:.0f} MiB, built in {answer.build_s:.1f} s"
        )
        if answer.long_audio_rtf is not None:
            messages.append(
                f"a {answer.long_audio_s:.0f} s recording in 30 s chunks: RTF ~{answer.long_audio_rtf:.2f} "
                "(estimate from the probe; 'lfmdoctor bench --model full-size' times a real chunk)"
            )
    elif answer.problem:
        messages.append(answer.problem)
    if answer.fits is False:
        return CheckItem(
            ITEM, Status.ERROR, answer.answer, messages, hint="close other programs, or use a machine with more memory"
        )
    if not answer.measured:
        return CheckItem(ITEM, Status.WARNING, answer.answer, messages, hint="lfmdoctor bench --model full-size")
    if not answer.real_time:
        return CheckItem(
            ITEM,
            Status.WARNING,
            answer.answer,
            messages,
            hint="for CPU use, LiquidAI points to the llama.cpp GGUF build (tools/liquid-audio)",
        )
    return CheckItem(ITEM, Status.OK, answer.answer, messages)
