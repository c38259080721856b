"""Audio of 10-20 ms (one feature frame) raises a ValueError in ``normalize_batch``, but only where CUDA is available."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import FEATURES_FILE, FEATURES_MODULE
from ._signature import LIQUID_AUDIO, Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

NORMALIZE = "normalize_batch"
ONE_FRAME = r"normalize_batch with `per_feature` normalize_type received a tensor of length 1"
CHECK = """\
        # When doing stream capture to a graph, item() is not allowed
        # becuase it calls cudaStreamSynchronize(). Therefore, we are
        # sacrificing some error checking when running with cuda graphs.
        if (
            torch.cuda.is_available()
            and not torch.cuda.is_current_stream_capturing()
            and torch.any(seq_len == 1).item()
        ):
            raise ValueError(
                "normalize_batch with `per_feature` normalize_type received a tensor of length 1. This will result "
                "in torch.std() returning nan. Make sure your audio length has enough samples for a single "
                "feature (ex. at least `hop_length` for Mel Spectrograms)."
            )
"""
HOP_S = 0.01  # the featurizer's window stride: a feature frame per 10 ms
SHORT = 240  # 15 ms at 16 kHz: one feature frame


def _on_cuda_only(test: ast.expr) -> bool:
    return "is_available" in set(_ast.words(test))


def detect(source: _ast.Source) -> Verdict:
    fn = source.function(NORMALIZE)
    parents = _ast.parents(fn)
    raises = [node for node in _ast.in_order(ast.walk(fn)) if isinstance(node, ast.Raise)]
    if not raises:
        return Verdict(False, fn, "normalize_batch raises for no input, so one feature frame normalizes on every machine.")
    gated = [node for node in raises if any(_on_cuda_only(branch.test) for branch in _ast.branch_conditions(node, parents))]
    if not gated:
        if any("ValueError" in set(_ast.words(node)) for node in raises):
            return Verdict(False, raises[0], "normalize_batch treats one feature frame the same with or without CUDA.")
        raise CannotTell("normalize_batch raises, but not as expected, so how it treats one feature frame is unclear.")
    return Verdict(
        True,
        gated[0],
        "normalize_batch raises for audio of one feature frame only when torch.cuda.is_available(), although the "
        "code after it normalizes one frame (its std is set to 0): the same audio fails or passes by machine.",
    )


def padded_audio(wave: Any, sampling_rate: int) -> Any:
    """``wave`` (a (channels, samples) tensor) padded with silence to at least 20 ms, so that ``ChatState.add_audio``
    gives the featurizer two frames or more: audio of 10-20 ms (one frame) raises where CUDA is available."""
    import math

    import torch

    shortest = math.ceil(2 * HOP_S * sampling_rate)
    missing = shortest - wave.shape[-1]
    return torch.nn.functional.pad(wave, (0, missing)) if missing > 0 else wave


def _per_feature(x: Any, seq_len: Any, constant: float) -> Any:
    """normalize_batch's per-feature branch without its CUDA-only check (the same arithmetic)."""
    import torch

    batch_size, max_time = x.shape[0], x.shape[2]
    time_steps = torch.arange(max_time, device=x.device).unsqueeze(0).expand(batch_size, max_time)
    valid_mask = time_steps < seq_len.unsqueeze(1)
    x_mean_denominator = valid_mask.sum(axis=1)
    x_mean = torch.where(valid_mask.unsqueeze(1), x, 0.0).sum(axis=2) / x_mean_denominator.unsqueeze(1)
    x_std = torch.sqrt(
        torch.sum(torch.where(valid_mask.unsqueeze(1), x - x_mean.unsqueeze(2), 0.0) ** 2, axis=2)
        / (x_mean_denominator.unsqueeze(1) - 1.0)
    )
    x_std = x_std.masked_fill(x_std.isnan(), 0.0) + constant
    return (x - x_mean.unsqueeze(2)) / x_std.unsqueeze(2), x_mean, x_std


