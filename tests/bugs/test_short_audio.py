"""The bug whose id is ``short_audio.BUG.id``: 10-20 ms of audio raises only where CUDA is available."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import short_audio
from lfmdoctor.bugs._spec import CONDITIONS
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = short_audio.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="raise ValueError(")


def test_detector_reads_the_check_gone_as_absent(bug_contract, tmp_path):
    bug_contract.variant(BUG, tmp_path, short_audio.CHECK, "", present=False, evidence="def normalize_batch(")


def test_detector_reads_a_check_on_every_machine_as_absent():
    code = """\
        def normalize_batch(x, seq_len, normalize_type):
            if normalize_type == "per_feature":
                if torch.any(seq_len == 1).item():
                    raise ValueError("one frame")
        """
    assert BUG.detect(snippet(code)).present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_with_cuda_said_available_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_the_case_needs_cuda_available_which_a_simulation_fakes_in_its_own_process():
    [case] = BUG.cases
    assert case.requires == ("cuda_available",)
    simulation = CONDITIONS["cuda_available"].simulate
    assert simulation.per_case and not simulation.env and "is_available" in simulation.code


@pytest.mark.parametrize(("samples", "rate", "padded"), [(240, 16_000, 320), (100, 8_000, 160), (320, 16_000, 320)])
def test_workaround_pads_to_two_feature_frames(samples, rate, padded):
    import torch

    wave = torch.ones(1, samples)
    out = short_audio.padded_audio(wave, rate)
    assert out.shape == (1, padded)
    assert torch.equal(out[:, :samples], wave) and not out[:, samples:].any()


@pytest.mark.parametrize("available", [True, False, None])
def test_check_says_it_bites_only_where_cuda_is_available(available):
    from types import SimpleNamespace

    assert BUG.bites_here(SimpleNamespace(torch=SimpleNamespace(cuda_available=available))) is available
