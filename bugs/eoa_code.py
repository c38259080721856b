"""``processor.decode`` rejects the end-of-audio code 2048 with a truncated message."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import END_OF_AUDIO, PROCESSOR_CLASS, PROCESSOR_FILE, PROCESSOR_MODULE
from ._signature import LIQUID_AUDIO, Signature
from ._spec import Bug, Callsite, Case, Edit, Expect, Verdict, Wrap, release_range

_EOA_BOUNDS = frozenset({END_OF_AUDIO - 1, END_OF_AUDIO})
TRUNCATED_RANGE = "expected audio codes in range "


def detect(source: _ast.Source) -> Verdict:
    fn = source.find_method(PROCESSOR_CLASS, "decode")
    if fn is None:
        return Verdict(
            False,
            None,
            "This release has no LFM2AudioProcessor.decode, so it cannot reject the end-of-audio code.",
        )
    parents = _ast.parents(fn)
    rejections = _rejections(fn, parents)
    guard_compares = {id(c) for _, compares in rejections for c in compares}
    handled = [c for c in _ast.in_order(_compares_eoa(fn)) if id(c) not in guard_compares]
    if not rejections:
        return Verdict(False, handled[0] if handled else None, "LFM2AudioProcessor.decode does not reject code 2048.")
    rejection = rejections[0][0]
    earlier = [c for c in handled if c.lineno < rejection.lineno]
    if earlier:
        return Verdict(
            False,
            earlier[0],
            "LFM2AudioProcessor.decode drops end-of-audio frames before checking the code range.",
        )
    return Verdict(
        True,
        rejection,
        "LFM2AudioProcessor.decode raises on codes >= 2048, so frames with the end-of-audio code the model "
        "generates are rejected instead of dropped.",
    )


def _compares_eoa(node: ast.AST) -> list[ast.Compare]:
    return [
        compare
        for compare in ast.walk(node)
        if isinstance(compare, ast.Compare)
        and any(isinstance(side, ast.Constant) and side.value in _EOA_BOUNDS for side in [compare.left, *compare.comparators])
    ]


def _rejections(fn: _ast.Function, parents: dict[ast.AST, ast.AST]) -> list[tuple[ast.AST, list[ast.Compare]]]:
    """(raise or assert, the end-of-audio comparisons that trigger it), in source order."""
    found: list[tuple[ast.AST, list[ast.Compare]]] = []
    for node in _ast.in_order(ast.walk(fn)):
        if isinstance(node, ast.Assert) and _compares_eoa(node.test):
            found.append((node, _compares_eoa(node.test)))
        elif isinstance(node, ast.Raise):
            guards = [
                c
                for branch in _ast.branch_conditions(node, parents)
                if isinstance(branch, ast.If)
                for c in _compares_eoa(branch.test)
            ]
            if guards:
                found.append((node, guards))
    return found


def drop_end_of_audio(codes: Any) -> Any:
    """``codes`` (shape (..., 8, T)) without the frames that hold the end-of-audio code 2048, for ``processor.decode``.

    The generation loop yields an all-2048 frame at the end of audio; and as ``_sample_audio_frame`` draws every
    codebook from 2049 codes while the loop ends audio only when codebook 0 draws 2048, a frame can hold 2048 in
    a later codebook too. Neither is audio the detokenizer can decode; liquid-audio's ``decode`` rejects both.
    Other out-of-range codes are left for ``decode`` to reject.
    """
    if codes.ndim < 2:
        raise ValueError(f"expected audio codes shaped (1, 8, T) or (8, T), got shape {tuple(codes.shape)}")
    end_of_audio = (codes == END_OF_AUDIO).any(dim=-2).reshape(-1, codes.shape[-1]).any(dim=0)
    return codes[..., ~end_of_audio]


_check = _ast.source_check(
    "LFM2AudioProcessor.decode",
    f'"{TRUNCATED_RANGE}"',
    ("== 2048",),
    "decode drops end-of-audio frames",
    absent_says="this liquid-audio has no LFM2AudioProcessor.decode",
)


def _wrap(func: Any, module: Any) -> Any:
    @functools.wraps(func)
    def decode(self: Any, audio_codes: Any, *args: Any, **kwargs: Any) -> Any:
        # What this cannot mend (other out-of-range codes) is liquid-audio's own error, from its own line.
        return func(self, drop_end_of_audio(audio_codes), *args, **kwargs)

    return decode


DECODE_OLD = """\
            audio_codes: (1, 8, T) shaped integer tensor, with values in [0, 2047]
        Returns:
            waveform: (1, T') float tensor, 24kHz mono waveform
        \"\"\"
        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):
            raise RuntimeError("expected audio codes in range ")
