"""The bug whose id is ``bf16_weights.BUG.id``: the Trainer's bfloat16 weights swallow small AdamW updates."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import bf16_weights
from lfmdoctor.bugs._anatomy import FINE_TUNING_SINCE
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.results import Outcome

BUG = bf16_weights.BUG
WITH_TRAINER = RELEASES[RELEASES.index(FINE_TUNING_SINCE) :]


def test_detector_on_every_release(bug_contract, release):
    present = release in WITH_TRAINER
    bug_contract.detector(BUG, release, present, "dtype=torch.bfloat16" if present else None)


def test_detector_reads_float32_weights_as_absent(bug_contract, tmp_path):
    bug_contract.variant(BUG, tmp_path, bf16_weights.BF16, bf16_weights.FP32, present=False, evidence="dtype=torch.float32")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    # before fine-tuning came (1.2.0) no edit applies, and the bug reads absent all the same
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_float32_weights_restores_the_loader():
    trainer = pytest.importorskip("liquid_audio.trainer")
    loader = trainer.LFM2AudioModel
    with bf16_weights.float32_weights():
        assert trainer.LFM2AudioModel is not loader
        assert trainer.LFM2AudioModel.audio_vocab_size == loader.audio_vocab_size  # the rest passes through
    assert trainer.LFM2AudioModel is loader
