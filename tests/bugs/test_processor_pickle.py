"""The bug whose id is ``processor_pickle.BUG.id``: the featurizer's stored forward blocks pickling and copies."""

from __future__ import annotations

import pickle

from lfmdoctor.bugs import processor_pickle
from lfmdoctor.results import Outcome

BUG = processor_pickle.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="self.forward = torch.no_grad()(self.forward)")


def test_detector_reads_a_plain_forward_as_absent(bug_contract, tmp_path):
    bug_contract.variant(BUG, tmp_path, processor_pickle.STORED, "", present=False, evidence="def __init__(")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_workaround_makes_the_processor_picklable(cpu_processor):
    restored = pickle.loads(pickle.dumps(processor_pickle.picklable(cpu_processor)))
    assert "forward" not in vars(restored.audio.featurizer)
