"""A patch series for upstream, and one bug's change alone, on a liquid-audio release's upstream layout.

``commits(release, originals, builder)`` (pure, ``build.py``) lays out the series for one release. First
the CPU test harness: ``tests/conftest.py`` with a ``tiny_checkpoint`` fixture and the builder it calls
(``regression_tests.py``: a copy of the built-in builder, so no weights and no GPU). Then one commit per
known bug whose ``edits`` apply (a bug and those it builds on are one commit), in upstream's filing order
(``lfmdoctor.bugs.filing_groups``), each holding its fix and its own test file, with an upstream-style
message (``messages.py``). Each fix commit applies alone on the release with the harness, and the series
applies in order. Only ``src/`` files change; everything else is new.

``write_series(out, source)`` (``git.py``) turns the commits into ``git format-patch`` files (``git am
DIR/*.patch`` on a checkout of the release applies them); ``source`` is the release's ``liquid_audio``
folder or its wheel (``release.py`` reads it). ``standalone_diff(bug, source)`` is one bug's change as a
unified diff that applies alone on the release (``git apply``): it carries the ``shared`` edits (a helper)
of the bugs its fix builds on. ``checkout`` lays a release out as upstream's repository does (with
upstream's ruff settings) and ``upstream_ruff`` / ``ruff_findings`` (``ruff.py``) run the ruff that
upstream's lock pins, to check the result.
"""

from lfmdoctor.patches.series.build import Commit, commits
from lfmdoctor.patches.series.edits import PREFIX, SeriesError, apply_edits, release_bugs
from lfmdoctor.patches.series.git import Series, check_out, checkout, git_identity, write_series
from lfmdoctor.patches.series.messages import subject, where
from lfmdoctor.patches.series.regression_tests import (
    BUILDER,
    CONFTEST,
    builder_source,
    builder_text,
    first_party_last,
    test_path,
)
from lfmdoctor.patches.series.release import installed_source, read_package, release_of, standalone_diff
from lfmdoctor.patches.series.ruff import RUFF_VERSION, ruff_findings, upstream_ruff

__all__ = [
    "BUILDER",
    "CONFTEST",
    "PREFIX",
    "RUFF_VERSION",
    "Commit",
    "Series",
    "SeriesError",
    "apply_edits",
    "builder_source",
    "builder_text",
    "check_out",
    "checkout",
    "commits",
    "first_party_last",
    "git_identity",
    "installed_source",
    "read_package",
    "release_bugs",
    "release_of",
    "ruff_findings",
    "standalone_diff",
    "subject",
    "test_path",
    "upstream_ruff",
    "where",
    "write_series",
]
