"""The fine-tuning Trainer keeps the weights in bfloat16: AdamW's small updates round away and most weights never move."""

from __future__ import annotations

import ast
import contextlib
import functools
import textwrap
from collections.abc import Iterator
from typing import Any

from . import _ast, _training
from ._anatomy import FINE_TUNING_FILES, FINE_TUNING_SINCE, MODEL_CLASS, TRAINER_CLASS, TRAINER_FILE, TRAINER_MODULE
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap, release_range
from .autocast_dtype import BUG as AUTOCAST_BUG
from .autocast_dtype import autocast_ready

BF16 = "            dtype=torch.bfloat16,\n"
FP32 = "            dtype=torch.float32,\n"
STILL = r"only \d+ of \d+ weights with a gradient changed"


def _loads(call: ast.Call) -> bool:
    return _ast.call_name(call) == "from_pretrained" and MODEL_CLASS in _ast.words(call.func)


def detect(source: _ast.Source) -> Verdict:
    init = source.method(TRAINER_CLASS, "__init__")
    loads = [call for call in _ast.calls(init) if _loads(call)]
    if not loads:
        raise CannotTell(f"Trainer.__init__ does not load the model with {MODEL_CLASS}.from_pretrained.")
    dtype = next((keyword.value for keyword in loads[0].keywords if keyword.arg == "dtype"), None)
    if dtype is None or "bfloat16" in _ast.words(dtype) or "half" in _ast.words(dtype) or "float16" in _ast.words(dtype):
        return Verdict(
            True,
            dtype if dtype is not None else loads[0],
            "Trainer.__init__ loads the model in bfloat16 and builds AdamW on those weights: with no float32 copy, "
            "an update smaller than half a bfloat16 step of the weight rounds away.",
        )
    return Verdict(False, dtype, "Trainer.__init__ loads the weights in float32; autocast computes in bfloat16.")


@contextlib.contextmanager
def float32_weights() -> Iterator[None]:
    """Inside this block, liquid-audio's ``Trainer`` loads the model in float32 (master weights that keep small
    AdamW updates; ``accelerate``'s bf16 autocast still computes in bfloat16) and makes it autocast-ready."""
    import liquid_audio.trainer as trainer_module

    loader = trainer_module.LFM2AudioModel
    trainer_module.LFM2AudioModel = _Float32Loader(loader)
    try:
        yield
    finally:
        trainer_module.LFM2AudioModel = loader


class _Float32Loader:
    """Stands for ``LFM2AudioModel`` in the trainer module: ``from_pretrained`` loads float32 weights."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def from_pretrained(self, *args: Any, **kwargs: Any) -> Any:
        import torch

        kwargs["dtype"] = torch.float32
        return autocast_ready(self._loader.from_pretrained(*args, **kwargs))


def _check(init: Any, module: Any) -> None:
    text = _ast.source_text(init)
    if "dtype=torch.float32" in text:
        raise NotNeeded("the Trainer loads float32 weights")
    if "dtype=torch.bfloat16" not in text:
        raise Unfamiliar("Trainer.__init__ does not load the model as expected")


def _wrap(init: Any, module: Any) -> Any:
    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        with float32_weights():
            init(self, *args, **kwargs)

    return __init__


MEASURE = """\
before = {name: weight.detach().clone() for name, weight in trainer.model.named_parameters()}
trainer.train()
moved = total = 0
for name, weight in trainer.model.named_parameters():
    if weight.grad is not None:
        stepped = weight.grad != 0  # the weights the last step had a gradient for
        total += int(stepped.sum())
        moved += int((weight.detach() != before[name])[stepped].sum())
assert moved >= 0.99 * total, (
    f"only {moved} of {total} weights with a gradient changed over 3 AdamW steps at lr 3e-05 "
    f"({trainer.model.lfm.embed_tokens.weight.dtype} weights)"
)"""

BUG = Bug(
    id="bf16-weights",
    order=250,
    title="Fine-tuning keeps bfloat16 weights: small AdamW updates vanish",
    module=TRAINER_FILE,
    trigger="Trainer(...).train() with the default learning rate (3e-05) or any small one, and during warm-up",
    symptom="no error: most weights stay bit-identical (measured on the tiny random checkpoint, 3 steps at lr 3e-05, "
    "the data loader shuffling: about 10,600 of the 36,128 weights with a gradient in the last step changed, and no "
    "other of the 1,715,684 weights in tensors with a gradient; with float32 weights all 36,128, and 1,715,396)",
    root_cause="Trainer.__init__ loads the model with dtype=torch.bfloat16 (trainer.py:61-65) and builds AdamW on "
    "those weights (:68-75); accelerate's mixed_precision='bf16' only adds autocast, so there is no float32 master "
    "copy, and an Adam step of about lr (3e-05) is below half a bfloat16 step for any weight above about 0.008",
    expected="the weights that get a gradient change, as with float32 master weights",
    workaround="build the Trainer with float32 weights: have liquid_audio.trainer.LFM2AudioModel.from_pretrained "
    "load dtype=torch.float32 while the Trainer is constructed (the model then also needs the audio embeddings "
    "cast in _prefill under autocast), or load the model in float32 yourself and build AdamW on it",
    fix="load the model in float32 and let accelerate's bf16 autocast do the low-precision compute",
    subject="Keep float32 master weights in the fine-tuning Trainer",
    changes=(
        '`Trainer` loads the model in float32; `accelerate`\'s `mixed_precision="bf16"` still runs the forward '
        "pass under bfloat16 autocast, so AdamW updates the float32 weights instead of rounding them away. "
        "Weights and optimizer state take twice the memory of bfloat16 (the same on CPU and CUDA). Builds on "
        "the `_prefill` cast (a float32 model under autocast)."
    ),
    severity="wrong output",
    after=(AUTOCAST_BUG.id,),
    affects="Only fine-tuning with liquid-audio's Trainer (1.2.0 and later; earlier releases have no trainer.py).",
    absent_without=FINE_TUNING_FILES,
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            imports=_training.IMPORTS,
            setup=_training.DATASET + "\n" + _training.TRAINER,
            callsite_setup=_training.DATASET + "\nwith float32_weights():\n" + textwrap.indent(_training.TRAINER, "    "),
            trigger=MEASURE,
            expect=Expect(("AssertionError",), STILL, None),
            summary="fine-tune for three steps at the default learning rate and count the weights that changed",
            expected_text="(nearly) every weight with a gradient changes",
        ),
    ),
    callsite=Callsite(helpers=(float32_weights,)),
    runtime=(Wrap(TRAINER_MODULE, TRAINER_CLASS, "__init__", _check, _wrap, lazy=True),),
    edits=(Edit(TRAINER_FILE, BF16, FP32, release_range(FINE_TUNING_SINCE)),),
    regression_test=_training.regression_test("""\
def test_training_at_the_default_learning_rate_moves_every_weight_with_a_gradient(tiny_checkpoint, tmp_path):
    trainer = tiny_trainer(tiny_checkpoint, tmp_path, max_steps=3)
    before = {name: weight.detach().clone() for name, weight in trainer.model.named_parameters()}
    trainer.train()
    moved = total = 0
    for name, weight in trainer.model.named_parameters():
        if weight.grad is not None:
            stepped = weight.grad != 0
            total += int(stepped.sum())
            moved += int((weight.detach() != before[name])[stepped].sum())
    assert total and moved >= 0.99 * total
"""),
)
