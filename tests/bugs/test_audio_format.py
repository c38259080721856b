"""The bug whose id is ``audio_format.BUG.id``: numpy, 1-D or stereo audio fails in ChatState.add_audio.

Detector, edits, cases, runtime fix, call-site helper ``to_chat_audio`` and regression test.
"""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import audio_format
from lfmdoctor.bugs._spec import CannotTell, NotNeeded, Unfamiliar
from lfmdoctor.results import Outcome

from .conftest import installed_with_edits, snippet

BUG = audio_format.BUG
RATE = 16_000
SHAPE_ASSERTS = "assert len(wave.shape) == 2\n        assert wave.shape[0] == 1\n"


# --- detector -----------------------------------------------------------------------------------------

BARE_ASSERTS = """
class ChatState:
    def add_audio(self, wave, sampling_rate):
        assert len(wave.shape) == 2
        assert wave.shape[0] == 1
        wave = wave.to(device="cpu")
"""
UNCONVERTED = """
class ChatState:
    def add_audio(self, audio, sampling_rate):
        audio = audio.to(device="cpu")
"""
CONVERTED = """
class ChatState:
    def add_audio(self, wave, sampling_rate):
        wave = torch.as_tensor(wave)
        if wave.ndim != 2:
            raise ValueError("expected (channels, samples)")
        wave = wave.to(device="cpu")
"""


def test_detector_finds_the_bare_shape_assert():
    verdict = BUG.detect(snippet(BARE_ASSERTS))
    assert verdict.present is True
    assert verdict.node.lineno == 4
    assert verdict.detail == (
        "ChatState.add_audio checks the audio shape with a bare assert, so 1-D or stereo audio "
        "fails with an empty AssertionError."
    )


def test_detector_finds_to_before_any_conversion():
    verdict = BUG.detect(snippet(UNCONVERTED))
    assert verdict.present is True
    assert verdict.detail == (
        "ChatState.add_audio calls audio.to() before converting it, so numpy audio fails with AttributeError."
    )


def test_detector_accepts_converted_audio():
    verdict = BUG.detect(snippet(CONVERTED))
    assert verdict.present is False
    assert verdict.node.lineno == 4
    assert verdict.detail == "ChatState.add_audio converts the audio before using it and has no bare shape assert."


def test_detector_cannot_tell_without_chat_state():
    with pytest.raises(CannotTell, match="defines no class ChatState"):
        BUG.detect(snippet("class Other:\n    pass\n"))
    with pytest.raises(CannotTell, match="takes no audio argument"):
        BUG.detect(snippet("class ChatState:\n    def add_audio(self):\n        pass\n"))


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, True, "assert len(wave.shape) == 2")


@pytest.mark.parametrize(
    "new, evidence",
    [
        ("wave = torch.as_tensor(wave, dtype=torch.float32).reshape(1, -1)\n", "torch.as_tensor"),
        ("wave = _as_mono_float(wave)\n", "_as_mono_float"),
        (
            "wave = torch.as_tensor(wave)\n        assert wave.ndim == 2, f'expected (1, n), got {wave.shape}'\n",
            "torch.as_tensor",
        ),
    ],
    ids=["as-tensor", "helper", "explained-asserts"],
)
def test_detector_reads_converted_audio_as_absent(bug_contract, tmp_path, new, evidence):
    bug_contract.variant(BUG, tmp_path, SHAPE_ASSERTS, new, present=False, evidence=evidence)


def test_detector_reads_unconverted_audio_without_asserts_as_present(bug_contract, tmp_path):
    bug_contract.variant(BUG, tmp_path, SHAPE_ASSERTS, "", present=True, evidence="wave.to(device=device)")


# --- source edits -------------------------------------------------------------------------------------


def test_edits_on_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_edits_fix_the_installed_liquid_audio():
    assert len([edit for edit in BUG.edits if edit.applies("1.3.0")]) == 2
    text, verdict = installed_with_edits(BUG, "1.3.0")
    assert "import numpy as np\n" in text and "np.ndarray" in text
    assert verdict.present is False, verdict.detail


