"""Whisper's English normaliser (the Open ASR Leaderboard's): exact strings."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from whisper_normalizer.english import EnglishTextNormalizer

from lfmdoctor.bench.normalize import normalize

CASES = [
    # British to American spelling; the hand-written normaliser before kept "the colour of the theatre"
    ("The colour of the theatre.", "the color of the theater"),
    ("I've analysed the organisation's behaviour.", "i have analyzed the organization is behavior"),
    # number words to digits; before, digits became words ("twenty five apples")
    ("Twenty five apples.", "25 apples"),
    ("It's twenty-five past nine.", "it is 25 past 9"),
    ("one oh one", "101"),
    ("ten thousand dollars", "$10000"),
    ("50% off, 3.14 and 1,000,000", "50% off 3.14 and 1000000"),
    # contractions and titles
    ("I can't, you won't, they don't.", "i can not you will not they do not"),
    ("She'd been there, he's gone.", "she had been there he has gone"),
    ("Mr. Smith met Dr. Jones.", "mister smith met doctor jones"),
    # fillers, bracketed asides, punctuation, accents, whitespace
    ("Uh, um, hmm... well [noise] okay (laughs)", "well okay"),
    ("  Hello,   WORLD!!  ", "hello world"),
    ("twenty-one café naïve", "21 cafe naive"),
    ("", ""),
    # whisper-normalizer's own rules are dropped: Whisper keeps these words
    ("The cause of the fire.", "the cause of the fire"),
    ("I kinda like it.", "i kinda like it"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_both_sides_meet():
    assert normalize("Don't forget, the meeting starts at 3 on May 21st.") == normalize(
        "do not forget the meeting starts at three on may twenty-first"
    )
    assert normalize("The grey programme travelled a metre.") == normalize("the gray program traveled a meter")


def test_the_dropped_rules_are_still_in_the_package():
    # If a release drops them, NOT_WHISPER is dead code.
    assert EnglishTextNormalizer()("The cause of the fire.") == "the because of the fire"


def test_same_as_whispers_own_rules():
    whisper = pytest.importorskip("transformers.models.whisper.english_normalizer")  # a copy of openai-whisper's
    spelling = json.loads(files("whisper_normalizer").joinpath("normalizers/english.json").read_text(encoding="utf-8"))
    reference = whisper.EnglishTextNormalizer(spelling)
    for text, _ in CASES:
        assert normalize(text) == reference(text).strip(), text
