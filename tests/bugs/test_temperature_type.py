"""The bug whose id is ``temperature_type.BUG.id``: an int or numpy temperature fails a bare assert."""

from __future__ import annotations

import numpy as np
import pytest

from lfmdoctor.bugs import temperature_type
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = temperature_type.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence=temperature_type.FLOAT_ONLY)


def test_detector_reads_converting_samplers_as_absent(bug_contract, tmp_path):
    new = "temperature = float(temperature)"
    bug_contract.variant(
        BUG, tmp_path, temperature_type.FLOAT_ONLY, new, present=False, evidence="def _sample_text_token", count=2
    )


def test_detector_reads_one_asserting_sampler_as_present():
    code = """\
        class LFM2AudioModel:
            def _sample_text_token(self, logits, temperature=None):
                temperature = float(temperature)

            def _sample_audio_frame(self, embedding, temperature=None):
                assert isinstance(temperature, (float,))
        """
    assert BUG.detect(snippet(code)).present is True


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


@pytest.mark.parametrize(("given", "passed"), [(1, 1.0), (np.float32(0.5), 0.5), (None, None), (0, 0.0)])
def test_workaround_passes_a_python_float(given, passed):
    result = temperature_type.sampling_temperature(given)
    assert result == passed and (result is None or type(result) is float)
