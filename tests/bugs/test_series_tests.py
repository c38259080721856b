"""The tests the patch series ships, run the way upstream's CI would (pytest on tests/, the package from src/; the
``regression`` fixture): all pass on the tree the series makes; on the release's own src/ each bug's test fails,
unless it cannot run on this machine (skipped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.patches import series
from tests.patches.test_series import originals

pytestmark = pytest.mark.slow


def test_the_series_tests_fail_without_its_src_changes_and_pass_with_them(regression, release_package):
    commits = series.commits(RELEASES[-1], originals(release_package(RELEASES[-1])), series.builder_text())
    bugs = [get_bug(bug) for commit in commits for bug in commit.bugs]
    names = {bug.id: Path(series.test_path(bug)).stem for bug in bugs}
    patched, unpatched = regression["patched"], regression["unpatched"]
    assert set(names.values()) <= set(patched)  # and the tests of the bugs this release does not have
    assert all(state in ("passed", "skipped") for state in patched.values()), patched
    for bug in bugs:
        if patched[names[bug.id]] == "passed":
            assert unpatched[names[bug.id]] == "failed", (bug.id, unpatched)
        else:
            assert "skipif" in bug.regression_test and unpatched[names[bug.id]] == "skipped", (bug.id, unpatched)
