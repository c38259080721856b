"""The runtime strategy: fix the imported liquid-audio in memory, leaving its files alone.

    import lfmdoctor.patches
    lfmdoctor.patches.apply()          # or: with lfmdoctor.patches.patched(): ...
    lfmdoctor.patches.revert()

or, for a program you cannot change: ``lfmdoctor exec -- python your_script.py``.

Each fix first inspects its target (signature default, source text) and patches only when the target
has the bug in the shape this module knows. Code that is already fixed is left alone silently; code
that looks like neither is left alone with a one-line ``RuntimePatchWarning``. Applying twice is a
no-op and ``revert()`` restores the original objects. The original of every replaced attribute is
kept next to it on its class or module (``_lfmdoctor_runtime_<name>``), so this works even when this
file is loaded twice (as ``lfmdoctor.patches.runtime`` and by path from ``lfmdoctor exec``'s bootstrap).

Standard library only at import time: this file runs in the *target* interpreter, where lfmdoctor may
not be installed (it then loads its sibling ``callsite.py`` by path). torch and liquid-audio are
imported when a fix is applied.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.abc
import importlib.util
import inspect
import operator
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

PACKAGE = "liquid_audio"
TRAINER = "liquid_audio.trainer"
SIDE = "_lfmdoctor_runtime_"
PATCHED = "patched"
VERBOSE_ENV = "LFMDOCTOR_RUNTIME_VERBOSE"

# "if <condition>:" followed by the line that selects flash_attention_2
_FLASH_BRANCH = re.compile(r"if ([^\n]*):[ \t]*\n[^\n]*\"flash_attention_2\"")
# False while LFM2AudioModel.from_pretrained loads onto a device or dtype flash attention cannot serve.
_FLASH_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("lfmdoctor_flash_attn_allowed", default=True)


class RuntimePatchWarning(UserWarning):
    """A liquid-audio target no longer looks as expected; it was left alone."""


class _Skip(Exception):
    """This fix does not go in; the message (one line) says why. ``unexpected``: warn about it."""

    def __init__(self, message: str, unexpected: bool = False) -> None:
        super().__init__(message)
        self.unexpected = unexpected


def _not_needed(why: str) -> _Skip:
    return _Skip(f"not needed: {why}")


def _unexpected(why: str) -> _Skip:
    return _Skip(f"skipped: {why}", unexpected=True)


# --- helpers ----------------------------------------------------------------------------------------


def _callsite() -> Any:
    """The call-site helpers: the package's module, or the sibling file when loaded by path."""
    if __package__:
        from . import callsite

        return callsite
    name = "_lfmdoctor_callsite"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("callsite.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as exc:
        raise _unexpected(f"cannot read the source of {getattr(obj, '__qualname__', obj)} ({exc})") from None


def _raw(owner: Any, name: str, what: str) -> Any:
    raw = vars(owner).get(name)
    if raw is None:
        raise _unexpected(f"{what} is missing")
    return raw


def _is_cuda(value: Any) -> bool:
    text = str(value)
    return text == "cuda" or text.startswith("cuda:")


def _device_default(func: Any, what: str) -> Any:
    parameter = inspect.signature(func).parameters.get("device")
    if parameter is None:
        raise _unexpected(f"{what} has no device parameter")
    return parameter.default


def _installed(owner: Any, name: str) -> bool:
    return SIDE + name in vars(owner)


def _swap(owner: Any, name: str, new: Any, installed: list) -> None:
    """Replace ``owner.name`` with ``new``, keeping (original, new) beside it for revert."""
    setattr(owner, SIDE + name, (vars(owner)[name], new))
    setattr(owner, name, new)
    installed.append((owner, name))


def _restore(owner: Any, name: str) -> bool:
    pair = vars(owner).get(SIDE + name)
    if pair is None:
        return False
    original, new = pair
    if vars(owner).get(name) is new:
        setattr(owner, name, original)
    else:
        warnings.warn(
            f"lfmdoctor runtime patch: {getattr(owner, '__name__', owner)}.{name} was replaced by "
            "someone else after patching; left as it is",
            RuntimePatchWarning,
            stacklevel=3,
        )
    delattr(owner, SIDE + name)
    return True


def _best_device() -> str:
    return _callsite().pick_device(None)


# --- the fixes --------------------------------------------------------------------------------------


def _fix_processor_device(processor_module: Any, installed: list) -> str:
    cls = processor_module.LFM2AudioProcessor
    if _installed(cls, "from_pretrained"):
        return "already patched"
    raw = _raw(cls, "from_pretrained", "LFM2AudioProcessor.from_pretrained")
    if not isinstance(raw, classmethod):
        raise _unexpected("LFM2AudioProcessor.from_pretrained is not a classmethod")
    default = _device_default(raw.__func__, "LFM2AudioProcessor.from_pretrained")
    if not _is_cuda(default):
        raise _not_needed(f"LFM2AudioProcessor.from_pretrained defaults device to {default!r}")
    _swap(cls, "from_pretrained", classmethod(_with_best_device(raw.__func__)), installed)
    return PATCHED


def _with_best_device(func: Any) -> Any:
    signature = inspect.signature(func)

    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            given = signature.bind_partial(cls, *args, **kwargs).arguments
        except TypeError:
            return func(cls, *args, **kwargs)  # let liquid-audio report the bad call
        if "device" not in given:
            kwargs["device"] = _best_device()
        return func(cls, *args, **kwargs)

    return from_pretrained


def _fix_model_loading(model_module: Any, installed: list) -> dict[str, str]:
    """model-device, train-mode and flash-attn: all in LFM2AudioModel.from_pretrained."""
    cls = model_module.LFM2AudioModel
    ids = ("model-device", "train-mode", "flash-attn")
    if _installed(cls, "from_pretrained"):
        return dict.fromkeys(ids, "already patched")
    raw = _raw(cls, "from_pretrained", "LFM2AudioModel.from_pretrained")
    if not isinstance(raw, classmethod):
        raise _unexpected("LFM2AudioModel.from_pretrained is not a classmethod")
    func = raw.__func__
    text = _source(func)
    report: dict[str, str] = {}
    default = _device_default(func, "LFM2AudioModel.from_pretrained")
    fix_device = _is_cuda(default)
    report["model-device"] = PATCHED if fix_device else f"not needed: device defaults to {default!r}"
    fix_train = ".eval()" not in text and ".train(False)" not in text
    report["train-mode"] = PATCHED if fix_train else "not needed: from_pretrained already calls .eval()"
    branch = _FLASH_BRANCH.search(text)
    condition = branch.group(1).strip() if branch else ""
    fix_flash = condition == 'module_exists("flash_attn")' and callable(vars(model_module).get("module_exists"))
    if fix_flash:
        report["flash-attn"] = PATCHED
    elif "flash_attention_2" not in text or "cuda" in condition:
        report["flash-attn"] = "not needed: from_pretrained picks flash_attention_2 only on CUDA, if at all"
    else:
        report["flash-attn"] = _warn("LFM2AudioModel.from_pretrained chooses flash_attention_2 in an unknown way")
    if fix_device or fix_train or fix_flash:
        wrapper = _model_from_pretrained(func, fix_device, fix_train, fix_flash)
        _swap(cls, "from_pretrained", classmethod(wrapper), installed)
    if fix_flash:
        _swap(
            model_module,
            "module_exists",
            _gated_module_exists(vars(model_module)["module_exists"]),
            installed,
        )
    return report


def _model_from_pretrained(func: Any, fix_device: bool, fix_train: bool, fix_flash: bool) -> Any:
    signature = inspect.signature(func)

    @functools.wraps(func)
    def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            given = signature.bind_partial(cls, *args, **kwargs).arguments
        except TypeError:
            return func(cls, *args, **kwargs)
        if fix_device and "device" not in given:
            kwargs["device"] = _best_device()
        token = None
        if fix_flash:
            device = kwargs.get("device", given.get("device", _parameter_default(signature, "device")))
            dtype = given.get("dtype", _parameter_default(signature, "dtype"))
            token = _FLASH_ALLOWED.set(_flash_attention_can_run(device, dtype))
        try:
            model = func(cls, *args, **kwargs)
        finally:
            if token is not None:
                _FLASH_ALLOWED.reset(token)
        return model.eval() if fix_train else model

    return from_pretrained


def _parameter_default(signature: inspect.Signature, name: str) -> Any:
    parameter = signature.parameters.get(name)
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def _flash_attention_can_run(device: Any, dtype: Any) -> bool:
    import torch

    try:
        kind = torch.device(device).type
    except (TypeError, RuntimeError):
        return False
    return kind == "cuda" and dtype in (torch.float16, torch.bfloat16)


def _gated_module_exists(original: Any) -> Any:
    @functools.wraps(original)
    def module_exists(name: str) -> bool:
        if name == "flash_attn" and not _FLASH_ALLOWED.get():
            return False
        return original(name)

    return module_exists


def _fix_audio_format(processor_module: Any, installed: list) -> str:
    cls = processor_module.ChatState
    if _installed(cls, "add_audio"):
        return "already patched"
    func = _raw(cls, "add_audio", "ChatState.add_audio")
    text = _source(func)
    if "assert len(wave.shape) == 2" not in text:
        if "ValueError" in text or "as_tensor" in text:
            raise _not_needed("ChatState.add_audio converts and checks its input")
        raise _unexpected("ChatState.add_audio does not look as expected")
    _swap(cls, "add_audio", _converting_add_audio(func), installed)
    return PATCHED


def _converting_add_audio(func: Any) -> Any:
    @functools.wraps(func)
    def add_audio(self: Any, wave: Any, sampling_rate: Any, *args: Any, **kwargs: Any) -> Any:
        import torch

        ready = isinstance(wave, torch.Tensor) and wave.ndim == 2 and wave.shape[0] == 1 and wave.is_floating_point()
        if not ready:  # a (1, n) float tensor goes through untouched, on whatever device it is
            try:
                sampling_rate = operator.index(sampling_rate)
            except TypeError:
                pass
            wave, sampling_rate = _callsite().to_chat_audio(wave, sampling_rate)
        return func(self, wave, sampling_rate, *args, **kwargs)

    return add_audio


def _fix_detokenizer_device(processor_module: Any, installed: list) -> str:
    cls = processor_module.LFM2AudioProcessor
    if _installed(cls, "audio_detokenizer"):
        return "already patched"
    raw = vars(cls).get("audio_detokenizer")
    if raw is None:
        raise _not_needed("this liquid-audio has no audio detokenizer")
    if not isinstance(raw, property) or raw.fget is None:
        raise _unexpected("LFM2AudioProcessor.audio_detokenizer is not a property")
    text = _source(raw.fget)
    if ".cuda()" not in text:
        if "self.device" in text:
            raise _not_needed("audio_detokenizer builds the detokenizer on the processor's device")
        raise _unexpected("LFM2AudioProcessor.audio_detokenizer does not look as expected")
    original = raw.fget

    @functools.wraps(original)
    def audio_detokenizer(self: Any) -> Any:
        if getattr(self, "_audio_detokenizer", None) is None and getattr(self, "detokenizer_path", None):
            _callsite().load_detokenizer(self)  # on self.device, instead of .cuda()
        return original(self)

    _swap(cls, "audio_detokenizer", property(audio_detokenizer, raw.fset, raw.fdel, raw.__doc__), installed)
    return PATCHED


def _fix_mimi_device(processor_module: Any, installed: list) -> str:
    cls = processor_module.LFM2AudioProcessor
    if _installed(cls, "mimi"):
        return "already patched"
    raw = _raw(cls, "mimi", "LFM2AudioProcessor.mimi")
    if isinstance(raw, property) and raw.fget is not None:
        original = raw.fget
    elif isinstance(raw, functools.cached_property):
        original = raw.func
    else:
        raise _unexpected("LFM2AudioProcessor.mimi is neither a property nor a cached_property")
    text = _source(original)
    if "device=str(self.device)" not in text:
        if 'device="cpu"' in text:
            raise _not_needed("mimi loads its weights on the CPU")
        raise _unexpected("LFM2AudioProcessor.mimi does not look as expected")

    @functools.wraps(original)
    def mimi(self: Any) -> Any:
        if getattr(self, "mimi_weights_path", None) is not None and getattr(self, "_mimi", None) is None:
            loaded = _load_mimi_via_cpu(self, processor_module)
            if "_mimi" not in vars(self):  # 0.0.0a1 / 1.0.0: a cached_property, which keeps what it returns
                return loaded
            self._mimi = loaded
        return original(self)

    if isinstance(raw, property):
        replacement: Any = property(mimi, raw.fset, raw.fdel, raw.__doc__)
    else:
        replacement = functools.cached_property(mimi)
        replacement.__set_name__(cls, "mimi")
    _swap(cls, "mimi", replacement, installed)
    return PATCHED


def _load_mimi_via_cpu(processor: Any, processor_module: Any) -> Any:
    from safetensors.torch import load_file

    model = processor_module.moshi.models.loaders.get_mimi(None, device=processor.device)
    # safetensors rejects some torch device strings (mps:0); load_state_dict moves the weights
    model.load_state_dict(load_file(processor.mimi_weights_path, device="cpu"), strict=True)
    return model


def _fix_local_path(utils_module: Any, installed: list) -> str:
    if _installed(utils_module, "get_model_dir"):
        return "already patched"
    original = _raw(utils_module, "get_model_dir", "liquid_audio.utils.get_model_dir")
    text = _source(original)
    if "isinstance(repo_id, str)" not in text:
        raise _unexpected("get_model_dir does not look as expected")
    if any(word in text for word in ("is_dir", "isdir", "exists(")):
        raise _not_needed("get_model_dir checks for a local folder")

    @functools.wraps(original)
    def get_model_dir(repo_id: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(repo_id, str) and os.path.isdir(repo_id):
            repo_id = Path(repo_id)
        return original(repo_id, *args, **kwargs)

    # processor.py and model/lfm2_audio.py bound the function at import: replace it there too
    for name, module in list(sys.modules.items()):
        if (name == PACKAGE or name.startswith(PACKAGE + ".")) and vars(module).get("get_model_dir") is original:
            _swap(module, "get_model_dir", get_model_dir, installed)
    return PATCHED


def _fix_dtype_mismatch(model_module: Any, installed: list) -> str:
    cls = model_module.LFM2AudioModel
    if _installed(cls, "_prefill"):
        return "already patched"
    func = _raw(cls, "_prefill", "LFM2AudioModel._prefill")
    text = _source(func)
    if "self.conformer(padded_audio_in.mT, audio_in_lens)" not in text:
        if "padded_audio_in.mT.to(" in text:
            raise _not_needed("_prefill casts the conformer input to the model's dtype")
        raise _unexpected("LFM2AudioModel._prefill does not look as expected")
    signature = inspect.signature(func)

    @functools.wraps(func)
    def _prefill(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        audio_in = bound.arguments.get("audio_in")
        dtype = self.lfm.embed_tokens.weight.dtype
        if audio_in is not None and audio_in.is_floating_point() and audio_in.dtype != dtype:
            bound.arguments["audio_in"] = audio_in.to(dtype)  # what 1.2.0 does to the conformer input
        return func(*bound.args, **bound.kwargs)

    _swap(cls, "_prefill", _prefill, installed)
    return PATCHED


TRUNCATED_RANGE = "expected audio codes in range "


def _fix_eoa_code(processor_module: Any, installed: list) -> str:
    cls = processor_module.LFM2AudioProcessor
    if _installed(cls, "decode"):
        return "already patched"
    func = vars(cls).get("decode")
    if func is None:
        raise _not_needed("this liquid-audio has no LFM2AudioProcessor.decode")
    text = _source(func)
    if f'"{TRUNCATED_RANGE}"' not in text:
        if "== 2048" in text:
            raise _not_needed("decode drops end-of-audio frames")
        raise _unexpected("LFM2AudioProcessor.decode does not look as expected")

    @functools.wraps(func)
    def decode(self: Any, audio_codes: Any, *args: Any, **kwargs: Any) -> Any:
        audio_codes = _callsite().drop_end_of_audio(audio_codes)
        try:
            return func(self, audio_codes, *args, **kwargs)
        except RuntimeError as exc:
            if str(exc) == TRUNCATED_RANGE:
                raise RuntimeError("expected audio codes in range [0, 2047]") from None
            raise

    _swap(cls, "decode", decode, installed)
    return PATCHED


def _fix_trainer(trainer_module: Any, installed: list) -> None:
    """With from_pretrained returning eval mode, the fine-tuning Trainer must switch training back on."""
    cls = getattr(trainer_module, "Trainer", None)
    if cls is None or _installed(cls, "__init__") or "__init__" not in vars(cls):
        return
    original = vars(cls)["__init__"]
    if "from_pretrained" not in _quiet_source(original):
        return

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        model = getattr(self, "model", None)
        if model is not None:
            model.train()

    _swap(cls, "__init__", __init__, installed)


def _on_trainer(module: Any) -> None:
    model_module = sys.modules.get("liquid_audio.model.lfm2_audio")
    if model_module is not None and _installed(model_module.LFM2AudioModel, "from_pretrained"):
        _fix_trainer(module, [])


def _quiet_source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


# --- applying and reverting -------------------------------------------------------------------------


def _warn(message: str) -> str:
    warnings.warn(f"lfmdoctor runtime patch: {message}; left alone", RuntimePatchWarning, stacklevel=4)
    return f"skipped: {message}"


def _run(fix: Any, *args: Any) -> Any:
    try:
        return fix(*args)
    except _Skip as skip:
        if skip.unexpected:
            _warn(str(skip).removeprefix("skipped: "))
        return str(skip)


def _apply_loaded(installed: list) -> dict[str, str]:
    from liquid_audio import processor as processor_module
    from liquid_audio import utils as utils_module
    from liquid_audio.model import lfm2_audio as model_module

    report: dict[str, str] = {}
    report["processor-device"] = _run(_fix_processor_device, processor_module, installed)
    loading = _run(_fix_model_loading, model_module, installed)
    report.update(
        loading if isinstance(loading, dict) else dict.fromkeys(("model-device", "train-mode", "flash-attn"), loading)
    )
    report["audio-format"] = _run(_fix_audio_format, processor_module, installed)
    report["detokenizer-device"] = _run(_fix_detokenizer_device, processor_module, installed)
    report["mimi-device"] = _run(_fix_mimi_device, processor_module, installed)
    report["local-path"] = _run(_fix_local_path, utils_module, installed)
    report["dtype-mismatch"] = _run(_fix_dtype_mismatch, model_module, installed)
    report["eoa-code"] = _run(_fix_eoa_code, processor_module, installed)
    if _installed(model_module.LFM2AudioModel, "from_pretrained"):
        if TRAINER in sys.modules:
            _fix_trainer(sys.modules[TRAINER], installed)
        else:
            _hook().watch(TRAINER, _on_trainer)
    return report


def apply() -> dict[str, str]:
    """Fix the liquid-audio this interpreter imports; returns {bug id: what happened to its fix}.

    ``"patched"``, ``"already patched"``, ``"not needed: ..."`` (the code is fixed or has no such
    feature) or ``"skipped: ..."`` (the target looks unfamiliar; a RuntimePatchWarning said so).
    """
    import liquid_audio  # noqa: F401 - raises ImportError when it is not installed

    return _apply_loaded([])


def revert() -> list[str]:
    """Undo every runtime fix in this process; returns the attributes restored ("Class.name")."""
    _remove_hook()
    restored = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == PACKAGE or name.startswith(PACKAGE + ".")):
            continue
        owners = [module, *(v for v in vars(module).values() if isinstance(v, type) and v.__module__ == name)]
        for owner in owners:
            for attr in [a[len(SIDE) :] for a in list(vars(owner)) if a.startswith(SIDE)]:
                if _restore(owner, attr):
                    restored.append(f"{getattr(owner, '__qualname__', name)}.{attr}")
    return restored


@contextlib.contextmanager
def patched():
    """Apply the runtime fixes for the ``with`` block; on exit undo the ones this block put in."""
    import liquid_audio  # noqa: F401

    installed: list = []
    report = _apply_loaded(installed)
    try:
        yield report
    finally:
        for owner, name in reversed(installed):
            _restore(owner, name)


# --- post-import hook (lfmdoctor exec) ---------------------------------------------------------------


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any, callback: Any) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._callback(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _PostImportHook(importlib.abc.MetaPathFinder):
    """Runs a callback right after a watched module is first imported."""

    lfmdoctor_runtime_hook = True

    def __init__(self) -> None:
        self.callbacks: dict[str, Any] = {}
        self._busy: set[str] = set()

    def watch(self, name: str, callback: Any) -> None:
        self.callbacks[name] = callback

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        callback = self.callbacks.get(fullname)
        if callback is None or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.discard(fullname)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        del self.callbacks[fullname]
        spec.loader = _Loader(spec.loader, callback)
        return spec


def _hook() -> _PostImportHook:
    for finder in sys.meta_path:
        if getattr(finder, "lfmdoctor_runtime_hook", False) and isinstance(finder, _PostImportHook):
            return finder
    hook = _PostImportHook()
    sys.meta_path.insert(0, hook)
    return hook


def _remove_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "lfmdoctor_runtime_hook", False)]


def _on_liquid_audio(module: Any) -> None:
    try:
        report = _apply_loaded([])
    except Exception as exc:
        warnings.warn(
            f"lfmdoctor runtime patch failed ({type(exc).__name__}: {exc}); liquid-audio left as it is",
            RuntimePatchWarning,
            stacklevel=2,
        )
        return
    if os.environ.get(VERBOSE_ENV):
        fixed = [bug for bug, what in report.items() if what == PATCHED]
        print(
            f"lfmdoctor: liquid-audio patched at runtime: {', '.join(fixed) or 'nothing needed'}",
            file=sys.stderr,
            flush=True,
        )


def install_import_hook() -> None:
    """Apply the fixes as soon as liquid_audio is imported (right away if it already is)."""
    if PACKAGE in sys.modules:
        _on_liquid_audio(sys.modules[PACKAGE])
    else:
        _hook().watch(PACKAGE, _on_liquid_audio)