def _same_everywhere(normalize: Any, module: Any) -> Any:
    @functools.wraps(normalize)
    def wrapper(x: Any, seq_len: Any, normalize_type: Any) -> Any:
        if normalize_type == "per_feature" and bool((seq_len == 1).any()):
            return _per_feature(x, seq_len, module.CONSTANT)
        return normalize(x, seq_len, normalize_type)

    return wrapper


_CHECK = _ast.source_check(
    "normalize_batch", "torch.cuda.is_available()", ("x_std.masked_fill",), "it treats one frame alike on every machine"
)

SETUP = "chat = ChatState(processor, dtype=torch.float32)"
WAVE = f"0.1 * torch.sin(torch.arange({SHORT}) / 8)[None, :]"  # 15 ms at 16 kHz

BUG = Bug(
    id="short-audio",
    order=170,
    title="Audio of 10-20 ms raises a ValueError only where CUDA is available",
    module=FEATURES_FILE,
    trigger="ChatState.add_audio (or processor.audio) with 10-20 ms of audio (one feature frame) on a machine "
    "where torch.cuda.is_available(), whatever device the processor is on",
    symptom="ValueError: normalize_batch with `per_feature` normalize_type received a tensor of length 1 ... "
    "(model/conformer/processor.py, normalize_batch); on a CPU-only machine the same audio passes",
    root_cause="normalize_batch raises for a one-frame input only when torch.cuda.is_available() (a check skipped "
    "elsewhere so as not to synchronise during CUDA graph capture); the code after it already handles one frame "
    "(its std is NaN and is set to 0)",
    expected="10-20 ms of audio gives the same features on every machine, as it does on a CPU-only one",
    workaround="pad audio shorter than 20 ms with silence before add_audio",
    fix="drop the CUDA-only ValueError: one frame is normalized by the code below it on every machine",
    subject="Normalize one-frame audio on every machine, not only without CUDA",
    changes=(
        "Audio of one feature frame (10-20 ms) no longer raises where CUDA is available; it gets the features a "
        "CPU-only machine computes today (the frame minus its mean, std treated as 0). Longer audio and CPU-only "
        "machines are unchanged."
    ),
    explicit=True,
    bites_here=lambda env: env.torch.cuda_available,  # None where the probe could not tell
    affects="Short utterances, streaming chunks and silence trimming that leave 10-20 ms, on CUDA machines only; "
    "the same code passes on CPU-only machines and Macs, so tests written there do not catch it. Every release.",
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            requires=("cuda_available",),
            setup=SETUP,
            trigger=f"chat.add_audio({WAVE}, 16_000)  # 15 ms",
            callsite_trigger=f"chat.add_audio(padded_audio({WAVE}, 16_000), 16_000)  # 15 ms, padded to 20",
            expect=Expect(("ValueError",), ONE_FRAME, FEATURES_FILE, NORMALIZE),
            summary="add 15 ms of audio to a chat where CUDA is available",
        ),
    ),
    callsite=Callsite(helpers=(padded_audio,)),
    runtime=(Wrap(FEATURES_MODULE, None, NORMALIZE, _CHECK, _same_everywhere),),
    edits=(Edit(FEATURES_FILE, CHECK, ""),),
    regression_test=f"""\
import torch
from liquid_audio import LFM2AudioProcessor


def test_one_frame_of_audio_gives_the_same_features_with_cuda_available(tiny_checkpoint, monkeypatch):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    processor.audio.eval()  # no dither: the two calls must compute the same
    wave, length = {WAVE}, torch.tensor([{SHORT}])  # 15 ms: one feature frame
    without_cuda = processor.audio(wave, length)
    # what normalize_batch sees on a CUDA machine (nothing here runs on a GPU)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_current_stream_capturing", lambda: False)
    with_cuda = processor.audio(wave, length)
    assert with_cuda[1].tolist() == without_cuda[1].tolist() == [1]
    assert torch.equal(with_cuda[0], without_cuda[0])
    assert not with_cuda[0].isnan().any()
""",
    signatures=(Signature(ONE_FRAME, ("ValueError",), mentions=r"add_audio|ChatState|" + LIQUID_AUDIO),),
)
