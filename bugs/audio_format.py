"""``ChatState.add_audio`` accepts only a ``(1, n)`` float torch tensor."""

from __future__ import annotations

import ast
import functools
import operator
from typing import Any

from . import _ast
from ._anatomy import CHAT_STATE_CLASS, PROCESSOR_FILE, PROCESSOR_MODULE, SINE
from ._signature import Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, Verdict, Wrap


def detect(source: _ast.Source) -> Verdict:
    fn = source.method(CHAT_STATE_CLASS, "add_audio")
    params = [*fn.args.posonlyargs, *fn.args.args][1:]
    if not params:
        raise CannotTell("ChatState.add_audio takes no audio argument.")
    wave = params[0].arg
    conversion = None
    for node in _ast.in_order(ast.walk(fn)):
        if isinstance(node, ast.Assert) and node.msg is None and _checks_shape(node.test, wave):
            return Verdict(
                True,
                node,
                "ChatState.add_audio checks the audio shape with a bare assert, so 1-D or stereo audio "
                "fails with an empty AssertionError.",
            )
        if conversion is None and _converts(node, wave):
            conversion = node
        if conversion is None and isinstance(node, ast.Call) and _ast.is_method_of(node, wave, "to"):
            return Verdict(
                True,
                node,
                f"ChatState.add_audio calls {wave}.to() before converting it, so numpy audio fails with AttributeError.",
            )
    if conversion is not None:
        return Verdict(
            False,
            conversion,
            "ChatState.add_audio converts the audio before using it and has no bare shape assert.",
        )
    return Verdict(
        False,
        None,
        "ChatState.add_audio has no bare shape assert and never calls .to() on unconverted audio.",
    )


def _checks_shape(test: ast.expr, wave: str) -> bool:
    for node in ast.walk(test):
        is_wave = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == wave
        if is_wave and node.attr in {"shape", "ndim"}:
            return True
        if isinstance(node, ast.Call) and any(_ast.is_method_of(node, wave, m) for m in ("dim", "size")):
            return True
    return False


def _converts(stmt: ast.AST, wave: str) -> bool:
    """``wave = <call>`` where the call is a conversion or a helper, not a method of wave itself."""
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return False
    if not any(isinstance(t, ast.Name) and t.id == wave for t in targets):
        return False
    outcomes = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
    return any(isinstance(outcome, ast.Call) and not _is_wave_method(outcome, wave) for outcome in outcomes)


def _is_wave_method(call: ast.Call, wave: str) -> bool:
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Name) and receiver.id == wave


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


_check = _ast.source_check(
    "ChatState.add_audio",
    "assert len(wave.shape) == 2",
    ("ValueError", "as_tensor"),
    "ChatState.add_audio converts and checks its input",
)


def _wrap(add_audio: Any, module: Any) -> Any:
    return _converting_add_audio(add_audio)


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
            wave, sampling_rate = to_chat_audio(wave, sampling_rate)
        return func(self, wave, sampling_rate, *args, **kwargs)

    return add_audio


def _audio_case(variant: str, wave: str, expect: Expect, summary: str) -> Case:
    return Case(
        variant=variant,
        needs=("processor",),
        setup=f"chat = ChatState(processor)\nwave = {wave}",
        trigger="chat.add_audio(wave, 16_000)",
        expect=expect,
        summary=summary,
        callsite_trigger="chat.add_audio(*to_chat_audio(wave, 16_000))",
    )


_BARE_ASSERT = Expect(("AssertionError",), "^$", PROCESSOR_FILE, "add_audio")

ADD_AUDIO_OLD = """\
    def add_audio(self, wave: torch.Tensor, sampling_rate: int) -> None:
        assert len(wave.shape) == 2
        assert wave.shape[0] == 1
"""

ADD_AUDIO_NEW = """\
    def add_audio(self, wave: torch.Tensor | np.ndarray, sampling_rate: int) -> None:
        wave = torch.as_tensor(wave)
        if wave.ndim == 1:
            wave = wave[None]
        if wave.ndim != 2 or wave.numel() == 0:
            raise ValueError(f"expected 1-D or 2-D audio, got shape {tuple(wave.shape)}")
        if wave.shape[0] > wave.shape[1]:
            wave = wave.mT  # (samples, channels) -> (channels, samples)
        if wave.dtype in (torch.int8, torch.int16, torch.int32):
            wave = wave / -torch.iinfo(wave.dtype).min  # integer PCM to [-1, 1)
        elif not wave.is_floating_point():
            raise ValueError(f"expected float or int8/16/32 audio samples, got {wave.dtype}")
        wave = wave.mean(0, keepdim=True)  # mix down to mono
"""

