"""The mel featurizer stores ``torch.no_grad()(self.forward)`` on itself: no pickling, and copies share forward."""

from __future__ import annotations

import ast
import functools
from typing import Any

from . import _ast
from ._anatomy import FEATURES_CLASS, FEATURES_FILE, FEATURES_MODULE, PROCESSOR_CLASS, SINE
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap

STORED = "        if not use_grads:\n            self.forward = torch.no_grad()(self.forward)\n"
FORWARD = "    def forward(self, x, seq_len, linear_spec=False):\n"
NOT_PICKLABLE = r"Can't pickle <function FilterbankFeatures\.forward"


def _stores_forward(node: ast.AST) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Attribute) and target.attr == "forward" and "self" in _ast.words(target)
        for target in node.targets
    )


def detect(source: _ast.Source) -> Verdict:
    init = source.find_method(FEATURES_CLASS, "__init__")
    if init is None:
        raise CannotTell(
            "model/conformer/processor.py has no FilterbankFeatures.__init__, so how it wraps forward is unclear."
        )
    stored = [node for node in _ast.in_order(ast.walk(init)) if _stores_forward(node)]
    if not stored:
        return Verdict(False, init, "FilterbankFeatures keeps forward a plain method, so it pickles and copies.")
    return Verdict(
        True,
        stored[0],
        "FilterbankFeatures.__init__ stores a no_grad wrapper of its bound forward on the instance: pickle "
        "refuses it, and a deep copy keeps calling the original's forward.",
    )


def picklable(processor: Any) -> Any:
    """Drop the per-instance ``forward`` wrapper from ``processor``'s mel featurizer (and return the processor),
    so that it pickles and its copies compute with their own buffers. The featurizer has no parameters, so
    its class ``forward`` builds no graph for audio that does not require grad."""
    vars(processor.audio.featurizer).pop("forward", None)
    return processor


def _check_init(init: Any, module: Any) -> None:
    text = _ast.source_text(init)
    if "self.forward = torch.no_grad()(self.forward)" not in text:
        raise (Unfamiliar if "use_grads" not in text else NotNeeded)("FilterbankFeatures keeps a plain forward")


def _check_forward(forward: Any, module: Any) -> None:
    if "def forward(self, x, seq_len" not in _ast.source_text(forward):
        raise Unfamiliar("FilterbankFeatures.forward does not look as expected")
    _check_init(getattr(module, FEATURES_CLASS).__init__, module)


def _init(original: Any, module: Any) -> Any:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        vars(self).pop("forward", None)

    return __init__


def _forward(original: Any, module: Any) -> Any:
    import torch

    @functools.wraps(original)
    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        with torch.set_grad_enabled(self.use_grads and torch.is_grad_enabled()):
            return original(self, *args, **kwargs)

    return forward


COPY_SETUP = f"""\
import copy
original = {PROCESSOR_CLASS}.from_pretrained(MODEL, device="cpu")
wave, length = torch.from_numpy({SINE})[None], torch.tensor([16_000])"""
COPY_TRIGGER = """\
copied = copy.deepcopy(original)
before = copied.audio(wave, length)[0]
original.audio.featurizer.fb.mul_(2)  # change the original's filterbank only
assert torch.equal(copied.audio(wave, length)[0], before), "the copy's features follow the original's filterbank\""""

BUG = Bug(
    id="processor-pickle",
    order=140,
    title="The processor cannot be pickled, and deep copies share its featurizer",
    module=FEATURES_FILE,
    trigger="pickle.dumps(processor) (multiprocessing, DataLoader workers); copy.deepcopy(processor) (gr.State)",
    symptom="_pickle.PicklingError: Can't pickle <function FilterbankFeatures.forward ...>: it's not the same object "
    "as ...FilterbankFeatures.forward; a deep copy silently computes features with the original's buffers",
    root_cause="FilterbankFeatures.__init__ sets self.forward = torch.no_grad()(self.forward): an instance attribute "
    "holding a closure over the original's bound method",
    expected="the processor pickles, and a copy computes features with its own filterbank and window",
    workaround="del processor.audio.featurizer.forward (drops the instance wrapper; the featurizer has no parameters)",
    fix="keep forward a method: enter torch.set_grad_enabled(self.use_grads and torch.is_grad_enabled()) inside it",
    subject="Keep FilterbankFeatures.forward a method so the processor pickles",
    changes=(
        "`FilterbankFeatures` no longer stores a wrapped `forward` on the instance: the processor pickles, and a copy "
        "computes features with its own buffers. Features are computed without grad unless `use_grads` is set, as before."
    ),
    severity="crash",
    explicit=True,
    detect=detect,
    cases=(
        Case(
            variant="pickle",
            needs=("processor",),
            setup="import pickle",
            trigger="pickle.dumps(processor)",
            callsite_trigger="pickle.dumps(picklable(processor))",
            expect=Expect(("PicklingError",), NOT_PICKLABLE, None),
            summary="pickle the processor",
        ),
        Case(
            variant="deepcopy",
            setup=COPY_SETUP,
            trigger=COPY_TRIGGER,
            callsite_trigger=COPY_TRIGGER.replace("copy.deepcopy(original)", "copy.deepcopy(picklable(original))"),
            expect=Expect(("AssertionError",), "the copy's features follow the original's filterbank", None),
            summary="deep-copy the processor and change the original's filterbank",
            expected_text="the copy's features do not change when the original's filterbank does",
        ),
    ),
    callsite=Callsite(helpers=(picklable,)),
    runtime=(
        Wrap(FEATURES_MODULE, FEATURES_CLASS, "__init__", _check_init, _init),
        Wrap(FEATURES_MODULE, FEATURES_CLASS, "forward", _check_forward, _forward),
    ),
    edits=(
        Edit(FEATURES_FILE, STORED, ""),
        Edit(
            FEATURES_FILE,
            FORWARD,
            FORWARD + "        with torch.set_grad_enabled(self.use_grads and torch.is_grad_enabled()):\n"
            "            return self._features(x, seq_len, linear_spec)\n\n"
            "    def _features(self, x, seq_len, linear_spec=False):\n",
        ),
    ),
    regression_test="""\
import copy
import pickle

import torch
from liquid_audio import LFM2AudioProcessor


def test_processor_pickles_and_copies_compute_on_their_own(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    restored = pickle.loads(pickle.dumps(processor))
    wave, length = 0.1 * torch.randn(1, 16_000), torch.tensor([16_000])
    before = restored.audio(wave, length)[0]
    processor.audio.featurizer.fb.mul_(2)
    assert torch.equal(restored.audio(wave, length)[0], before)
    copied = copy.deepcopy(processor)
    copied.audio.featurizer.fb.mul_(2)
    assert not torch.equal(copied.audio(wave, length)[0], processor.audio(wave, length)[0])
    with torch.enable_grad():
        assert not processor.audio(wave.requires_grad_(), length)[0].requires_grad
""",
    signatures=(Signature(NOT_PICKLABLE, ("PicklingError",), mentions=r"FilterbankFeatures|LFM2AudioProcessor"),),
)
