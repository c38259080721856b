"""Map an exception raised inside liquid-audio to a catalogued bug id. Pure.

The ASR child reports a failure as (stage, exception type, message, frames), frames being
``(file, line, function)`` with liquid-audio files shortened to ``liquid_audio/...``. The rules use
the message first (the errors that name themselves), then where it was raised.
"""

from __future__ import annotations

from collections.abc import Sequence

Frame = Sequence  # (file, line, function)

CUDA_UNUSABLE = (
    "torch not compiled with cuda enabled",
    "found no nvidia driver",
    "no cuda gpus are available",
    "cuda driver version is insufficient",
    "cuda error",
    "cuda out of memory",
    "cuda is not available",
    "cudagetdevicecount",
)
MPS_UNUSABLE = ("not linked with support for mps", "mps:", "device mps")


def _liquid(frames: Sequence[Frame]) -> list[tuple[str, int, str]]:
    return [(str(f[0]), int(f[1]), str(f[2])) for f in frames if "liquid_audio/" in str(f[0]).replace("\\", "/")]


def _in(frames: list[tuple[str, int, str]], file_suffix: str, function: str) -> bool:
    return any(path.endswith(file_suffix) and name == function for path, _, name in frames)


def where(frames: Sequence[Frame]) -> str | None:
    """``file:line`` of the innermost liquid-audio frame, else of the innermost frame."""
    liquid = _liquid(frames)
    chosen = liquid[-1] if liquid else (tuple(frames[-1]) if frames else None)
    if not chosen:
        return None
    path = str(chosen[0]).replace("\\", "/")
    if "liquid_audio/" in path:
        path = path[path.rindex("liquid_audio/") :]
    return f"{path}:{chosen[1]}"


def classify(error_type: str, message: str, frames: Sequence[Frame], stage: str | None = None) -> str | None:
    """The catalog bug id this failure is an instance of, or None when it matches none."""
    text = message.lower()
    short_type = error_type.rsplit(".", 1)[-1]
    liquid = _liquid(frames)
    functions = {name for _, _, name in liquid}
    cuda = any(marker in text for marker in CUDA_UNUSABLE)

    if short_type == "HFValidationError" or "repo id must be in the form" in text:
        return "local-path"
    if "expected audio codes in range" in text:
        return "eoa-code"
    if "input type" in text and "bias type" in text:
        return "dtype-mismatch"
    if "expected more than 1 value per channel when training" in text:
        return "train-mode"
    if "flash_attn" in text or "flash attention" in text or any("flash_attn" in str(f[0]) for f in frames):
        return "flash-attn"
    if "audio_detokenizer" in functions and (cuda or "out of memory" in text):
        return "detokenizer-device"
    if "mimi" in functions and (any(marker in text for marker in MPS_UNUSABLE) or "is invalid" in text):
        return "mimi-device"
    if cuda:
        if _in(liquid, "liquid_audio/processor.py", "from_pretrained") or (not liquid and stage == "load_processor"):
            return "processor-device"
        if _in(liquid, "liquid_audio/model/lfm2_audio.py", "from_pretrained") or (not liquid and stage == "load_model"):
            return "model-device"
    if "add_audio" in functions and short_type in ("AssertionError", "AttributeError", "TypeError"):
        return "audio-format"
    return None
