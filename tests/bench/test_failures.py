"""Exception -> known bug id. The messages and frames are the ones liquid-audio 1.3.0 produces."""

from __future__ import annotations

import pytest

from lfmdoctor.bench.failures import matching_bug, where
from lfmdoctor.bugs import BUG_IDS

PROC_LOAD = [
    ["<child>", 90, "__init__"],
    ["liquid_audio/processor.py", 82, "from_pretrained"],
    ["liquid_audio/processor.py", 86, "to"],
    ["/x/torch/cuda/__init__.py", 410, "_lazy_init"],
]
MODEL_LOAD = [
    ["<child>", 95, "__init__"],
    ["liquid_audio/model/lfm2_audio.py", 160, "from_pretrained"],
    ["liquid_audio/model/lfm2_audio.py", 83, "__init__"],
    ["/x/torch/cuda/__init__.py", 410, "_lazy_init"],
]
ADD_AUDIO = [["<child>", 140, "chat"], ["liquid_audio/processor.py", 227, "add_audio"]]
DETOK = [
    ["<child>", 1, "main"],
    ["liquid_audio/processor.py", 182, "decode"],
    ["liquid_audio/processor.py", 151, "audio_detokenizer"],
    ["/x/torch/cuda/__init__.py", 410, "_lazy_init"],
]
MIMI = [["<child>", 1, "main"], ["liquid_audio/processor.py", 114, "mimi"]]
NO_DRIVER = "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver"


@pytest.mark.parametrize(
    ("error_type", "message", "frames", "bug"),
    [
        ("RuntimeError", NO_DRIVER, PROC_LOAD, "processor-device"),
        ("AssertionError", "Torch not compiled with CUDA enabled", PROC_LOAD, "processor-device"),
        ("RuntimeError", "No CUDA GPUs are available", MODEL_LOAD, "model-device"),
        ("RuntimeError", NO_DRIVER, MODEL_LOAD, "model-device"),
        ("AssertionError", "", ADD_AUDIO, "audio-format"),
        (
            "AttributeError",
            "'numpy.ndarray' object has no attribute 'to'",
            [["<child>", 1, "chat"], ["liquid_audio/processor.py", 232, "add_audio"]],
            "audio-format",
        ),
        ("RuntimeError", "CUDA out of memory. Tried to allocate 20.00 MiB", DETOK, "detokenizer-device"),
        ("RuntimeError", "PyTorch is not linked with support for mps devices", MIMI, "mimi-device"),
        ("safetensors_rust.SafetensorError", "device mps:0 is invalid", MIMI, "mimi-device"),
        (
            "huggingface_hub.errors.HFValidationError",
            "Repo id must be in the form 'repo_name' or 'namespace/repo_name': '/tmp/x'.",
            [["liquid_audio/utils.py", 47, "get_model_dir"]],
            "local-path",
        ),
        (
            "RuntimeError",
            "Input type (c10::BFloat16) and bias type (float) should be the same",
            [
                ["liquid_audio/model/lfm2_audio.py", 332, "_prefill"],
                ["liquid_audio/model/conformer/subsampling.py", 571, "forward"],
            ],
            "dtype-mismatch",
        ),
        (
            "ValueError",
            "Expected more than 1 value per channel when training, got input size torch.Size([1, 32, 1])",
            [["liquid_audio/model/conformer/modules.py", 336, "forward"]],
            "train-mode",
        ),
        (
            "ImportError",
            "flash_attn_2_cuda.so: undefined symbol",
            [["liquid_audio/model/lfm2_audio.py", 163, "from_pretrained"], ["/x/flash_attn/__init__.py", 3, "<module>"]],
            "flash-attn",
        ),
        ("RuntimeError", "expected audio codes in range ", [["liquid_audio/processor.py", 175, "decode"]], "eoa-code"),
    ],
)
def test_known_failures_map_to_their_bug(error_type, message, frames, bug):
    assert bug in BUG_IDS
    assert matching_bug(error_type, message, frames) == bug


def test_a_cuda_error_outside_liquid_audio_is_no_known_bug():
    # the same message from the user's own code is not liquid-audio's device default
    assert matching_bug("RuntimeError", NO_DRIVER, [["<child>", 1, "main"]]) is None


def test_unrelated_failures_map_to_nothing():
    assert matching_bug("ValueError", "something else", [["<child>", 1, "main"]]) is None
    assert matching_bug("AssertionError", "", [["liquid_audio/model/lfm2_audio.py", 300, "_prefill"]]) is None


def test_where_prefers_the_innermost_liquid_frame():
    assert where(PROC_LOAD) == "liquid_audio/processor.py:86"
    assert where([["/x/site-packages/liquid_audio/utils.py", 47, "get_model_dir"]]) == "liquid_audio/utils.py:47"
    assert where([["<child>", 3, "main"]]) == "<child>:3"
    assert where([]) is None
