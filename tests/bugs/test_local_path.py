"""The bug whose id is ``local_path.BUG.id``: a str naming a local folder is sent to the hub."""

from __future__ import annotations

from pathlib import Path

from lfmdoctor.bugs import local_path
from lfmdoctor.results import Outcome

BUG = local_path.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="isinstance(repo_id, str)")


def test_detector_reads_a_local_folder_check_as_absent(bug_contract, tmp_path):
    old = "    if isinstance(repo_id, str):\n"
    new = "    if isinstance(repo_id, str) and Path(repo_id).is_dir():\n        repo_id = Path(repo_id)\n" + old
    bug_contract.variant(BUG, tmp_path, old, new, present=False, evidence=".is_dir()")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_workaround_takes_an_existing_folder_as_local(tmp_path):
    assert local_path.local_source(str(tmp_path)) == tmp_path
    assert local_path.local_source("LiquidAI/LFM2.5-Audio-1.5B") == "LiquidAI/LFM2.5-Audio-1.5B"
    assert local_path.local_source(str(tmp_path / "missing")) == str(tmp_path / "missing")
    assert isinstance(local_path.local_source(str(tmp_path)), Path)
