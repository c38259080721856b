"""Mimi weights are loaded straight onto the processor's device string, which safetensors may reject."""

from __future__ import annotations

import ast
import functools
import os
from typing import Any

from . import _ast
from ._anatomy import PROCESSOR_CLASS, PROCESSOR_FILE, PROCESSOR_MODULE
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Thread, Verdict, Wrap, release_range
from ._threads import DEVICE_PR, LLAMA_CPP, POSITION, READ


def detect(source: _ast.Source) -> Verdict:
    loads = _ast.calls(source.method(PROCESSOR_CLASS, "mimi"), ["load_file"])
    if not loads:
        raise CannotTell("The mimi property does not call load_file, so how it loads weights is unclear.")
    device = _load_file_device(loads[0])
    if device is None:
        return Verdict(False, loads[0], "The mimi property calls load_file without a device, so weights load on the CPU.")
    if isinstance(device, ast.Constant) and device.value == "cpu":
        return Verdict(False, device, "The mimi property loads weights on the CPU before moving them.")
    return Verdict(
        True,
        device,
        f"The mimi property passes device={ast.unparse(device)} to safetensors' load_file, which rejects "
        '"mps:0" before safetensors 0.8.',
    )


def _rejects_mps(safetensors: str | None) -> bool:
    """safetensors 0.8 accepts "mps:0"; 0.7.0 and older reject it (checked by calling load_file)."""
    from packaging.version import Version  # here, not at import: the runtime fix loads this module by path

    return safetensors is None or Version(safetensors) < Version("0.8")


