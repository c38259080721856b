"""Call-site helpers against the real liquid-audio on the built-in tiny checkpoint (no mocks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
liquid_audio = pytest.importorskip("liquid_audio")

from lfmdoctor.patches import (
    load_detokenizer,
    load_model,
    load_processor,
    pick_device,
    to_chat_audio,
)
from lfmdoctor.repro.fixture import ensure_fixture

ChatState = liquid_audio.ChatState
RATE = 16_000


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    return ensure_fixture()


@pytest.fixture(scope="module")
def loaded(checkpoint: Path):
    # A str path: liquid-audio alone would send it to the hub (local-path).
    processor = load_processor(str(checkpoint), device="cpu")
    model = load_model(str(checkpoint), device="cpu", dtype="float32")
    return processor, model


def transcribe(processor, model, wave, rate, max_new_tokens=4) -> list:
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("system")
    chat.add_text("Perform ASR.")
    chat.end_turn()
    chat.new_turn("user")
    chat.add_audio(wave, rate)
    chat.end_turn()
    chat.new_turn("assistant")
    return list(model.generate_sequential(**chat, max_new_tokens=max_new_tokens))


def test_import_needs_no_torch():
    code = "import sys, lfmdoctor.patches; assert 'torch' not in sys.modules and 'liquid_audio' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pick_device_honours_explicit_choice():
    assert pick_device("cpu") == "cpu"
    assert pick_device("CUDA:1") == "cuda:1"  # honoured even where there is no GPU: the caller asked


def test_pick_device_auto_follows_torch():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device() == expected
    assert pick_device("auto") == expected


def test_pick_device_rejects_unknown():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        pick_device("tpu")


def test_loaders_take_a_str_path_and_return_eval_model(loaded):
    processor, model = loaded
    assert processor.device.type == "cpu"
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert {p.device.type for p in model.parameters()} == {"cpu"}


def test_liquid_audio_alone_sends_a_str_path_to_the_hub(checkpoint):
    from huggingface_hub.errors import HFValidationError

    with pytest.raises(HFValidationError):
        liquid_audio.LFM2AudioProcessor.from_pretrained(str(checkpoint), device="cpu")


def test_load_model_default_dtype_is_liquid_audios(checkpoint):
    model = load_model(checkpoint, device="cpu")
    assert next(model.parameters()).dtype == torch.bfloat16
    assert not model.training


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


SECOND = _noise(RATE)
CASES = {
    "numpy 1-D float32": SECOND,
    "numpy 1-D float64": SECOND.astype(np.float64),
    "numpy (1, n)": SECOND[None, :],
    "numpy (n, 1)": SECOND[:, None],
    "int16 stereo channels-last": (np.stack([SECOND, -SECOND / 2], axis=1) * 32767).astype(np.int16),
    "int16 stereo channels-first": (np.stack([SECOND, SECOND], axis=0) * 32767).astype(np.int16),
    "int32 mono": (SECOND * 2**31).astype(np.int32),
    "uint8 mono": np.clip(SECOND * 128 + 128, 0, 255).astype(np.uint8),
    "big-endian int16": (SECOND * 32767).astype(">i2"),
    "reversed (negative strides)": SECOND[::-1],
    "torch 1-D": torch.from_numpy(SECOND.copy()),
    "torch (2, n) float64": torch.from_numpy(np.stack([SECOND, SECOND]).astype(np.float64)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_to_chat_audio_goes_through_add_audio_and_generation(loaded, name):
    processor, model = loaded
    tensor, rate = to_chat_audio(CASES[name], RATE)
    assert rate == RATE
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float32
    assert tensor.shape == (1, RATE)
    assert float(tensor.abs().max()) <= 1.0
    tokens = transcribe(processor, model, tensor, rate)
    assert len(tokens) == 4


def test_seed_call_fails_without_the_helper(loaded):
    """What the seed report hit: numpy 1-D audio straight into add_audio (bug audio-format)."""
    processor, _ = loaded
    chat = ChatState(processor, dtype=torch.float32)
    with pytest.raises(AssertionError):
        chat.add_audio(SECOND, RATE)


def test_integer_pcm_is_scaled_to_unit_range():
    full = np.array([32767, -32768, 0], dtype=np.int16)
    tensor, _ = to_chat_audio(full, RATE)
    assert tensor.tolist()[0] == pytest.approx([32767 / 32768, -1.0, 0.0])
    tensor, _ = to_chat_audio(np.array([0, 128, 255], dtype=np.uint8), RATE)
    assert tensor.tolist()[0] == pytest.approx([-1.0, 0.0, 127 / 128])
    tensor, _ = to_chat_audio(np.array([2**31 - 1, -(2**31)], dtype=np.int32), RATE)
    assert tensor.tolist()[0] == pytest.approx([1.0, -1.0])


def test_stereo_is_averaged_whichever_way_round():
    left, right = np.full(100, 0.5, np.float32), np.full(100, -0.25, np.float32)
    last, _ = to_chat_audio(np.stack([left, right], axis=1), RATE)
    first, _ = to_chat_audio(np.stack([left, right], axis=0), RATE)
    assert last.shape == first.shape == (1, 100)
    assert torch.allclose(last, torch.full((1, 100), 0.125))
    assert torch.equal(last, first)


def test_resamples_to_the_target_rate(loaded):
    wave = _noise(44_100)
    tensor, rate = to_chat_audio(np.stack([wave, wave], axis=1), 44_100, target_rate=RATE)
    assert rate == RATE and tensor.shape == (1, RATE)
    processor, model = loaded
    assert len(transcribe(processor, model, tensor, rate)) == 4


@pytest.mark.parametrize(
    ("wave", "message"),
    [
        (np.zeros(0, np.float32), "empty"),
        (np.zeros((2, 0), np.float32), "empty"),
        (np.zeros((1, 2, 3), np.float32), "1-D .* or 2-D"),
        (np.float32(0.5), "1-D"),
        (np.zeros(10, dtype=bool), "numbers"),
        (torch.zeros(10, dtype=torch.int64), "int64 is not supported"),
    ],
)
def test_unusable_audio_raises_value_error(wave, message):
    with pytest.raises(ValueError, match=message):
        to_chat_audio(wave, RATE)


def test_not_an_array_raises_type_error():
    with pytest.raises(TypeError, match="numpy array or a torch tensor, got list"):
        to_chat_audio([0.0, 0.1], RATE)


def test_bad_sample_rate_raises():
    with pytest.raises(ValueError, match="sample_rate"):
        to_chat_audio(SECOND, 0)


@pytest.fixture(scope="module")
def detok_checkpoint() -> Path:
    return ensure_fixture(detokenizer=True)


def test_load_processor_builds_the_detokenizer_on_cpu(detok_checkpoint):
    processor = load_processor(str(detok_checkpoint), device="cpu")
    assert processor._audio_detokenizer is not None
    assert {p.device.type for p in processor._audio_detokenizer.parameters()} == {"cpu"}
    codes = torch.randint(0, 2048, (1, 8, 6))
    wave = processor.decode(codes)
    assert wave.ndim == 2 and wave.shape[0] == 1 and wave.shape[1] > 0
    assert torch.isfinite(wave).all()


def test_load_detokenizer_repairs_a_plain_cpu_processor(detok_checkpoint):
    processor = liquid_audio.LFM2AudioProcessor.from_pretrained(detok_checkpoint, device="cpu")
    if not torch.cuda.is_available():
        with pytest.raises((AssertionError, RuntimeError)):  # the hard-coded .cuda() (detokenizer-device)
            processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))
    detokenizer = load_detokenizer(processor)
    assert processor._audio_detokenizer is detokenizer
    assert not detokenizer.training
    reference = processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))
    assert reference.shape[0] == 1 and torch.isfinite(reference).all()


def test_load_detokenizer_needs_a_detokenizer_folder(loaded):
    processor, _ = loaded
    with pytest.raises(ValueError, match="no audio_detokenizer"):
        load_detokenizer(processor)
