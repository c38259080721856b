"""Long audio: where to cut it, how many tokens each piece may generate, and how to stitch the text.

Pure functions over a mono numpy signal; no I/O.
"""

from __future__ import annotations

import math
import re
from itertools import pairwise

import numpy as np

MODEL_RATE = 16_000  # what ChatState.add_audio resamples to
FRAME_SECONDS = 0.02  # energy frame used to find a quiet cut point
FILL = 0.85  # chunks are planned at most 85% of the limit long ...
SLACK = 0.075  # ... and each cut may move 7.5% of that either way, so no chunk exceeds the limit
TOKENS_PER_SECOND = 10  # about twice the text-token rate of fast English speech
TOKEN_HEADROOM = 32
MIN_STITCH_OVERLAP = 2  # repeated words at a boundary are dropped only from two words up
MAX_STITCH_OVERLAP = 8


def token_budget(seconds: float) -> int:
    """``max_new_tokens`` for a piece of speech this long: enough for fast speech, bounded for loops."""
    return math.ceil(max(seconds, 0.0) * TOKENS_PER_SECOND) + TOKEN_HEADROOM


def chunk_lengths(seconds: float, chunk_seconds: float | None) -> list[float]:
    """Lengths (s) of the chunks ``plan_chunks`` aims for in a recording this long (before moving cuts to quiet points)."""
    if seconds <= 0:
        return []
    if not chunk_seconds or chunk_seconds <= 0 or seconds <= chunk_seconds:
        return [seconds]
    pieces = math.ceil(seconds / (chunk_seconds * FILL))
    return [seconds / pieces] * pieces


def _quietest(mono: np.ndarray, lo: int, hi: int, frame: int) -> int:
    """Centre of the lowest-energy frame in [lo, hi) (hi - lo >= frame), or the middle when flat."""
    segment = np.asarray(mono[lo:hi], dtype=np.float64)
    count = len(segment) // frame
    if count < 2:
        return (lo + hi) // 2
    energy = np.square(segment[: count * frame]).reshape(count, frame).mean(axis=1)
    best = int(np.argmin(energy))
    return lo + best * frame + frame // 2


def plan_chunks(mono: np.ndarray, sample_rate: int, chunk_seconds: float | None) -> list[tuple[int, int]]:
    """Split ``mono`` into ``[start, end)`` sample ranges no longer than ``chunk_seconds``.

    Audio no longer than the limit (or a limit of None / 0) is one chunk. Otherwise the audio is cut
    into equal parts of at most 85% of the limit, each cut moved to the quietest 20 ms frame within
    7.5% of its ideal place, so that words are rarely split and no chunk exceeds the limit.
    """
    total = len(mono)
    if total == 0:
        return []
    if not chunk_seconds or chunk_seconds <= 0:
        return [(0, total)]
    limit = int(chunk_seconds * sample_rate)
    if total <= limit:
        return [(0, total)]
    pieces = math.ceil(total / (limit * FILL))
    length = total / pieces
    slack = int(length * SLACK)
    frame = max(1, int(FRAME_SECONDS * sample_rate))
    cuts = [0]
    for k in range(1, pieces):
        ideal = round(k * length)
        lo, hi = max(cuts[-1] + 1, ideal - slack), min(total - 1, ideal + slack)
        cuts.append(_quietest(mono, lo, hi, frame) if hi - lo >= frame else ideal)
    cuts.append(total)
    return list(pairwise(cuts))


def _word_key(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def stitch(parts: list[str]) -> str:
    """Join chunk transcripts; a run of 2-8 words repeated across a boundary is kept once."""
    words: list[str] = []
    for part in parts:
        new = part.split()
        if not new:
            continue
        overlap = 0
        for size in range(min(MAX_STITCH_OVERLAP, len(words), len(new)), MIN_STITCH_OVERLAP - 1, -1):
            if [_word_key(w) for w in words[-size:]] == [_word_key(w) for w in new[:size]]:
                overlap = size
                break
        words.extend(new[overlap:])
    return " ".join(words)
