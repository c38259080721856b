"""The Whisper-style English normaliser: exact strings."""

from __future__ import annotations

import pytest

from lfmdoctor.bench.normalize import normalize, spell_integer, spell_ordinal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The quick brown fox jumps over the lazy dog.", "the quick brown fox jumps over the lazy dog"),
        ("  Hello,   WORLD!!  ", "hello world"),
        ("It's 10 past 9, and we're almost done.", "it is ten past nine and we are almost done"),
        ("I can't, you won't, they don't.", "i can not you will not they do not"),
        ("Let's go; I'm sure you'll see they've left.", "let us go i am sure you will see they have left"),
        ("She'd been there, he's gone.", "she had been there he has gone"),
        ("Uh, um, hmm... well [noise] okay (laughs)", "well okay"),
        ("Mr. Smith met Dr. Jones.", "mister smith met doctor jones"),
        ("May 21st, the 3rd and 2nd of 101 days", "may twenty first the third and second of one hundred one days"),
        ("$5, $1 and £2.50", "five dollars one dollar and two pounds fifty cents"),
        ("50% off, 3.14 and 1,000,000", "fifty percent off three point one four and one million"),
        ("Agent 007 & co.", "agent zero zero seven and co"),
        ("twenty-one café naïve", "twenty one cafe naive"),
        ("Don\u2019t \u201cquote\u201d me", "do not quote me"),
        ("", ""),
        ("?!...", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_both_sides_meet():
    assert normalize("It's ten past nine.") == normalize("it is 10 past 9")
    assert normalize("Don't forget, the meeting starts at 3 on May 21st.") == normalize(
        "do not forget the meeting starts at three on may twenty-first"
    )


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (40, "forty"),
        (99, "ninety nine"),
        (100, "one hundred"),
        (1999, "one thousand nine hundred ninety nine"),
        (2_000_001, "two million one"),
        (-7, "minus seven"),
    ],
)
def test_spell_integer(number, words):
    assert spell_integer(number) == words


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (5, "fifth"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty first"),
        (100, "one hundredth"),
    ],
)
def test_spell_ordinal(number, words):
    assert spell_ordinal(number) == words
