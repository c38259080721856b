"""The bug whose id is ``final_config.BUG.id``: the Trainer's final folder has no config.json."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import final_config
from lfmdoctor.bugs._anatomy import FINE_TUNING_SINCE
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.results import Outcome

BUG = final_config.BUG
WITH_TRAINER = RELEASES[RELEASES.index(FINE_TUNING_SINCE) :]


def test_detector_on_every_release(bug_contract, release):
    present = release in WITH_TRAINER
    finding = bug_contract.detector(BUG, release, present, "self.accelerator.save_model(" if present else None)
    if not present:
        assert "has no trainer.py" in finding.detail


def test_detector_reads_a_trainer_that_writes_the_config_as_absent(bug_contract, tmp_path):
    bug_contract.variant(
        BUG, tmp_path, final_config.SAVE_END, final_config.SAVE_END + final_config.COPY, present=False, evidence="shutil.copy("
    )


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    # before fine-tuning came (1.2.0) no edit applies, and the bug reads absent all the same
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_copy_config_takes_a_str_folder(tmp_path, tiny_checkpoint):
    pytest.importorskip("liquid_audio")
    copied = final_config.copy_config(str(tiny_checkpoint), tmp_path)
    assert copied.read_text() == (tiny_checkpoint / "config.json").read_text()
