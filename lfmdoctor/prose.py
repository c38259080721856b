"""Sentences in what goes upstream: the one way a fragment becomes a sentence."""

from __future__ import annotations


def sentence(text: str) -> str:
    """Capitalise prose, never code ('add_audio accepts' stays as it is), and end it with a period."""
    text = text.strip()
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return period(text)


def period(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
