"""A patch series for upstream, and one bug's change alone, on a liquid-audio release's upstream layout.

``commits(release, originals, builder)`` (pure) lays out the series for one release: one commit per
known bug whose ``edits`` apply to it, in registry order, each with an upstream-style message (what
fails, where in ``src/liquid_audio/...``, what changes; a commit that builds on an earlier one says
so); then one commit adding every such bug's regression test under ``tests/`` with a ``conftest.py``
whose ``tiny_checkpoint`` fixture builds a tiny random checkpoint (a copy of the built-in builder, so
no weights and no GPU); then one commit adding a CI workflow that runs those tests on Ubuntu and
macOS arm64. Only ``src/`` files change; everything else is new.

``write_series(out, source)`` turns the commits into ``git format-patch`` files (``git am DIR/*.patch``
on a checkout of the release applies them); ``source`` is the release's ``liquid_audio`` folder or
its wheel. ``standalone_diff(bug, source)`` is one bug's change as a unified diff that applies alone
on the release (``git apply``): it carries the ``shared`` edits (a helper) of the bugs its fix builds
on. ``checkout`` lays a release out as upstream's repository does (with upstream's ruff settings) and
``upstream_ruff`` / ``ruff_findings`` run the ruff that upstream's lock pins, to check the result.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import RELEASES, Bug, CannotTell, Edit
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_all
from lfmdoctor.prose import period, sentence

PREFIX = "src/liquid_audio/"
TESTS = "tests/"
CONFTEST = "tests/conftest.py"
BUILDER = "tests/tiny_checkpoint.py"
WORKFLOW = ".github/workflows/tests.yml"
SUBJECT_WIDTH = 72
BODY_WIDTH = 72
RUFF_VERSION = "0.13.0"  # what upstream's uv.lock pins

# Upstream's ruff settings (pyproject.toml of Liquid4All/liquid-audio); its CI runs `ruff check` and
# `ruff format --check` with them. The wheel ships no pyproject, so ``checkout`` writes this one.
UPSTREAM_RUFF = """\
[tool.ruff]
line-length = 127 # The GitHub editor is 127 chars wide
extend-exclude = [
    "src/liquid_audio/model/conformer",
    "src/liquid_audio/moshi",
]

[tool.ruff.lint]
select = ["E", "F", "UP", "B", "SIM", "I", "TRY", "PERF", "FURB", "RUF"]
ignore = [
    "W191", "E111", "E114", "E117", "E501", "D206", "D300", "Q000", "Q001", "Q002", "Q003",
    "COM812", "COM819", "ISC001", "ISC002", "SIM108", "E741", "TRY003", "B024",
]
"""

CONFTEST_TEXT = '''\
"""Shared fixtures: a tiny, randomly initialised checkpoint with the real file layout (no download, no GPU)."""

import importlib.util
from pathlib import Path

import pytest


def _builder():
    spec = importlib.util.spec_from_file_location("tiny_checkpoint", Path(__file__).with_name("tiny_checkpoint.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A checkpoint folder that LFM2AudioProcessor and LFM2AudioModel.from_pretrained load, with random weights."""
    has_detokenizer = importlib.util.find_spec("liquid_audio.detokenizer") is not None
    return _builder().build(tmp_path_factory.mktemp("tiny-checkpoint"), detokenizer=has_detokenizer)
