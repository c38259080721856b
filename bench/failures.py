"""Map an exception raised inside liquid-audio to a known bug id (lfmdoctor.bugs). Pure.

The ASR child reports a failure as (stage, exception type, message, frames), frames being
``(file, line, function)`` with liquid-audio files shortened to ``liquid_audio/...``. A failure is an
instance of a bug when it is what that bug's reproduction case expects (``lfmdoctor.bugs``:
exception type, message and the liquid-audio function it comes from), so each bug's failure is
described once, there.
"""

from __future__ import annotations

from collections.abc import Sequence

from lfmdoctor.bugs import CASES
from lfmdoctor.repro.classify import mismatch

Frame = Sequence  # (file, line, function)


def _liquid(frames: Sequence[Frame]) -> list[tuple[str, int, str]]:
    return [(str(f[0]), int(f[1]), str(f[2])) for f in frames if "liquid_audio/" in str(f[0]).replace("\\", "/")]


def where(frames: Sequence[Frame]) -> str | None:
    """``file:line`` of the innermost liquid-audio frame, else of the innermost frame."""
    liquid = _liquid(frames)
    chosen = liquid[-1] if liquid else (tuple(frames[-1]) if frames else None)
    if not chosen:
        return None
    path = str(chosen[0]).replace("\\", "/")
    if "liquid_audio/" in path:
        path = path[path.rindex("liquid_audio/") :]
    return f"{path}:{chosen[1]}"


def matching_bug(error_type: str, message: str, frames: Sequence[Frame]) -> str | None:
    """The known bug id this failure is an instance of, or None when it matches none."""
    short_type = error_type.rsplit(".", 1)[-1]
    exc = {"type": short_type, "mro": [short_type], "message": message}
    liquid = []
    for path, line, function in _liquid(frames):
        path = path.replace("\\", "/")
        liquid.append(f"{path[path.rindex('liquid_audio/') :]}:{line} in {function}")
    for case in CASES:
        if case.expect.frame is not None and mismatch(case, exc, liquid) is None:
            return case.bug
    return None
