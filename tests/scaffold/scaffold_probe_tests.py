"""The scaffold's throw-away bug, tested as a contributor tests a real one (copied to tests/bugs/ in a copy)."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import scaffold_probe
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = scaffold_probe.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="importlib.util.find_spec(name)")


def test_detector_reads_a_guarded_lookup_as_absent():
    code = (
        "def module_exists(name):\n    try:\n        spec = find_spec(name)\n    except ImportError:\n        return False\n"
    )
    assert BUG.detect(snippet(code)).present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_workaround_answers_false():
    pytest.importorskip("liquid_audio")
    assert scaffold_probe.module_present("lfmdoctor_absent.sub") is False
