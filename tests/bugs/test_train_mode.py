"""The bug whose id is ``train_mode.BUG.id``: from_pretrained returns a model in training mode."""

from __future__ import annotations

from lfmdoctor.bugs import train_mode
from lfmdoctor.results import Outcome

BUG = train_mode.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="return model")


def test_detector_reads_returning_an_eval_model_as_absent(bug_contract, tmp_path):
    old, new = "        return model\n", "        return model.eval()\n"
    bug_contract.variant(BUG, tmp_path, old, new, present=False, evidence=".eval()")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_the_trainer_fix_goes_in_only_where_the_release_has_a_trainer_that_loads_the_model():
    loader, trainer = BUG.runtime
    assert (loader.attr, trainer.attr, trainer.lazy) == ("from_pretrained", "__init__", True)
    assert [edit.path for edit in BUG.edits if not edit.applies("1.1.0")] == ["trainer.py"]
