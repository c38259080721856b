"""``ChatState.add_audio`` keeps the featurizer's padding frame, which the training mapper crops."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import CHAT_STATE_CLASS, PROCESSOR_FILE, PROCESSOR_MODULE
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

FEATURES = "        mel, _ = self.proc.audio(wave, length)\n\n        new_audio_in = mel[0].to(self.dtype)\n"
CROPPED = (
    "        mel, mel_len = self.proc.audio(wave, length)\n\n"
    "        new_audio_in = mel[0, :, : int(mel_len[0])].to(self.dtype)\n"
)
# 0.8 s: the featurizer counts 80 frames of audio (10 audio embeddings), add_audio keeps 81 (11 embeddings)
SAMPLES = 12_800
WAVE = f"0.1 * torch.sin(torch.arange({SAMPLES}) / 8)[None, :]"


def _featurizes(node: ast.AST) -> bool:
    """``<x>.proc.audio(...)`` (or ``<x>.audio(...)``): the mel featurizer call that returns (features, lengths)."""
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "audio" and bool(node.args)
    )


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(CHAT_STATE_CLASS, "add_audio")
    assigns = [
        node
        for node in _ast.in_order(ast.walk(fn))
        if isinstance(node, ast.Assign) and _featurizes(node.value) and isinstance(node.targets[0], ast.Tuple)
    ]
    if not assigns or len(assigns[0].targets[0].elts) != 2:
        raise CannotTell(
            "ChatState.add_audio does not unpack (features, lengths) from the featurizer, so its cropping is unclear."
        )
    assign = assigns[0]
    length = assign.targets[0].elts[1]
    name = length.id if isinstance(length, ast.Name) else None
    later = [node for node in ast.walk(fn) if getattr(node, "lineno", 0) > assign.lineno]
    used = name not in (None, "_") and any(isinstance(node, ast.Name) and node.id == name for node in later)
    if used:
        return Verdict(False, assign, "ChatState.add_audio keeps only the mel frames the featurizer counts as audio.")
    return Verdict(
        True,
        assign,
        "ChatState.add_audio drops the featurizer's lengths and keeps every mel frame, the padding frame "
        "included, which the training mapper crops.",
    )


class _CroppedFeatures:
    """The processor's featurizer, returning only the frames its lengths count (the rest is padding)."""

    def __init__(self, audio: Any) -> None:
        self._audio = audio

    def __call__(self, wave: Any, length: Any) -> Any:
        mel, mel_len = self._audio(wave, length)
        return mel[..., : int(mel_len.max())], mel_len

    def __getattr__(self, name: str) -> Any:
        return getattr(self._audio, name)


class _CroppingProcessor:
    def __init__(self, processor: Any) -> None:
        self._processor = processor
        self.audio = _CroppedFeatures(processor.audio)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._processor, name)


def _add_cropped(add_audio: Any, chat: Any, wave: Any, sampling_rate: int) -> None:
    processor = chat.proc
    chat.proc = _CroppingProcessor(processor)
    try:
        add_audio(chat, wave, sampling_rate)
    finally:
        chat.proc = processor


def add_audio_cropped(chat: Any, wave: Any, sampling_rate: int) -> None:
    """``chat.add_audio(wave, sampling_rate)`` keeping only the mel frames the featurizer counts as audio, as
    liquid-audio's training mapper does: without the trailing padding frame add_audio keeps."""
    _add_cropped(type(chat).add_audio, chat, wave, sampling_rate)


def _crop(add_audio: Any, module: Any) -> Any:
    @functools.wraps(add_audio)
    def wrapper(self: Any, wave: Any, sampling_rate: int) -> None:
        _add_cropped(add_audio, self, wave, sampling_rate)

    return wrapper


_CHECK = _ast.source_check(
    "ChatState.add_audio", "mel, _ = self.proc.audio(wave, length)", ("mel_len",), "it crops to the featurizer's lengths"
)

TRIGGER = f"""\
wave = {WAVE}
chat.add_audio(wave, 16_000)
_, frames = processor.audio(wave, torch.tensor([{SAMPLES}]))
kept = chat.audio_in.shape[1]
assert kept == frames.item(), f"add_audio kept {{kept}} mel frames; the featurizer counts {{frames.item()}} as audio\""""

BUG = Bug(
    id="audio-padding",
    order=150,
    title="ChatState.add_audio keeps a padding mel frame that training crops",
    module=PROCESSOR_FILE,
    trigger="ChatState.add_audio(wave, sampling_rate), any audio (the chat and ASR examples)",
    symptom="no error: the model gets one more mel frame than the audio holds (a padding frame), and one more "
    "audio embedding whenever the audio's frame count is a multiple of 8 (0.8 s: 81 frames and 11 embeddings, not 80 and 10)",
    root_cause="add_audio unpacks mel, _ = self.proc.audio(wave, length) and keeps mel[0] whole, ignoring the lengths; "
    "the featurizer's centred STFT makes one frame more than its lengths count, and the training mapper "
    "(data/mapper.py, 1.2.0+) keeps only mel[0, :, :mel_len]",
    expected="add_audio keeps the mel frames the featurizer counts as audio, as the training mapper does",
    workaround="crop after add_audio: chat.audio_in and chat.audio_in_lens to the featurizer's length",
    fix="keep the featurizer's lengths and crop the features to them: mel[0, :, : int(mel_len[0])]",
    subject="Crop add_audio's features to the featurizer's length",
    changes=(
        "`ChatState.add_audio` stores only the mel frames the featurizer counts as audio (one frame fewer than "
        "today), as the training mapper does; `audio_in_lens` and the audio positions follow. Text and other "
        "inputs are unchanged."
    ),
    severity="wrong output",
    explicit=True,
    affects="Every audio input: the README's chat and ASR examples call add_audio. The model was trained on "
    "features cropped by the mapper, so inference sees one frame it never saw in training.",
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            setup="chat = ChatState(processor, dtype=torch.float32)",
            trigger=TRIGGER,
            callsite_trigger=TRIGGER.replace("chat.add_audio(wave, 16_000)", "add_audio_cropped(chat, wave, 16_000)"),
            expect=Expect(("AssertionError",), r"add_audio kept \d+ mel frames; the featurizer counts \d+", None),
            summary="add 0.8 s of audio and compare the frames kept with the featurizer's length",
            expected_text="add_audio keeps the 80 frames the featurizer counts as audio",
        ),
    ),
    callsite=Callsite(helpers=(add_audio_cropped,)),
    runtime=(Wrap(PROCESSOR_MODULE, CHAT_STATE_CLASS, "add_audio", _CHECK, _crop),),
    edits=(Edit(PROCESSOR_FILE, FEATURES, CROPPED),),
    regression_test=f"""\
import torch
from liquid_audio import ChatState, LFM2AudioProcessor
from liquid_audio.utils import LFMModality


def test_add_audio_keeps_only_the_frames_the_featurizer_counts(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    wave = {WAVE}  # 0.8 s
    _, frames = processor.audio(wave, torch.tensor([{SAMPLES}]))
    chat = ChatState(processor, dtype=torch.float32)
    chat.add_audio(wave, 16_000)
    assert chat.audio_in.shape[1] == frames.item() == 80
    assert chat.audio_in_lens.tolist() == [80]
    assert (chat.modality_flag == LFMModality.AUDIO_IN).sum().item() == 10  # 80 frames / 8
""",
)
