"""The bug whose id is ``model_device.BUG.id``: the model defaults to CUDA."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import model_device, processor_device
from lfmdoctor.results import Outcome

BUG = model_device.BUG


def _cuda_usable() -> bool:
    torch = pytest.importorskip("torch")
    return torch.cuda.is_available()


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence='"cuda"')


def test_source_edits_fix_every_release_on_top_of_the_device_helper(bug_contract, release, tmp_path):
    assert BUG.after == (processor_device.BUG.id,)
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_show_the_bug_where_cuda_is_unusable_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.NOT_REPRODUCED if _cuda_usable() else Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=not _cuda_usable())
