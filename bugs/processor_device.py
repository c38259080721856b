"""``LFM2AudioProcessor.from_pretrained`` defaults to ``device="cuda"``."""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any

from . import _ast
from ._anatomy import (
    CUDA_DEFAULT_SIGNATURE,
    CUDA_UNUSABLE,
    OPTIONAL_DEVICE_SIGNATURE,
    PROCESSOR_CLASS,
    PROCESSOR_FILE,
    PROCESSOR_MODULE,
    UTILS_FILE,
)
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Thread, Unfamiliar, Verdict, Wrap, without_cuda
from ._threads import DEVICE_PR, LLAMA_CPP, POSITION, READ

DEVICES = ("cuda", "mps", "cpu")


def pick_device(prefer: str | None = None) -> str:
    """The device to run on: ``prefer`` when given (not "auto"), else cuda, then mps, then cpu."""
    if prefer is not None and str(prefer).strip().lower() not in ("", "auto"):
        choice = str(prefer).strip()
        if choice.split(":", 1)[0].lower() not in DEVICES:
            raise ValueError(f"unknown device {prefer!r}; use one of auto, {', '.join(DEVICES)} (or cuda:N)")
        return choice.lower()
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def detect_cuda_default(source: _ast.Source, class_name: str) -> Verdict:
    """Does ``class_name.from_pretrained`` default its ``device`` parameter to CUDA?"""
    fn = source.method(class_name, "from_pretrained")
    param, default = _ast.param_default(fn, "device")
    if param is None:
        raise CannotTell(f"{class_name}.from_pretrained has no `device` parameter, so its default device is unclear.")
    if default is None:
        return Verdict(False, param, f"{class_name}.from_pretrained requires `device`, so nothing defaults to CUDA.")
    shown = ast.unparse(default)
    if _ast.names_cuda(default):
        return Verdict(
            True,
            default,
            f"{class_name}.from_pretrained defaults `device` to {shown}, so a call without device= needs CUDA.",
        )
    return Verdict(False, default, f"{class_name}.from_pretrained defaults `device` to {shown}, not to CUDA.")


def detect(source: _ast.Source) -> Verdict:
    return detect_cuda_default(source, PROCESSOR_CLASS)


def check_cuda_default(func: Any, what: str) -> None:
    """Runtime check shared by both from_pretrained fixes: the live ``device`` default is CUDA."""
    parameter = inspect.signature(func).parameters.get("device")
    if parameter is None:
        raise Unfamiliar(f"{what} has no device parameter")
    text = str(parameter.default)
    if not (text == "cuda" or text.startswith("cuda:")):
        raise NotNeeded(f"{what} defaults device to {parameter.default!r}")


def with_best_device(func: Any) -> Any:
    """``func`` (an unbound from_pretrained) that passes the best device when the caller gives none."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            given = signature.bind_partial(cls, *args, **kwargs).arguments
        except TypeError:
            return func(cls, *args, **kwargs)  # let liquid-audio report the bad call
        if "device" not in given:
            kwargs["device"] = pick_device(None)
        return func(cls, *args, **kwargs)

    return from_pretrained


DEFAULT_DEVICE = '''

def default_device() -> str:
    """Best available torch device: cuda, then mps, then cpu"""
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"
'''

UPSTREAM_THREADS = (
    Thread(
        4,
        "pr",
        "a device change in the demo",
        "closed",
        READ,
        "changed the device in the demo only; closed with no maintainer reply",
    ),
    Thread(
        12,
        "pr",
        "Use CPU if CUDA isn't available. Use mps if available",
        "closed",
        READ,
        "proposed a default-device fallback, motivated by the demo; a maintainer answered " + LLAMA_CPP,
    ),
    DEVICE_PR('picks cuda, mps or cpu in the demo and passes it to from_pretrained; the library default stays "cuda"'),
)
DIFFERS = (
    "This is not about deploying on CPUs. The README's own quick-start calls from_pretrained without device= and "
    "raises on every machine without CUDA, Apple Silicon included, before a user can choose anything. The change "
    "touches only calls that pass no device; a machine with CUDA gets cuda as today."
)

BUG = Bug(
    id="processor-device",
    order=10,
    title="LFM2AudioProcessor.from_pretrained defaults to device='cuda'",
    module=PROCESSOR_FILE,
    trigger="LFM2AudioProcessor.from_pretrained(repo) without device=",
    symptom="AssertionError: Torch not compiled with CUDA enabled (CPU/macOS torch); "
    "RuntimeError: Found no NVIDIA driver on your system (CUDA torch, no driver)",
    root_cause='the `device` parameter defaults to "cuda" and the processor is moved there with .to(device)',
    expected="the processor loads on the best available device (cuda, then mps, then cpu)",
    workaround="pass device explicitly: LFM2AudioProcessor.from_pretrained(repo, device='cpu') (or 'mps')",
    fix="default device=None, resolved to cuda, then mps, then cpu",
    subject="pick cuda, then mps, then cpu when from_pretrained gets no device",
    issue_title='from_pretrained defaults to device="cuda" and fails without CUDA',
    changes=(
        "Without `device=`, `LFM2AudioProcessor.from_pretrained` picks cuda when `torch.cuda.is_available()` (what"
        " CUDA users get today), else mps, else cpu. An explicit `device=` behaves as before."
    ),
    default_change=True,
    detect=detect,
    cases=(
        Case(
            trigger=f"processor = {PROCESSOR_CLASS}.from_pretrained(MODEL)",
            expect=Expect(("AssertionError", "RuntimeError"), CUDA_UNUSABLE, PROCESSOR_FILE, "from_pretrained"),
            requires=("cuda_unusable",),
            summary="load the processor without device=",
            callsite_trigger="processor = load_processor(MODEL)",
        ),
    ),
    callsite=Callsite(helpers=(pick_device,), processor_device=pick_device),
    runtime=(
        Wrap(
            PROCESSOR_MODULE,
            PROCESSOR_CLASS,
            "from_pretrained",
            lambda func, module: check_cuda_default(func, f"{PROCESSOR_CLASS}.from_pretrained"),
            lambda func, module: with_best_device(func),
        ),
    ),
    edits=(
        # a device resolver both from_pretrained use
        Edit(UTILS_FILE, "    return spec is not None\n", "    return spec is not None\n" + DEFAULT_DEVICE, shared=True),
        Edit(
            PROCESSOR_FILE,
            "from liquid_audio.utils import LFMModality, get_model_dir, mel2emb_len\n",
            "from liquid_audio.utils import LFMModality, default_device, get_model_dir, mel2emb_len\n",
        ),
        Edit(PROCESSOR_FILE, CUDA_DEFAULT_SIGNATURE, OPTIONAL_DEVICE_SIGNATURE),
        Edit(
            PROCESSOR_FILE,
            "        return cls(\n            text_tokenizer_path=str(cache_path),\n",
            "        if device is None:\n            device = default_device()\n\n"
            "        return cls(\n            text_tokenizer_path=str(cache_path),\n",
        ),
    ),
    regression_test="""\
import torch
from liquid_audio import LFM2AudioProcessor


def test_from_pretrained_without_device_picks_an_available_device(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint)
    available = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert processor.device.type == available
""",
    threads=UPSTREAM_THREADS,
    position=POSITION,
    differs=DIFFERS,
    bites_here=without_cuda,
    signatures=(
        # a log line or an issue without the traceback: the processor named next to a CUDA-unusable message
        Signature(CUDA_UNUSABLE, ("AssertionError", "RuntimeError"), mentions=PROCESSOR_CLASS),
    ),
)
