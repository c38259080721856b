"""Every ```diff block an issue carries applies with ``git apply --check`` on the release it names, for every
bug on every release it has edits for: the fenced text is what is tested, as a maintainer copies it."""

from __future__ import annotations

import re
import subprocess

import pytest

from lfmdoctor.bugs import BUGS
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.patches.series import checkout, standalone_diff
from lfmdoctor.report.upstream import _fence

FENCED = re.compile(r"^```diff\n(.*?)^```$", re.S | re.M)


@pytest.mark.parametrize("release", RELEASES)
def test_each_issue_diff_applies_as_fenced_on_the_release(release_package, release, tmp_path):
    package = release_package(release)
    tree = checkout(tmp_path / "tree", package, release)
    checked = 0
    for bug in BUGS:
        diff = standalone_diff(bug, package, release, short=True)
        if not diff:
            continue
        [copied] = FENCED.findall(f"Suggested fix:\n\n{_fence(diff, 'diff')}\n\nWorkaround until then: ...\n")
        done = subprocess.run(["git", "apply", "--check", "-"], cwd=tree, input=copied, capture_output=True, text=True)
        assert done.returncode == 0, (bug.id, release, done.stderr)
        checked += 1
    assert checked >= 5, checked


def test_a_blank_context_line_at_the_end_survives_the_fence():
    diff = "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-a\n+b\n \n"
    assert _fence(diff, "diff") == f"```diff\n{diff}```"
