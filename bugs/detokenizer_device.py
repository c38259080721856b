"""The audio detokenizer is built with a hard-coded ``.cuda()``, whatever the processor's device."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

from . import _ast
from ._anatomy import CUDA_UNUSABLE, DETOKENIZER_SINCE, PROCESSOR_CLASS, PROCESSOR_FILE, PROCESSOR_MODULE
from ._signature import Signature
from ._spec import (
    Bug,
    Callsite,
    Case,
    Edit,
    Expect,
    Thread,
    Verdict,
    Wrap,
    release_range,
    without_cuda,
)
from ._threads import DEVICE_PR, READ


def detect(source: _ast.Source) -> Verdict:
    fn = source.find_method(PROCESSOR_CLASS, "audio_detokenizer")
    if fn is None:
        return Verdict(False, None, "This release has no audio_detokenizer, so it cannot build one on the wrong device.")
    cuda_calls = [call for call in _ast.calls(fn, ["cuda"]) if isinstance(call.func, ast.Attribute)]
    if cuda_calls:
        return Verdict(
            True,
            cuda_calls[0],
            "audio_detokenizer builds the detokenizer with a hard-coded .cuda(), ignoring the processor's device.",
        )
    moves = _ast.calls(fn, ["to"])
    return Verdict(False, moves[0] if moves else None, "audio_detokenizer has no hard-coded .cuda().")


def load_detokenizer(processor: Any) -> Any:
    """Build the processor's audio detokenizer on ``processor.device`` and install it.

    Does what ``LFM2AudioProcessor.audio_detokenizer`` does (liquid-audio >= 1.1.0) minus its
    hard-coded ``.cuda()``: read the config (sliding attention renamed to full attention, as upstream
    does), build ``LFM2AudioDetokenizer``, load the weights on CPU, move it to the processor's device,
    set ``processor._audio_detokenizer`` and return it.
    """
    try:
        from liquid_audio.detokenizer import LFM2AudioDetokenizer
    except ImportError:
        raise RuntimeError(
            f"this liquid-audio has no LFM2AudioDetokenizer (added in {DETOKENIZER_SINCE}); "
            f"upgrade with: pip install 'liquid-audio>={DETOKENIZER_SINCE}'"
        ) from None
    from safetensors.torch import load_file
    from transformers import Lfm2Config

    folder = getattr(processor, "detokenizer_path", None)
    if not folder:
        name = getattr(processor, "name", None) or "this checkpoint"
        raise ValueError(f"{name} has no audio_detokenizer/ folder; use a checkpoint that ships one")
    folder = Path(folder)
    config = Lfm2Config.from_pretrained(folder / "config.json")
    if isinstance(config.layer_types, list):
        config.layer_types = ["full_attention" if t == "sliding_attention" else t for t in config.layer_types]
    detokenizer = LFM2AudioDetokenizer(config).eval()
    detokenizer.load_state_dict(load_file(str(folder / "model.safetensors"), device="cpu"))
    detokenizer = detokenizer.to(processor.device).eval()
    processor._audio_detokenizer = detokenizer
    return detokenizer


def _detokenizer_on_device(processor: Any) -> Any:
    """``load_processor``'s last step: off CUDA, build the detokenizer (when shipped) on the processor's device."""
    if str(processor.device).split(":", 1)[0] != "cuda" and getattr(processor, "detokenizer_path", None):
        load_detokenizer(processor)
    return processor


_check = _ast.source_check(
    "LFM2AudioProcessor.audio_detokenizer",
    ".cuda()",
    ("self.device",),
    "audio_detokenizer builds the detokenizer on the processor's device",
    absent_says="this liquid-audio has no audio detokenizer",
)


def _wrap(original: Any, module: Any) -> Any:
    @functools.wraps(original)
    def audio_detokenizer(self: Any) -> Any:
        if getattr(self, "_audio_detokenizer", None) is None and getattr(self, "detokenizer_path", None):
            load_detokenizer(self)  # on self.device, instead of .cuda()
        return original(self)

    return audio_detokenizer


BUG = Bug(
    id="detokenizer-device",
    order=40,
    title="audio_detokenizer is built with a hard-coded .cuda()",
    module=PROCESSOR_FILE,
    trigger="processor.decode(codes) on a processor loaded with device='cpu' or 'mps'",
    symptom="AssertionError: Torch not compiled with CUDA enabled (CPU/macOS torch); RuntimeError: Found no NVIDIA "
    "driver on your system (CUDA torch, no driver); on a busy GPU an unexpected CUDA out-of-memory",
    root_cause="LFM2AudioDetokenizer(...).eval().cuda() ignores the processor's device",
    expected="the detokenizer is built on the processor's device and decode returns a waveform",
    workaround="before the first decode, build the detokenizer as audio_detokenizer does (the config's "
    "sliding_attention layers renamed to full_attention, then the weights loaded) but with .to(processor.device) "
    "instead of .cuda(), and assign it to processor._audio_detokenizer",
    fix="build the detokenizer with .to(self.device)",
    changes=(
        "The audio detokenizer is built on the processor's device instead of always on CUDA. A processor on CUDA "
        "(the default) gets the same detokenizer as before; on cpu or mps, decoding no longer touches CUDA."
    ),
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            checkpoint=("detokenizer",),
            trigger="waveform = processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))",
            # on a busy GPU the hard-coded .cuda() shows as an out-of-memory error instead (upstream #26)
            expect=Expect(
                ("AssertionError", "RuntimeError"), CUDA_UNUSABLE + "|CUDA out of memory", PROCESSOR_FILE, "audio_detokenizer"
            ),
            requires=("decode", "cuda_unusable"),
            summary="decode audio codes with a processor loaded on the CPU",
        ),
    ),
    callsite=Callsite(helpers=(load_detokenizer,), processor_loaded=_detokenizer_on_device),
    runtime=(Wrap(PROCESSOR_MODULE, PROCESSOR_CLASS, "audio_detokenizer", _check, _wrap),),
    edits=(
        Edit(
            PROCESSOR_FILE,
            "LFM2AudioDetokenizer(detok_config).eval().cuda()",
            "LFM2AudioDetokenizer(detok_config).eval().to(self.device)",
            release_range("1.1.0"),
        ),
    ),
    regression_test="""\
import torch

from liquid_audio import LFM2AudioProcessor


def test_decode_builds_the_detokenizer_on_the_processors_device(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    waveform = processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))
    assert waveform.device.type == "cpu"
    assert {p.device.type for p in processor.audio_detokenizer.parameters()} == {"cpu"}
""",
    threads=(
        Thread(
            26,
            "issue",
            "LFM2AudioProcessor ignores device kwarg for lazy audio_detokenizer (hard-codes .cuda())",
            "closed",
            READ,
            "reports this bug; it is closed, yet the latest release still calls .cuda()",
        ),
        DEVICE_PR(
            "moves the detokenizer with .to(self.device), among its device changes; merging it fixes this bug", fixes=True
        ),
    ),
    severity="crash",
    explicit=True,
    bites_here=without_cuda,
    signatures=(
        # without the traceback, only the CUDA-unusable messages next to decode (an out-of-memory alone is too common)
        Signature(
            CUDA_UNUSABLE,
            ("AssertionError", "RuntimeError"),
            mentions=r"\.decode\(|audio_detokenizer|detokenizer",
        ),
    ),
)
