"""Result objects of ``lfmdoctor bench``. No I/O; rendered by ``lfmdoctor.bench.render``.

JSON contract (``BenchResult.to_json``): an object with ``summary`` (numbers ``wer``, ``cer``,
``rtf``, ``rtfx``, ``latency_s``, ``first_token_s``, ``tokens_per_s``, ``peak_mem_mb`` plus
``device``, ``dtype``, ``model`` and more) and ``clips`` (the same figures per clip, with the
hypothesis text); also ``baselines``, ``notes``, ``failure`` (null unless a run was stopped) and
``exit_code``. A figure that could not be measured is null.

Units and meanings: ``rtf`` = processing seconds / audio seconds (below 1 is faster than real time);
``rtfx`` = audio seconds / processing seconds (its inverse, the Open ASR Leaderboard figure);
``latency_s`` = processing seconds from the audio handed over to the last generated token (summary:
the total over clips); ``first_token_s`` = from the audio handed over to the first generated token
(summary: median over clips); ``tokens_per_s`` = generated tokens / processing seconds;
``peak_mem_mb`` = the ASR process's peak resident set size (MiB); ``cuda_peak_mb`` / ``mps_peak_mb``:
allocator peaks where that backend was used. With several runs, per-clip timings are medians.

With ``--model full-size`` the summary also has ``label`` ("real architecture, random weights: timing
only, no accuracy"), ``parameters`` {``total``, ``backbone``, ``encoder``}, ``token_source`` and
``projection`` (a long recording projected from one timed chunk); ``wer`` and ``cer`` are null and
``load_s`` is the time to build the model in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lfmdoctor.errors import ExitCode
from lfmdoctor.results import Deprecation, JsonMixin

LOAD_STAGES = ("load_model", "load_processor")  # the child's stages that read the checkpoint


@dataclass
class ClipResult(JsonMixin):
    id: str
    path: str
    audio_s: float
    sample_rate: int
    channels: int
    chunks: int
    reference: str
    hypothesis: str
    reference_normalized: str
    hypothesis_normalized: str
    wer: float | None
    cer: float | None
    substitutions: int | None
    deletions: int | None
    insertions: int | None
    ref_words: int | None
    latency_s: float | None
    first_token_s: float | None
    tokens: int
    tokens_per_s: float | None
    rtf: float | None
    rtfx: float | None
    peak_mem_mb: float | None
    cuda_peak_mb: float | None = None
    mps_peak_mb: float | None = None
    flags: list[str] = field(default_factory=list)
    runs_agree: bool = True  # every measured run produced the same text
    latencies_s: list[float] = field(default_factory=list)  # one per measured run


@dataclass
class Projection(JsonMixin):
    """Long audio from one timed chunk: ``chunks`` chunks of about ``chunk_s`` each, as ``--chunk-seconds`` cuts them."""

    audio_s: float  # the recording projected (163 s: the public write-up's long clip)
    chunks: int
    chunk_s: float  # the chunk that was timed
    chunk_tokens: int  # generated tokens in it (forced text tokens + the stop)
    chunk_latency_s: float
    chunk_first_token_s: float | None
    latency_s: float  # projected for the whole recording
    rtf: float
    rtfx: float


@dataclass
class BenchSummary(JsonMixin):
    model: str
    device: str | None
    dtype: str | None
    strategy: str
    wer: float | None = None
    cer: float | None = None
    substitutions: int | None = None
    deletions: int | None = None
    insertions: int | None = None
    ref_words: int | None = None
    rtf: float | None = None
    rtfx: float | None = None
    latency_s: float | None = None
    first_token_s: float | None = None
    tokens_per_s: float | None = None
    peak_mem_mb: float | None = None
    cuda_peak_mb: float | None = None
    mps_peak_mb: float | None = None
    audio_s: float = 0.0
    clips: int = 0
    tokens: int = 0
    load_s: float | None = None
    loop_s: float | None = None  # wall time of the ASR child's measured loop (all runs, all clips)
    loop_cpu_s: float | None = None  # CPU time of the ASR process over that loop (all its threads)
    runs: int = 1
    warmup: int = 0
    random_weights: bool = False
    flagged: dict[str, int] = field(default_factory=dict)  # flag -> number of clips
    liquid_audio: str | None = None
    torch: str | None = None
    torch_threads: int | None = None  # intra-op threads in the ASR process
    cpus: int | None = None
    load_avg: float | None = None  # 1-minute load average when the run started (other work on the machine)
    # --model full-size: the published architecture with random weights (timing only, no accuracy)
    label: str | None = None
    parameters: dict[str, int] | None = None  # {total, backbone, encoder}
    token_source: str | None = None  # how the forced text-token counts were found: "estimate" or a tokenizer
    projection: Projection | None = None


@dataclass
class BaselineResult(JsonMixin):
    name: str  # "openai-whisper" / "faster-whisper"
    status: str  # "ok", "skipped", "failed"
    detail: str  # why skipped / failed, or the model used
    model: str | None = None
    wer: float | None = None
    cer: float | None = None
    rtf: float | None = None
    rtfx: float | None = None
    latency_s: float | None = None
    hypotheses: list[str] = field(default_factory=list)


@dataclass
class BenchFailure(JsonMixin):
    """What stopped the ASR run: the exception, and the known bug it matches (if any)."""

    stage: str  # import, load_processor, load_model, clip
    error_type: str
    message: str
    where: str | None  # innermost liquid_audio frame "liquid_audio/processor.py:61", else innermost
    bug_id: str | None
    bug_title: str | None = None
    workaround: str | None = None
    clip: str | None = None


@dataclass
class BenchResult(JsonMixin):
    summary: BenchSummary
    clips: list[ClipResult] = field(default_factory=list)
    baselines: list[BaselineResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: BenchFailure | None = None
    deprecations: list[Deprecation] = field(default_factory=list)  # what liquid-audio set off in its libraries

    @property
    def exit_code(self) -> ExitCode:
        """OK: measured; PROBLEMS: stopped by a known bug (or an error while running); USAGE: the model given
        could not be loaded and no known bug explains it (bad input: a broken or incomplete checkpoint)."""
        if self.failure is None:
            return ExitCode.OK
        unexplained_load = self.failure.stage in LOAD_STAGES and not self.failure.bug_id
        return ExitCode.USAGE if unexplained_load else ExitCode.PROBLEMS

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_json(),
            "clips": [clip.to_json() for clip in self.clips],
            "baselines": [baseline.to_json() for baseline in self.baselines],
            "notes": list(self.notes),
            "failure": self.failure.to_json() if self.failure else None,
            "deprecations": [d.to_json() for d in self.deprecations],
            "exit_code": self.exit_code,
        }
