"""``patch apply|revert`` on set-ups where the files are not only ours: links into a shared cache (uv), a linked
package folder, an editable install or a git checkout (issue 21 items 3, 5, 6)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lfmdoctor.patches import source

from .conftest import tree

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
