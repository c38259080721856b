"""The bug whose id is ``audio_padding.BUG.id``: add_audio keeps the featurizer's padding frame."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import audio_padding
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = audio_padding.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="mel, _ = self.proc.audio(wave, length)")


def test_detector_reads_cropped_features_as_absent(bug_contract, tmp_path):
    bug_contract.variant(
        BUG, tmp_path, audio_padding.FEATURES, audio_padding.CROPPED, present=False, evidence="mel, mel_len = self.proc"
    )


def test_detector_reads_a_named_but_unused_length_as_present():
    code = """\
        class ChatState:
            def add_audio(self, wave, sampling_rate):
                mel, mel_len = self.proc.audio(wave, length)
                new_audio_in = mel[0].to(self.dtype)
        """
    assert BUG.detect(snippet(code)).present is True


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


@pytest.mark.parametrize(("samples", "rate", "frames"), [(12_800, 16_000, 80), (16_000, 16_000, 100), (8_000, 8_000, 100)])
def test_workaround_keeps_the_frames_the_featurizer_counts_and_restores_the_processor(cpu_processor, samples, rate, frames):
    import torch
    from liquid_audio import ChatState

    chat = ChatState(cpu_processor, dtype=torch.float32)
    audio_padding.add_audio_cropped(chat, 0.1 * torch.randn(1, samples), rate)
    audio_padding.add_audio_cropped(chat, 0.1 * torch.randn(1, samples), rate)
    assert chat.audio_in.shape[1] == 2 * frames
    assert chat.audio_in_lens.tolist() == [frames, frames]
    assert chat.proc is cpu_processor
