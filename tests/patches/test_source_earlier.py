"""An install an older lfmdoctor patched (its stored patch has changed since): recognised as lfmdoctor's own,
brought up to date by apply and restored by revert, never read as a hand edit (issue 21)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lfmdoctor.patches import source
from lfmdoctor.patches.stored import PATCH_DIR, patch_name, read_patch
from lfmdoctor.patches.unidiff import apply

from .conftest import copy_package, tree

RELEASE = "1.3.0"
ROOT = Path(__file__).resolve().parents[2]


def earlier_patch_text() -> str:
    """The oldest 1.3.0 patch this checkout's history holds whose files differ from today's."""
    name = f"patches/{patch_name(RELEASE)}"
    log = subprocess.run(["git", "log", "--format=%H", "--", name], cwd=ROOT, capture_output=True, text=True)
    if log.returncode != 0:
        pytest.skip("needs the git history of the stored patches (a clone of lfmdoctor)")
    today = (PATCH_DIR / patch_name(RELEASE)).read_text()
    for commit in reversed(log.stdout.split()):
        text = subprocess.run(["git", "show", f"{commit}:{name}"], cwd=ROOT, capture_output=True, text=True).stdout
        if text and text != today:
            return text
    pytest.skip("the history holds no earlier 1.3.0 patch")


def patched_by_an_older_lfmdoctor(package: Path, tmp_path: Path, keep_backup: bool = True) -> list[str]:
    """Write ``package``'s files as the earlier patch did (keeping the release's files as apply did then)."""
    (tmp_path / "old.patch").write_text(earlier_patch_text())
    old = read_patch(tmp_path / "old.patch")
    for path, diff in old.diffs.items():
        file = package / path
        if keep_backup:
            source._keep_backup(file, file.read_bytes())
        file.write_text(apply(file.read_text(encoding="utf-8"), diff), encoding="utf-8")
    return sorted(old.diffs)


def test_an_older_patch_is_brought_up_to_date_and_reverts(release_package, tmp_path, own_cache):
    release = copy_package(release_package(RELEASE), tmp_path / "release")
    fresh = copy_package(release_package(RELEASE), tmp_path / "fresh")
    source.apply_plan(source.plan(fresh))
    package = copy_package(release_package(RELEASE), tmp_path / "overlay")
    patched_by_an_older_lfmdoctor(package, tmp_path)

    found = source.plan(package)
    assert found.state == source.PARTIAL, found.detail
    assert source.EARLIER in {f.state for f in found.files}
    assert "an earlier lfmdoctor's patch" in found.detail and "patch apply" in found.detail
    assert source.status(found).outcome == "partly applied"

    applied = source.apply_plan(found)
    assert applied.outcome == "applied" and applied.present == []
    assert tree(package) == tree(fresh)
    reverted = source.revert_plan(source.plan(package))
    assert reverted.outcome == "reverted" and tree(package) == tree(release)


def test_an_older_patch_reverts_to_the_release(release_package, tmp_path, own_cache):
    release = copy_package(release_package(RELEASE), tmp_path / "release")
    package = copy_package(release_package(RELEASE), tmp_path / "overlay")
    patched_by_an_older_lfmdoctor(package, tmp_path)
    preview, writes = source.preview(source.plan(package), "revert")
    assert writes and "would restore" in preview.detail
    assert source.revert_plan(source.plan(package)).outcome == "reverted"
    assert tree(package) == tree(release)


def test_an_older_patch_without_its_backup_says_how_to_start_again(release_package, tmp_path, own_cache):
    package = copy_package(release_package(RELEASE), tmp_path / "overlay")
    patched_by_an_older_lfmdoctor(package, tmp_path, keep_backup=False)
    before = tree(package)
    found = source.plan(package)
    assert found.state == source.CONFLICT
    assert "backup of the release's files is gone" in found.detail
    assert f"pip install --force-reinstall liquid-audio=={RELEASE}" in found.detail
    assert source.apply_plan(found).outcome == source.CONFLICT and tree(package) == before


def test_generate_keeps_what_each_earlier_patch_wrote():
    """``./dev generate``'s rule: a changed patch's old result joins the record; an unchanged one is a fixed point;
    a result that is today's again leaves it."""
    from lfmdoctor.patches.sourcegen import _still_earlier

    changed = _still_earlier({"a.py": ["1"]}, on_disk={"a.py": "2"}, patched={"a.py": "3"})
    assert changed == {"a.py": ["1", "2"]}
    assert _still_earlier(changed, on_disk={"a.py": "3"}, patched={"a.py": "3"}) == changed
    assert _still_earlier(changed, on_disk={"a.py": "3"}, patched={"a.py": "2"}) == {"a.py": ["1", "3"]}
