"""Chunk planning, token budgets and stitching."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from lfmdoctor.bench.chunking import plan_chunks, stitch, token_budget

RATE = 16_000


def speech_with_pauses(seconds: float, pause_every: float, rate: int = RATE) -> tuple[np.ndarray, list[int]]:
    """Loud noise with 100 ms of silence every ``pause_every`` seconds; returns the pause centres."""
    rng = np.random.default_rng(0)
    wave = rng.uniform(-0.5, 0.5, int(seconds * rate)).astype(np.float32)
    centres = []
    t = pause_every
    while t < seconds:
        centre = int(t * rate)
        wave[centre - rate // 20 : centre + rate // 20] = 0.0
        centres.append(centre)
        t += pause_every
    return wave, centres


def test_short_audio_is_one_chunk():
    wave = np.zeros(RATE * 5, np.float32)
    assert plan_chunks(wave, RATE, 30) == [(0, RATE * 5)]
    assert plan_chunks(wave, RATE, 0) == [(0, RATE * 5)]
    assert plan_chunks(wave, RATE, None) == [(0, RATE * 5)]
    assert plan_chunks(np.zeros(0, np.float32), RATE, 30) == []


@pytest.mark.parametrize(("seconds", "limit"), [(163, 30), (61, 30), (30.5, 30), (9.4, 4), (100, 7)])
def test_chunks_cover_everything_and_respect_the_limit(seconds, limit):
    wave, _ = speech_with_pauses(seconds, 2.3)
    chunks = plan_chunks(wave, RATE, limit)
    assert chunks[0][0] == 0 and chunks[-1][1] == len(wave)
    assert all(a[1] == b[0] for a, b in pairwise(chunks))
    assert all(0 < end - start <= limit * RATE for start, end in chunks)
    even = len(wave) / len(chunks)
    assert min(end - start for start, end in chunks) >= 0.85 * even  # near-equal parts: no tiny tail


def test_cuts_land_in_pauses():
    wave, centres = speech_with_pauses(60, 1.0)
    chunks = plan_chunks(wave, RATE, 10)
    for _, cut in chunks[:-1]:
        assert np.all(wave[cut - 100 : cut + 100] == 0.0), cut
        assert min(abs(cut - c) for c in centres) < RATE // 20


def test_other_sample_rates():
    wave, _ = speech_with_pauses(20, 1.5, rate=44_100)
    chunks = plan_chunks(wave, 44_100, 8)
    assert all(end - start <= 8 * 44_100 for start, end in chunks)
    assert len(chunks) == 3


def test_token_budget_grows_with_length():
    assert token_budget(0) == 32
    assert token_budget(3.09) == 63
    assert token_budget(30) == 332
    assert token_budget(3) < token_budget(10) < token_budget(30)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["Hello there.", "How are you?"], "Hello there. How are you?"),
        (["the cat sat on", "sat on the mat"], "the cat sat on the mat"),
        (["The cat sat on", "Sat on, the mat"], "The cat sat on the mat"),
        (["I said no", "no way"], "I said no no way"),  # one repeated word may be real speech
        (["", "  ", "alone"], "alone"),
        ([], ""),
    ],
)
def test_stitch(parts, expected):
    assert stitch(parts) == expected
