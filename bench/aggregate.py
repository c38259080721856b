"""Turn the ASR child's per-chunk events into per-clip and overall figures. Pure: no I/O.

Per clip and run, chunks add up (latency, tokens) and their texts are stitched; the first token is
the first chunk's. Across runs (``--runs N``), per-clip timings are medians and the text is the first
run's (``runs_agree`` says whether all runs produced it). Overall: WER and CER pooled over clips;
``latency_s`` the total; RTF = total latency / total audio and RTFx its inverse; ``first_token_s``
the median over clips; tokens per second = total tokens / total latency; memory peaks the maximum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfmdoctor.bench.chunking import stitch
from lfmdoctor.bench.normalize import normalize
from lfmdoctor.bench.results import BenchSummary, ClipResult
from lfmdoctor.bench.scoring import median, quality_flags, ratio, score


@dataclass(frozen=True)
class ClipPlan:
    id: str
    path: Path
    reference: str
    seconds: float
    sample_rate: int
    channels: int
    chunks: tuple[tuple[int, int], ...]
    budgets: tuple[int, ...]


def _max(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _run_figures(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    chunks = sorted(chunks, key=lambda c: c["chunk"])
    latency = sum(c["latency_s"] for c in chunks)
    tokens = sum(int(c["steps"]) for c in chunks)
    first = chunks[0].get("first_token_s")
    return {
        "text": stitch([c.get("text") or "" for c in chunks]),
        "latency_s": latency,
        # The first chunk's first token, measured from when its audio was handed over.
        "first_token_s": first,
        "tokens": tokens,
        "tokens_per_s": ratio(tokens, latency),
        "hit_limit": any(c.get("hit_limit") for c in chunks),
        "repeat_run": max(int(c.get("repeat_run") or 0) for c in chunks),
        "rss": _max([c.get("rss_peak_mb") for c in chunks]),
        "cuda": _max([c.get("cuda_peak_mb") for c in chunks]),
        "mps": _max([c.get("mps_peak_mb") for c in chunks]),
    }


def clip_results(plans: Sequence[ClipPlan], chunk_events: Sequence[dict[str, Any]]) -> list[ClipResult]:
    grouped: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for event in chunk_events:
        grouped[int(event["clip"])][int(event["run"])].append(event)
    results = []
    for index, plan in enumerate(plans):
        runs = [_run_figures(grouped[index][run]) for run in sorted(grouped[index])]
        if not runs:
            continue
        first = runs[0]
        hypothesis = first["text"]
        ref_norm, hyp_norm = normalize(plan.reference), normalize(hypothesis)
        counts = score([ref_norm], [hyp_norm])
        latency = median(r["latency_s"] for r in runs)
        flags = quality_flags(
            hypothesis,
            plan.seconds,
            hit_token_limit=any(r["hit_limit"] for r in runs),
            insertions=counts.insertions,
            ref_words=counts.ref_words,
            token_repeat=max(r["repeat_run"] for r in runs),
        )
        results.append(
            ClipResult(
                id=plan.id,
                path=str(plan.path),
                audio_s=plan.seconds,
                sample_rate=plan.sample_rate,
                channels=plan.channels,
                chunks=len(plan.chunks),
                reference=plan.reference,
                hypothesis=hypothesis,
                reference_normalized=ref_norm,
                hypothesis_normalized=hyp_norm,
                wer=counts.wer,
                cer=counts.cer,
                substitutions=counts.substitutions,
                deletions=counts.deletions,
                insertions=counts.insertions,
                ref_words=counts.ref_words,
                latency_s=latency,
                first_token_s=median(r["first_token_s"] for r in runs),
                tokens=first["tokens"],
                tokens_per_s=median(r["tokens_per_s"] for r in runs),
                rtf=ratio(latency, plan.seconds),
                rtfx=ratio(plan.seconds, latency),
                peak_mem_mb=_max([r["rss"] for r in runs]),
                cuda_peak_mb=_max([r["cuda"] for r in runs]),
                mps_peak_mb=_max([r["mps"] for r in runs]),
                flags=flags,
                runs_agree=all(r["text"] == hypothesis for r in runs),
                latencies_s=[r["latency_s"] for r in runs],
            )
        )
    return results


def summarize(summary: BenchSummary, clips: Sequence[ClipResult]) -> BenchSummary:
    """Fill ``summary``'s figures from the clips (in place) and return it."""
    if not clips:
        return summary
    counts = score([c.reference_normalized for c in clips], [c.hypothesis_normalized for c in clips])
    latency = sum(c.latency_s or 0.0 for c in clips)
    audio = sum(c.audio_s for c in clips)
    tokens = sum(c.tokens for c in clips)
    flagged: dict[str, int] = {}
    for clip in clips:
        for flag in clip.flags:
            flagged[flag] = flagged.get(flag, 0) + 1
    summary.wer, summary.cer = counts.wer, counts.cer
    summary.substitutions, summary.deletions, summary.insertions = (counts.substitutions, counts.deletions, counts.insertions)
    summary.ref_words = counts.ref_words
    summary.latency_s = latency
    summary.audio_s = audio
    summary.rtf = ratio(latency, audio)
    summary.rtfx = ratio(audio, latency)
    summary.first_token_s = median(c.first_token_s for c in clips)
    summary.tokens = tokens
    summary.tokens_per_s = ratio(tokens, latency)
    summary.peak_mem_mb = _max([c.peak_mem_mb for c in clips])
    summary.cuda_peak_mb = _max([c.cuda_peak_mb for c in clips])
    summary.mps_peak_mb = _max([c.mps_peak_mb for c in clips])
    summary.clips = len(clips)
    summary.flagged = flagged
    return summary
