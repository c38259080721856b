"""Call-site workarounds: load and feed liquid-audio correctly without touching its code.

``load_processor`` and ``load_model`` run every known bug's call-site hooks (``lfmdoctor.bugs``): an
explicit device that works here, a str folder taken as local, Mimi and the detokenizer on the right
device, flash attention only where it can run, the model in eval mode. The bugs also contribute
helpers of their own (``to_chat_audio``, ``drop_end_of_audio``, ``chat_state``, ...), exported here.

Standard library only at import time, and loadable by path (the repro worker and the benchmark's
child process do so in an interpreter where lfmdoctor is not installed): the bug registry is then
loaded by path too, from the ``bugs`` folder beside this file's folder.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

_BY_PATH = "_lfmdoctor_bugs"


def registry() -> Any:
    """The ``lfmdoctor.bugs`` package: imported normally, or by path when this file was."""
    if __package__:
        from lfmdoctor import bugs

        return bugs
    if _BY_PATH not in sys.modules:
        folder = Path(__file__).resolve().parent.parent / "bugs"
        init = folder / "__init__.py"
        spec = importlib.util.spec_from_file_location(_BY_PATH, init, submodule_search_locations=[str(folder)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[_BY_PATH] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_BY_PATH]
            raise
    return sys.modules[_BY_PATH]


def _hooks(name: str) -> list[Any]:
    return [hook for bug in registry().BUGS if (hook := getattr(bug.callsite, name)) is not None]


def load_processor(repo_or_path: Any, device: str | None = None, **kw: Any) -> Any:
    """``LFM2AudioProcessor.from_pretrained`` with an explicit device that works on this machine.

    ``kw`` goes to ``from_pretrained`` (``revision=``).
    """
    from liquid_audio import LFM2AudioProcessor

    source = repo_or_path
    for hook in _hooks("source"):
        source = hook(source)
    for hook in _hooks("processor_device"):
        device = hook(device)

    def load(source: Any, device: Any, **kw: Any) -> Any:
        return LFM2AudioProcessor.from_pretrained(source, device=device, **kw)

    for hook in _hooks("load_processor"):
        load = _bind(hook, load)
    processor = load(source, device, **kw)
    for hook in _hooks("processor_loaded"):
        processor = hook(processor)
    return processor


def _bind(hook: Any, inner: Any) -> Any:
    return lambda source, device, **kw: hook(inner, source, device, kw)


def load_model(repo_or_path: Any, device: str | None = None, dtype: Any = None, **kw: Any) -> Any:
    """``LFM2AudioModel.from_pretrained`` with an explicit device (and dtype), ready for inference.

    ``dtype`` may be a torch dtype or its name ("float32", "bfloat16", "float16"); None keeps
    liquid-audio's default (bfloat16).
    """
    from liquid_audio import LFM2AudioModel

    source = repo_or_path
    for hook in _hooks("source"):
        source = hook(source)
    for hook in _hooks("model_device"):
        device = hook(device)
    if dtype is not None:
        kw["dtype"] = _torch_dtype(dtype)
    with contextlib.ExitStack() as guards:
        for hook in _hooks("model_guard"):
            guards.enter_context(hook(device, kw.get("dtype")))
        model = LFM2AudioModel.from_pretrained(source, device=device, **kw)
    for hook in _hooks("model_loaded"):
        model = hook(model)
    return model


def _torch_dtype(dtype: Any) -> Any:
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype).removeprefix("torch."), None)
    if isinstance(value, torch.dtype):
        return value
    raise ValueError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")


def __getattr__(name: str) -> Any:
    helpers = registry().callsite_helpers()
    if name in helpers:
        return helpers[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *registry().callsite_helpers()])


__all__ = ["load_model", "load_processor", *sorted(registry().callsite_helpers())]
