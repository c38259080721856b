"""The stored source patches against the released wheels: they apply, fix, format and regenerate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.patches.series.ruff import UPSTREAM_EXCLUDED
from lfmdoctor.patches.sourcegen import check_style, ruff_binary
from lfmdoctor.patches.stored import PATCH_DIR, patch_for, sha256, stored_patches
from lfmdoctor.patches.unidiff import apply

from .conftest import RELEASES

GIT = shutil.which("git")
RUFF = ruff_binary()


def upstream_checkout(package: Path, root: Path) -> Path:
    """The release's files laid out as the upstream repository has them."""
    shutil.copytree(package, root / "src" / "liquid_audio")
    return root


def patched_package(release: str, package: Path, root: Path) -> Path:
    patch = patch_for(release)
    target = Path(shutil.copytree(package, root / "liquid_audio"))
    for path, diff in patch.diffs.items():
        (target / path).write_text(apply((package / path).read_text(), diff))
    return target


def test_one_patch_per_release_named_like_patch_package():
    assert sorted(p.name for p in stored_patches()) == sorted(f"liquid-audio+{r}.patch" for r in RELEASES)
    assert sorted(p.name for p in PATCH_DIR.glob("*.patch")) == sorted(p.name for p in stored_patches())


@pytest.mark.parametrize("release", RELEASES)
def test_header_records_the_release_files(release_package, release):
    package = release_package(release)
    patch = patch_for(release)
    assert patch.originals == {path: sha256((package / path).read_bytes()) for path in patch.paths}


@pytest.mark.skipif(GIT is None, reason="git is not installed")
@pytest.mark.parametrize("release", RELEASES)
def test_git_apply_on_the_release_laid_out_as_upstream(release_package, release, tmp_path):
    package = release_package(release)
    checkout = upstream_checkout(package, tmp_path)
    patch_file = PATCH_DIR / patch_for(release).name
    check = subprocess.run(
        [GIT, "apply", "--check", str(patch_file)], cwd=checkout, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    subprocess.run([GIT, "apply", str(patch_file)], cwd=checkout, check=True)
    ours = patched_package(release, package, tmp_path / "ours")
    for path in patch_for(release).paths:  # the pure-Python applier gives what git gives
        assert (ours / path).read_bytes() == (checkout / "src" / "liquid_audio" / path).read_bytes(), path


@pytest.mark.parametrize("release", RELEASES)
def test_patched_release_has_none_of_the_known_bugs(release_package, release, tmp_path):
    package = release_package(release)
    before = {f.id for f in detect_all(package) if f.present}
    findings = detect_all(patched_package(release, package, tmp_path))
    assert {f.id: f.present for f in findings} == dict.fromkeys(BUG_IDS, False), [
        (f.id, f.detail) for f in findings if f.present is not False
    ]
    assert set(patch_for(release).fixes) == before  # the header names exactly what it fixes


@pytest.mark.parametrize("release", RELEASES)
def test_patched_files_are_ruff_formatted_at_upstream_line_length(release_package, release, tmp_path):
    """As the stored patch writes them: formatted at line length 127, and no ruff finding the release's own files
    do not have (the upstream code keeps its own, such as the demo's root-logger calls)."""
    original = release_package(release)
    patched = patched_package(release, original, tmp_path)
    paths = [path for path in patch_for(release).paths if not path.startswith(UPSTREAM_EXCLUDED)]
    check_style(RUFF, [original / path for path in paths], [patched / path for path in paths])


def _changes(body: str) -> list[str]:
    """A diff's changed lines, without the index and line numbers that differ where only context moved."""
    return [line for line in body.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_identical_releases_share_one_patch_body():
    bodies = {p.release: p.text.split("\ndiff --git", 1)[1] for p in stored_patches()}
    assert bodies["0.0.0a1"] == bodies["1.0.0"]
    # 1.3.0 changed data/mapper.py around the lines the fixes touch (soundfile, interleaving sizes): the same changes
    assert _changes(bodies["1.2.0"]) == _changes(bodies["1.3.0"])
    assert bodies["1.1.0"] != bodies["1.3.0"]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_stored_patches_regenerate_from_the_edit_definitions(release_package):
    for release in RELEASES:
        release_package(release)  # skips when a wheel cannot be had
    from lfmdoctor.files import out_of_date
    from lfmdoctor.patches.sourcegen import stored_diffs

    stale = [path.name for path in out_of_date(stored_diffs())]
    assert stale == [], f"stale: {stale}; run ./dev generate"
