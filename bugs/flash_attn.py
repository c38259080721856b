"""``from_pretrained`` picks flash_attention_2 whenever flash_attn is importable, whatever the device."""

from __future__ import annotations

import ast
import functools
import inspect
import re
import sys
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._signature import Signature
from ._spec import Bug, Callsite, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap

_MODULE_CHECKS = frozenset({"module_exists", "find_spec", "is_flash_attn_2_available", "is_flash_attn_available"})
_DEVICE_WORDS = re.compile(r"device|cuda|dtype|mps|cpu|gpu|float16|half|is_available", re.IGNORECASE)
# "if <condition>:" followed by the line that selects flash_attention_2
_FLASH_BRANCH = re.compile(r"if ([^\n]*):[ \t]*\n[^\n]*\"flash_attention_2\"")


def _condition_parts(test: ast.expr, fn: _ast.Function) -> list[ast.AST]:
    """The condition plus the values assigned to the names it uses (``use_flash = ...; if use_flash:``)."""
    names = {node.id for node in ast.walk(test) if isinstance(node, ast.Name)}
    assigned = [
        node.value
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)
    ]
    return [test, *assigned]


def _mentions_device(parts: list[ast.AST]) -> bool:
    return any(_DEVICE_WORDS.search(word) for part in parts for word in _ast.words(part))


def _checks_module(parts: list[ast.AST]) -> bool:
    return any(_ast.calls(part, _MODULE_CHECKS) for part in parts)


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(MODEL_CLASS, "from_pretrained")
    parents = _ast.parents(fn)
    choices = [
        node
        for node in _ast.in_order(ast.walk(fn))
        if isinstance(node, ast.Constant)
        and node.value == "flash_attention_2"
        and not isinstance(parents.get(node), ast.Compare)
    ]
    if not choices:
        return Verdict(False, None, "LFM2AudioModel.from_pretrained never selects flash_attention_2 itself.")
    for choice in choices:
        branches = list(_ast.branch_conditions(choice, parents))
        if not branches:
            return Verdict(True, choice, "LFM2AudioModel.from_pretrained selects flash_attention_2 unconditionally.")
        if [branch for branch in branches if _mentions_device(_condition_parts(branch.test, fn))]:
            continue
        module_only = [branch for branch in branches if _checks_module(_condition_parts(branch.test, fn))]
        if module_only:
            return Verdict(
                True,
                module_only[0],
                "LFM2AudioModel.from_pretrained selects flash_attention_2 whenever flash_attn is "
                "importable, whatever the device or dtype.",
            )
    guard = next((b for c in choices for b in _ast.branch_conditions(c, parents)), None)
    return Verdict(
        False,
        guard,
        "LFM2AudioModel.from_pretrained selects flash_attention_2 only under a device, dtype or user condition.",
    )


class without_flash_attn:  # a class used like a function: ``with without_flash_attn(): ...``
    """Hide ``flash_attn`` while loading, so ``from_pretrained`` picks sdpa.

    liquid-audio switches to flash_attention_2 whenever ``flash_attn`` is importable, whatever the device
    and dtype; flash attention runs only on CUDA in half precision. Use this around
    ``load_model(..., device="cpu")`` (or "mps", or float32) on a machine that has flash_attn installed.
    """

    def __enter__(self) -> None:
        self._saved = sys.modules.get("flash_attn", False)
        sys.modules["flash_attn"] = None  # type: ignore[assignment] - find_spec answers None, import fails

    def __exit__(self, *exc: object) -> None:
        if self._saved is False:
            sys.modules.pop("flash_attn", None)
        else:
            sys.modules["flash_attn"] = self._saved


def flash_attention_can_run(device: Any, dtype: Any) -> bool:
    """Flash attention serves only CUDA in half precision. ``dtype`` None: liquid-audio's default (bfloat16)."""
    import torch

    try:
        kind = torch.device(device).type
    except (TypeError, RuntimeError):
        return False
    return kind == "cuda" and (dtype is None or dtype in (torch.float16, torch.bfloat16))


def _guard(device: Any, dtype: Any) -> Any:
    import contextlib

    return contextlib.nullcontext() if flash_attention_can_run(device, dtype) else without_flash_attn()


