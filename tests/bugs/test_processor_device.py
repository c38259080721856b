"""The bug whose id is ``processor_device.BUG.id``: the processor defaults to CUDA."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import processor_device
from lfmdoctor.results import Outcome

from .conftest import cuda_usable

BUG = processor_device.BUG
CUDA_DEFAULT = 'device: torch.device | str = "cuda",'


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence='"cuda"')


@pytest.mark.parametrize(
    "new, evidence",
    [
        ("device: torch.device | str | None = None,", "None"),
        ("device: torch.device | str = default_device(),", "default"),
    ],
    ids=["none", "helper"],
)
def test_detector_reads_a_fixed_default_as_absent(bug_contract, tmp_path, new, evidence):
    bug_contract.variant(BUG, tmp_path, CUDA_DEFAULT, new, present=False, evidence=evidence)


def test_detector_reads_an_indexed_cuda_default_as_present(bug_contract, tmp_path):
    new = 'device: torch.device | str = "cuda:0",'
    bug_contract.variant(BUG, tmp_path, CUDA_DEFAULT, new, present=True, evidence='"cuda:0"')


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_show_the_bug_where_cuda_is_unusable_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.NOT_REPRODUCED if cuda_usable() else Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=not cuda_usable())


def test_pick_device_honours_an_explicit_choice():
    assert processor_device.pick_device("CPU") == "cpu"
    assert processor_device.pick_device("cuda:1") == "cuda:1"


def test_pick_device_auto_follows_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert processor_device.pick_device(None) == processor_device.pick_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert processor_device.pick_device(None) == "cuda"


def test_pick_device_rejects_an_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        processor_device.pick_device("tpu")
