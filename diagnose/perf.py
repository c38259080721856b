"""``lfmdoctor check --perf``: will LFM2.5-Audio-1.5B run here, in how much memory, how fast?

A short measured probe: the full-size model (the published architecture, random weights, built in memory
by ``bench --model full-size``) reads 10 s of the built-in clips (the prefill: encoder and backbone) and
generates 5 tokens. From the two rates it measures (time to the first token, time per further token) the
answer gives the clip's RTF with the text-token count the real model would write for it, and an estimate
for long recordings (30 s chunks). When the memory is too small it says so without building anything.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lfmdoctor.bench import fullsize
from lfmdoctor.bench.chunking import chunk_lengths
from lfmdoctor.results import CheckItem, EnvironmentFacts, JsonMixin, Status

PROBE_SECONDS = 10.0  # the built-in clips end to end, cut to the public write-up's short case (10 s)
PROBE_STEPS = 5  # tokens generated in the probe: the prefill and 4 decode steps give both rates
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
    per_token_s: float | None = None
    long_audio_rtf: float | None = None  # estimate for a long recording in 30 s chunks
    real_time: bool | None = None
    wall_s: float | None = None
    answer: str = ""
    problem: str | None = None  # why there is no measurement
    dtype_reason: str | None = None  # why this dtype (on the CPU: measured matrix-product throughput)


def _device(env: EnvironmentFacts) -> str:
    if env.torch.cuda_available:
        return "cuda"
    if env.torch.mps_available:
        return "mps"
    return "cpu"


def clip_latency(first_token_s: float, per_token_s: float, tokens: int) -> float:
    """A clip's latency: its prefill and first token, then the rest of ``tokens`` text tokens and the stop."""
    return first_token_s + per_token_s * tokens


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
        clip_latency(prefill_per_s * length, per_token, round(speech_tokens_per_s * length))
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


MATMUL_RATES = """
import time, torch
for name in ("float32", "bfloat16"):
    x = torch.randn(256, 256).to(getattr(torch, name))
    x @ x
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.25:
        x @ x
        n += 1
    print(name, n / (time.perf_counter() - start))
"""


def matmul_rates(python: str) -> dict[str, float]:
    """{dtype: matrix products per second} on the target's CPU; empty where it cannot be measured."""
    from lfmdoctor.diagnose.environment import run_command

    code, out, _ = run_command([python, "-c", MATMUL_RATES], 60)
    if code != 0:
        return {}
    rates = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)
    return {name: float(rate) for name, rate in rates.items()}


def choose_cpu_dtype(rates: dict[str, float]) -> tuple[str, str]:
    """(dtype, why): the faster of float32 and bfloat16 by measured throughput (bfloat16 is slow without
    AVX-512 bf16 or AMX, as on AVX2-only CPUs); the full-size default where nothing was measured."""
    fp32, bf16 = rates.get("float32"), rates.get("bfloat16")
    if not fp32 or not bf16:
        return fullsize.CPU_DTYPE, f"{fullsize.CPU_DTYPE}: the default (matrix-product speed not measured)"
    if bf16 >= fp32:
        return "bfloat16", f"bfloat16: this CPU runs it at {bf16 / fp32:.2f}x float32's speed, in half the memory (measured)"
    return "float32", f"float32: this CPU runs bfloat16 matrix products at {bf16 / fp32:.2f}x float32's speed (measured)"


def probe_audio(folder: Path) -> tuple[Path, str]:
    """(a flac of the built-in clips end to end, cut to PROBE_SECONDS, in ``folder``; their references)."""
    import numpy as np
    import soundfile

    from lfmdoctor.bench.inputs import ASSETS_MANIFEST, assets_dir, load_audio, read_manifest

    rows = read_manifest(assets_dir() / ASSETS_MANIFEST)
    waves = [load_audio(assets_dir() / row.path) for row in rows]
    rate = waves[0][1]
    wave = np.concatenate([samples[:, 0] for samples, _ in waves])[: round(PROBE_SECONDS * rate)]
    path = folder / "probe.flac"
    soundfile.write(str(path), wave, rate)
    return path, " ".join(row.reference for row in rows)


