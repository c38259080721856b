"""Regenerate the stored source patches (``patches/liquid-audio+<version>.patch``). Development tool.

For each released wheel: lay its ``liquid_audio`` out as ``src/liquid_audio`` in a temporary git
repository (upstream's layout), make every known bug's edits (``lfmdoctor.bugs``; each must match the release's text exactly
once), check that ruff at upstream's line length (127) formats the edited files as they are and finds
nothing new in them, and store ``git diff`` behind a short header naming the release and the sha256
of every original file (how ``lfmdoctor patch`` recognises a release without trusting its version
string). Needs git and ruff; the wheels come from ``lfmdoctor.matrix.releases``' cache.

``./dev generate`` (``lfmdoctor.generate``) writes them with the other generated files; ``--check`` compares.
When a release's patch changes, the sha256 of each file as the stored patch on disk wrote it joins
``patches/earlier.json``: an install an older lfmdoctor patched is then recognised (and updated or restored from
its backup) rather than read as a hand edit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lfmdoctor.bugs import BUGS
from lfmdoctor.bugs._spec import RELEASES, Edit
from lfmdoctor.patches.series.ruff import UPSTREAM_EXCLUDED
from lfmdoctor.patches.stored import EARLIER, PATCH_DIR, header, patch_name, read_earlier, read_patch
from lfmdoctor.patches.unidiff import PatchMismatch, apply

LINE_LENGTH = "127"
RUFF_RULES = "E,F,I,W,B,UP"


class GenerationError(Exception):
    pass


def edits_for(release: str) -> list[tuple[str, Edit]]:
    """(bug id, edit) for every known bug's edits that apply to ``release``, in registry order."""
    return [(bug.id, edit) for bug in BUGS for edit in bug.edits if edit.applies(release)]


def apply_edits(package: Path, release: str) -> dict[str, list[str]]:
    """Edit the files in place; return {path: [bug ids]}. Each edit must match exactly once."""
    touched: dict[str, list[str]] = {}
    for bug_id, edit in edits_for(release):
        path = package / edit.path
        text = path.read_text()
        count = text.count(edit.old)
        if count != edit.count:
            raise GenerationError(
                f"{release}: {bug_id} edit matches {count} times, not {edit.count}, in {edit.path}: {edit.old!r}"
            )
        path.write_text(text.replace(edit.old, edit.new))
        touched.setdefault(edit.path, [])
        if bug_id not in touched[edit.path]:
            touched[edit.path].append(bug_id)
    return touched


def _run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GenerationError(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def ruff_binary() -> str:
    """The ruff of this environment (the ``ruff`` package knows where its binary is), else the one on PATH."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return shutil.which("ruff") or "ruff"
    return str(find_ruff_bin())


def _ruff_findings(ruff: str, files: list[Path]) -> list[str]:
    done = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--line-length",
            LINE_LENGTH,
            "--select",
            RUFF_RULES,
            "--target-version",
            "py312",
            "--output-format",
            "concise",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # "path:line:col: CODE message" -> "CODE message" so that moved lines compare equal
    return sorted(line.split(": ", 1)[1] for line in done.stdout.splitlines() if ": " in line and line[0] != " ")


def check_style(ruff: str, originals: list[Path], edited: list[Path]) -> None:
    """The edited files are ruff-formatted at line length 127 and add no ruff finding."""
    if not edited:
        return  # with no paths, ruff would check the working directory
    done = subprocess.run(
        [
            ruff,
            "format",
            "--isolated",
            "--no-cache",
            "--line-length",
            LINE_LENGTH,
            "--check",
            *map(str, edited),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise GenerationError(f"ruff format would change the edited files: {done.stdout}{done.stderr}")
    before, after = _ruff_findings(ruff, originals), _ruff_findings(ruff, edited)
    new = [finding for finding in after if finding not in before]
    if new:
        raise GenerationError(f"the edits add ruff findings: {new}")


def _written(pristine: Path, patch_file: Path) -> dict[str, str]:
    """{package path: sha256 of the file as the stored patch now on disk writes it} (empty without one)."""
    if not patch_file.is_file():
        return {}
    written = {}
    for path, diff in read_patch(patch_file).diffs.items():
        try:
            text = apply((pristine / path).read_text(encoding="utf-8"), diff)
        except (PatchMismatch, OSError):
            continue
        written[path] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return written


def generate(release: str, wheel: Path, ruff: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(the patch text (header + git diff) for one release's wheel, {path: sha256 of the file it writes},
    {path: sha256 of the file the stored patch on disk writes})."""
    import zipfile

    with tempfile.TemporaryDirectory(prefix="lfmdoctor-sourcegen-") as tmp:
        repo = Path(tmp) / "repo"
        package = repo / "src" / "liquid_audio"
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("liquid_audio/")]
            archive.extractall(Path(tmp) / "wheel", members)
        shutil.copytree(Path(tmp) / "wheel" / "liquid_audio", package)
        pristine = Path(tmp) / "pristine"
        shutil.copytree(package, pristine)
        git = [
            "git",
            "-c",
            "user.name=lfmdoctor",
            "-c",
            "user.email=lfmdoctor@invalid",
            "-c",
            "core.autocrlf=false",
        ]
        _run([*git, "init", "--quiet"], repo)
        _run([*git, "add", "-A"], repo)
        _run([*git, "commit", "--quiet", "-m", f"liquid-audio {release}"], repo)
        touched = apply_edits(package, release)
        paths = sorted(touched)
        styled = [p for p in paths if not any(Path(p).is_relative_to(folder) for folder in UPSTREAM_EXCLUDED)]
        check_style(ruff, [pristine / p for p in styled], [package / p for p in styled])
        diff = _run([*git, "diff", "--no-color", "--no-ext-diff", "--full-index", "--", "src"], repo)
        originals = {p: hashlib.sha256((pristine / p).read_bytes()).hexdigest() for p in paths}
        bugs = {bug for p in paths for bug in touched[p]}
        fixes = [bug.id for bug in BUGS if bug.id in bugs]
        patched = {p: hashlib.sha256((package / p).read_bytes()).hexdigest() for p in paths}
        on_disk = _written(pristine, PATCH_DIR / patch_name(release))
    return header(release, fixes, originals) + diff, patched, on_disk


def _still_earlier(kept: dict[str, list[str]], on_disk: dict[str, str], patched: dict[str, str]) -> dict[str, list[str]]:
    """What earlier patches wrote to each file the new patch writes: ``kept`` and ``on_disk``, less ``patched``."""
    earlier = {}
    for path, sha in sorted(patched.items()):
        shas = {*kept.get(path, ()), *([on_disk[path]] if path in on_disk else [])} - {sha}
        if shas:
            earlier[path] = sorted(shas)
    return earlier


def stored_diffs() -> dict[Path, str]:
    """{stored patch file: the text it must hold} for every release, from the bugs' edits (fetches wheels once)."""
    from lfmdoctor.matrix.releases import fetch_wheel, pip_command, wheel_cache

    ruff = ruff_binary()
    texts = {}
    earlier = read_earlier()
    for release in RELEASES:
        wheel = fetch_wheel(release, lambda: pip_command(sys.executable), wheel_cache())
        texts[PATCH_DIR / patch_name(release)], patched, on_disk = generate(release, wheel, ruff)
        earlier[release] = _still_earlier(earlier.get(release, {}), on_disk, patched)
    texts[EARLIER] = json.dumps({r: earlier[r] for r in RELEASES if earlier.get(r)}, indent=1, sort_keys=True) + "\n"
    return texts
