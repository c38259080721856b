"""A float32 model under ``torch.autocast``: ``_prefill`` puts bfloat16 audio embeddings into a float32 buffer."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._signature import GENERATION, Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

PUT = "        in_emb[audio_in_mask] = audio_in_emb\n"
CAST = "        in_emb[audio_in_mask] = audio_in_emb.to(in_emb.dtype)\n"
MISMATCH = (
    r"Index put requires the source and destination dtypes match, "
    r"got (?:Float|Double) for the destination and (?:BFloat16|Half) for the source"
)
_CASTS = frozenset({"to", "type"})
ADAPTER = "audio_adapter"


def _is_cast(expr: ast.expr | None) -> bool:
    """``x.to(...)``, ``x.type(...)`` or a call given ``dtype=``."""
    return isinstance(expr, ast.Call) and (
        (isinstance(expr.func, ast.Attribute) and expr.func.attr in _CASTS)
        or any(keyword.arg == "dtype" for keyword in expr.keywords)
    )


def _adapts(expr: ast.expr | None) -> bool:
    """The audio adapter's output (its Linear layers compute in autocast's dtype), cast or not."""
    return expr is not None and any(_ast.is_method_of(call, "self", ADAPTER) for call in _ast.calls(expr))


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(MODEL_CLASS, "_prefill")
    assigned: dict[str, ast.expr] = {}
    puts = []
    for node in _ast.in_order(n for n in ast.walk(fn) if isinstance(n, ast.Assign)):
        target, value = node.targets[0], node.value
        if isinstance(target, ast.Name):
            assigned[target.id] = value
            continue
        # what the put value is made from: the value itself, and what each name in it was assigned
        made = [value, *(assigned.get(name.id) for name in ast.walk(value) if isinstance(name, ast.Name))]
        adapted = [expr for expr in made if _adapts(expr)]
        if isinstance(target, ast.Subscript) and adapted:
            puts.append((node, _is_cast(value) or any(_is_cast(expr) for expr in adapted)))
    if not puts:
        raise CannotTell("LFM2AudioModel._prefill puts no audio adapter output into its input, so its dtype is unclear.")
    uncast = [node for node, cast in puts if not cast]
    if not uncast:
        return Verdict(False, puts[0][0], "_prefill casts the audio adapter's output before putting it into the input.")
    return Verdict(
        True,
        uncast[0],
        "_prefill puts the audio adapter's output into an input made like the text embeddings without casting it, "
        "so under torch.autocast (bfloat16 or float16 output, float32 input) index_put raises.",
    )


def autocast_ready(model: Any) -> Any:
    """Make ``model`` (an ``LFM2AudioModel``) usable under ``torch.autocast``: its audio adapter's output is cast to
    the embedding dtype that ``_prefill`` assembles the input in. Returns the model; calling it twice is harmless."""
    if not getattr(model.audio_adapter, "_lfmdoctor_autocast_ready", False):
        model.audio_adapter.register_forward_hook(functools.partial(_to_embedding_dtype, model))
        model.audio_adapter._lfmdoctor_autocast_ready = True
    return model


def _to_embedding_dtype(model: Any, module: Any, inputs: Any, output: Any) -> Any:
    return output.to(model.lfm.embed_tokens.weight.dtype)


def _cast_adapter(prefill: Any, module: Any) -> Any:
    @functools.wraps(prefill)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        handle = self.audio_adapter.register_forward_hook(functools.partial(_to_embedding_dtype, self))
        try:
            return prefill(self, *args, **kwargs)
        finally:
            handle.remove()

    return wrapper


_CHECK = _ast.source_check("LFM2AudioModel._prefill", PUT.lstrip(), ("audio_in_emb.to(",), "it casts the audio embeddings")

SETUP = """\
chat = ChatState(processor, dtype=torch.float32)
chat.new_turn("user")
chat.add_text("Hello")
chat.end_turn()
chat.new_turn("assistant")"""
TRIGGER = """\
with torch.autocast("cpu", dtype=torch.bfloat16):
    list(model.generate_sequential(**chat, max_new_tokens=1))"""

BUG = Bug(
    id="autocast-dtype",
    order=160,
    title="A float32 model under torch.autocast crashes in _prefill's index_put",
    module=MODEL_FILE,
    trigger="generate_sequential / generate_interleaved (or a training step) on a float32 model inside "
    "torch.autocast (CPU bfloat16, CUDA float16 or bfloat16), with or without audio in the chat",
    symptom="RuntimeError: Index put requires the source and destination dtypes match, got Float for the "
    "destination and BFloat16 for the source (in LFM2AudioModel._prefill)",
    root_cause="_prefill allocates the input buffer like the text embeddings (float32: embeddings are not autocast), "
    "then puts the audio adapter's output into it; under autocast the adapter's Linear layers return bfloat16 or "
    "float16, and index_put does not cast",
    expected="a float32 model generates under torch.autocast, as any float32 torch model does",
    workaround="load the model in the dtype you want (dtype=torch.bfloat16) instead of wrapping a float32 model in autocast",
    fix="cast the audio embeddings to the buffer's dtype before putting them in: audio_in_emb.to(in_emb.dtype)",
    subject="Cast the audio embeddings to the input dtype in _prefill",
    changes=(
        "Under `torch.autocast`, `_prefill` casts the audio adapter's output to the dtype of the input it assembles "
        "(the text embeddings' dtype) instead of raising; without autocast the cast does nothing, so outputs are "
        "unchanged on CPU and CUDA."
    ),
    explicit=True,
    affects="Only code that wraps a float32 model in torch.autocast (mixed precision): the README loads the model "
    "in bfloat16 and uses no autocast, so its examples are not affected. Every release: shown here on 0.0.0a1, "
    "1.1.0, 1.2.0 and 1.3.0 (1.0.0 is byte-identical to 0.0.0a1).",
    detect=detect,
    cases=(
        Case(
            needs=("processor", "model"),
            setup=SETUP,
            trigger=TRIGGER,
            callsite_trigger="autocast_ready(model)\n" + TRIGGER,
            expect=Expect(("RuntimeError",), MISMATCH, MODEL_FILE, "_prefill"),
            summary="generate one token from a float32 model under CPU bfloat16 autocast",
        ),
    ),
    callsite=Callsite(helpers=(autocast_ready,)),
    runtime=(Wrap(MODEL_MODULE, MODEL_CLASS, "_prefill", _CHECK, _cast_adapter),),
    edits=(Edit(MODEL_FILE, PUT, CAST),),
    regression_test="""\
import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


def test_float32_model_generates_under_autocast(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_audio(0.1 * torch.sin(torch.arange(16_000) / 8)[None, :], 16_000)
    chat.add_text("Hello")
    chat.end_turn()
    chat.new_turn("assistant")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        tokens = list(model.generate_sequential(**chat, max_new_tokens=2))
    assert len(tokens) == 2
""",
    signatures=(Signature(MISMATCH, ("RuntimeError",), mentions=r"autocast|_prefill|" + GENERATION),),
)
