"""The bug whose id is ``demo_state_copy.BUG.id``: every demo session deep-copies the processor and Mimi."""

from __future__ import annotations

from lfmdoctor.bugs import demo_state_copy
from lfmdoctor.results import Outcome

BUG = demo_state_copy.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="gr.State(ChatState(proc))")


def test_detector_reads_a_state_built_per_session_as_absent(bug_contract, tmp_path):
    fixed = demo_state_copy.STATE_FIXED
    bug_contract.variant(BUG, tmp_path, demo_state_copy.STATE, fixed, present=False, evidence="gr.State(lambda:")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_the_source_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)
