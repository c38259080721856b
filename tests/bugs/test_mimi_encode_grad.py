"""The bug whose id is ``mimi_encode_grad.BUG.id``: the data mapper encodes audio with Mimi under autograd."""

from __future__ import annotations

from lfmdoctor.bugs import mimi_encode_grad
from lfmdoctor.bugs._anatomy import FINE_TUNING_SINCE
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = mimi_encode_grad.BUG
WITH_MAPPER = RELEASES[RELEASES.index(FINE_TUNING_SINCE) :]
ENCODE = "        codes = self.processor.mimi.encode(wav.unsqueeze(0))[0].cpu()\n"


def test_detector_on_every_release(bug_contract, release):
    present = release in WITH_MAPPER
    bug_contract.detector(BUG, release, present, "self.processor.mimi.encode(" if present else None)


def test_detector_reads_a_no_grad_block_as_absent(bug_contract, tmp_path):
    fixed = "        with torch.no_grad():\n    " + ENCODE
    bug_contract.variant(BUG, tmp_path, ENCODE, fixed, present=False, evidence="self.processor.mimi.encode(")


def test_detector_reads_an_inference_mode_decorator_as_absent():
    verdict = BUG.detect(
        snippet(
            """
            class LFM2AudioChatMapper:
                @torch.inference_mode()
                def _encode_audio_out(self, wav):
                    return self.processor.mimi.encode(wav)
            """
        )
    )
    assert verdict.present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    # before fine-tuning came (1.2.0) no edit applies, and the bug reads absent all the same
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)
