"""The series for one release, as commits (pure): first the CPU test harness, then one commit per bug (a bug and
those it builds on are one commit) in upstream's filing order, each with its fix and its own test file, each made
on the release as it is (so it applies alone after the harness; ``git.py`` writes them with one line of context,
so they also apply in order); and one bug's change alone, as a diff that applies by itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lfmdoctor.bugs import filing_groups
from lfmdoctor.bugs._spec import Bug
from lfmdoctor.patches.series.edits import PREFIX, apply_edits, carried_edits, release_bugs, unified_diff
from lfmdoctor.patches.series.messages import HARNESS_SUBJECT, group_message, group_subject, harness_message
from lfmdoctor.patches.series.regression_tests import (
    BUILDER,
    CONFTEST,
    CONFTEST_TEXT,
    builder_source,
    first_party_last,
    test_path,
)


@dataclass(frozen=True)
class Commit:
    """One commit of the series: its message and the whole text of every file it changes or adds."""

    subject: str
    body: str
    files: dict[str, str]  # repository path -> its text with this commit alone on the release (after the harness)
    bugs: tuple[str, ...] = ()  # the bugs it fixes; () for the test harness

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}\n"

    @property
    def bug(self) -> str | None:
        """The bug that leads the commit (None for the harness)."""
        return self.bugs[0] if self.bugs else None


def commits(release: str, originals: Mapping[str, str], builder: str) -> list[Commit]:
    """The series for ``release``: ``originals`` maps paths inside ``liquid_audio`` to the release's text
    (at least the files the edits touch); ``builder`` is the tiny-checkpoint builder's source."""
    groups = filing_groups(release_bugs(release))
    if not groups:
        return []
    harness = {CONFTEST: CONFTEST_TEXT, BUILDER: builder_source(builder)}
    series = [Commit(HARNESS_SUBJECT, harness_message(), harness)]
    for group in groups:  # each on the release as it is, so that each applies alone
        edits = [pair for bug in group for pair in carried_edits(bug, release, {b.id for b in group if b is not bug})]
        edited = apply_edits(originals, edits, release)
        changed = {PREFIX + path: text for path, text in edited.items() if originals.get(path) != text}
        changed.update({test_path(bug): first_party_last(bug.regression_test) for bug in group})
        body = group_message(group, release, originals)
        series.append(Commit(group_subject(group), body, changed, tuple(bug.id for bug in group)))
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