def _check(func: Any, module: Any) -> None:
    text = _ast.source_text(func)
    branch = _FLASH_BRANCH.search(text)
    condition = branch.group(1).strip() if branch else ""
    if condition == 'module_exists("flash_attn")' and callable(vars(module).get("module_exists")):
        return
    if "flash_attention_2" not in text or "cuda" in condition:
        raise NotNeeded("from_pretrained picks flash_attention_2 only on CUDA, if at all")
    raise Unfamiliar("LFM2AudioModel.from_pretrained chooses flash_attention_2 in an unknown way")


def _wrap(func: Any, module: Any) -> Any:
    signature = inspect.signature(func)

    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            given = signature.bind_partial(cls, *args, **kwargs).arguments
        except TypeError:
            return func(cls, *args, **kwargs)
        device = given.get("device", signature.parameters["device"].default)
        dtype_parameter = signature.parameters.get("dtype")
        dtype = given.get("dtype", None if dtype_parameter is None else dtype_parameter.default)
        with _guard(device, dtype):
            return func(cls, *args, **kwargs)

    return from_pretrained


BUG = Bug(
    id="flash-attn",
    order=90,
    title="flash_attention_2 is chosen whenever flash_attn is importable",
    module=MODEL_FILE,
    trigger="flash_attn installed on a machine or dtype it cannot serve (CPU, MPS, float32)",
    symptom="ImportError: FlashAttention2 has been toggled on, but it cannot be used due to the following error: "
    "FlashAttention2 is not available on CPU. (read from transformers 5.25.0's modeling_utils.py, not run: "
    "flash_attn cannot be installed without CUDA)",
    root_cause="from_pretrained checks only find_spec('flash_attn'), not the device or dtype",
    expected="flash_attention_2 is chosen only on CUDA with a half-precision dtype; sdpa otherwise",
    workaround="uninstall flash_attn, or call model.lfm.set_attn_implementation('sdpa') after loading",
    fix="use flash_attention_2 only on CUDA with a half-precision dtype",
    changes=(
        "flash_attention_2 is chosen only on CUDA in float16 or bfloat16; loads on CPU, MPS or in float32 use sdpa"
        " even where flash_attn is installed. CUDA loads in half precision (the default dtype) are unchanged."
    ),
    subject="use flash_attention_2 only on CUDA in half precision",
    detect=detect,
    cases=(
        Case(
            trigger=f'model = {MODEL_CLASS}.from_pretrained(MODEL, device="cpu")',
            expect=Expect(("ImportError", "ValueError", "RuntimeError"), r"(?i)flash", MODEL_FILE, "from_pretrained"),
            requires=("flash_attn",),
            summary="load the model on the CPU with flash_attn importable",
            callsite_trigger='model = load_model(MODEL, device="cpu")  # picks sdpa off CUDA',
        ),
    ),
    callsite=Callsite(helpers=(without_flash_attn,), model_guard=_guard),
    runtime=(Wrap(MODEL_MODULE, MODEL_CLASS, "from_pretrained", _check, _wrap),),
    edits=(
        Edit(
            MODEL_FILE,
            '        if module_exists("flash_attn"):\n',
            "        # flash_attention_2 runs only on CUDA, in half precision\n"
            '        if device.type == "cuda" and dtype in (torch.float16, torch.bfloat16) and module_exists("flash_attn"):\n',
        ),
    ),
    regression_test="""\
import importlib.machinery
import sys
import types

import torch
from liquid_audio import LFM2AudioModel


def test_cpu_load_does_not_pick_flash_attention(tiny_checkpoint, monkeypatch):
    stub = types.ModuleType("flash_attn")  # importable, as where flash_attn is installed
    stub.__spec__ = importlib.machinery.ModuleSpec("flash_attn", None)
    monkeypatch.setitem(sys.modules, "flash_attn", stub)
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32)
    assert model.lfm.config._attn_implementation != "flash_attention_2"
""",
    severity="crash",
    explicit=True,
    bites_here=lambda env: bool(env.flash_attn and not env.torch.cuda_available),
    signatures=(Signature(r"FlashAttention2 has been toggled on", ("ImportError", "ValueError"), mentions=MODEL_CLASS),),
)
