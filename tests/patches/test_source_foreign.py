"""``patch apply|revert`` on set-ups where the files are not only ours: links into a shared cache (uv), a linked
package folder, an editable install or a git checkout (issue 21 items 3, 5, 6)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lfmdoctor.patches import source

from ..cli.conftest import error_line
from .conftest import copy_package, tree

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX symbolic links")


@pytest.fixture
def linked_files(release_package, tmp_path) -> tuple[Path, Path]:
    """(package, shared cache): an environment made by uv with link-mode=symlink, every file a link into the
    cache that other environments share."""
    cache = Path(shutil.copytree(release_package("1.3.0"), tmp_path / "uv-cache" / "liquid_audio"))
    package = tmp_path / "env" / "liquid_audio"
    for file in sorted(cache.rglob("*")):
        target = package / file.relative_to(cache)
        if file.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(file)
    return package, cache


def test_apply_and_revert_replace_links_never_their_targets(linked_files, own_cache):
    package, cache = linked_files
    shared = tree(cache)
    applied = source.apply_plan(source.plan(package))
    assert applied.outcome == "applied"
    assert tree(cache) == shared  # every other environment that shares the files is untouched
    assert not (package / "processor.py").is_symlink() and source.plan(package).state == source.APPLIED
    assert "replaced the link" in applied.detail and str(cache) in applied.detail
    reverted = source.revert_plan(source.plan(package))
    assert reverted.outcome == "reverted" and source.plan(package).state == source.APPLICABLE
    assert tree(cache) == shared


def _env(root: Path, tmp_path: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(root), "LFMDOCTOR_CACHE": str(tmp_path / "cache")}


def test_a_linked_package_folder_is_never_replaced_by_a_copy(cli, release_package, tmp_path):
    """Item 5: site-packages/liquid_audio is a link to a folder elsewhere."""
    real = copy_package(release_package("1.3.0"), tmp_path / "elsewhere")
    link = tmp_path / "site-packages" / "liquid_audio"
    link.parent.mkdir()
    link.symlink_to(real)
    before = tree(real)
    words = error_line(cli("patch", "apply", "--yes", env=_env(link.parent, tmp_path)))
    assert f"{link} is a link to {real}" in words and "--force" in words
    assert link.is_symlink() and tree(real) == before
    forced = cli("patch", "apply", "--yes", "--force", env=_env(link.parent, tmp_path))
    assert forced.returncode == 0, forced.stderr
    assert link.is_symlink() and link.resolve() == real and source.plan(real).state == source.APPLIED
    assert sorted(p.name for p in link.parent.iterdir()) == ["liquid_audio"]  # no copy, no leftover
    assert cli("patch", "revert", "--yes", "--force", env=_env(link.parent, tmp_path)).returncode == 0
    assert link.is_symlink() and tree(real) == before


@pytest.mark.parametrize("kind", ["git checkout", "editable install"])
def test_a_working_tree_is_refused_unless_forced(cli, release_package, tmp_path, kind):
    """Item 6: liquid-audio from someone's working tree (a git checkout, a `pip install -e` project)."""
    import subprocess

    checkout = tmp_path / "liquid-audio"
    package = copy_package(release_package("1.3.0"), checkout)
    if kind == "git checkout":
        subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    else:
        (checkout / "pyproject.toml").write_text('[project]\nname = "liquid-audio"\n')
    before = tree(package)
    words = error_line(cli("patch", "apply", "--yes", env=_env(checkout, tmp_path)))
    assert f"{package} is in {checkout}" in words and kind.split()[0] in words and "--force" in words
    assert tree(package) == before
    assert cli("patch", "apply", "--yes", "--force", env=_env(checkout, tmp_path)).returncode == 0
    assert source.plan(package).state == source.APPLIED


def test_check_says_where_liquid_audio_comes_from(release_package, tmp_path):
    import subprocess
    from types import SimpleNamespace

    from lfmdoctor.diagnose.check import liquid_audio_item
    from lfmdoctor.results import LiquidAudioFacts

    checkout = tmp_path / "liquid-audio"
    package = copy_package(release_package("1.3.0"), checkout)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    facts = LiquidAudioFacts(version="1.3.0", location=str(package), shadowed=True)
    item = liquid_audio_item(SimpleNamespace(liquid_audio=facts))
    assert item.status.name == "WARNING" and "git checkout" in item.summary
    assert any("shadows the installed distribution" in m for m in item.messages)
