"""The series for one release, as commits (pure): one per known bug whose edits apply, in registry order, then
the regression tests, then the CI workflow; and one bug's change alone, as a diff that applies by itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lfmdoctor.bugs._spec import Bug
from lfmdoctor.patches.series.edits import PREFIX, SeriesError, apply_edits, carried_edits, release_bugs, unified_diff
from lfmdoctor.patches.series.messages import (
    TESTS_SUBJECT,
    WORKFLOW_MESSAGE,
    WORKFLOW_SUBJECT,
    bug_message,
    subject,
    tests_message,
)
from lfmdoctor.patches.series.regression_tests import (
    BUILDER,
    CONFTEST,
    CONFTEST_TEXT,
    builder_source,
    first_party_last,
    test_path,
)
from lfmdoctor.patches.series.workflow import WORKFLOW, WORKFLOW_TEXT


@dataclass(frozen=True)
class Commit:
    """One commit of the series: its message and the whole text of every file it changes or adds."""

    subject: str
    body: str
    files: dict[str, str]  # repository path -> text after this commit
    bug: str | None = None  # the bug it fixes; None for the tests and CI commits

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}\n"


def commits(release: str, originals: Mapping[str, str], builder: str) -> list[Commit]:
    """The series for ``release``: ``originals`` maps paths inside ``liquid_audio`` to the release's text
    (at least the files the edits touch); ``builder`` is the tiny-checkpoint builder's source."""
    bugs = release_bugs(release)
    in_series = {bug.id for bug in bugs}
    current = dict(originals)
    subjects: dict[str, str] = {}
    series: list[Commit] = []
    for bug in bugs:
        later = [name for name in bug.after if name in in_series and name not in subjects]
        if later:
            raise SeriesError(f"{bug.id} builds on {', '.join(later)}, which the registry lists after it")
        edited = apply_edits(current, carried_edits(bug, release, in_series), release)
        changed = {PREFIX + path: text for path, text in edited.items() if current.get(path) != text}
        subjects[bug.id] = subject(bug)
        body = bug_message(bug, release, originals, {name: subjects[name] for name in bug.after if name in subjects})
        series.append(Commit(subjects[bug.id], body, changed, bug.id))
        current = edited
    if not bugs:
        return series
    tests = {CONFTEST: CONFTEST_TEXT, BUILDER: builder_source(builder)}
    tests.update({test_path(bug): first_party_last(bug.regression_test) for bug in bugs})
    series.append(Commit(TESTS_SUBJECT, tests_message(bugs, subjects), tests))
    series.append(Commit(WORKFLOW_SUBJECT, WORKFLOW_MESSAGE, {WORKFLOW: WORKFLOW_TEXT}))
    return series


def standalone_text(bug: Bug, release: str, originals: Mapping[str, str], short: bool = False) -> str:
    """``bug``'s change alone on ``release`` as a unified diff (with the shared helpers it needs); "" if it has none.

    ``short``: what an issue shows, one line of context and no ``diff --git`` lines; it still applies alone.
    """
    edits = carried_edits(bug, release)
    if not any(owner is bug for owner, _ in edits):
        return ""
    after = apply_edits(originals, edits, release)
    return unified_diff(originals, after, 1, git_header=False) if short else unified_diff(originals, after)
