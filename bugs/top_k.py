"""A ``top_k`` of 0, a negative number or more than the vocabulary crashes inside ``torch.topk``."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

SAMPLERS = ("_sample_text_token", "_sample_audio_frame")
OUT_OF_RANGE = r"selected index k out of range|index -1 is out of bounds"


def _bounds(test: ast.expr) -> bool:
    """A comparison of ``top_k`` with a number (not only ``is not None``)."""
    return any(
        isinstance(node, ast.Compare)
        and "top_k" in _ast.words(node)
        and not all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)
        for node in ast.walk(test)
    )


def _guarded(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``top_k`` reaches the ``topk`` call bounded: by an ``if`` around it, or changed on the way."""
    passed_as_is = len(call.args) > 1 and isinstance(call.args[1], ast.Name) and call.args[1].id == "top_k"
    return not passed_as_is or any(_bounds(branch.test) for branch in _ast.branch_conditions(call, parents))


def detect(source: _ast.Source) -> Verdict:
    calls = []
    for name in SAMPLERS:
        fn = source.method(MODEL_CLASS, name)
        parents = _ast.parents(fn)
        calls += [(call, parents) for call in _ast.calls(fn, ["topk"])]
    if not calls:
        raise CannotTell("LFM2AudioModel's samplers do not call torch.topk, so how they treat top_k is unclear.")
    unbounded = [call for call, parents in calls if not _guarded(call, parents)]
    if not unbounded:
        return Verdict(False, calls[0][0], "The samplers call torch.topk only with a top_k inside the vocabulary.")
    return Verdict(
        True,
        unbounded[0],
        "The samplers pass any top_k that is not None to torch.topk, which raises for 0, a negative number "
        "or more than the vocabulary.",
    )


def sampling_top_k(top_k: int | None, vocabulary: int | None = None) -> int | None:
    """``top_k`` as liquid-audio's samplers take it: None (no top-k filtering) for 0, a negative number, or at
    least ``vocabulary`` (text: ``model.lfm.embed_tokens.num_embeddings``; audio: ``model.audio_vocab_size``)."""
    if top_k is None or top_k <= 0 or (vocabulary is not None and top_k >= vocabulary):
        return None
    return top_k


def _bounded(sampler: Any, module: Any) -> Any:
    @functools.wraps(sampler)
    def wrapper(self: Any, logits: Any, *args: Any, top_k: int | None = None, **kwargs: Any) -> Any:
        vocabulary = self.audio_vocab_size if sampler.__name__ == SAMPLERS[1] else logits.numel()
        return sampler(self, logits, *args, top_k=sampling_top_k(top_k, vocabulary), **kwargs)

    return wrapper


_CHECK = _ast.source_check(
    "the sampler", "if top_k is not None:\n", ("0 < top_k",), "it bounds top_k already", "this release has no such sampler"
)


def _case(variant: str, top_k: str, summary: str) -> Case:
    return Case(
        variant=variant,
        needs=("processor", "model"),
        setup="chat = ChatState(processor, dtype=torch.float32)",
        trigger=f"next(model.generate_sequential(**chat, max_new_tokens=1, text_temperature=1.0, text_top_k={top_k}))",
        callsite_trigger=(
            "next(model.generate_sequential(**chat, max_new_tokens=1, text_temperature=1.0, "
            f"text_top_k=sampling_top_k({top_k}, model.lfm.embed_tokens.num_embeddings)))"
        ),
        expect=Expect(("RuntimeError", "IndexError"), OUT_OF_RANGE, MODEL_FILE, SAMPLERS[0]),
        summary=summary,
    )


BUG = Bug(
    id="top-k",
    order=120,
    title="top_k of 0, below 0 or above the vocabulary crashes in torch.topk",
    module=MODEL_FILE,
    trigger="generate_sequential with text_top_k of 0, -1 or above the vocabulary",
    symptom="IndexError: index -1 is out of bounds for dimension 0 with size 0 (top_k=0); "
    "RuntimeError: selected index k out of range (-1, or above the vocabulary)",
    root_cause="_sample_text_token and _sample_audio_frame pass any top_k that is not None straight to torch.topk",
    expected="0 or a negative top_k means no top-k filtering, and one at least the vocabulary size keeps every token",
    workaround=(
        "pass top_k=None instead of 0, a negative number or a top_k of at least the vocabulary "
        "(model.lfm.embed_tokens.num_embeddings for text, model.audio_vocab_size for audio)"
    ),
    fix="filter with torch.topk only when 0 < top_k < the number of logits",
    changes=(
        "A `top_k` of 0 or less, or at least the vocabulary size, samples from every token instead of raising; "
        "`top_k` between 1 and the vocabulary size behaves as before."
    ),
    detect=detect,
    cases=(
        _case("zero", "0", "sample text with top_k=0"),
        _case("negative", "-1", "sample text with top_k=-1"),
        _case("above-vocabulary", "10**9", "sample text with a top_k above the vocabulary"),
    ),
    callsite=Callsite(helpers=(sampling_top_k,)),
    runtime=tuple(Wrap(MODEL_MODULE, MODEL_CLASS, name, _CHECK, _bounded) for name in SAMPLERS),
    edits=(
        Edit(
            MODEL_FILE,
            "            if top_k is not None:\n                min_score = torch.topk(logits, top_k)",
            "            if top_k is not None and 0 < top_k < logits.numel():\n"
            "                min_score = torch.topk(logits, top_k)",
        ),
        Edit(
            MODEL_FILE,
            "                if top_k is not None:\n                    min_score = torch.topk(depthformer_logits, top_k)",
            "                if top_k is not None and 0 < top_k < depthformer_logits.numel():\n"
            "                    min_score = torch.topk(depthformer_logits, top_k)",
        ),
    ),
    regression_test="""\
import pytest
import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


@pytest.mark.parametrize("top_k", [0, -1, 10**9])
def test_any_top_k_samples_a_token(tiny_checkpoint, top_k):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_text("Hello")
    chat.end_turn()
    chat.new_turn("assistant")
    assert len(list(model.generate_sequential(**chat, max_new_tokens=1, text_temperature=1.0, text_top_k=top_k))) == 1
""",
    signatures=(Signature(OUT_OF_RANGE, ("RuntimeError", "IndexError"), mentions=r"(?:text|audio)_top_k"),),
)
