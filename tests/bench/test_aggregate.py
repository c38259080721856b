"""Per-chunk events -> per-clip and overall figures (medians over runs, pooled WER)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfmdoctor.bench.aggregate import ClipPlan, clip_results, summarize
from lfmdoctor.bench.results import BenchFailure, BenchResult, BenchSummary


def plan(clip_id: str, reference: str, seconds: float, chunks: int = 1) -> ClipPlan:
    step = int(seconds * 16_000) // chunks
    spans = tuple((i * step, (i + 1) * step) for i in range(chunks))
    return ClipPlan(clip_id, Path(f"/x/{clip_id}.wav"), reference, seconds, 16_000, 1, spans, (40,) * chunks)


def event(
    clip: int,
    run: int,
    chunk: int,
    text: str,
    latency: float,
    first: float = 0.1,
    steps: int = 10,
    hit_limit: bool = False,
    rss: float = 500.0,
) -> dict:
    return {
        "event": "chunk",
        "clip": clip,
        "run": run,
        "chunk": chunk,
        "text": text,
        "steps": steps,
        "repeat_run": 1,
        "audio_frames": 0,
        "hit_limit": hit_limit,
        "latency_s": latency,
        "first_token_s": first,
        "rss_peak_mb": rss,
        "cuda_peak_mb": None,
        "mps_peak_mb": None,
    }


PLANS = [plan("a", "The cat sat on the mat.", 2.0, chunks=2), plan("b", "It's 10 o'clock.", 1.0)]
EVENTS = [
    # run 0
    event(0, 0, 1, "on the mat.", 0.3, steps=5),
    event(0, 0, 0, "The cat sat", 0.2, first=0.05, steps=6),
    event(1, 0, 0, "it is ten o clock", 0.4, rss=600.0),
    # run 1 (slower) and run 2 (faster)
    event(0, 1, 0, "The cat sat", 0.4, first=0.07, steps=6),
    event(0, 1, 1, "on the mat.", 0.4, steps=5),
    event(1, 1, 0, "it is ten o clock", 0.8),
    event(0, 2, 0, "The cat sat", 0.1, first=0.03, steps=6),
    event(0, 2, 1, "on the mat.", 0.1, steps=5),
    event(1, 2, 0, "it is ten o'clock", 0.2),
]


def test_clips_add_chunks_and_take_medians_over_runs():
    a, b = clip_results(PLANS, EVENTS)
    assert a.hypothesis == "The cat sat on the mat."
    assert a.chunks == 2 and a.tokens == 11
    assert a.latencies_s == pytest.approx([0.5, 0.8, 0.2])
    assert a.latency_s == pytest.approx(0.5)
    assert a.first_token_s == pytest.approx(0.05)
    assert a.rtf == pytest.approx(0.25) and a.rtfx == pytest.approx(4.0)
    assert a.tokens_per_s == pytest.approx(11 / 0.5)
    assert (a.wer, a.cer, a.substitutions, a.deletions, a.insertions) == (0.0, 0.0, 0, 0, 0)
    assert a.runs_agree and a.flags == []
    assert b.latency_s == pytest.approx(0.4)
    assert b.wer == 0.0  # normalised: "It's 10 o'clock." and "it is ten o clock" are both "it is 100 clock"
    assert not b.runs_agree  # run 2 wrote "o'clock": same words, different text
    assert b.peak_mem_mb == 600.0


def test_summary_pools_over_clips():
    clips = clip_results(PLANS, EVENTS)
    summary = summarize(BenchSummary(model="m", device="cpu", dtype="float32", strategy="callsite"), clips)
    assert summary.clips == 2 and summary.audio_s == 3.0
    assert summary.latency_s == pytest.approx(0.9)
    assert summary.rtf == pytest.approx(0.3) and summary.rtfx == pytest.approx(1 / 0.3)
    assert summary.first_token_s == pytest.approx((0.05 + 0.1) / 2)
    assert summary.tokens == 21 and summary.tokens_per_s == pytest.approx(21 / 0.9)
    assert summary.wer == 0.0 and summary.ref_words == 10  # 6 + "it is 100 clock" (Whisper reads "o" as zero)
    assert summary.peak_mem_mb == 600.0


def test_errors_and_flags_come_through():
    plans = [plan("a", "red green blue white", 2.0)]  # not number words: "one two" is read as "12"
    clips = clip_results(plans, [event(0, 0, 0, "red green", 0.5, hit_limit=True)])
    (clip,) = clips
    assert (clip.deletions, clip.wer) == (2, 0.5)
    assert clip.flags == ["truncated"]
    summary = summarize(BenchSummary(model="m", device="cpu", dtype="float32", strategy="callsite"), clips)
    assert summary.flagged == {"truncated": 1}


def test_json_contract():
    clips = clip_results(PLANS, EVENTS)
    summary = summarize(BenchSummary(model="m", device="cpu", dtype="float32", strategy="callsite"), clips)
    data = BenchResult(summary, clips).to_json()
    for key in ("wer", "cer", "rtf", "rtfx", "latency_s", "first_token_s", "tokens_per_s", "peak_mem_mb"):
        assert isinstance(data["summary"][key], float), key
        assert all(isinstance(clip[key], float) for clip in data["clips"]), key
    assert {"device", "dtype", "model"} <= set(data["summary"])
    assert data["clips"][0]["hypothesis"] == "The cat sat on the mat."
    assert data["failure"] is None and data["exit_code"] == 0 and data["deprecations"] == []


@pytest.mark.parametrize(
    "stage, bug_id, code",
    [
        ("load_model", None, 2),  # a broken checkpoint the user passed: bad input
        ("load_processor", None, 2),
        ("load_processor", "a-known-bug", 1),  # liquid-audio's documented usage stopped by a known bug
        ("clip", None, 1),
    ],
)
def test_exit_code_tells_a_bad_model_from_a_bug(stage, bug_id, code):
    summary = BenchSummary(model="m", device="cpu", dtype="float32", strategy="none")
    failure = BenchFailure(stage, "SafetensorError", "header too large", None, bug_id)
    assert BenchResult(summary, [], failure=failure).exit_code == code
