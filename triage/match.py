"""Score the errors found in a text against every known bug's signatures: pure, standard library only.

A signature matches an error when its message pattern is found, the error's type (where the text gives one)
is one of its types, and the error is tied to liquid-audio: by a liquid-audio frame the signature names where
the error has a traceback, or, for an error with no traceback at all, by the words in ``mentions``. An error
whose traceback runs through no named liquid-audio frame is never matched: the same message raised by
another library is not this bug.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lfmdoctor.bugs._signature import Signature, signatures_of

from .parse import Frame, Raised

# Exception classes seen in the wild and the builtin they derive from: a signature naming the base matches
# them (a text names only the class that was raised; ``Expect`` accepts any class in its MRO).
KNOWN_BASES = {
    "OutOfMemoryError": "RuntimeError",  # torch.OutOfMemoryError, torch.cuda.OutOfMemoryError
    "AcceleratorError": "RuntimeError",
    "HFValidationError": "ValueError",
    "SafetensorError": "Exception",
    "RepositoryNotFoundError": "OSError",
    "EntryNotFoundError": "OSError",
}
# What each part adds to a match's score: frames that name the function are the strongest evidence.
SCORE = {"message": 2, "type": 1, "frame": 2, "function": 1, "mentions": 1}


@dataclass(frozen=True)
class Evidence:
    """How one signature matched one error: which parts, with what they matched."""

    bug: str
    signature: Signature
    raised: Raised
    message: str  # the text the message pattern found
    type: str | None  # the matched class name; None where the text gives no type
    frame: Frame | None  # the liquid-audio frame the signature names; None without a traceback
    mention: str | None  # the words that tie a traceback-less error to the bug

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts that matched, strongest last: ``type``, ``message``, ``frames`` (or ``mentions``)."""
        named = {"type": self.type, "message": True, "frames": self.frame, "mentions": self.mention}
        return tuple(part for part, value in named.items() if value)

    @property
    def score(self) -> int:
        score = SCORE["message"] + (SCORE["type"] if self.type else 0) + (SCORE["mentions"] if self.mention else 0)
        if self.frame is not None:
            score += SCORE["frame"] + (SCORE["function"] if self.frame.function and _names_function(self.signature) else 0)
        return score


def _names_function(signature: Signature) -> bool:
    return any(":" in frame for frame in signature.frames)


def type_matches(name: str, types: tuple[str, ...]) -> bool:
    return not types or name in types or KNOWN_BASES.get(name) in types


def frame_matches(frame: Frame, wanted: str) -> bool:
    """Is ``frame`` the liquid-audio frame ``wanted`` names (``file``, ``folder/`` or ``file:function``)?"""
    path, _, function = wanted.partition(":")
    inside = frame.package_file
    if inside is None:
        return False
    if path.endswith("/") and not inside.startswith(path):
        return False
    if not path.endswith("/") and inside != path:
        return False
    return not function or frame.function == function


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def evidence(bug: str, signature: Signature, raised: Raised, text: str) -> Evidence | None:
    """How ``signature`` matches ``raised`` (``text``: the whole input, where mentions are looked for), or None."""
    if (raised.frames and not raised.package_frames) or not (raised.frames or signature.mentions):
        return None  # raised elsewhere than liquid-audio, or nothing but a message to go on
    found = _compiled(signature.message).search(raised.message)
    if found is None:
        return None
    name = raised.name
    if name is not None and not type_matches(name, signature.types):
        return None
    frame = mention = None
    if raised.frames:
        frame = next((f for f in raised.package_frames for wanted in signature.frames if frame_matches(f, wanted)), None)
        if frame is None:
            return None
    else:
        words = _compiled(signature.mentions).search(text) if signature.mentions else None
        if words is None:
            return None
        mention = words.group(0)
    return Evidence(bug, signature, raised, found.group(0) or "(empty)", name if signature.types else None, frame, mention)


def best(bugs, errors: tuple[Raised, ...], text: str) -> list[Evidence]:
    """The strongest evidence for each bug that matches any of ``errors``, strongest first (ties in bug order)."""
    ranked: list[Evidence] = []
    for bug in bugs:
        candidates = [
            found
            for signature in signatures_of(bug)
            for raised in errors
            if (found := evidence(bug.id, signature, raised, text)) is not None
        ]
        if candidates:
            ranked.append(max(candidates, key=lambda e: e.score))
    return sorted(ranked, key=lambda e: -e.score)