# --- cases and regression test ------------------------------------------------------------------------


def test_cases_are_the_six_audio_shapes():
    variants = ["numpy-1d", "numpy-2d", "torch-1d", "stereo", "channels-last", "int16"]
    assert [case.variant for case in BUG.cases] == variants
    assert [case.id for case in BUG.cases] == [f"{BUG.id}:{variant}" for variant in variants]
    assert BUG.expected == BUG.cases[0].expected_text


def test_cases_reproduce_and_every_fix_stops_them(bug_contract):
    bug_contract.cases(BUG, Outcome.REPRODUCED)


def test_regression_test_fails_now_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


# --- runtime fix --------------------------------------------------------------------------------------


def fixed_add_audio(self, wave, sampling_rate):
    if getattr(wave, "ndim", None) != 2:
        raise ValueError("expected audio shaped (channels, samples)")


def unfamiliar_add_audio(self, wave, sampling_rate):
    self.audio_in = wave


def test_runtime_check_knows_the_buggy_the_fixed_and_the_unfamiliar():
    _, _, la = heavy()
    [wrap] = BUG.runtime
    assert (wrap.module, wrap.owner, wrap.attr) == ("liquid_audio.processor", "ChatState", "add_audio")
    assert wrap.check(la.ChatState.add_audio, la.processor) is None
    with pytest.raises(NotNeeded, match="converts and checks its input"):
        wrap.check(fixed_add_audio, la.processor)
    with pytest.raises(Unfamiliar, match="does not look as expected"):
        wrap.check(unfamiliar_add_audio, la.processor)


def test_runtime_wrap_takes_numpy_and_stereo_audio(cpu_processor):
    torch, np, la = heavy()
    [wrap] = BUG.runtime
    add_audio = wrap.wrap(la.ChatState.add_audio, la.processor)
    assert add_audio.__name__ == "add_audio"
    chat = la.ChatState(cpu_processor, dtype=torch.float32)
    second = noise(RATE)
    add_audio(chat, second, RATE)  # 1-D numpy
    add_audio(chat, np.stack([second, second], axis=1), np.int64(RATE))  # stereo, channels last
    lengths = chat.audio_in_lens.tolist()
    assert len(lengths) == 2 and lengths[0] == lengths[1] > 0


# --- call-site helper to_chat_audio (from tests/patches/test_callsite.py) ----------------------------


def heavy():
    """torch, numpy and liquid_audio, or a skip where they are not installed."""
    return pytest.importorskip("torch"), pytest.importorskip("numpy"), pytest.importorskip("liquid_audio")


def noise(n: int, seed: int = 0):
    np = pytest.importorskip("numpy")
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def shapes() -> dict:
    torch, np, _ = heavy()
    second = noise(RATE)
    return {
        "numpy 1-D float32": second,
        "numpy 1-D float64": second.astype(np.float64),
        "numpy (1, n)": second[None, :],
        "numpy (n, 1)": second[:, None],
        "int16 stereo channels-last": (np.stack([second, -second / 2], axis=1) * 32767).astype(np.int16),
        "int16 stereo channels-first": (np.stack([second, second], axis=0) * 32767).astype(np.int16),
        "int32 mono": (second * 2**31).astype(np.int32),
        "uint8 mono": np.clip(second * 128 + 128, 0, 255).astype(np.uint8),
        "big-endian int16": (second * 32767).astype(">i2"),
        "reversed (negative strides)": second[::-1],
        "torch 1-D": torch.from_numpy(second.copy()),
        "torch (2, n) float64": torch.from_numpy(np.stack([second, second]).astype(np.float64)),
    }


SHAPES = (
    "numpy 1-D float32",
    "numpy 1-D float64",
    "numpy (1, n)",
    "numpy (n, 1)",
    "int16 stereo channels-last",
    "int16 stereo channels-first",
    "int32 mono",
    "uint8 mono",
    "big-endian int16",
    "reversed (negative strides)",
    "torch 1-D",
    "torch (2, n) float64",
)