BUG = Bug(
    id="audio-format",
    order=30,
    title="ChatState.add_audio accepts only a (1, n) float torch tensor",
    module=PROCESSOR_FILE,
    trigger="ChatState.add_audio(wave, sr) with numpy, 1-D, stereo, channels-last or int16 audio",
    symptom="AttributeError: 'numpy.ndarray' object has no attribute 'to'; bare AssertionError "
    "for 1-D or multi-channel audio; int16 PCM accepted unscaled",
    root_cause="bare `assert` statements on wave.shape and a direct wave.to(device) call, with no conversion",
    expected="add_audio accepts the audio, or raises a ValueError naming the shape it cannot use",
    workaround="convert first: torch.as_tensor(wave, dtype=torch.float32).reshape(1, -1) "
    "(mix stereo down, scale int PCM to [-1, 1])",
    fix="accept numpy and torch, 1-D or 2-D, mix channels down, scale integer PCM, "
    "raise ValueError naming the shape it cannot use",
    changes=(
        "`ChatState.add_audio` also takes numpy arrays, 1-D audio, (channels, samples) and (samples, channels) "
        "audio (mixed down to mono) and int8/int16/int32 PCM (scaled to [-1, 1)); other shapes raise a ValueError "
        "that names the shape. A (1, n) float tensor, the one input that works today, goes through unchanged on "
        "every device."
    ),
    detect=detect,
    cases=(
        _audio_case("numpy-1d", SINE, _BARE_ASSERT, "add 1-D numpy audio"),
        _audio_case(
            "numpy-2d",
            f"({SINE})[None, :]",
            Expect(("AttributeError",), r"'numpy\.ndarray' object has no attribute 'to'", PROCESSOR_FILE, "add_audio"),
            "add (1, n) numpy audio",
        ),
        _audio_case("torch-1d", f"torch.from_numpy({SINE})", _BARE_ASSERT, "add 1-D torch audio"),
        _audio_case("stereo", f"torch.from_numpy({SINE}).repeat(2, 1)", _BARE_ASSERT, "add (2, n) stereo audio"),
        _audio_case("channels-last", f"torch.from_numpy({SINE})[:, None]", _BARE_ASSERT, "add (n, 1) audio"),
        Case(
            variant="int16",
            needs=("processor",),
            setup=(
                "wave = torch.from_numpy(" + SINE + ")[None, :]\n"
                "scaled = ChatState(processor)\n"
                "scaled.add_audio(wave, 16_000)\n"
                "chat = ChatState(processor)"
            ),
            trigger=(
                "chat.add_audio((wave * 32767).to(torch.int16), 16_000)  # accepted without complaint\n"
                "gap = (chat.audio_in.float() - scaled.audio_in.float()).abs().max().item()\n"
                "assert gap < 0.5, f'int16 PCM accepted without rescaling to [-1, 1]: features differ by {gap:.2f}'"
            ),
            callsite_trigger=(
                "chat.add_audio(*to_chat_audio((wave * 32767).to(torch.int16), 16_000))\n"
                "gap = (chat.audio_in.float() - scaled.audio_in.float()).abs().max().item()\n"
                "assert gap < 0.5, f'int16 PCM accepted without rescaling to [-1, 1]: features differ by {gap:.2f}'"
            ),
            expect=Expect(("AssertionError",), "int16 PCM accepted without rescaling", None),
            summary="add int16 PCM audio (silently not rescaled)",
            expected_text="int16 PCM is scaled to [-1, 1], giving the same features as the float input",
        ),
    ),
    callsite=Callsite(helpers=(to_chat_audio,)),
    runtime=(Wrap(PROCESSOR_MODULE, CHAT_STATE_CLASS, "add_audio", _check, _wrap),),
    edits=(
        # for the new type hint `np.ndarray`
        Edit(PROCESSOR_FILE, "import torch\nimport torchaudio\n", "import numpy as np\nimport torch\nimport torchaudio\n"),
        Edit(PROCESSOR_FILE, ADD_AUDIO_OLD, ADD_AUDIO_NEW),
    ),
    regression_test="""\
import numpy as np
import pytest
import torch

from liquid_audio import ChatState, LFM2AudioProcessor


def test_add_audio_accepts_numpy_mono_stereo_channels_last_and_int16(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    wave = 0.1 * np.sin(np.arange(16_000, dtype=np.float32) / 8)
    reference = ChatState(processor)
    reference.add_audio(torch.from_numpy(wave)[None, :], 16_000)
    for audio in (wave, wave[None, :], np.stack([wave, wave]), wave[:, None], (wave * 32767).astype(np.int16)):
        chat = ChatState(processor)
        chat.add_audio(audio, 16_000)
        assert (chat.audio_in.float() - reference.audio_in.float()).abs().max() < 0.5


def test_add_audio_names_the_shape_it_cannot_use(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    with pytest.raises(ValueError, match=r"\\(2, 3, 4\\)"):
        ChatState(processor).add_audio(np.zeros((2, 3, 4), dtype=np.float32), 16_000)
""",
    signatures=(
        # numpy audio handed to add_audio, named in the same log line or issue
        Signature(
            r"'numpy\.ndarray' object has no attribute 'to'",
            ("AttributeError",),
            mentions=r"add_audio|ChatState",
        ),
    ),
)
