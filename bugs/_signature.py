"""What an error a user has must look like to be one known bug: the declaration ``lfmdoctor triage`` matches.

Every reproduction case already states what it raises (``Expect``: types, message, liquid-audio frame);
``derived`` turns each into a signature, so a bug module declares ``signatures`` only for the forms its cases
do not give: another release's message, a driver variant, the one-line message a log keeps without its
traceback. Standard library only, like every bug module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """One form of a known bug's error. Each part may be absent; the message is the part always required.

    ``frames``: ``"file"`` or ``"file:function"`` inside the ``liquid_audio`` package (a file ending in ``/``
    names a folder); an error with a traceback matches only if one of its liquid-audio frames is one of them.
    ``mentions``: a regular expression of words that tie an error *without* any traceback to this bug (a
    class or method name in the same log line or issue body). A signature with neither frames nor mentions
    never matches: a message alone is not evidence enough.
    """

    message: str  # regular expression searched in the exception message; "^$" means an empty message
    types: tuple[str, ...] = ()  # exception class names (a name or one of its known bases); () any
    frames: tuple[str, ...] = ()
    mentions: str = ""
    source: str = "a log line"  # where this form was seen: a reproduction case, a release, an upstream thread


def derived(case) -> Signature | None:
    """The signature a reproduction case's ``Expect`` gives (None where the failure is the harness's own check)."""
    expect = case.expect
    if expect.frame is None:
        return None
    frame = f"{expect.frame}:{expect.function}" if expect.function else expect.frame
    return Signature(expect.message, expect.types, (frame,), source=f"reproduction case {case.id}")


def signatures_of(bug) -> tuple[Signature, ...]:
    """Every signature of ``bug``: its cases' (in order, without repeats), then its declared ones."""
    found: list[Signature] = []
    for signature in (*(derived(case) for case in bug.cases), *bug.signatures):
        if signature is not None and signature not in found:
            found.append(signature)
    return tuple(found)


# Words that tie a traceback-less error to liquid-audio at all (bug modules narrow them to their own call)
LIQUID_AUDIO = r"liquid[-_]audio|LFM2Audio\w+|LFM2\.5-Audio"
GENERATION = r"generate_(?:sequential|interleaved)|" + LIQUID_AUDIO  # ... and the generation loop
