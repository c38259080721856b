"""An integer, numpy or tensor temperature fails a bare ``assert isinstance(temperature, float)``."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

SAMPLERS = ("_sample_text_token", "_sample_audio_frame")
FLOAT_ONLY = "assert isinstance(temperature, float) and temperature > 0"


def _float_only(node: ast.AST) -> bool:
    """An ``assert`` whose test is ``isinstance(temperature, float)`` (alone or in an ``and``)."""
    return isinstance(node, ast.Assert) and any(
        _ast.call_name(call) == "isinstance"
        and len(call.args) == 2
        and "temperature" in _ast.words(call.args[0])
        and "float" in _ast.words(call.args[1])
        for call in _ast.calls(node.test)
    )


def detect(source: _ast.Source) -> Verdict:
    samplers = [source.find_method(MODEL_CLASS, name) for name in SAMPLERS]
    if not all(samplers):
        raise CannotTell(
            "LFM2AudioModel has no _sample_text_token and _sample_audio_frame, so how they take a temperature is unclear."
        )
    asserts = [node for fn in samplers for node in _ast.in_order(ast.walk(fn)) if _float_only(node)]
    if not asserts:
        return Verdict(False, samplers[0], "The samplers take any real number as temperature.")
    return Verdict(
        True,
        asserts[0],
        "The samplers assert that temperature is a Python float, so an int, a numpy float32 or a tensor raises "
        "a bare AssertionError.",
    )


def sampling_temperature(temperature: Any) -> float | None:
    """``temperature`` as liquid-audio's samplers take it: a Python float (None stays None: greedy)."""
    return None if temperature is None else float(temperature)


def _as_float(sampler: Any, module: Any) -> Any:
    @functools.wraps(sampler)
    def wrapper(self: Any, *args: Any, temperature: Any = None, **kwargs: Any) -> Any:
        return sampler(self, *args, temperature=sampling_temperature(temperature), **kwargs)

    return wrapper


_CHECK = _ast.source_check(
    "the sampler", "isinstance(temperature, float)", ("float(temperature)",), "it takes any real temperature already"
)


def _case(variant: str, temperature: str, summary: str) -> Case:
    return Case(
        variant=variant,
        needs=("processor", "model"),
        setup="chat = ChatState(processor, dtype=torch.float32)",
        trigger=f"next(model.generate_sequential(**chat, max_new_tokens=1, text_temperature={temperature}))",
        callsite_trigger=(
            f"next(model.generate_sequential(**chat, max_new_tokens=1, text_temperature=sampling_temperature({temperature})))"
        ),
        expect=Expect(("AssertionError",), "^$", MODEL_FILE, SAMPLERS[0]),
        summary=summary,
    )


BUG = Bug(
    id="temperature-type",
    order=130,
    title="An integer or numpy temperature raises a bare AssertionError",
    module=MODEL_FILE,
    trigger="generate_sequential / generate_interleaved with text_temperature=1 or audio_temperature=np.float32(0.7)",
    symptom="AssertionError (with an empty message) in _sample_text_token or _sample_audio_frame",
    root_cause="both samplers assert isinstance(temperature, float); int, numpy float32 and tensors are not Python floats",
    expected="any real number is a temperature: 1 samples like 1.0",
    workaround="pass float(temperature)",
    fix="convert the temperature with float() instead of asserting its type",
    changes=(
        "An `int`, a numpy scalar or a 0-d tensor temperature samples like the same Python `float`; "
        "a `float` temperature, `None` and temperatures of 0 or less behave as before."
    ),
    explicit=True,
    detect=detect,
    cases=(
        _case("integer", "1", "sample text with temperature 1"),
        _case("numpy", "np.float32(0.7)", "sample text with a numpy float32 temperature"),
    ),
    callsite=Callsite(helpers=(sampling_temperature,)),
    runtime=tuple(Wrap(MODEL_MODULE, MODEL_CLASS, name, _CHECK, _as_float) for name in SAMPLERS),
    edits=(Edit(MODEL_FILE, FLOAT_ONLY, "temperature = float(temperature)", count=2),),
    regression_test="""\
import numpy as np
import pytest
import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


@pytest.mark.parametrize("temperature", [1, np.float32(0.7), torch.tensor(0.7)])
def test_any_real_temperature_samples_a_token(tiny_checkpoint, temperature):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_text("Hello")
    chat.end_turn()
    chat.new_turn("assistant")
    tokens = list(model.generate_sequential(**chat, max_new_tokens=1, text_temperature=temperature))
    assert len(tokens) == 1
""",
    signatures=(Signature("^$", ("AssertionError",), frames=(f"{MODEL_FILE}:{SAMPLERS[1]}",)),),
)
