"""A default (bfloat16) ``ChatState``'s audio features reach a float32 model's conformer uncast."""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE, SINE
from ._signature import GENERATION, Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap, release_range

_CASTS = frozenset({"to", "type"})


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(MODEL_CLASS, "_prefill")
    calls = [call for call in _ast.calls(fn) if _ast.is_method_of(call, "self", "conformer")]
    if not calls:
        raise CannotTell("LFM2AudioModel._prefill does not call self.conformer, so the conformer input is unclear.")
    for call in calls:
        first = _first_argument(call)
        if first is not None and not _casts(first):
            return Verdict(
                True,
                call,
                "_prefill feeds the conformer its input without casting it to the model dtype, so "
                "bfloat16 audio breaks a float32 model.",
            )
    return Verdict(False, calls[0], "_prefill casts the conformer input to the model dtype.")


def _first_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return call.keywords[0].value if call.keywords else None


def _casts(expr: ast.expr) -> bool:
    return any(isinstance(call.func, ast.Attribute) for call in _ast.calls(expr, _CASTS))


def chat_state(processor: Any, model: Any = None, **kw: Any) -> Any:
    """``ChatState(processor)`` whose features match ``model``'s dtype.

    ChatState defaults to bfloat16; releases before 1.2.0 feed that to a float32 model's conformer as
    is. ``kw`` goes to ``ChatState`` (``codebooks=``); an explicit ``dtype=`` wins.
    """
    from liquid_audio import ChatState

    if model is not None and "dtype" not in kw:
        kw["dtype"] = next(model.parameters()).dtype
    return ChatState(processor, **kw)


_check = _ast.source_check(
    "LFM2AudioModel._prefill",
    "self.conformer(padded_audio_in.mT, audio_in_lens)",
    ("padded_audio_in.mT.to(",),
    "_prefill casts the conformer input to the model's dtype",
)


def _wrap(func: Any, module: Any) -> Any:
    signature = inspect.signature(func)

    @functools.wraps(func)
    def _prefill(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        audio_in = bound.arguments.get("audio_in")
        dtype = self.lfm.embed_tokens.weight.dtype
        if audio_in is not None and audio_in.is_floating_point() and audio_in.dtype != dtype:
            bound.arguments["audio_in"] = audio_in.to(dtype)  # what 1.2.0 does to the conformer input
        return func(*bound.args, **bound.kwargs)

    return _prefill


_AUDIO_TURN = (
    "chat.new_turn('user')\n"
    "chat.add_audio(torch.from_numpy(" + SINE + ")[None, :], 16_000)\n"
    "chat.end_turn()\n"
    "chat.new_turn('assistant')"
)

BUG = Bug(
    id="dtype-mismatch",
    order=70,
    title="bfloat16 ChatState audio fed to a float32 model",
    module=MODEL_FILE,
    trigger="ChatState (default bfloat16) with a float32 model and audio input",
    symptom="RuntimeError: Input type (c10::BFloat16) and bias type (float) should be the same",
    root_cause="_prefill passes the mel features to the conformer without casting to the model dtype",
    expected="the audio features are cast to the model's dtype",
    workaround="ChatState(processor, dtype=<the model's dtype>)",
    fix="cast the conformer input with .to(text_emb.dtype) (as 1.2.0 does)",
    explicit=True,
    affects="Only 0.0.0a1 to 1.1.0: from 1.2.0 the features are cast with .to(text_emb.dtype), so on those "
    "releases the reproducer prints that there is no error.",
    changes=(
        "The conformer input is cast to the model's dtype before the conformer runs (what 1.2.0 does); inputs "
        "already in that dtype are unchanged."
    ),
    detect=detect,
    cases=(
        Case(
            needs=("processor", "model"),
            setup="model.eval()\nchat = ChatState(processor)  # default dtype: bfloat16\n" + _AUDIO_TURN,
            trigger="tokens = list(model.generate_sequential(**chat, max_new_tokens=2))",
            expect=Expect(("RuntimeError",), r"Input type \(c10::BFloat16\) and bias type \(float\)", "model/"),
            summary="generate from audio with a float32 model and a default (bfloat16) ChatState",
            callsite_setup="chat = chat_state(processor, model)  # ChatState in the model's dtype\n" + _AUDIO_TURN,
        ),
    ),
    callsite=Callsite(helpers=(chat_state,)),
    runtime=(Wrap(MODEL_MODULE, MODEL_CLASS, "_prefill", _check, _wrap),),
    edits=(
        Edit(
            MODEL_FILE,
            "self.conformer(padded_audio_in.mT, audio_in_lens)",
            "self.conformer(padded_audio_in.mT.to(text_emb.dtype), audio_in_lens)",
            release_range(before="1.2.0"),
        ),
    ),
    # Fixed upstream in 1.2.0: this test passes on 1.2.0 and later and fails on 1.1.0 and earlier.
    regression_test="""\
import torch

from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


def test_float32_model_takes_audio_from_a_default_bfloat16_chat_state(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    chat = ChatState(processor)  # audio features in bfloat16
    chat.new_turn("user")
    chat.add_audio(0.1 * torch.sin(torch.arange(16_000) / 8)[None, :], 16_000)
    chat.end_turn()
    chat.new_turn("assistant")
    assert len(list(model.generate_sequential(**chat, max_new_tokens=2))) > 0
""",
    signatures=(
        Signature(r"Input type \(c10::BFloat16\) and bias type", ("RuntimeError",), mentions="ChatState|" + GENERATION),
    ),
)