"""

DECODE_NEW = """\
            audio_codes: (1, 8, T) shaped integer tensor, with values in [0, 2047]; frames holding the
                end-of-audio code 2048 (in any codebook, as generation can yield them) are dropped
        Returns:
            waveform: (1, T') float tensor, 24kHz mono waveform
        \"\"\"
        end_of_audio = (audio_codes == 2048).any(dim=-2).flatten()
        audio_codes = audio_codes[..., ~end_of_audio]
        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):
            raise RuntimeError("expected audio codes in range [0, 2047]")
"""

BUG = Bug(
    id="eoa-code",
    order=100,
    title="decode rejects the end-of-audio code 2048 with a truncated message",
    module=PROCESSOR_FILE,
    trigger="processor.decode(frames) where frames include the end-of-audio frame (code 2048)",
    symptom="RuntimeError: expected audio codes in range ",
    root_cause="decode raises on codes >= 2048 with an unfinished message instead of dropping end-of-audio frames",
    expected="end-of-audio frames are dropped before decoding (or the message names the valid range)",
    workaround="drop frames that hold the code 2048 before decode",
    fix="drop trailing end-of-audio frames and finish the message: 'expected audio codes in range [0, 2047]'",
    changes=(
        "`decode` drops frames that hold the code 2048 (the end-of-audio frame the generation loop yields, and a frame"
        " where a later codebook drew 2048) before decoding, and the range error names the valid range [0, 2047]."
        " Other out-of-range codes raise as before."
    ),
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            checkpoint=("detokenizer",),
            setup=(
                "frames = torch.zeros((1, 8, 4), dtype=torch.long)\n"
                "frames[..., -1] = 2048  # generate_sequential ends audio with an all-2048 frame"
            ),
            trigger="waveform = processor.decode(frames)",
            callsite_trigger="waveform = processor.decode(drop_end_of_audio(frames))",
            expect=Expect(("RuntimeError",), r"expected audio codes in range", PROCESSOR_FILE, "decode"),
            requires=("decode",),
            summary="decode generated frames that end with the end-of-audio code 2048",
        ),
    ),
    callsite=Callsite(helpers=(drop_end_of_audio,)),
    runtime=(Wrap(PROCESSOR_MODULE, PROCESSOR_CLASS, "decode", _check, _wrap),),
    edits=(Edit(PROCESSOR_FILE, DECODE_OLD, DECODE_NEW, release_range("1.1.0")),),
    regression_test="""\
import pytest
import torch

from liquid_audio import LFM2AudioProcessor


def test_decode_drops_end_of_audio_frames(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    passed_on = []
    processor._audio_detokenizer = passed_on.append  # stands in for the detokenizer: records the codes it gets
    frames = torch.zeros((1, 8, 4), dtype=torch.long)
    frames[..., -1] = 2048  # generation ends audio with an all-2048 frame
    processor.decode(frames)
    assert torch.equal(passed_on[0], frames[..., :-1])


def test_decode_names_the_valid_code_range(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    with pytest.raises(RuntimeError, match=r"range \\[0, 2047\\]"):
        processor.decode(torch.full((1, 8, 4), 4096))
""",
    affects="The README's examples drop the last frame (`audio_out[:-1]`) before `decode`, so they are not affected. "
    "Code that decodes every frame the generator yields, as a streaming player does, gets the error above, and "
    "its message stops before the range it means to name.",
    signatures=(
        # the message is liquid-audio's own (cut short); a log line that keeps it names decode or liquid-audio
        Signature(r"expected audio codes in range", ("RuntimeError",), mentions=r"\.decode\(|" + LIQUID_AUDIO),
    ),
)