def test_helper_is_exported():
    assert BUG.callsite.helpers == (audio_format.to_chat_audio,)


@pytest.mark.parametrize("name", SHAPES)
def test_to_chat_audio_gives_what_add_audio_accepts(name):
    torch, _, _ = heavy()
    tensor, rate = audio_format.to_chat_audio(shapes()[name], RATE)
    assert rate == RATE
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float32
    assert tensor.shape == (1, RATE)
    assert float(tensor.abs().max()) <= 1.0


def test_to_chat_audio_output_goes_through_add_audio(cpu_processor):
    torch, _, la = heavy()
    chat = la.ChatState(cpu_processor, dtype=torch.float32)
    with pytest.raises(AssertionError):  # liquid-audio alone: 1-D numpy audio
        chat.add_audio(noise(RATE), RATE)
    chat.add_audio(*audio_format.to_chat_audio(noise(RATE), RATE))
    assert chat.audio_in.shape[1] > 0


def test_integer_pcm_is_scaled_to_unit_range():
    _, np, _ = heavy()
    to_chat_audio = audio_format.to_chat_audio
    tensor, _ = to_chat_audio(np.array([32767, -32768, 0], dtype=np.int16), RATE)
    assert tensor.tolist()[0] == pytest.approx([32767 / 32768, -1.0, 0.0])
    tensor, _ = to_chat_audio(np.array([0, 128, 255], dtype=np.uint8), RATE)
    assert tensor.tolist()[0] == pytest.approx([-1.0, 0.0, 127 / 128])
    tensor, _ = to_chat_audio(np.array([2**31 - 1, -(2**31)], dtype=np.int32), RATE)
    assert tensor.tolist()[0] == pytest.approx([1.0, -1.0])


def test_stereo_is_averaged_whichever_way_round():
    torch, np, _ = heavy()
    left, right = np.full(100, 0.5, np.float32), np.full(100, -0.25, np.float32)
    last, _ = audio_format.to_chat_audio(np.stack([left, right], axis=1), RATE)
    first, _ = audio_format.to_chat_audio(np.stack([left, right], axis=0), RATE)
    assert last.shape == first.shape == (1, 100)
    assert torch.allclose(last, torch.full((1, 100), 0.125))
    assert torch.equal(last, first)


def test_resamples_to_the_target_rate():
    _, np, _ = heavy()
    wave = noise(44_100)
    tensor, rate = audio_format.to_chat_audio(np.stack([wave, wave], axis=1), 44_100, target_rate=RATE)
    assert rate == RATE and tensor.shape == (1, RATE)


UNUSABLE = {  # name: (make(np, torch), message)
    "empty": (lambda np, torch: np.zeros(0, np.float32), "empty"),
    "empty stereo": (lambda np, torch: np.zeros((2, 0), np.float32), "empty"),
    "3-D": (lambda np, torch: np.zeros((1, 2, 3), np.float32), "1-D .* or 2-D"),
    "scalar": (lambda np, torch: np.float32(0.5), "1-D"),
    "bool": (lambda np, torch: np.zeros(10, dtype=bool), "numbers"),
    "int64": (lambda np, torch: torch.zeros(10, dtype=torch.int64), "int64 is not supported"),
}


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_unusable_audio_raises_value_error(name):
    torch, np, _ = heavy()
    make, message = UNUSABLE[name]
    with pytest.raises(ValueError, match=message):
        audio_format.to_chat_audio(make(np, torch), RATE)


def test_not_an_array_raises_type_error():
    heavy()
    with pytest.raises(TypeError, match="numpy array or a torch tensor, got list"):
        audio_format.to_chat_audio([0.0, 0.1], RATE)


def test_bad_sample_rate_raises():
    heavy()
    with pytest.raises(ValueError, match="sample_rate"):
        audio_format.to_chat_audio(noise(RATE), 0)
