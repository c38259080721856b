"""The training-data mapper runs the Mimi encoder with autograd on: every activation is kept for a backward
pass that never comes."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import FINE_TUNING_FILES, FINE_TUNING_SINCE, MAPPER_CLASS, MAPPER_FILE, MAPPER_MODULE
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap, release_range

ENCODE = "    def _encode_audio_out(self, *, wav: torch.Tensor, sampling_rate: int) -> torch.Tensor:\n"
_NO_GRAD = frozenset({"no_grad", "inference_mode"})
SAVED = r"the Mimi encode saved \d+ tensors \(\d+ MiB\) for backward"


def _encodes(call: ast.Call) -> bool:
    return _ast.call_name(call) == "encode" and "mimi" in _ast.words(call.func)


def _without_grad(node: ast.AST) -> bool:
    """A function decorated with, or a ``with`` block entering, ``torch.no_grad()`` / ``torch.inference_mode()``."""
    if isinstance(node, _ast.Function):
        exprs = node.decorator_list
    elif isinstance(node, ast.With):
        exprs = [item.context_expr for item in node.items]
    else:
        return False
    return any(_NO_GRAD & set(_ast.words(expr)) for expr in exprs)


def detect(source: _ast.Source) -> Verdict:
    mapper = source.find_class(MAPPER_CLASS)
    encodes = [call for call in _ast.calls(mapper) if _encodes(call)]
    if not encodes:
        raise CannotTell(f"{MAPPER_CLASS} never calls mimi.encode, so how it encodes audio is unclear.")
    parents = _ast.parents(mapper)
    for call in encodes:
        node: ast.AST | None = call
        while node is not None and not _without_grad(node):
            node = parents.get(node)
        if node is None:
            return Verdict(
                True,
                call,
                f"{MAPPER_CLASS} calls mimi.encode with autograd on: the encoder's activations are kept for a "
                "backward pass, only to compute integer codes.",
            )
    return Verdict(False, encodes[0], f"{MAPPER_CLASS} runs mimi.encode without autograd.")


def _check(encode: Any, module: Any) -> None:
    text = _ast.source_text(encode)
    if "mimi.encode(" not in text:
        raise Unfamiliar("_encode_audio_out does not call mimi.encode")
    if "no_grad" in text or "inference_mode" in text:
        raise NotNeeded("_encode_audio_out runs without autograd")


def _wrap(encode: Any, module: Any) -> Any:
    import torch

    @functools.wraps(encode)
    def _encode_audio_out(self: Any, *args: Any, **kwargs: Any) -> Any:
        with torch.no_grad():
            return encode(self, *args, **kwargs)

    return _encode_audio_out


SETUP = f"""\
import io
import soundfile
from liquid_audio.data.mapper import {MAPPER_CLASS}
from liquid_audio.data.types import AudioSegment, ChatMessage, TextSegment
wav = io.BytesIO()
soundfile.write(wav, 0.1 * np.sin(np.arange(4 * 24_000, dtype=np.float32) / 8), 24_000, format="WAV")  # 4 s
chat = [ChatMessage(role="user", content=[TextSegment(text="say hi")]),
        ChatMessage(role="assistant", content=[AudioSegment(audio=wav.getvalue())])]
mapper = {MAPPER_CLASS}(processor)
saved = []


def pack(tensor):
    saved.append(tensor.numel() * tensor.element_size())
    return tensor"""
MEASURE = """\
with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
    sample = mapper(chat)
assert not saved, f"the Mimi encode saved {len(saved)} tensors ({sum(saved) // 2**20} MiB) for backward\""""

BUG = Bug(
    id="mimi-encode-grad",
    order=260,
    title="The training-data mapper encodes audio with Mimi under autograd",
    module=MAPPER_FILE,
    trigger="LFM2AudioChatMapper(processor)(chat) or preprocess_dataset(...) on chats with assistant audio, "
    "without torch.no_grad()",
    symptom="no error: the encode keeps its activations for backward, so preprocessing needs several times the "
    "memory (measured peak RSS rise while mapping one chat on the tiny checkpoint with real-size Mimi: "
    "20 s of audio 1134 MiB vs 362 MiB under no_grad, 60 s 3725 MiB vs 1434 MiB)",
    root_cause="_encode_audio_out calls self.processor.mimi.encode(...) (data/mapper.py:229) with grad enabled; "
    "Mimi's weights require grad, so every layer saves its input for a backward pass, although the result is "
    "integer codes",
    expected="the mapper encodes audio without autograd: nothing is saved for backward",
    workaround="run the mapper and preprocess_dataset inside torch.no_grad()",
    fix="decorate LFM2AudioChatMapper._encode_audio_out with @torch.no_grad()",
    subject="Encode training audio with Mimi under torch.no_grad()",
    changes=(
        "`LFM2AudioChatMapper._encode_audio_out` runs without autograd: the codes are the same (integers, never "
        "differentiable), and preprocessing no longer keeps Mimi's activations, on CPU and CUDA alike."
    ),
    severity="resource",
    explicit=True,
    affects="Only preparing fine-tuning data with assistant audio (1.2.0 and later; earlier releases have no data/).",
    absent_without=FINE_TUNING_FILES,
    detect=detect,
    cases=(
        Case(
            needs=("processor", "mimi"),  # Mimi loaded first: only the encode is measured
            checkpoint=("mimi",),
            setup=SETUP,
            trigger=MEASURE,
            callsite_trigger=MEASURE.replace("with torch.", "with torch.no_grad(), torch.", 1),
            expect=Expect(("AssertionError",), SAVED, None),
            summary="map a chat with 4 s of assistant audio and count what autograd saves",
        ),
    ),
    callsite=Callsite(),
    runtime=(Wrap(MAPPER_MODULE, MAPPER_CLASS, "_encode_audio_out", _check, _wrap, lazy=True),),
    edits=(Edit(MAPPER_FILE, ENCODE, "    @torch.no_grad()\n" + ENCODE, release_range(FINE_TUNING_SINCE)),),
    regression_test="""\
from types import SimpleNamespace

import torch
from liquid_audio.data.mapper import LFM2AudioChatMapper
from liquid_audio.moshi.models import loaders


def test_the_mapper_encodes_audio_without_autograd():
    processor = SimpleNamespace(device=torch.device("cpu"), mimi=loaders.get_mimi(None, device="cpu"))
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        codes = LFM2AudioChatMapper(processor)._encode_audio_out(wav=0.1 * torch.randn(1, 24_000), sampling_rate=24_000)
    assert codes.shape[0] == 8
    assert not saved
""",
)
