"""The series' commit messages, as upstream's history writes them: a ``fix: ...`` (or ``test: ...``) subject that
fits 72 characters, then what fails, the cause with its line, what changes and the test; bodies wrapped at 72."""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import Bug, CannotTell, Edit
from lfmdoctor.patches.series.edits import PREFIX
from lfmdoctor.patches.series.regression_tests import BUILDER, CONFTEST, RUN_TESTS, test_path
from lfmdoctor.prose import period, sentence

SUBJECT_WIDTH = 72
BODY_WIDTH = 72


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
    """``fix: <fix>``, imperative as the bug's ``fix`` is; cut at a clause to fit 72 characters where it can."""
    prefix = "fix: "
    if bug.subject:
        return prefix + _lower_first(bug.subject)
    clauses = _clauses(bug.fix.strip().rstrip("."))
    fitting = [c for c in clauses if len(prefix) + len(c) <= SUBJECT_WIDTH]
    return prefix + _lower_first(fitting[-1] if fitting else clauses[0])


def _lower_first(text: str) -> str:
    """ "Keep X" -> "keep X", as upstream's subjects read; a name such as "LFM2AudioProcessor" stays."""
    word = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if word.istitle() and word.isalpha() else text


def group_subject(group: tuple[Bug, ...]) -> str:
    """The subject of a group's one commit and pull request: its lead's."""
    return subject(group[0])


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


def bug_message(bug: Bug, release: str, originals: Mapping[str, str]) -> str:
    """What the commit says about ``bug``: what fails, the cause with its line, what changes, its test."""
    line = where(bug, originals.get(bug.module, ""))
    location = bug.upstream_path + (f":{line}" if line else "")
    symptoms = "\n".join(f"    {part}" for part in symptom_lines(bug))
    paragraphs = [
        _fill(f"{sentence(bug.trigger).removesuffix('.')} {'warns' if 'Warning:' in symptoms else 'fails with'}:")
        + "\n\n"
        + symptoms,
        _fill(f"Cause ({location}): {period(bug.root_cause)}"),
        _fill(sentence(bug.changes)),
    ]
    for other in (get_bug(name) for name in bug.after):
        uses = _uses(other, bug, release)
        if uses:
            paragraphs.append(_fill(f"It uses {uses[0]}, which this commit adds to {uses[1]}."))
    skip = re.search(r"skipif\(.*?reason=(['\"])(.+?)\1", bug.regression_test, re.S)
    paragraphs.append(_fill(f"Test: {test_path(bug)}" + (f" (skipped where it cannot run: {skip[2]})." if skip else ".")))
    return "\n\n".join(paragraphs)


def group_message(group: tuple[Bug, ...], release: str, originals: Mapping[str, str]) -> str:
    """The commit body for a group: each bug's part, then the threads it relates to."""
    parts = [bug_message(bug, release, originals) for bug in group]
    threads = sorted({thread.number for bug in group for thread in bug.threads})
    if threads:
        parts.append("Related: " + ", ".join(f"#{number}" for number in threads))
    return "\n\n".join(parts)


HARNESS_SUBJECT = "test: add a CPU test harness with a tiny random checkpoint"


def harness_message() -> str:
    return "\n\n".join(
        [
            _fill(
                f"{CONFTEST} provides a tiny_checkpoint fixture: {BUILDER} builds a tiny, randomly initialised "
                "checkpoint with the file layout of LFM2.5-Audio-1.5B in a temporary folder. Tests that use it "
                "download no weights, need no GPU and run in seconds on a CPU. The fix commits that follow each add "
                "one test file. Run them with:"
            ),
            f"    {RUN_TESTS}",
        ]
    )
