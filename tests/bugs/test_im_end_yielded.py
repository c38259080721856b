"""The bug whose id is ``im_end_yielded.BUG.id``: generate_sequential yields <|im_end|> before it stops."""

from __future__ import annotations

from lfmdoctor.bugs import im_end_yielded
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = im_end_yielded.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="yield next_token")


def test_detector_reads_a_stop_before_the_yield_as_absent(bug_contract, tmp_path):
    stopped = im_end_yielded.STOPPED
    bug_contract.variant(BUG, tmp_path, im_end_yielded.YIELDED, stopped, present=False, evidence="if next_token == 7:")


def test_detector_ignores_the_interleaved_loop():
    code = """\
        class LFM2AudioModel:
            def generate_sequential(self):
                next_token = self._sample_text_token(logits)
                if next_token == 7:
                    break
                yield next_token

            def generate_interleaved(self):
                next_token = self._sample_text_token(logits)
                yield next_token
        """
    assert BUG.detect(snippet(code)).present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_case_runs_on_the_steered_checkpoint():
    [case] = BUG.cases
    assert case.checkpoint == ("steer",)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_workaround_stops_before_im_end_and_keeps_audio_start():
    import torch

    tokens = [torch.tensor([5]), torch.tensor([128]), torch.full((8,), 7), torch.tensor([7]), torch.tensor([9])]
    kept = list(im_end_yielded.stop_at_im_end(iter(tokens)))
    assert [t.tolist() for t in kept] == [[5], [128], [7] * 8]