def _load_file_device(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "device":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _load_processor(load: Any, source: Any, device: Any, kw: dict[str, Any]) -> Any:
    """Load on CPU, read Mimi there, then move both: safetensors before 0.8 rejects "mps:0" (0.8 rejects "mps:1").
    CPU and CUDA devices load as they are."""
    if str(device).split(":", 1)[0] in ("cpu", "cuda"):
        return load(source, device=device, **kw)
    processor = load(source, device="cpu", **kw)
    weights = getattr(processor, "mimi_weights_path", None)
    mimi = processor.mimi if weights and os.path.isfile(weights) else None  # reads the weights on the CPU
    processor.to(device)
    if mimi is not None:  # the cached model: ``_mimi`` from 1.1.0, the cached_property's value before
        mimi.to(device)
    return processor


_check = _ast.source_check(
    "LFM2AudioProcessor.mimi",
    "device=str(self.device)",
    ('device="cpu"',),
    "mimi loads its weights on the CPU",
)


def _wrap(original: Any, module: Any) -> Any:
    @functools.wraps(original)
    def mimi(self: Any) -> Any:
        if getattr(self, "mimi_weights_path", None) is not None and getattr(self, "_mimi", None) is None:
            loaded = _load_mimi_via_cpu(self, module)
            if "_mimi" not in vars(self):  # 0.0.0a1 / 1.0.0: a cached_property, which keeps what it returns
                return loaded
            self._mimi = loaded
        return original(self)

    return mimi


def _load_mimi_via_cpu(processor: Any, processor_module: Any) -> Any:
    from safetensors.torch import load_file

    model = processor_module.moshi.models.loaders.get_mimi(None, device=processor.device)
    # safetensors before 0.8 rejects "mps:0"; load_state_dict moves the weights
    model.load_state_dict(load_file(processor.mimi_weights_path, device="cpu"), strict=True)
    return model


_COMMENT = '# safetensors before 0.8 rejects "mps:0"; load_state_dict moves the weights\n'

BUG = Bug(
    id="mimi-device",
    order=50,
    title="Mimi weights are loaded straight onto the processor's device string",
    module=PROCESSOR_FILE,
    trigger="processor.mimi on an MPS processor with safetensors older than 0.8",
    symptom="SafetensorError: device mps:0 is invalid (safetensors 0.7.0 and older, see safetensors/safetensors#674)",
    root_cause='load_file(path, device=str(self.device)) passes "mps:0" to safetensors, which rejected it before 0.8',
    expected="Mimi weights load on the CPU and move to the processor's device",
    workaround="upgrade safetensors (pip install 'safetensors>=0.8'), or load the processor on CPU, touch "
    "processor.mimi, then move the processor",
    fix="load_file(path, device='cpu') then move the Mimi model to self.device",
    changes=(
        "Mimi's weights are read on the CPU and moved to the processor's device by `load_state_dict`; the Mimi "
        "model ends up on the same device as before, CUDA included."
    ),
    subject="read Mimi's weights on the CPU, then move them",
    detect=detect,
    cases=(
        Case(
            setup=f'processor = {PROCESSOR_CLASS}.from_pretrained(MODEL, device="mps")',
            trigger="mimi = processor.mimi",
            callsite_setup='processor = load_processor(MODEL, device="mps")',
            expect=Expect(("RuntimeError", "ValueError", "SafetensorError"), r"device|mps", PROCESSOR_FILE, "mimi"),
            requires=("mps", "safetensors_rejects_mps"),
            checkpoint=("mimi",),
            summary="load the Mimi codec on an MPS processor",
        ),
    ),
    callsite=Callsite(load_processor=_load_processor),
    # a property from 1.1.0, a functools.cached_property before: the engine re-wraps in the same kind
    runtime=(Wrap(PROCESSOR_MODULE, PROCESSOR_CLASS, "mimi", _check, _wrap),),
    edits=(
        Edit(
            PROCESSOR_FILE,
            "            mimi_weights = load_file(self.mimi_weights_path, device=str(self.device))\n",
            "            " + _COMMENT + '            mimi_weights = load_file(self.mimi_weights_path, device="cpu")\n',
            release_range("1.1.0"),
        ),
        Edit(
            PROCESSOR_FILE,
            "        mimi_weights = load_file(self.mimi_weights_path, device=str(self.device))\n",
            "        " + _COMMENT + '        mimi_weights = load_file(self.mimi_weights_path, device="cpu")\n',
            release_range(before="1.1.0"),
        ),
    ),
    regression_test="""\
import pytest
import safetensors.torch
import torch

from liquid_audio import LFM2AudioProcessor, moshi


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple Silicon Mac with MPS")
def test_mimi_reads_its_weights_on_the_cpu_and_moves_to_mps(tiny_checkpoint, tmp_path, monkeypatch):
    weights = tmp_path / "mimi.safetensors"  # random weights: only where they load matters
    safetensors.torch.save_file(moshi.models.loaders.get_mimi(None, device="cpu").state_dict(), str(weights))
    read_on, real_load_file = [], safetensors.torch.load_file

    def load_file(path, device="cpu"):
        read_on.append(device)
        return real_load_file(path, device=device)

    monkeypatch.setattr(safetensors.torch, "load_file", load_file)
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="mps")
    processor.mimi_weights_path = str(weights)
    assert next(processor.mimi.parameters()).device.type == "mps"
    assert read_on == ["cpu"]  # safetensors rejects some MPS device strings
""",
    threads=(
        Thread(
            7,
            "pr",
            "Fix TTS Support For Apple MPS",
            "closed",
            READ,
            "loaded the Mimi weights on the CPU first, because safetensors rejected 'mps:0'; a maintainer answered "
            + LLAMA_CPP,
        ),
        DEVICE_PR(
            "loads Mimi via the CPU when the device is neither cpu nor cuda, among its device changes; merging it "
            "fixes this bug",
            fixes=True,
        ),
    ),
    position=POSITION,
    differs="#7 was answered about CPU deployment; this is an explicit device='mps' (Apple Silicon's GPU). "
    "safetensors 0.8.0 no longer rejects 'mps:0' (checked: it hands the string to torch), so a safetensors>=0.8 "
    "floor is a one-line alternative to loading via the CPU; neither was run on a Mac here.",
    severity="crash",
    explicit=True,
    bites_here=lambda env: bool(env.torch.mps_available) and _rejects_mps(env.packages.get("safetensors")),
    signatures=(
        # safetensors before 0.8 (PR #7, safetensors #674) and a torch without MPS; the same words without a traceback
        Signature(
            r"device mps(?::\d+)? is invalid|not linked with support for mps devices",
            ("RuntimeError", "ValueError", "SafetensorError"),
            (f"{PROCESSOR_FILE}:mimi",),
            mentions=r"(?i)\bmimi\b|" + PROCESSOR_CLASS,
            source="upstream PR #7; safetensors #674",
        ),
    ),
)
