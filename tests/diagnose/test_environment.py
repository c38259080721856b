"""Environment probes through an injected runner: crashes, timeouts and odd output become findings."""

from __future__ import annotations

import json

import pytest

from lfmdoctor.child_protocol import KEY
from lfmdoctor.diagnose.check import affects_here, build_report
from lfmdoctor.diagnose.environment import TargetUnusable, build_facts, collect, torch_flavour
from lfmdoctor.results import BugFinding, Status

BASICS = json.dumps(
    {
        KEY: "basics",
        "python": "3.12.1",
        "executable": "/py",
        "os": "Linux 6.1",
        "os_pretty": "Debian 12",
        "arch": "x86_64",
        "packages": {
            "torch": "2.11.0",
            "torchaudio": "2.11.0",
            "liquid-audio": "1.3.0",
            "transformers": "5.23.0",
            "accelerate": "1.15.0",
            "safetensors": "0.8.0",
        },
        "liquid_audio_location": "/site/liquid_audio",
        "liquid_audio_dist_location": "/site/liquid_audio",
        "flash_attn_spec": False,
        "fingerprint": "abc",
    }
)
TORCH_CPU = json.dumps(
    {
        KEY: "torch",
        "version": "2.11.0+cpu",
        "cuda_build": None,
        "hip_build": None,
        "mps_built": False,
        "mps_available": False,
        "cuda_available": False,
        "cuda_unavailable_reason": "torch is a CPU-only build",
    }
)
TORCHAUDIO_OK = json.dumps({KEY: "torchaudio", "version": "2.11.0", "imports": True})


def test_a_torch_probe_killed_by_a_signal_is_a_finding():
    facts = build_facts((0, BASICS, ""), (-11, "", "Segmentation fault"), None, [])
    assert facts.torch.import_error.startswith("torch probe was killed by signal 11")
    assert facts.probe_failures[0].probe == "torch"


def test_torchaudio_crash_after_torch_keeps_the_torch_facts():
    facts = build_facts((0, BASICS, ""), (1, TORCH_CPU + "\n", "Fatal Python error: Aborted"), None, [])
    assert facts.torch.version == "2.11.0+cpu" and facts.torch.flavour == "CPU-only"
    assert facts.torchaudio.imports is False and "exited 1" in facts.torchaudio.import_error


def test_a_timed_out_probe_says_so():
    facts = build_facts((0, BASICS, ""), (None, "", "timed out after 5 s"), None, [])
    assert "timed out after 5 s" in facts.torch.import_error


def test_an_interpreter_that_prints_nothing_is_unusable():
    with pytest.raises(TargetUnusable):
        build_facts((1, "", "SyntaxError: invalid syntax"), (1, "", ""), None, [])


def test_collect_reuses_the_torch_probe_while_the_fingerprint_holds(tmp_path):
    calls = []

    def runner(argv, timeout):
        calls.append(argv[-1])
        return (0, BASICS, "") if argv[-1] == "basics" else (0, TORCH_CPU + "\n" + TORCHAUDIO_OK, "")

    first = collect("/bin/sh", runner=runner, cache_dir=tmp_path)
    second = collect("/bin/sh", runner=runner, cache_dir=tmp_path)
    assert calls.count("torch") == 1 and first.torch == second.torch
    collect("/bin/sh", runner=runner, cache_dir=tmp_path, fresh=True)
    assert calls.count("torch") == 2


@pytest.mark.parametrize(
    "facts, os_name, flavour",
    [
        ({"version": "2.11", "cuda_build": "12.8"}, "Linux", "CUDA 12.8"),
        ({"version": "2.11", "hip_build": "6.3"}, "Linux", "ROCm 6.3"),
        ({"version": "2.11", "mps_built": True}, "Darwin 24", "macOS (MPS)"),
        ({"version": "2.11"}, "Linux", "CPU-only"),
        ({}, "Linux", None),
    ],
)
def test_torch_flavour(facts, os_name, flavour):
    assert torch_flavour(facts, os_name) == flavour


def _env(cuda: bool, flash: bool = False):
    facts = build_facts((0, BASICS, ""), (0, TORCH_CPU + "\n" + TORCHAUDIO_OK, ""), None, [])
    facts.torch.cuda_available = cuda
    facts.flash_attn = flash
    return facts


def test_device_bugs_bite_only_without_cuda():
    finding = BugFinding("processor-device", "t", True, "/x.py:1", "d")
    assert affects_here(finding, _env(cuda=False)) is True
    assert affects_here(finding, _env(cuda=True)) is False
    report = build_report(_env(cuda=True), [finding])
    item = next(i for i in report.items if i.name == "processor-device")
    assert item.status is Status.WARNING and report.exit_code == 0


def test_flash_attn_combines_code_and_environment():
    finding = BugFinding("flash-attn", "t", True, "/x.py:1", "d")
    assert affects_here(finding, _env(cuda=False, flash=True)) is True
    assert affects_here(finding, _env(cuda=False, flash=False)) is False
    assert affects_here(finding, _env(cuda=True, flash=True)) is False


def test_unknown_and_absent_findings():
    assert affects_here(BugFinding("local-path", "t", None, None, "cannot tell"), _env(False)) is None
    assert affects_here(BugFinding("local-path", "t", False, None, "fixed"), _env(False)) is False
