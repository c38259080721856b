"""The series' commit messages, as upstream writes them: a ``<file>: <fix>`` subject that fits 72 characters,
then what fails, the cause with its line, what changes, and what a commit builds on; bodies wrapped at 72."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import Bug, CannotTell, Edit
from lfmdoctor.patches.series.edits import PREFIX
from lfmdoctor.patches.series.regression_tests import BUILDER, CONFTEST, RUN_TESTS, skip_reason, test_path
from lfmdoctor.prose import period, sentence

SUBJECT_WIDTH = 72
BODY_WIDTH = 72


def _area(bug: Bug) -> str:
    return PurePosixPath(bug.module).stem


def _clauses(text: str) -> list[str]:
    """``text`` cut before each ", ", "; ", ": " or " (" outside brackets and quotes, shortest first, then whole."""
    cuts, depth, quote = [], 0, None
    for i, ch in enumerate(text):
        prev, nxt = text[i - 1 : i], text[i + 1 : i + 2]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`" and not prev.isalnum():
            quote = ch
        elif ch in "([{":
            if ch == "(" and depth == 0 and prev == " ":
                cuts.append(i - 1)
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        elif ch in ",;:" and depth == 0 and nxt == " ":
            cuts.append(i)
    return [text[:cut] for cut in cuts] + [text]


def subject(bug: Bug) -> str:
    """``<file>: <fix>``, imperative as the bug's ``fix`` is; cut at a clause to fit 72 characters where it can."""
    prefix = f"{_area(bug)}: "
    if bug.subject:
        return prefix + bug.subject
    clauses = _clauses(bug.fix.strip().rstrip("."))
    fitting = [c for c in clauses if len(prefix) + len(c) <= SUBJECT_WIDTH]
    return prefix + (fitting[-1] if fitting else clauses[0])


def _fill(text: str) -> str:
    return textwrap.fill(text, BODY_WIDTH, break_long_words=False, break_on_hyphens=False)


def where(bug: Bug, text: str) -> int | None:
    """The line of the release's ``bug.module`` that the bug's detector points at (None: it cannot tell)."""
    try:
        verdict = bug.detect(Source(Path(bug.module), ast.parse(text)))
    except (CannotTell, SyntaxError):
        return None
    return getattr(verdict.node, "lineno", None) if verdict.present else None


def _defined(edits: Iterable[Edit]) -> dict[str, str]:
    """Top-level functions and names the (shared) edits add: name -> how to write it ("f()" or "NAME")."""
    names: dict[str, str] = {}
    for edit in edits:
        for match in re.finditer(r"^(?:def (\w+)|(\w+) *=)", edit.new, re.MULTILINE):
            name = match.group(1) or match.group(2)
            if not re.search(rf"^(?:def {name}\b|{name} *=)", edit.old, re.MULTILINE):
                names.setdefault(name, f"{name}()" if match.group(1) else name)
    return names


def _uses(owner: Bug, user: Bug, release: str) -> tuple[str, str] | None:
    """What ``owner``'s shared edits add that ``user``'s edits use, and where: ("default_device()", "src/.../utils.py")."""
    shared = [edit for edit in owner.edits if edit.shared and edit.applies(release)]
    own = "".join(edit.new for edit in user.edits if edit.applies(release))
    used = [shown for name, shown in _defined(shared).items() if re.search(rf"\b{name}\b", own)]
    return (", ".join(used), ", ".join(sorted({PREFIX + edit.path for edit in shared}))) if used else None


def symptom_lines(bug: Bug) -> list[str]:
    """The bug's symptoms, one per line; a symptom given as another bug's ("the same errors as <id>") is spelt out."""
    lines: list[str] = []
    for part in (part.strip() for part in bug.symptom.split("; ")):
        named = [other for other in BUGS if other is not bug and re.search(rf"(?<![\w-]){re.escape(other.id)}(?![\w-])", part)]
        for line in symptom_lines(named[0]) if named else [part] if part else []:
            if line not in lines:
                lines.append(line)
    return lines


def bug_message(bug: Bug, release: str, originals: Mapping[str, str], applied: Mapping[str, str]) -> str:
    """The commit body for ``bug``'s fix; ``applied`` maps the bugs already fixed earlier in the series to their subjects."""
    line = where(bug, originals.get(bug.module, ""))
    location = bug.upstream_path + (f":{line}" if line else "")
    symptoms = "\n".join(f"    {part}" for part in symptom_lines(bug))
    paragraphs = [
        _fill(period(bug.title)),
        _fill(f"{sentence(bug.trigger).removesuffix('.')} fails with:") + "\n\n" + symptoms,
        _fill(f"Cause ({location}): {period(bug.root_cause)}"),
        _fill(sentence(bug.changes)),
    ]
    for other in (get_bug(name) for name in bug.after):
        uses = _uses(other, bug, release)
        if other.id in applied:
            what = f": it uses {uses[0]}, which that commit adds to {uses[1]}" if uses else ""
            paragraphs.append(_fill(f'This builds on "{applied[other.id]}" earlier in this series{what}.'))
        elif uses:
            paragraphs.append(_fill(f"This also adds {uses[0]} to {uses[1]}, which the change uses."))
    if bug.threads:
        paragraphs.append("Related: " + ", ".join(f"#{thread.number}" for thread in bug.threads))
    return "\n\n".join(paragraphs)


def tests_message(bugs: list[Bug], subjects: Mapping[str, str]) -> str:
    listing = []
    for bug in bugs:
        reason = skip_reason(bug.regression_test)
        note = f" (skipped where it cannot run: {reason})" if reason else ""
        listing.append(
            textwrap.fill(
                f'- {test_path(bug)}: "{subjects[bug.id]}"{note}',
                BODY_WIDTH,
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n\n".join(
        [
            _fill(
                "One test file per fix in this series. Each test fails without its fix and passes with it. "
                f"The tiny_checkpoint fixture ({CONFTEST}) builds a tiny, randomly initialised checkpoint with the "
                f"file layout of LFM2.5-Audio-1.5B in a temporary folder ({BUILDER}), so the tests download no "
                "weights, need no GPU and run in seconds on a CPU:"
            ),
            f"    {RUN_TESTS}",
            "\n".join(listing),
        ]
    )


TESTS_SUBJECT = "tests: add regression tests that run on a CPU without weights"
WORKFLOW_SUBJECT = "ci: run the tests on Ubuntu and on macOS arm64"
WORKFLOW_MESSAGE = _fill(
    "Run the tests under tests/ with pytest on every push and pull request: on ubuntu-latest (CPU) and on "
    "macos-14 (Apple Silicon, arm64), with Python 3.12 and uv as the existing check workflow sets them up. "
    "The tests need no model weights and no GPU. The existing workflow is unchanged."
)
