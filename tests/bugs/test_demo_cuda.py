"""The bug whose id is ``demo_cuda.BUG.id``: the demo creates tensors on "cuda"."""

from __future__ import annotations

from lfmdoctor.bugs import demo_cuda
from lfmdoctor.results import Outcome

from .conftest import cuda_usable, snippet

BUG = demo_cuda.BUG


def test_detector_on_every_release(bug_contract, release):
    finding = bug_contract.detector(BUG, release, present=True, evidence='device="cuda"')
    assert "demo/model.py:25" in finding.detail and "demo/chat.py:94" in finding.detail


def test_detector_reads_the_fixed_history_with_the_warm_up_still_on_cuda_as_present(bug_contract, tmp_path):
    finding = bug_contract.variant(
        BUG, tmp_path, demo_cuda.HISTORY, demo_cuda.HISTORY_FIXED, present=True, evidence="def chat_response("
    )
    assert "demo/model.py:25" in finding.detail and "chat.py" not in finding.detail.split("(")[1]


def test_detector_reads_a_device_taken_from_the_state_as_absent():
    code = """\
        def chat_response(audio, _id, chat):
            return torch.tensor([1], device=chat.device)
        """
    assert BUG.detect(snippet(code)).present is False  # no demo/model.py beside the snippet: only chat.py is read


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_the_source_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.NOT_REPRODUCED if cuda_usable() else Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=not cuda_usable())
