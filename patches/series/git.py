"""The series as ``git format-patch`` files (I/O, with git): ``checkout`` lays a release out as upstream's
repository does, ``write_series`` commits the series on it and writes the patches."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor.files import write_all
from lfmdoctor.patches.series.build import Commit, commits
from lfmdoctor.patches.series.edits import PREFIX, SeriesError
from lfmdoctor.patches.series.regression_tests import builder_text
from lfmdoctor.patches.series.release import package_texts, read_package, release_of
from lfmdoctor.patches.series.ruff import UPSTREAM_RUFF


@dataclass(frozen=True)
class Series:
    """What ``write_series`` wrote: the release, the commits in order and the patch files."""

    release: str
    commits: list[Commit]
    patches: list[Path] = field(default_factory=list)


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


PLACEHOLDER_AUTHOR = ("liquid-audio contributor", "contributor@example.com")


def git_identity() -> tuple[str, str] | None:
    """The user's git identity (``user.name``, ``user.email``), or None where either is not set."""

    def get(key: str) -> str:
        try:
            done = subprocess.run(["git", "config", "--get", key], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            return ""
        return done.stdout.strip()

    name, email = get("user.name"), get("user.email")
    return (name, email) if name and email else None


def default_author() -> tuple[str, str]:
    """The user's git identity, else a placeholder git accepts (the run's summary says how to set one)."""
    return git_identity() or PLACEHOLDER_AUTHOR


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
    planned = commits(release, package_texts(files, release), builder_text())
    if not planned:
        raise SeriesError(f"liquid-audio {release} needs none of the known fixes, so there is no series to write")
    identity = _identity(author or default_author(), date)
    with tempfile.TemporaryDirectory(prefix="lfmdoctor-series-") as tmp:
        repo = checkout(Path(tmp) / "repo", Path(source), release, ruff_config=False)
        staging = Path(tmp) / "patches"
        base = None
        for number, commit in enumerate(planned, 1):
            if base is not None:  # every fix goes on the harness alone, never on another fix
                _git(repo, "checkout", "--quiet", "--detach", base)
            _write_tree(repo, commit.files)
            _git(repo, "add", "-A")
            _git(repo, "commit", "--quiet", "--file", "-", env=identity, stdin=commit.message)
            base = base or _git(repo, "rev-parse", "HEAD").strip()
            # one line of context: each patch applies alone after the harness, and all of them in order
            options = ("--quiet", "--zero-commit", "--no-signature", "-U1", "--start-number", str(number))
            _git(repo, "format-patch", *options, "-o", str(staging), "-1", "HEAD")
        patches = {out / patch.name: patch.read_bytes() for patch in sorted(staging.glob("*.patch"))}
    out.mkdir(parents=True, exist_ok=True)
    written = write_all(patches)  # all or none
    return Series(release, planned, written)