'''

RUN_TESTS = "uv run --frozen --with pytest pytest tests"

WORKFLOW_TEXT = f"""\
name: Tests

on:
  push:
    branches: [ main ]
  pull_request:
    branches: [ main ]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref || github.run_id }}}}
  cancel-in-progress: true

jobs:
  tests:
    name: tests (${{{{ matrix.os }}}})
    strategy:
      fail-fast: false
      matrix:
        # CPU on Linux; Apple Silicon (arm64) on macOS, where MPS may be available
        os: [ubuntu-latest, macos-14]
    runs-on: ${{{{ matrix.os }}}}
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4

      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: '3.12'

      - name: Install uv
        uses: astral-sh/setup-uv@v3
        with:
          enable-cache: true
          cache-dependency-glob: "uv.lock"

      - name: Install dependencies
        run: uv sync --frozen

      - name: Run tests (tiny random checkpoint, no weights, no GPU)
        run: {RUN_TESTS} -v
"""


class SeriesError(LfmdoctorError):
    """The series or a standalone diff cannot be made (one line: what and why)."""


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


@dataclass(frozen=True)
class Series:
    """What ``write_series`` wrote: the release, the commits in order and the patch files."""

    release: str
    commits: list[Commit]
    patches: list[Path] = field(default_factory=list)


# --- which edits go where (pure) --------------------------------------------------------------------


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
            _lines(before), _lines(after), f"a/{upstream}" if path in old else "/dev/null", f"b/{upstream}", n=context
        )
        if path not in old:
            header.append("new file mode 100644\n")
        parts += header + [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
    return "".join(parts)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


# --- messages (pure) ----------------------------------------------------------------------------------


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


# --- the test files (pure) ----------------------------------------------------------------------------

_IMPORT = re.compile(r"^([ \t]*)(?:import|from)[ \t]+[\w.]+")
_FIRST_PARTY = re.compile(r"^[ \t]*(?:import|from)[ \t]+liquid_audio\b")


def first_party_last(text: str) -> str:
    """Imports laid out as upstream's ruff (isort) wants them: ``liquid_audio`` is first-party there, so its
    imports go last in each block of one-line imports, after a blank line."""
    lines = _lines(text)
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _IMPORT.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, block = match.group(1), []
        while i < len(lines):
            this = _IMPORT.match(lines[i])
            nxt = _IMPORT.match(lines[i + 1]) if i + 1 < len(lines) else None
            if this and this.group(1) == indent and not lines[i].rstrip().endswith(("(", "\\")):
                block.append(lines[i])
            elif not lines[i].strip() and nxt and nxt.group(1) == indent:
                block.append(lines[i])
            else:
                break
            i += 1
        first = [line for line in block if _FIRST_PARTY.match(line)]
        rest = [line for line in block if not _FIRST_PARTY.match(line)]
        while rest and not rest[-1].strip():
            rest.pop()
        out += rest + (["\n"] if rest and first else []) + first
    return "".join(out)


def builder_source(text: str) -> str:
    """The tiny-checkpoint builder as the tests ship it: upstream's import layout, and a docstring about its use there."""
    tree = ast.parse(text)
    doc = ast.get_docstring(tree, clean=False)
    if doc is not None and f'"""{doc}"""' in text:
        paragraphs = [p for p in doc.split("\n\n") if "lfmdoctor" not in p.lower()]
        paragraphs.insert(
            1,
            "Random weights, no download, no GPU: tests/conftest.py calls build() for the tiny_checkpoint\nfixture.",
        )
        new = "\n\n".join(paragraphs).replace("fixture_builder.py", "tests/tiny_checkpoint.py")
        text = text.replace(f'"""{doc}"""', f'"""{new}"""', 1)
    return first_party_last(text)


def test_path(bug: Bug) -> str:
    return f"{TESTS}test_{bug.id.replace('-', '_')}.py"


def _skip_reason(source: str) -> str | None:
    match = re.search(r"skipif\(.*reason=(['\"])(.+?)\1", source)
    return match.group(2) if match else None


def tests_message(bugs: list[Bug], subjects: Mapping[str, str]) -> str:
    listing = []
    for bug in bugs:
        reason = _skip_reason(bug.regression_test)
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


# --- the series (pure) ----------------------------------------------------------------------------------


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


# --- releases on disk (I/O) -------------------------------------------------------------------------------


def read_package(source: Path) -> dict[str, bytes]:
    """Every file of a ``liquid_audio`` folder or of a wheel's ``liquid_audio/``: path inside the package -> bytes."""
    source = Path(source)
    if source.is_file():
        try:
            with zipfile.ZipFile(source) as archive:
                return {
                    name.removeprefix("liquid_audio/"): archive.read(name)
                    for name in archive.namelist()
                    if name.startswith("liquid_audio/") and not name.endswith("/") and "__pycache__" not in name
                }
        except zipfile.BadZipFile:
            raise SeriesError(f"{source} is not a wheel; pass a liquid_audio folder or a liquid-audio wheel") from None
    if not (source / "__init__.py").is_file():
        raise SeriesError(f"{source} is not a liquid_audio package folder (no __init__.py); pass the folder or a wheel")
    return {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _stored_release(files: Mapping[str, bytes], hint: str | None) -> str | None:
    """The release whose stored-patch originals (sha256) these files match; ``hint`` wins among equals."""
    from lfmdoctor.patches.stored import stored_patches

    matches = [
        patch.release
        for patch in stored_patches()
        if all(path in files and hashlib.sha256(files[path]).hexdigest() == digest for path, digest in patch.originals.items())
    ]
    return hint if hint in matches else (matches[-1] if matches else None)


def _metadata_version(source: Path) -> str | None:
    if source.is_file():
        match = re.match(r"liquid_audio-([^-]+)-", source.name)
        return match.group(1) if match else None
    for info in sorted(source.parent.glob("liquid_audio-*.dist-info")):
        return info.name.removeprefix("liquid_audio-").removesuffix(".dist-info")
    return None


def release_of(source: Path, files: Mapping[str, bytes] | None = None) -> str:
    """Which known release a ``liquid_audio`` folder or wheel is: by the files' sha256, else its version."""
    source = Path(source)
    files = read_package(source) if files is None else files
    version = _metadata_version(source)
    found = _stored_release(files, version)
    if found is None and version in RELEASES:
        found = version
    if found is None:
        raise SeriesError(
            f"{source} is no known liquid-audio release ({', '.join(RELEASES)}) by its files or its version; "
            "pass --python with an unpatched release installed"
        )
    return found


def _texts(files: Mapping[str, bytes], release: str) -> dict[str, str]:
    needed = {edit.path for bug in BUGS for edit in bug.edits if edit.applies(release)} | {bug.module for bug in BUGS}
    return {path: files[path].decode("utf-8") for path in needed if path in files}


def standalone_diff(bug: Bug | str, source: Path, release: str | None = None, short: bool = False) -> str:
    """One bug's change as a small unified diff that applies alone (``git apply``) on the release in
    ``source`` (its ``liquid_audio`` folder or wheel); "" when the release needs no change for it."""
    bug = get_bug(bug) if isinstance(bug, str) else bug
    files = read_package(Path(source))
    release = release or release_of(Path(source), files)
    return standalone_text(bug, release, _texts(files, release), short)


def builder_text() -> str:
    from lfmdoctor.repro.fixture import BUILDER as BUILDER_FILE

    return BUILDER_FILE.read_text()


# --- git (I/O) ----------------------------------------------------------------------------------------------

_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def _git(repo: Path, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", *args],
            cwd=repo,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **_GIT_ENV, **(env or {})},
        )
    except FileNotFoundError:
        raise SeriesError("git is not installed; install git to write a patch series") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise SeriesError(f"git {args[0]} failed: {said}")
    return done.stdout


def default_author() -> tuple[str, str]:
    """The user's git identity (``user.name``, ``user.email``), else a placeholder to replace before sending."""

    def get(key: str) -> str:
        try:
            done = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            return ""
        return done.stdout.strip()

    return get("user.name") or "liquid-audio contributor", get("user.email") or "contributor@example.com"


def _identity(author: tuple[str, str], date: str | None) -> dict[str, str]:
    env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
    env |= {"GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return env


def _write_tree(root: Path, files: Mapping[str, bytes | str]) -> None:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data)
        else:
            target.write_bytes(data)


def checkout(dest: Path, source: Path, release: str | None = None, *, ruff_config: bool = True) -> Path:
    """A git repository at ``dest`` holding the release as upstream lays it out (``src/liquid_audio``), one
    commit; with ``ruff_config``, a ``pyproject.toml`` holding upstream's ruff settings (the wheel ships none)."""
    files = read_package(Path(source))
    release = release or release_of(Path(source), files)
    dest.mkdir(parents=True)
    tree: dict[str, bytes | str] = {PREFIX + path: data for path, data in files.items()}
    if ruff_config:
        tree["pyproject.toml"] = UPSTREAM_RUFF
    _write_tree(dest, tree)
    _git(dest, "init", "--quiet")
    _git(dest, "add", "-A")
    _git(dest, "commit", "--quiet", "-m", f"liquid-audio {release}", env=_identity(("liquid-audio", "release@invalid"), None))
    return dest


def check_out(out: Path) -> None:
    """The series goes into a new or empty folder: refuse anything else before any work."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SeriesError(f"{out} is not a new or empty folder; pass a new folder for the series")


def write_series(
    out: Path,
    source: Path,
    release: str | None = None,
    *,
    author: tuple[str, str] | None = None,
    date: str | None = None,
) -> Series:
    """Write the series for the release in ``source`` (its ``liquid_audio`` folder or wheel) as ``git format-patch``
    files into ``out`` (a new or empty folder). ``author``: (name, email), default the user's git identity."""
    check_out(out)
    files = read_package(Path(source))
    release = release or release_of(Path(source), files)
    planned = commits(release, _texts(files, release), builder_text())
    if not planned:
        raise SeriesError(f"liquid-audio {release} needs none of the known fixes, so there is no series to write")
    identity = _identity(author or default_author(), date)
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-series-") as tmp:
        repo = checkout(Path(tmp) / "repo", Path(source), release, ruff_config=False)
        for commit in planned:
            _write_tree(repo, commit.files)
            _git(repo, "add", "-A")
            _git(repo, "commit", "--quiet", "--file", "-", env=identity, stdin=commit.message)
        staging = Path(tmp) / "patches"
        options = ("--quiet", "--zero-commit", "--no-signature", "--numbered", "-o", str(staging))
        _git(repo, "format-patch", *options, f"HEAD~{len(planned)}")
        patches = {out / patch.name: patch.read_bytes() for patch in sorted(staging.glob("*.patch"))}
    out.mkdir(parents=True, exist_ok=True)
    written = write_all(patches)  # all or none
    return Series(release, planned, written)


def installed_source(python: str) -> tuple[Path, str]:
    """Where to read the release that ``python`` imports, and which release it is: the installed folder
    when its files are the release's, else the release's wheel (cached, or downloaded with pip)."""
    from lfmdoctor.matrix.releases import fetch_wheel, pip_command, wheel_cache
    from lfmdoctor.patches import source as installed

    package_dir, version = installed.locate(python)
    plan = installed.plan(package_dir, version)
    if plan.state == installed.APPLICABLE and plan.patch is not None:
        return package_dir, plan.patch.release
    release = plan.patch.release if plan.patch else version
    if release not in RELEASES:
        raise SeriesError(
            f"the liquid_audio in {package_dir} is no known release ({plan.detail}); "
            f"pass --python with one of {', '.join(RELEASES)} installed"
        )
    return fetch_wheel(release, lambda: pip_command(python), wheel_cache()), release


# --- upstream's ruff (I/O) -------------------------------------------------------------------------------------


def upstream_ruff(cache: Path | None = None) -> Path:
    """The ruff upstream's lock pins, installed once with pip into the lfmdoctor cache; SeriesError if it cannot be."""
    from lfmdoctor.repro.fixture import cache_root

    target = (cache or cache_root()) / "tools" / f"ruff-{RUFF_VERSION}"
    exe = target / "bin" / ("ruff.exe" if os.name == "nt" else "ruff")
    if exe.is_file():
        return exe
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ruff-", dir=target.parent))
    try:
        argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target"]
        argv += [str(staging), f"ruff=={RUFF_VERSION}"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or not (staging / exe.relative_to(target)).is_file():
            said = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SeriesError(f"cannot install ruff {RUFF_VERSION} with pip: {said}")
        try:
            os.rename(staging, target)
        except OSError:
            if not exe.is_file():
                raise
    except subprocess.TimeoutExpired:
        raise SeriesError(f"installing ruff {RUFF_VERSION} with pip timed out") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return exe


def ruff_findings(ruff: Path, repo: Path, paths: Iterable[str]) -> list[str]:
    """What upstream's CI would report for ``paths`` of ``repo`` (``ruff check`` and ``ruff format --check`` with
    the repository's own settings); [] when both pass."""
    paths = [path for path in paths if path.endswith(".py")]
    if not paths:
        return []
    found = []
    for argv in (["check", "--no-cache", "--output-format", "concise"], ["format", "--check", "--no-cache"]):
        done = subprocess.run([str(ruff), *argv, *paths], cwd=repo, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            found += [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return found
