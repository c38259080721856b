"""What the series changes in ``src/``: which bugs' edits apply to a release, the files after them, and diffs.

Pure: package files map a path inside ``liquid_audio`` to its text; each edit must match as its bug declares.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._spec import Bug, Edit
from lfmdoctor.errors import LfmdoctorError

PREFIX = "src/liquid_audio/"


class SeriesError(LfmdoctorError):
    """The series or a standalone diff cannot be made (one line: what and why)."""


def release_bugs(release: str) -> list[Bug]:
    """The known bugs with edits for ``release``, in registry order: one commit each."""
    return [bug for bug in BUGS if any(edit.applies(release) for edit in bug.edits)]


def carried_edits(bug: Bug, release: str, applied: Collection[str] = ()) -> list[tuple[Bug, Edit]]:
    """(owner, edit) for ``bug``'s change on ``release``: the ``shared`` edits of the bugs it builds on
    (``after``) that are not in ``applied`` already, then its own edits."""
    found: list[tuple[Bug, Edit]] = []
    for other in (get_bug(name) for name in bug.after):
        if other.id not in applied:
            found += [(other, edit) for edit in other.edits if edit.shared and edit.applies(release)]
    return found + [(bug, edit) for edit in bug.edits if edit.applies(release)]


def apply_edits(files: Mapping[str, str], edits: Iterable[tuple[Bug, Edit]], release: str) -> dict[str, str]:
    """The package files (path inside ``liquid_audio`` -> text) with ``edits`` made; each must match as declared."""
    result = dict(files)
    for owner, edit in edits:
        if edit.path not in result:
            raise SeriesError(f"liquid-audio {release} has no {edit.path}, which the {owner.id} fix edits")
        text = result[edit.path]
        count = text.count(edit.old)
        if count != edit.count:
            raise SeriesError(
                f"a {owner.id} edit matches {count} time(s), not {edit.count}, in liquid-audio {release}'s {edit.path}"
            )
        result[edit.path] = text.replace(edit.old, edit.new)
    return result


def unified_diff(old: Mapping[str, str], new: Mapping[str, str], context: int = 3, git_header: bool = True) -> str:
    """A ``git diff``-style unified diff (upstream layout, ``context`` lines of context) of the files that differ.

    Without ``git_header``, a plain unified diff: ``git apply`` and ``patch -p1`` take it, and it is shorter.
    """
    parts = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path, ""), new.get(path, "")
        if before == after:
            continue
        upstream = PREFIX + path
        header = [f"diff --git a/{upstream} b/{upstream}\n"] if git_header else []
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            f"a/{upstream}" if path in old else "/dev/null",
            f"b/{upstream}",
            n=context,
        )
        if path not in old:
            header.append("new file mode 100644\n")
        parts += header + [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
    return "".join(parts)
