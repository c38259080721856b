"""The bug whose id is ``top_k.BUG.id``: a top_k of 0, -1 or above the vocabulary crashes in torch.topk."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import top_k
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = top_k.BUG
TEXT_CHECK = "            if top_k is not None:\n                min_score = torch.topk(logits, top_k)"


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="torch.topk(logits, top_k)")


def test_detector_reads_bounded_samplers_as_absent(bug_contract, tmp_path):
    old = "if top_k is not None:\n"
    new = "if top_k is not None and 0 < top_k:\n"
    bug_contract.variant(BUG, tmp_path, old, new, present=False, evidence="torch.topk(logits, top_k)", count=2)


def test_detector_reads_one_bounded_sampler_as_present(bug_contract, tmp_path):
    bounded = TEXT_CHECK.replace("is not None:", "is not None and top_k > 0:")
    bug_contract.variant(BUG, tmp_path, TEXT_CHECK, bounded, present=True, evidence="torch.topk(depthformer_logits, top_k)")


def test_detector_reads_a_clamped_k_as_absent():
    code = """\
        class LFM2AudioModel:
            def _sample_text_token(self, logits, top_k=None):
                if top_k is not None:
                    min_score = torch.topk(logits, min(top_k, logits.numel()))

            def _sample_audio_frame(self, logits, top_k=None):
                if top_k:
                    min_score = torch.topk(logits, max(1, top_k))
        """
    assert BUG.detect(snippet(code)).present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


@pytest.mark.parametrize(
    ("given", "vocabulary", "passed"),
    [(0, None, None), (-1, 10, None), (10, 10, None), (11, 10, None), (5, 10, 5), (5, None, 5)],
)
def test_workaround_maps_what_torch_topk_rejects_to_none(given, vocabulary, passed):
    assert top_k.sampling_top_k(given, vocabulary) == passed
