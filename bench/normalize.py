"""Whisper's English text normaliser, applied to reference and hypothesis before scoring.

The Open ASR Leaderboard scores with openai-whisper's ``EnglishTextNormalizer``; ``whisper-normalizer``
packages that code without torch: lowercase; drop bracketed asides and fillers; expand contractions and
titles; number words to digits ("twenty five" -> "25"); British to American spelling ("colour" ->
"color"); strip accents and punctuation. Pure: no I/O.
"""

from __future__ import annotations

from functools import cache

from whisper_normalizer.english import EnglishTextNormalizer

# Rules whisper-normalizer adds to Whisper's; dropped so that the text is Whisper's. The last one also
# turns the noun ("the cause of") into "the because of".
NOT_WHISPER = (r"\bkinda\b", r"\bsorta\b", r"\bdunno\b", r"\bcause\b")


@cache
def _whisper() -> EnglishTextNormalizer:
    normalizer = EnglishTextNormalizer()
    for pattern in NOT_WHISPER:
        normalizer.replacers.pop(pattern, None)
    return normalizer


def normalize(text: str) -> str:
    """Whisper's English normalisation for WER/CER scoring, without leading or trailing spaces."""
    return _whisper()(text).strip()
