"""``generate_sequential`` yields ``<|im_end|>`` as a text token before it stops; ``generate_interleaved`` does not."""

from __future__ import annotations

import ast
import functools
import textwrap
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap

IM_END = 7  # <|im_end|>: the token both generation loops stop on
YIELDED = """\
                next_token = self._sample_text_token(text_logits, temperature=text_temperature, top_k=text_top_k)
                yield next_token

                if next_token == 128:  # <|audio_start|>
                    current_modality = LFMModality.AUDIO_OUT
                if next_token == 7:  # <|im_end|>
                    break
"""
STOPPED = """\
                next_token = self._sample_text_token(text_logits, temperature=text_temperature, top_k=text_top_k)
                if next_token == 7:  # <|im_end|>
                    break

                yield next_token

                if next_token == 128:  # <|audio_start|>
                    current_modality = LFMModality.AUDIO_OUT
"""


def _stops(node: ast.AST, token: str) -> bool:
    """``if <token> == 7: ... break``."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    compared = [node.test.left, *node.test.comparators]
    return (
        any(isinstance(side, ast.Name) and side.id == token for side in compared)
        and any(isinstance(side, ast.Constant) and side.value == IM_END for side in compared)
        and any(isinstance(sub, ast.Break) for sub in ast.walk(node))
    )


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(MODEL_CLASS, "generate_sequential")
    sampled = [
        node.targets[0].id
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and any(_ast.call_name(call) == "_sample_text_token" for call in _ast.calls(node.value))
    ]
    if not sampled:
        raise CannotTell("generate_sequential samples no text token with _sample_text_token, so what it yields is unclear.")
    token = sampled[0]
    stops = [node for node in _ast.in_order(ast.walk(fn)) if _stops(node, token)]
    yields = [
        node
        for node in _ast.in_order(ast.walk(fn))
        if isinstance(node, ast.Yield) and isinstance(node.value, ast.Name) and node.value.id == token
    ]
    if not stops or not yields:
        raise CannotTell("generate_sequential has no yield of the text token or no stop on <|im_end|> (7) to compare.")
    if yields[0].lineno < stops[0].lineno:
        return Verdict(
            True,
            yields[0],
            "generate_sequential yields each sampled text token before checking for <|im_end|> (7), so the stop "
            "token reaches the caller as text.",
        )
    return Verdict(False, stops[0], "generate_sequential stops on <|im_end|> (7) before yielding it.")


def stop_at_im_end(tokens: Any) -> Any:
    """The tokens of ``model.generate_sequential(...)`` without the ``<|im_end|>`` it yields before stopping
    (``generate_interleaved`` never yields it). ``ChatState.end_turn()`` adds ``<|im_end|>`` to the history."""
    for token in tokens:
        if token.numel() == 1 and int(token) == IM_END:
            return
        yield token


def _without_im_end(generate: Any, module: Any) -> Any:
    @functools.wraps(generate)
    def generate_sequential(self: Any, *args: Any, **kwargs: Any) -> Any:
        yield from stop_at_im_end(generate(self, *args, **kwargs))

    return generate_sequential


_CHECK = _ast.source_check(
    "LFM2AudioModel.generate_sequential",
    "current_modality = LFMModality.AUDIO_OUT\n                if next_token == 7:  # <|im_end|>",
    ("if next_token == 7:  # <|im_end|>\n                    break\n\n                yield next_token",),
    "it stops on <|im_end|> before yielding it",
)

SETUP = """\
chat = ChatState(processor, dtype=torch.float32)
chat.new_turn("user")
chat.add_text("Hello")
chat.end_turn()
chat.new_turn("assistant")"""
TRIGGER = """\
text = [int(t) for t in {tokens} if t.numel() == 1]
assert 7 not in text, f"generate_sequential yielded <|im_end|> as text: {{processor.text.decode(text)!r}}\""""
GENERATE = "model.generate_sequential(**chat, max_new_tokens=64)"

BUG = Bug(
    id="im-end-yielded",
    order=180,
    title="generate_sequential yields the end-of-turn token as text",
    module=MODEL_FILE,
    trigger="generate_sequential until the model ends its turn (the ASR and TTS examples), decoding or keeping "
    "every text token",
    symptom="no error: the last text token is <|im_end|> (7), so the ASR example prints '...<|im_end|>', and a "
    "history built from the tokens then ChatState.end_turn() holds <|im_end|> twice",
    root_cause="generate_sequential yields each sampled text token before it checks for 7 and breaks; "
    "generate_interleaved checks first and never yields it, and ChatState.end_turn() adds <|im_end|> itself",
    expected="generate_sequential stops on <|im_end|> without yielding it, as generate_interleaved does",
    workaround="stop at token 7 yourself: break out of the loop when a text token equals 7, before using it",
    fix="check for <|im_end|> (7) before yielding the token, as generate_interleaved does",
    subject="Stop generate_sequential on <|im_end|> without yielding it",
    changes=(
        "`generate_sequential` no longer yields the `<|im_end|>` token (7) it stops on, matching "
        "`generate_interleaved`; every other token, `<|audio_start|>` included, is yielded as before."
    ),
    severity="wrong output",
    explicit=True,
    affects="The README's ASR example prints every text token, so its transcript ends with '<|im_end|>'; its TTS "
    "example keeps only audio frames and is not affected. generate_interleaved is not affected. Its "
    "<|text_end|> (130) is not this bug: the training data ends interleaved text with it, so the chat example "
    "must append it to the history (the demo strips it for display).",
    detect=detect,
    cases=(
        Case(
            needs=("processor", "model"),
            checkpoint=("steer",),
            setup=SETUP,
            trigger=TRIGGER.format(tokens=GENERATE),
            callsite_trigger=TRIGGER.format(tokens=f"stop_at_im_end({GENERATE})"),
            expect=Expect(("AssertionError",), r"generate_sequential yielded <\|im_end\|> as text", None),
            summary="generate a sequential reply to its end on the steered checkpoint and look for <|im_end|> in the text",
        ),
    ),
    callsite=Callsite(helpers=(stop_at_im_end,)),
    runtime=(Wrap(MODEL_MODULE, MODEL_CLASS, "generate_sequential", _CHECK, _without_im_end),),
    edits=(Edit(MODEL_FILE, YIELDED, STOPPED),),
    regression_test=f"""\
import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor


def test_generate_sequential_stops_on_im_end_without_yielding_it(steered_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(steered_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(steered_checkpoint, device="cpu", dtype=torch.float32).eval()
{textwrap.indent(SETUP, "    ")}
    im_end = processor.text.convert_tokens_to_ids("<|im_end|>")
    tokens = list(model.generate_sequential(**chat, max_new_tokens=64))
    text = [int(t) for t in tokens if t.numel() == 1]
    assert text and len(tokens) < 64  # the steered checkpoint writes text, then ends its turn
    assert im_end not in text
""",
)