def probe(python: str, env: EnvironmentFacts, timeout: float = PROBE_TIMEOUT) -> PerfAnswer:
    """Measure (or refuse when it cannot fit). Never raises for a failed probe: the answer says what happened."""
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, NotEnoughMemory, run_bench

    started = time.perf_counter()
    device = _device(env)
    dtype, why = ("bfloat16", None) if device in ("cuda", "mps") else choose_cpu_dtype(matmul_rates(python))
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
        dtype_reason=why,
    )
    if answer.fits is False:
        answer.answer = _words(answer)
        return answer
    folder = Path(tempfile.mkdtemp(prefix="lfmdoctor-perf-"))
    audio, reference = probe_audio(folder)
    config = BenchConfig(
        audio=[str(audio)],
        refs=[reference],
        model=fullsize.NAME,
        python=python,
        warmup=0,
        baselines=False,
        project_seconds=0,
        dtype=dtype,
        timeout=timeout,
        max_new_tokens=PROBE_STEPS,
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
            if "ran past its time limit" in f.message:  # say what was too slow, not that the machine is
                answer.problem = f"it ran past its {timeout:g} s limit generating {PROBE_STEPS} tokens in {dtype} on {device}"
            if s.load_s is not None:
                answer.problem += f" (the model was built in {s.load_s:.0f} s)"
            if s.load_avg is not None and s.cpus and s.load_avg >= s.cpus / 2:
                answer.problem += f"; the machine is busy (load average {s.load_avg:.1f} on {s.cpus} CPUs)"
        elif s.first_token_s is None or not s.latency_s or s.tokens < 2:
            answer.problem = "the probe generated no tokens"
        else:
            answer.fits, answer.measured = True, True
            answer.device, answer.dtype = s.device, s.dtype
            answer.probe_audio_s, answer.first_token_s, answer.peak_mem_mb = s.audio_s, s.first_token_s, s.peak_mem_mb
            answer.per_token_s = (s.latency_s - s.first_token_s) / (s.tokens - 1)
            answer.tokens_per_s = 1 / answer.per_token_s
            latency = clip_latency(s.first_token_s, answer.per_token_s, round(fullsize.SPEECH_TOKENS_PER_S * s.audio_s))
            answer.rtf, answer.rtfx = latency / s.audio_s, s.audio_s / latency
            answer.build_s = s.load_s
            answer.long_audio_rtf = long_audio_rtf(
                s.audio_s, s.first_token_s, s.latency_s, s.tokens, fullsize.SPEECH_TOKENS_PER_S, answer.long_audio_s
            )
            answer.real_time = answer.long_audio_rtf < 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    answer.wall_s = time.perf_counter() - started
    answer.answer = _words(answer)
    return answer


def perf_item(answer: PerfAnswer) -> CheckItem:
    """The check line: an error when it will not fit, a warning when slower than real time or not measured."""
    messages = []
    if answer.measured:
        messages.append(
            f"probe: {answer.probe_audio_s:.1f} s of speech on the full-size model ({fullsize.LABEL}), "
            f"{answer.device} {answer.dtype}: first token after {answer.first_token_s:.1f} s, then "
            f"{answer.tokens_per_s:.1f} tokens/s; peak RSS {answer.peak_mem_mb:.0f} MiB; built in {answer.build_s:.1f} s"
        )
        if answer.long_audio_rtf is not None:
            messages.append(
                f"a {answer.long_audio_s:.0f} s recording in 30 s chunks: RTF ~{answer.long_audio_rtf:.2f} "
                "(estimate from the probe; 'lfmdoctor bench --model full-size' times a real chunk)"
            )
    elif answer.problem:
        messages.append(answer.problem)
    if answer.dtype_reason:
        messages.append(f"dtype {answer.dtype_reason}")
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
