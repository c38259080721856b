"""``LFM2AudioModel.from_pretrained`` returns the model in training mode."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE, SINE, TRAINER_FILE, TRAINER_MODULE
from ._signature import GENERATION, Signature
from ._spec import Bug, Callsite, Case, Edit, Expect, NotNeeded, Verdict, Wrap, release_range


def _sets_eval(call: ast.Call) -> bool:
    if _ast.call_name(call) == "eval":
        return True
    turns_training_off = call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is False
    return _ast.call_name(call) == "train" and bool(turns_training_off)


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(MODEL_CLASS, "from_pretrained")
    evals = [call for call in _ast.calls(fn) if _sets_eval(call)]
    if evals:
        return Verdict(False, evals[0], "LFM2AudioModel.from_pretrained puts the model in eval mode.")
    returns = [node for node in _ast.in_order(ast.walk(fn)) if isinstance(node, ast.Return)]
    return Verdict(
        True,
        returns[-1] if returns else fn,
        "LFM2AudioModel.from_pretrained never calls .eval(), so the model comes "
        "back in training mode (dropout on, batch norm in training).",
    )


def in_eval_mode(model: Any) -> Any:
    return model.eval()


def _check_loader(func: Any, module: Any) -> None:
    text = _ast.source_text(func)
    if ".eval()" in text or ".train(False)" in text:
        raise NotNeeded("from_pretrained already calls .eval()")


def _returning_eval(func: Any, module: Any) -> Any:
    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return func(cls, *args, **kwargs).eval()

    return from_pretrained


def _check_trainer(init: Any, module: Any) -> None:
    if "from_pretrained" not in _ast.source_text(init):
        raise NotNeeded("the Trainer does not load the model with from_pretrained")


def _training_again(init: Any, module: Any) -> Any:
    """With from_pretrained returning eval mode, the fine-tuning Trainer must switch training back on."""

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        model = getattr(self, "model", None)
        if model is not None:
            model.train()

    return __init__


BUG = Bug(
    id="train-mode",
    order=80,
    title="from_pretrained returns the model in training mode",
    module=MODEL_FILE,
    trigger="generating straight after LFM2AudioModel.from_pretrained without .eval()",
    symptom="nondeterministic outputs (dropout); ValueError: Expected more than 1 value per channel "
    "when training, for audio under ~80 ms",
    root_cause="from_pretrained never calls .eval()",
    expected="from_pretrained returns the model in eval mode; short audio is transcribed",
    workaround="call model.eval() after loading",
    fix="return model.eval() from from_pretrained",
    affects="The README calls `.eval()` after `from_pretrained`, so its examples are not affected. Code that "
    "uses the model as `from_pretrained` returns it runs the conformer in training mode; audio shorter than about "
    "80 ms then raises the error above.",
    changes=(
        "`LFM2AudioModel.from_pretrained` returns the model in eval mode (dropout off, batch norm in inference "
        "mode) on every device, CUDA included, so generation is repeatable for a fixed seed; the fine-tuning "
        "Trainer (1.2.0 and later) switches training mode back on itself."
    ),
    detect=detect,
    cases=(
        Case(
            needs=("processor", "model"),
            setup=(
                "chat = ChatState(processor, dtype=torch.float32)\n"
                "chat.add_audio(torch.from_numpy(" + SINE + ")[None, :800], 16_000)  # 50 ms"
            ),
            # list(): a fixed model may end its turn at once (the steered checkpoint does after bare audio)
            trigger="list(model.generate_sequential(**chat, max_new_tokens=1))",
            expect=Expect(("ValueError",), r"Expected more than 1 value per channel when training", "model/"),
            summary="generate from 50 ms of audio straight after from_pretrained (no .eval())",
        ),
    ),
    callsite=Callsite(model_loaded=in_eval_mode),
    runtime=(
        Wrap(MODEL_MODULE, MODEL_CLASS, "from_pretrained", _check_loader, _returning_eval),
        Wrap(TRAINER_MODULE, "Trainer", "__init__", _check_trainer, _training_again, lazy=True),
    ),
    edits=(
        Edit(
            MODEL_FILE,
            "        load_checkpoint_in_model(model, cache_path)\n\n        return model\n",
            "        load_checkpoint_in_model(model, cache_path)\n\n        return model.eval()\n",
        ),
        # the fine-tuning entry point relied on from_pretrained leaving the model in training mode
        Edit(
            TRAINER_FILE,
            "        self.optimizer.zero_grad()\n        self.step = 0\n",
            "        self.model.train()\n        self.optimizer.zero_grad()\n        self.step = 0\n",
            release_range("1.2.0"),
        ),
    ),
    regression_test="""\
import torch
from liquid_audio import LFM2AudioModel


def test_from_pretrained_returns_the_model_in_eval_mode(tiny_checkpoint):
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32)
    assert not model.training
""",
    signatures=(Signature(r"Expected more than 1 value per channel when training", ("ValueError",), mentions=GENERATION),),
)
