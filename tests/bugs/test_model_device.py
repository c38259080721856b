"""The bug whose id is ``model_device.BUG.id``: the model defaults to CUDA."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import model_device, processor_device
from lfmdoctor.results import Outcome

from .conftest import cuda_usable

BUG = model_device.BUG
CUDA_DEFAULT = 'device: torch.device | str = "cuda",'


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence='"cuda"')


@pytest.mark.parametrize(
    "new, evidence",
    [
        ("device: torch.device | str | None = None,", "None"),
        ("device: torch.device | str,", "device: torch.device | str,"),
    ],
    ids=["none", "required"],
)
def test_detector_reads_a_fixed_default_as_absent(bug_contract, tmp_path, new, evidence):
    bug_contract.variant(BUG, tmp_path, CUDA_DEFAULT, new, present=False, evidence=evidence)


@pytest.mark.parametrize(
    "new, evidence",
    [
        ('device: torch.device | str = torch.device("cuda"),', "torch.device"),
        ('device: torch.device | str = (\n            "cuda"\n        ),', '"cuda"'),
    ],
    ids=["torch-device", "wrapped"],
)
def test_detector_reads_a_reworded_cuda_default_as_present(bug_contract, tmp_path, new, evidence):
    bug_contract.variant(BUG, tmp_path, CUDA_DEFAULT, new, present=True, evidence=evidence)


def test_source_edits_fix_every_release_on_top_of_the_device_helper(bug_contract, release, tmp_path):
    assert BUG.after == (processor_device.BUG.id,)
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_show_the_bug_where_cuda_is_unusable_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.NOT_REPRODUCED if cuda_usable() else Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=not cuda_usable())
