"""The bug whose id is ``preprocess_cache.BUG.id``: preprocess_dataset lets datasets hash its generator's closure."""

from __future__ import annotations

from lfmdoctor.bugs import preprocess_cache
from lfmdoctor.bugs._anatomy import FINE_TUNING_SINCE
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.results import Outcome

BUG = preprocess_cache.BUG
WITH_PREPROCESS = RELEASES[RELEASES.index(FINE_TUNING_SINCE) :]


def test_detector_on_every_release(bug_contract, release):
    present = release in WITH_PREPROCESS
    bug_contract.detector(BUG, release, present, "datasets.Dataset.from_generator(" if present else None)


def test_detector_reads_a_fingerprint_as_absent(bug_contract, tmp_path):
    fixed = preprocess_cache.FROM_GENERATOR.replace("features=features)", 'features=features, fingerprint="x")')
    bug_contract.variant(BUG, tmp_path, preprocess_cache.FROM_GENERATOR, fixed, present=False, evidence="fingerprint=")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    # before fine-tuning came (1.2.0) no edit applies, and the bug reads absent all the same
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)
