"""``lfmdoctor bench``: plan the clips, run the ASR child, aggregate, add the baselines.

``run_bench(BenchConfig(...))`` returns a ``BenchResult``; bad input raises ``BenchInputError`` (one
line, for exit code 2). A run stopped by an exception inside liquid-audio is not an error of the
benchmark: it comes back as ``BenchResult.failure`` with the known bug id it matches.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfmdoctor.bench import aggregate, failures, fullsize, inputs, runner, scoring
from lfmdoctor.bench.chunking import chunk_lengths, plan_chunks, token_budget
from lfmdoctor.bench.results import BaselineResult, BenchFailure, BenchResult, BenchSummary, Projection
from lfmdoctor.bench.strategy import ChildSetup, StrategyUnavailable, child_setup
from lfmdoctor.child_protocol import KEY
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.repro.deprecations import from_records
from lfmdoctor.repro.models import ModelRef

PROMPT = "Perform ASR."
DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("float32", "bfloat16")
RANDOM_WEIGHTS_NOTE = (
    "random weights: the built-in tiny checkpoint is untrained, so its WER and CER are meaningless; "
    "they only show that the pipeline runs. Timings measure the harness and code path, not LFM2.5-Audio. "
    "For real figures: hf download LiquidAI/LFM2.5-Audio-1.5B, then --model LiquidAI/LFM2.5-Audio-1.5B"
)
SYNTHETIC_NOTE = "the built-in clips are synthetic speech (espeak-ng): fine for smoke tests, not for accuracy claims"
BUSY_SHARE = 0.5  # a 1-minute load average above half the CPUs: other work may disturb the timings
CHILD_DIED_HINT = "run 'lfmdoctor check' to see what is wrong with this environment"
FULL_SIZE_NOTE = (
    f"{fullsize.LABEL}: LFM2.5-Audio-1.5B's published architecture built in memory with random weights; "
    "each chunk's text-token count is forced to what the real model would write for its reference, so timings "
    "are the real model's, and WER/CER are not measured"
)

Progress = Callable[[int, int, str], None]  # (done, total, what)


class BenchInputError(LfmdoctorError):
    """Bad benchmark input: one line naming the problem and the fix."""


class NotEnoughMemory(BenchInputError):
    """The full-size model would not fit: nothing was built (one line)."""


@dataclass
class BenchConfig:
    audio: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    manifest: str | None = None
    model: str = "fixture"
    device: str = "auto"
    dtype: str | None = None  # None: bfloat16 on CUDA, float32 elsewhere (callsite); liquid's default (none)
    strategy: str = "callsite"
    runs: int = 1
    warmup: int = 1
    chunk_seconds: float = 30.0
    python: str = sys.executable
    baselines: bool = True
    max_new_tokens: int | None = None  # None: token_budget(chunk length)
    project_seconds: float | None = None  # full-size: project a recording this long (None: 163 s; 0: none)
    timeout: float | None = None  # seconds the ASR child may run (None: no limit)

    @property
    def full_size(self) -> bool:
        return self.model == fullsize.NAME


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has none
        return None


def validate(config: BenchConfig) -> None:
    if config.device not in DEVICES:
        raise BenchInputError(f"--device {config.device} is not one of {', '.join(DEVICES)}")
    if config.dtype is not None and config.dtype not in DTYPES:
        raise BenchInputError(f"--dtype {config.dtype} is not one of {', '.join(DTYPES)}")
    if config.runs < 1:
        raise BenchInputError(f"--runs {config.runs} must be at least 1")
    if config.warmup < 0:
        raise BenchInputError(f"--warmup {config.warmup} must be 0 or more")
    if config.max_new_tokens is not None and config.max_new_tokens < 1:
        raise BenchInputError(f"max_new_tokens {config.max_new_tokens} must be at least 1")
    if config.project_seconds is not None and not (0 <= config.project_seconds < 1e6):
        raise BenchInputError(f"--project-seconds {config.project_seconds:g} must be 0 (none) or a length in seconds")
    if config.full_size and config.strategy != "callsite":
        raise BenchInputError(
            f"--model {fullsize.NAME} builds the model in memory through the call-site helpers; use --strategy callsite"
        )


def plan(clips: list[inputs.Clip], chunk_seconds: float, max_new_tokens: int | None) -> list[aggregate.ClipPlan]:
    plans = []
    for clip in clips:
        chunks = tuple(plan_chunks(clip.mono(), clip.sample_rate, chunk_seconds))
        budgets = tuple(max_new_tokens or token_budget((end - start) / clip.sample_rate) for start, end in chunks)
        plans.append(
            aggregate.ClipPlan(
                clip.id, clip.path, clip.reference, clip.seconds, clip.sample_rate, clip.channels, chunks, budgets
            )
        )
    return plans


def plan_forced(
    clips: list[inputs.Clip], chunk_seconds: float, count: Callable[[str], int], cap: int | None = None
) -> list[aggregate.ClipPlan]:
    """Like ``plan``, with each chunk's budget its share of the reference's text tokens plus the stop token.

    ``cap`` (``max_new_tokens``) bounds each budget: a probe that times the rates, not the whole transcript.
    """
    plans = plan(clips, chunk_seconds, 1)
    cap = cap or 1 << 30
    return [
        aggregate.ClipPlan(
            p.id,
            p.path,
            p.reference,
            p.seconds,
            p.sample_rate,
            p.channels,
            p.chunks,
            tuple(min(n + 1, cap) for n in fullsize.forced_counts(count(p.reference), p.chunks)),
        )
        for p in plans
    ]


def _full_size_model(python: str) -> ModelRef:
    """The full-size folder (config.json and the tiny checkpoint's tokenizer; no weights)."""
    from lfmdoctor.cache import cache_root
    from lfmdoctor.repro.fixture import FixtureError, ensure_fixture

    try:
        tokenizer = ensure_fixture(python=python)  # the smallest tiny checkpoint: only its tokenizer is used
    except FixtureError as exc:
        raise BenchInputError(str(exc)) from None
    try:
        folder = fullsize.ensure_folder(tokenizer, cache_root())
    except OSError as exc:
        raise BenchInputError(
            f"cannot write the {fullsize.NAME} model folder into the lfmdoctor cache ({exc}); "
            "set LFMDOCTOR_CACHE to a writable folder"
        ) from None
    return ModelRef(fullsize.NAME, folder)


def projection(event: dict[str, Any], audio_s: float, chunk_seconds: float) -> Projection:
    """The whole recording from one timed chunk: each planned chunk costs the timed one scaled by its length."""
    timed = float(event["seconds"])
    lengths = chunk_lengths(audio_s, chunk_seconds)
    latency = sum(float(event["latency_s"]) * length / timed for length in lengths)
    return Projection(
        audio_s=audio_s,
        chunks=len(lengths),
        chunk_s=timed,
        chunk_tokens=int(event["steps"]),
        chunk_latency_s=float(event["latency_s"]),
        chunk_first_token_s=event.get("first_token_s"),
        latency_s=latency,
        rtf=latency / audio_s,
        rtfx=audio_s / latency,
    )


def timing_only(result: BenchResult) -> None:
    """Random weights: no WER/CER, and no flags that judge the text (there is none)."""
    for clip in result.clips:
        clip.wer = clip.cer = None
        clip.substitutions = clip.deletions = clip.insertions = None
        clip.flags = [flag for flag in clip.flags if flag == "truncated"]
    s = result.summary
    s.wer = s.cer = None
    s.substitutions = s.deletions = s.insertions = None
    s.flagged = {flag: n for flag, n in s.flagged.items() if flag == "truncated"}


def _failure(error: dict[str, Any], plans: list[aggregate.ClipPlan]) -> BenchFailure:
    from lfmdoctor.bugs import get_bug

    frames = error.get("frames") or []
    bug_id = failures.matching_bug(error.get("error_type", ""), error.get("message", ""), frames)
    bug = get_bug(bug_id) if bug_id else None
    clip = error.get("clip")
    return BenchFailure(
        stage=error.get("stage", "unknown"),
        error_type=error.get("error_type", "Exception"),
        message=" ".join(str(error.get("message", "")).split()),
        where=failures.where(frames),
        bug_id=bug_id,
        bug_title=bug.title if bug else None,
        workaround=bug.workaround if bug else None,
        clip=plans[clip].id if isinstance(clip, int) and 0 <= clip < len(plans) else None,
    )


def _job(
    config: BenchConfig, setup: ChildSetup, model: ModelRef, plans: list[aggregate.ClipPlan], files: list[Path]
) -> dict[str, Any]:
    return {
        "mode": setup.mode,
        "callsite_file": setup.callsite_file,
        "model": str(model.folder),
        "device": config.device,
        "dtype": config.dtype,
        "prompt": PROMPT,
        "runs": config.runs,
        "warmup": config.warmup,
        "clips": [
            {"audio": str(f), "rate": p.sample_rate, "chunks": [list(c) for c in p.chunks], "budgets": list(p.budgets)}
            for p, f in zip(plans, files)
        ],
        "build": None,
        "force": False,
        "projection": None,
    }


def _full_size_job(job: dict[str, Any], config: BenchConfig, plans: list[aggregate.ClipPlan], rate: float) -> dict[str, Any]:
    """``job`` for the full-size model: build it in memory (if it fits), force the token counts, time a long chunk."""
    job["build"] = {
        "seed": 0,
        "cpu_dtype": fullsize.CPU_DTYPE,
        "need": {dtype: fullsize.memory_needed(dtype) for dtype in fullsize.BYTES},
    }
    job["force"] = True
    seconds = fullsize.ANCHOR_SECONDS if config.project_seconds is None else config.project_seconds
    if seconds > 0 and plans:
        longest = max(chunk_lengths(seconds, config.chunk_seconds))
        job["projection"] = {"seconds": longest, "budget": round(rate * longest) + 1, "audio_s": seconds}
    return job


@dataclass
class _Inputs:
    model: ModelRef
    plans: list[aggregate.ClipPlan]
    files: list[Path]  # each clip's samples, for the child (.npy)
    builtin: bool  # the built-in clips
    level: list[str]  # notes on the audio's level
    speech_rate: float = 0.0  # forced text tokens per second of audio (full size only)
    token_source: str | None = None  # what counted those tokens (full size only)


def _inputs(config: BenchConfig, folder: Path) -> _Inputs:
    """The model, the clips (saved into ``folder`` for the child) and the plan; BenchInputError when unusable."""
    try:
        inputs.chunk_seconds_ok(config.chunk_seconds)
        scoring._jiwer()
        model = _full_size_model(config.python) if config.full_size else inputs.resolve_model(config.model, config.python)
        specs, builtin = inputs.gather(config.audio, config.refs, config.manifest)
        clips = inputs.load_clips(specs)
        level = inputs.level_notes(clips)
    except (inputs.InputProblem, scoring.ScoringUnavailable) as exc:
        raise BenchInputError(str(exc)) from None
    speech_rate, token_source = 0.0, None
    if config.full_size:
        count, token_source = fullsize.token_counter()
        plans = plan_forced(clips, config.chunk_seconds, count, config.max_new_tokens)
        speech_rate = sum(count(p.reference) for p in plans) / max(sum(p.seconds for p in plans), 1e-9)
    else:
        plans = plan(clips, config.chunk_seconds, config.max_new_tokens)
    files = []
    for index, clip in enumerate(clips):
        files.append(folder / f"clip{index}.npy")
        np.save(files[-1], clip.samples)
    return _Inputs(model, plans, files, builtin, level, speech_rate, token_source)


class _Events:
    """What the child reports while it runs: into the summary, the deprecations found, and ``progress``."""

    def __init__(self, summary: BenchSummary, plans: list[aggregate.ClipPlan], total: int, progress: Progress | None):
        self.summary, self.plans, self.total, self.progress = summary, plans, total, progress
        self.done = 0
        self.deprecations: list = []

    def __call__(self, event: dict[str, Any]) -> None:
        kind, summary = event[KEY], self.summary
        if kind == "loaded":
            summary.device, summary.dtype = event.get("device"), event.get("dtype")
            summary.load_s = event.get("load_s")
            summary.parameters = event.get("parameters")
        elif kind == "done":
            summary.loop_s, summary.loop_cpu_s = event.get("loop_s"), event.get("loop_cpu_s")
        elif kind == "deprecations":
            self.deprecations.extend(from_records(event.get("found") or []))
        elif kind == "ready":
            summary.liquid_audio, summary.torch = event.get("liquid_audio"), event.get("torch")
            summary.torch_threads = event.get("threads")
        if kind in ("warmup", "chunk"):
            self.done += 1
        if self.progress is not None and kind in ("loaded", "warmup", "chunk"):
            clip = self.plans[event["clip"]].id if kind == "chunk" else kind
            self.progress(self.done, self.total, "warm-up" if kind == "warmup" else str(clip))


def _run_child(child: runner.Child, job: dict[str, Any], events: _Events, timeout: float) -> runner.ChildOutcome:
    try:
        return child.run(job, events, timeout=timeout)
    except runner.ChildDied as exc:
        hint = "" if exc.timed_out else f"; {CHILD_DIED_HINT}"
        return runner.ChildOutcome(
            error={"stage": "child", "error_type": "ChildDied", "message": f"{exc}{hint}", "frames": []}
        )


def _raise_for_bad_input(error: dict[str, Any] | None, python: str) -> None:
    """The child's errors that are the input's fault, not liquid-audio's, as one line (exit 2)."""
    if error is None:
        return
    if error.get("error_type") == "NotEnoughMemory":
        raise NotEnoughMemory(error["message"])
    if error.get("error_type") == "DeviceUnavailable":
        raise BenchInputError(f"{error['message']}; use --device auto or cpu")
    if error.get("stage") == "import":
        what = f"{error.get('error_type')}: {error.get('message')}"
        raise BenchInputError(
            f"torch / liquid-audio do not import in {python} ({what}); run 'lfmdoctor check --python {python}'"
        )


def _notes(config: BenchConfig, found: _Inputs, load_avg: float | None, cpus: int | None) -> list[str]:
    notes = []
    if config.strategy != "callsite" and (config.device != "auto" or config.dtype is not None):
        notes.append(
            f"strategy {config.strategy} runs liquid-audio's documented usage, unpatched: "
            "--device and --dtype are not passed to liquid-audio"
        )
    notes += found.level
    if load_avg is not None and cpus and load_avg >= BUSY_SHARE * cpus:
        notes.append(
            f"the machine was busy when the run started (load average {load_avg:.1f} on {cpus} CPUs): "
            "timings may be inflated; on a small CPU, OMP_NUM_THREADS=1 steadies them"
        )
    if config.full_size:
        notes.append(FULL_SIZE_NOTE)
    elif found.model.random_weights:
        notes.append(RANDOM_WEIGHTS_NOTE)
    if found.builtin:
        notes.append(SYNTHETIC_NOTE)
    return notes


def run_bench(config: BenchConfig, progress: Progress | None = None) -> BenchResult:
    return run_benches([config], progress)[0]


def run_benches(configs: list[BenchConfig], progress: Progress | None = None) -> list[BenchResult]:
    """Each config's benchmark, in order. Configs that differ only in their strategy, with children that need the
    same environment (none and callsite), share one child where it can fork (Linux): torch and liquid-audio are
    imported once, and each strategy runs in a child forked from it after the imports, one after the other."""
    for config in configs:
        validate(config)
    load_avg = _load_average()
    try:
        setups = [child_setup(config.strategy, config.python) for config in configs]
    except StrategyUnavailable as exc:
        raise BenchInputError(str(exc)) from None
    first = configs[0]
    if len(configs) > 1 and not (
        sys.platform.startswith("linux")
        and all(setup.env == setups[0].env for setup in setups)
        and all(dataclasses.replace(config, strategy=first.strategy) == first for config in configs)
    ):
        return [run_bench(config, progress) for config in configs]
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-bench-") as tmp:
        # Start the child first: it imports torch while the model and the audio are resolved here.
        try:
            child = runner.Child(first.python, runner.ASR_CHILD, setups[0].environment())
        except runner.ChildDied as exc:
            raise BenchInputError(f"{exc}; pass --python with a working interpreter") from None
        with child:
            found = _inputs(first, Path(tmp))
            started = [_start(config, setup, found, load_avg, progress) for config, setup in zip(configs, setups)]
            if len(configs) == 1:
                [(result, events, job)] = started
                outcomes = [_run_child(child, job, events, first.timeout)]
            else:
                by_part = [events for _, events, _ in started]
                timeout = None if first.timeout is None else first.timeout * len(configs)
                shared = _run_child(child, {"parts": [job for _, _, job in started]}, _Parts(by_part), timeout)
                outcomes = [_part(shared, index) for index in range(len(configs))]
        results = []
        for config, (result, events, job), outcome in zip(configs, started, outcomes):
            _finish(config, result, events, job, outcome, found)
            result.notes += _notes(config, found, load_avg, result.summary.cpus)
            results.append(result)
    return results


def _start(
    config: BenchConfig, setup: ChildSetup, found: _Inputs, load_avg: float | None, progress: Progress | None
) -> tuple[BenchResult, _Events, dict[str, Any]]:
    """The result to fill, what hears the child's events for it, and its job."""
    summary = BenchSummary(
        model=found.model.spec,
        device=None,
        dtype=None,
        strategy=config.strategy,
        runs=config.runs,
        warmup=config.warmup,
        random_weights=found.model.random_weights,
        cpus=os.cpu_count(),
        load_avg=load_avg,
    )
    if config.full_size:
        summary.token_source, summary.label = found.token_source, fullsize.LABEL
    plans = found.plans
    events = _Events(summary, plans, config.warmup + config.runs * sum(len(p.chunks) for p in plans), progress)
    job = _job(config, setup, found.model, plans, found.files)
    if config.full_size:
        job = _full_size_job(job, config, plans, found.speech_rate)
    return BenchResult(summary), events, job


def _finish(
    config: BenchConfig,
    result: BenchResult,
    events: _Events,
    job: dict[str, Any],
    outcome: runner.ChildOutcome,
    found: _Inputs,
) -> None:
    _raise_for_bad_input(outcome.error, config.python)
    plans, summary = found.plans, result.summary
    result.deprecations = list(dict.fromkeys(events.deprecations))
    if outcome.error is not None:
        result.failure = _failure(outcome.error, plans)
        return
    result.clips = aggregate.clip_results(plans, outcome.of("chunk"))
    aggregate.summarize(summary, result.clips)
    if config.full_size:
        timing_only(result)
        long = outcome.of("projection")
        if long and job["projection"]:
            summary.projection = projection(long[0], job["projection"]["audio_s"], config.chunk_seconds)
    if config.baselines:
        result.baselines = run_baselines(config.python, plans, found.files)


class _Parts:
    """Hands each event of a job with parts to the part it belongs to."""

    def __init__(self, events: list[_Events]) -> None:
        self.events = events

    def __call__(self, event: dict[str, Any]) -> None:
        if isinstance(event.get("part"), int) and 0 <= event["part"] < len(self.events):
            self.events[event["part"]](event)


def _part(outcome: runner.ChildOutcome, index: int) -> runner.ChildOutcome:
    """One part's events; an error of the child itself (no part) is every part's."""
    log = [event for event in outcome.log if event.get("part", index) == index]
    errors = [event for event in log if event[KEY] == "error"]
    error = errors[0] if errors else outcome.error if outcome.error is not None and "part" not in outcome.error else None
    if error is None and not any(event[KEY] == "done" for event in log):
        error = {"stage": "child", "error_type": "ChildDied", "message": "the child stopped before this part", "frames": []}
    return runner.ChildOutcome(log, error, outcome.returncode)


def run_baselines(python: str, plans: list[aggregate.ClipPlan], files: list[Path]) -> list[BaselineResult]:
    """openai-whisper and faster-whisper on the same clips, when installed with a cached model."""
    try:
        with runner.Child(python, runner.BASELINE_CHILD, args=("probe",)) as child:
            probe = child.run({})
    except runner.ChildDied as exc:
        return [BaselineResult("whisper", "failed", f"probe failed: {exc}")]
    found = probe.of("baseline")
    results = []
    for entry in found:
        name = entry["backend"]
        if entry["status"] != "available":
            results.append(BaselineResult(name, "skipped", entry["detail"]))
            continue
        job = {
            "backend": name,
            "model": entry["model"],
            "warmup": 1,
            "clips": [{"audio": str(f), "rate": p.sample_rate} for p, f in zip(plans, files)],
        }
        try:
            with runner.Child(python, runner.BASELINE_CHILD, args=("run",)) as child:
                outcome = child.run(job)
        except runner.ChildDied as exc:
            results.append(BaselineResult(name, "failed", str(exc), model=entry["model"]))
            continue
        if outcome.error is not None:
            results.append(BaselineResult(name, "failed", outcome.error.get("message", ""), model=entry["model"]))
            continue
        clips = sorted(outcome.of("clip"), key=lambda e: e["clip"])
        results.append(_score_baseline(name, entry, plans, clips))
    return results


def _score_baseline(
    name: str, entry: dict[str, Any], plans: list[aggregate.ClipPlan], clips: list[dict[str, Any]]
) -> BaselineResult:
    from lfmdoctor.bench.normalize import normalize

    hyps = [c.get("text", "") for c in clips]
    counts = scoring.score([normalize(p.reference) for p in plans], [normalize(h) for h in hyps])
    latency = sum(c["latency_s"] for c in clips)
    audio = sum(p.seconds for p in plans)
    return BaselineResult(
        name,
        "ok",
        entry.get("detail", ""),
        model=str(entry["model"]),
        wer=counts.wer,
        cer=counts.cer,
        rtf=scoring.ratio(latency, audio),
        rtfx=scoring.ratio(audio, latency),
        latency_s=latency,
        hypotheses=hyps,
    )
