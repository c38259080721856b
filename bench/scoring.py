"""Scoring: WER / CER with substitution, deletion and insertion counts (jiwer), output-quality flags,
and the medians used with ``--runs``. Pure: text and numbers in, numbers out.

Both sides are normalised (``lfmdoctor.bench.normalize``) before jiwer sees them: jiwer 4's default
transform only collapses whitespace. Corpus figures are pooled over clips (total errors / total
reference words), as the Open ASR Leaderboard reports them, not averaged per clip.
"""

from __future__ import annotations

import statistics
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lfmdoctor.bench.normalize import normalize

# Output-quality thresholds.
MAX_WORDS_PER_SECOND = 7.0  # faster than anyone speaks: words the audio cannot contain
MAX_CHARS_PER_SECOND = 40.0
INSERTION_SHARE = 0.5  # insertions above half the reference words (and at least 3)
MIN_INSERTIONS = 3
COMPRESSION_RATIO = 2.4  # Whisper's hallucination / repetition threshold on zlib-compressed text
MIN_COMPRESSIBLE_CHARS = 40
REPEATED_RUN = 4  # the same 1-6 word n-gram this many times in a row
REPEATED_TOKEN = 10  # the same text token this many times in a row (a decoding loop)


class ScoringUnavailable(Exception):
    """jiwer is not installed in lfmdoctor's interpreter."""


@dataclass(frozen=True)
class ErrorCounts:
    wer: float
    cer: float
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    ref_words: int
    char_errors: int
    ref_chars: int


def _jiwer():
    try:
        import jiwer
    except ImportError:
        raise ScoringUnavailable(
            f"jiwer is not installed next to lfmdoctor ({sys.executable}); install it with: pip install 'jiwer>=4,<5'"
        ) from None
    return jiwer


def score(references: Sequence[str], hypotheses: Sequence[str]) -> ErrorCounts:
    """Pooled WER and CER of already-normalised texts (a reference must not be empty)."""
    if len(references) != len(hypotheses) or not references:
        raise ValueError("score needs as many hypotheses as references, and at least one")
    if any(not ref.strip() for ref in references):
        raise ValueError("a reference is empty after normalisation")
    jiwer = _jiwer()
    words = jiwer.process_words(list(references), list(hypotheses))
    chars = jiwer.process_characters(list(references), list(hypotheses))
    ref_words = words.hits + words.substitutions + words.deletions
    ref_chars = chars.hits + chars.substitutions + chars.deletions
    char_errors = chars.substitutions + chars.deletions + chars.insertions
    return ErrorCounts(
        wer=float(words.wer),
        cer=float(chars.cer),
        substitutions=int(words.substitutions),
        deletions=int(words.deletions),
        insertions=int(words.insertions),
        hits=int(words.hits),
        ref_words=int(ref_words),
        char_errors=int(char_errors),
        ref_chars=int(ref_chars),
    )


def score_texts(reference: str, hypothesis: str) -> ErrorCounts:
    return score([normalize(reference)], [normalize(hypothesis)])


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def longest_repeat(words: Sequence[str], max_n: int = 6) -> int:
    """Most consecutive repetitions of any 1..max_n-word n-gram."""
    best = 1 if words else 0
    for n in range(1, max_n + 1):
        for start in range(len(words) - n):
            count = 1
            pos = start + n
            while words[pos : pos + n] == words[start : start + n] and len(words[pos : pos + n]) == n:
                count += 1
                pos += n
            best = max(best, count)
    return best


def quality_flags(
    hypothesis: str,
    audio_seconds: float,
    *,
    hit_token_limit: bool,
    insertions: int | None = None,
    ref_words: int | None = None,
    token_repeat: int = 0,
) -> list[str]:
    """``truncated``: a chunk stopped at max_new_tokens instead of <|im_end|>. ``repetitive``: a
    1-6 word n-gram repeated 4+ times in a row, zlib compression ratio > 2.4 (Whisper's rule), or one
    text token generated 10+ times in a row (``token_repeat``, even when it decodes to whitespace).
    ``hallucinated``: more words or characters than the audio can hold (> 7 words/s or 40 chars/s),
    or insertions above half the reference words."""
    flags: list[str] = []
    if hit_token_limit:
        flags.append("truncated")
    norm = normalize(hypothesis)
    words = norm.split()
    if (
        token_repeat >= REPEATED_TOKEN
        or longest_repeat(words) >= REPEATED_RUN
        or (len(hypothesis) >= MIN_COMPRESSIBLE_CHARS and compression_ratio(hypothesis) > COMPRESSION_RATIO)
    ):
        flags.append("repetitive")
    seconds = max(audio_seconds, 1e-6)
    too_dense = len(words) / seconds > MAX_WORDS_PER_SECOND or len(hypothesis.strip()) / seconds > MAX_CHARS_PER_SECOND
    too_many = (
        insertions is not None
        and ref_words is not None
        and insertions >= MIN_INSERTIONS
        and insertions > INSERTION_SHARE * ref_words
    )
    if too_dense or too_many:
        flags.append("hallucinated")
    return flags


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
