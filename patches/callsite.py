"""Call-site workarounds: load and feed liquid-audio correctly without touching its code.

Each helper works around one or more catalogued bugs (``lfmdoctor.catalog``) at the call site:

- ``pick_device``: cuda, then mps, then cpu (``processor-device``, ``model-device``).
- ``load_processor`` / ``load_model``: always pass ``device=``; a ``str`` naming a folder becomes a
  ``pathlib.Path`` (``local-path``); Mimi is loaded via CPU on MPS (``mimi-device``); the detokenizer
  is built on the processor's device (``detokenizer-device``); the model comes back in eval mode
  (``train-mode``).
- ``to_chat_audio``: any 1-D / 2-D numpy or torch audio to the ``(1, n)`` float32 tensor that
  ``ChatState.add_audio`` accepts (``audio-format``).

torch and liquid_audio are imported inside the functions: importing this module needs neither. The
file is also self-contained (standard library only at import time) so the benchmark's child process
can load it by path in an interpreter where lfmdoctor itself is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEVICES = ("cuda", "mps", "cpu")
DETOKENIZER_SINCE = "1.1.0"


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


def _source(repo_or_path: Any) -> Any:
    """A str naming an existing folder becomes a Path (liquid-audio sends every str to the hub)."""
    if isinstance(repo_or_path, str):
        expanded = os.path.expanduser(repo_or_path)
        if os.path.isdir(expanded):
            return Path(expanded)
    return repo_or_path


def load_processor(repo_or_path: Any, device: str | None = None, **kw: Any) -> Any:
    """``LFM2AudioProcessor.from_pretrained`` with an explicit device that works on this machine.

    On MPS the processor is loaded on CPU and its Mimi codec (when the checkpoint ships one) is read
    there, then both are moved: safetensors rejects MPS device strings. On any device but CUDA the audio
    detokenizer (when present) is built on the processor's device instead of the hard-coded ``.cuda()``.
    ``kw`` goes to ``from_pretrained`` (``revision=``).
    """
    from liquid_audio import LFM2AudioProcessor

    source = _source(repo_or_path)
    target = pick_device(device)
    kind = target.split(":", 1)[0]
    if kind == "mps":
        processor = LFM2AudioProcessor.from_pretrained(source, device="cpu", **kw)
        if getattr(processor, "mimi_weights_path", None):
            processor.mimi  # noqa: B018 - reads the weights on CPU, where safetensors accepts the device
        processor.to(target)
        if getattr(processor, "_mimi", None) is not None:
            processor._mimi.to(target)
    else:
        processor = LFM2AudioProcessor.from_pretrained(source, device=target, **kw)
    if kind != "cuda" and getattr(processor, "detokenizer_path", None):
        load_detokenizer(processor)
    return processor


def load_model(repo_or_path: Any, device: str | None = None, dtype: Any = None, **kw: Any) -> Any:
    """``LFM2AudioModel.from_pretrained`` with an explicit device (and dtype), in eval mode.

    ``dtype`` may be a torch dtype or its name ("float32", "bfloat16", "float16"); None keeps
    liquid-audio's default (bfloat16).
    """
    import contextlib

    from liquid_audio import LFM2AudioModel

    source = _source(repo_or_path)
    target = pick_device(device)
    if dtype is not None:
        kw["dtype"] = _torch_dtype(dtype)
    # flash attention serves only CUDA in half precision (bfloat16 is liquid-audio's default dtype)
    half = dtype is None or str(kw["dtype"]) in ("torch.bfloat16", "torch.float16")
    guard = contextlib.nullcontext() if str(target).startswith("cuda") and half else without_flash_attn()
    with guard:
        return LFM2AudioModel.from_pretrained(source, device=target, **kw).eval()


def _torch_dtype(dtype: Any) -> Any:
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype).removeprefix("torch."), None)
    if isinstance(value, torch.dtype):
        return value
    raise ValueError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")


_INT_SCALE = {"int8": 2.0**7, "int16": 2.0**15, "int32": 2.0**31}


def to_chat_audio(wave: Any, sample_rate: int, *, target_rate: int | None = None) -> tuple[Any, int]:
    """Return ``(tensor, rate)`` with a ``(1, n)`` float32 CPU tensor that ``ChatState.add_audio`` accepts.

    Accepts numpy arrays and torch tensors, 1-D or 2-D with channels first or last (when 2-D, the
    smaller dimension is taken as channels), mixes channels down by averaging, scales integer PCM to
    [-1, 1] (int8/16/32 by their full scale, uint8 centred on 128) and converts other floats to
    float32. With ``target_rate``, resamples (torchaudio) and returns that rate.
    """
    import torch

    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
    if target_rate is not None and (not isinstance(target_rate, int) or target_rate <= 0):
        raise ValueError(f"target_rate must be a positive int, got {target_rate!r}")

    if isinstance(wave, torch.Tensor):
        tensor = wave.detach().cpu()
    else:
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - torch ships with numpy in practice
            np = None
        if np is not None and isinstance(wave, (np.ndarray, np.generic)):
            wave = np.asarray(wave)
            if wave.dtype.kind not in "iuf":
                raise ValueError(f"audio must hold numbers, got numpy dtype {wave.dtype}")
            if not wave.dtype.isnative:  # big-endian PCM from some readers; torch wants native order
                wave = wave.astype(wave.dtype.newbyteorder("="))
            tensor = torch.from_numpy(np.ascontiguousarray(wave)) if wave.ndim else torch.from_numpy(wave.copy())
        else:
            raise TypeError(f"audio must be a numpy array or a torch tensor, got {type(wave).__name__}")

    if tensor.ndim == 0 or tensor.ndim > 2:
        raise ValueError(
            f"audio must be 1-D (samples) or 2-D (channels x samples or samples x channels), got shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        raise ValueError(f"audio is empty (shape {tuple(tensor.shape)})")

    name = str(tensor.dtype).removeprefix("torch.")
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise ValueError(f"audio must be real-valued PCM, got dtype {name}")
    if name == "uint8":
        tensor = (tensor.to(torch.float32) - 128.0) / 128.0
    elif name in _INT_SCALE:
        tensor = tensor.to(torch.float64 if name == "int32" else torch.float32) / _INT_SCALE[name]
    elif not tensor.is_floating_point():
        raise ValueError(f"audio dtype {name} is not supported; use float, int8, int16, int32 or uint8")
    tensor = tensor.to(torch.float32)

    if tensor.ndim == 1:
        tensor = tensor.unsqueeze(0)
    elif tensor.shape[0] > tensor.shape[1]:  # samples x channels
        tensor = tensor.mT
    if tensor.shape[0] > 1:
        tensor = tensor.mean(dim=0, keepdim=True)

    rate = sample_rate
    if target_rate is not None and target_rate != sample_rate:
        import torchaudio

        tensor = torchaudio.functional.resample(tensor, sample_rate, target_rate)
        rate = target_rate
    return tensor.contiguous(), rate


def load_detokenizer(processor: Any) -> Any:
    """Build the processor's audio detokenizer on ``processor.device`` and install it.

    Does what ``LFM2AudioProcessor.audio_detokenizer`` does (liquid-audio >= 1.1.0) minus its
    hard-coded ``.cuda()``: read the config (sliding attention renamed to full attention, as upstream
    does), build ``LFM2AudioDetokenizer``, load the weights on CPU, move it to the processor's device,
    set ``processor._audio_detokenizer`` and return it.
    """
    try:
        from liquid_audio.detokenizer import LFM2AudioDetokenizer
    except ImportError:
        raise RuntimeError(
            f"this liquid-audio has no LFM2AudioDetokenizer (added in {DETOKENIZER_SINCE}); "
            f"upgrade with: pip install 'liquid-audio>={DETOKENIZER_SINCE}'"
        ) from None
    from safetensors.torch import load_file
    from transformers import Lfm2Config

    folder = getattr(processor, "detokenizer_path", None)
    if not folder:
        name = getattr(processor, "name", None) or "this checkpoint"
        raise ValueError(f"{name} has no audio_detokenizer/ folder; use a checkpoint that ships one")
    folder = Path(folder)
    config = Lfm2Config.from_pretrained(folder / "config.json")
    if isinstance(config.layer_types, list):
        config.layer_types = ["full_attention" if t == "sliding_attention" else t for t in config.layer_types]
    detokenizer = LFM2AudioDetokenizer(config).eval()
    detokenizer.load_state_dict(load_file(str(folder / "model.safetensors"), device="cpu"))
    detokenizer = detokenizer.to(processor.device).eval()
    processor._audio_detokenizer = detokenizer
    return detokenizer


# --- helpers added for the remaining bugs (appended; see lfmdoctor.patches.runtime / source) --------

END_OF_AUDIO = 2048  # the code generate_sequential / generate_interleaved give every codebook to end audio


def drop_end_of_audio(codes: Any) -> Any:
    """``codes`` (shape (..., 8, T)) without its end-of-audio frames, for ``processor.decode`` (``eoa-code``).

    A frame whose codes are all 2048 is the end-of-audio marker the generation loop yields; liquid-audio's
    ``decode`` rejects it. Other out-of-range codes are left for ``decode`` to reject.
    """
    if codes.ndim < 2:
        raise ValueError(f"expected audio codes shaped (1, 8, T) or (8, T), got shape {tuple(codes.shape)}")
    end_of_audio = (codes == END_OF_AUDIO).all(dim=-2).reshape(-1, codes.shape[-1]).all(dim=0)
    return codes[..., ~end_of_audio]


def chat_state(processor: Any, model: Any = None, **kw: Any) -> Any:
    """``ChatState(processor)`` whose features match ``model``'s dtype (``dtype-mismatch``).

    ChatState defaults to bfloat16; releases before 1.2.0 feed that to a float32 model's conformer as
    is. ``kw`` goes to ``ChatState`` (``codebooks=``); an explicit ``dtype=`` wins.
    """
    from liquid_audio import ChatState

    if model is not None and "dtype" not in kw:
        kw["dtype"] = next(model.parameters()).dtype
    return ChatState(processor, **kw)


class without_flash_attn:  # a class used like a function: ``with without_flash_attn(): ...``
    """Hide ``flash_attn`` while loading, so ``from_pretrained`` picks sdpa (``flash-attn``).

    liquid-audio switches to flash_attention_2 whenever ``flash_attn`` is importable, whatever the device
    and dtype; flash attention runs only on CUDA in half precision. Use this around
    ``load_model(..., device="cpu")`` (or "mps", or float32) on a machine that has flash_attn installed.
    """

    def __enter__(self) -> None:
        import sys

        self._saved = sys.modules.get("flash_attn", False)
        sys.modules["flash_attn"] = None  # type: ignore[assignment] - find_spec answers None, import fails

    def __exit__(self, *exc: object) -> None:
        import sys

        if self._saved is False:
            sys.modules.pop("flash_attn", None)
        else:
            sys.modules["flash_attn"] = self._saved
