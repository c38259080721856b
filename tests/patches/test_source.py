"""lfmdoctor patch apply|revert|status|diff on copies of real liquid-audio releases."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lfmdoctor.patches import source
from lfmdoctor.patches.stored import patch_for

from .conftest import RELEASES, copy_package, tree


@pytest.fixture
def latest(release_package, tmp_path) -> Path:
    return copy_package(release_package("1.3.0"), tmp_path / "overlay")


@pytest.mark.parametrize("release", RELEASES)
def test_apply_then_revert_leaves_every_file_byte_identical(release_package, release, tmp_path, own_cache):
    package = copy_package(release_package(release), tmp_path / "overlay")
    (package / "processor.py").chmod(0o640)  # an unusual mode survives too
    before = tree(package)
    applied = source.apply_plan(source.plan(package))
    assert applied.outcome == "applied"
    assert applied.present == []
    assert {f.state for f in applied.files} == {"patched"}
    assert tree(package) != before
    reverted = source.revert_plan(source.plan(package))
    assert reverted.outcome == "reverted"
    assert tree(package) == before


def test_release_is_recognised_by_content_not_version(release_package, tmp_path):
    package = copy_package(release_package("1.1.0"), tmp_path / "overlay")
    found = source.plan(package, version="1.3.0")  # metadata claiming another release changes nothing
    assert found.state == source.APPLICABLE
    assert found.patch.release == "1.1.0"
    twins = source.plan(copy_package(release_package("1.0.0"), tmp_path / "other"), version=None)
    assert "0.0.0a1 / 1.0.0" in twins.detail


def test_second_apply_says_already_applied(latest, own_cache):
    source.apply_plan(source.plan(latest))
    snapshot = tree(latest)
    again = source.plan(latest)
    assert again.state == source.APPLIED
    assert source.apply_plan(again).outcome == "already applied"
    assert tree(latest) == snapshot


def test_apply_on_a_modified_file_is_a_conflict_and_writes_nothing(latest, own_cache):
    utils = latest / "utils.py"
    utils.write_text(utils.read_text() + "# a local edit\n")
    snapshot = tree(latest)
    found = source.plan(latest)
    assert found.state == source.CONFLICT
    result = source.apply_plan(found)
    assert result.outcome == "conflict" and result.exit_code == 1
    assert "utils.py (differs)" in result.detail
    assert tree(latest) == snapshot
    assert not (own_cache / "backups").exists()  # not even a backup


def test_code_fixed_another_way_is_not_needed(release_package, tmp_path, own_cache):
    package = copy_package(release_package("1.3.0"), tmp_path / "overlay")
    source.apply_plan(source.plan(package), backup=False)  # the same fix, but not lfmdoctor's doing here
    processor = package / "processor.py"
    processor.write_text(processor.read_text() + "\n# fixed upstream, formatted differently\n")
    found = source.plan(package)
    assert found.state == source.NOT_NEEDED
    assert source.apply_plan(found).outcome == "not needed"
    assert source.revert_plan(found).outcome == "not applied"


def test_a_partly_applied_copy_is_completed(latest, own_cache):
    patch = patch_for("1.3.0")
    full = source.plan(latest)
    only_utils = {"utils.py": full.current["utils.py"]}
    from lfmdoctor.patches.unidiff import apply

    (latest / "utils.py").write_text(apply(only_utils["utils.py"].decode(), patch.diffs["utils.py"]))
    partial = source.plan(latest)
    assert partial.state == source.PARTIAL
    assert source.apply_plan(partial).outcome == "applied"
    assert source.plan(latest).state == source.APPLIED


def test_revert_without_a_backup_undoes_the_diff(latest, own_cache):
    import shutil

    before = tree(latest)
    source.apply_plan(source.plan(latest))
    shutil.rmtree(own_cache / "backups")
    source.revert_plan(source.plan(latest))
    assert tree(latest) == before


def test_a_failed_write_changes_nothing_and_leaves_nothing(latest, own_cache, monkeypatch):
    before = tree(latest)
    third = sorted(source.plan(latest).patch.paths)[2]

    def full_disk_at_third(step):
        if step == f"wrote {third}":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(source, "STEP_HOOK", full_disk_at_third)
    with pytest.raises(source.SourcePatchError, match="nothing was changed"):
        source.apply_plan(source.plan(latest))
    assert tree(latest) == before
    assert source.leftovers(latest) == []
    assert sorted(p.name for p in latest.parent.iterdir()) == ["liquid_audio"]


def test_read_only_file_or_folder_is_refused_before_writing(latest, own_cache):
    (latest / "processor.py").chmod(0o444)
    with pytest.raises(source.NotWritable, match=r"processor\.py is read-only"):
        source.apply_plan(source.plan(latest))
    (latest / "processor.py").chmod(0o644)
    (latest / "model").chmod(0o555)
    try:
        with pytest.raises(source.NotWritable, match=r"folder .*model is read-only"):
            source.apply_plan(source.plan(latest))
    finally:
        (latest / "model").chmod(0o755)
    assert source.plan(latest).state == source.APPLICABLE


# --- the CLI, on a copy laid over this interpreter with PYTHONPATH -----------------------------------


@pytest.fixture
def on_path(latest, tmp_path):
    return {"PYTHONPATH": str(latest.parent), "LFMDOCTOR_CACHE": str(tmp_path / "cache")}


def test_cli_status_apply_revert(cli, latest, on_path):
    before = tree(latest)
    status = cli("patch", "status", "--json", env=on_path)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["outcome"] == "not applied" and data["release"] == "1.3.0"
    assert data["package_dir"] == str(latest)
    assert set(data["present"]) >= {"processor-device", "audio-format"}

    dry = cli("patch", "apply", "--dry-run", "--json", env=on_path)
    assert json.loads(dry.stdout)["outcome"] == "dry run" and tree(latest) == before

    applied = cli("patch", "apply", "--json", env=on_path)  # stdin is not a terminal: no prompt
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["outcome"] == "applied"
    again = cli("patch", "apply", env=on_path)
    assert again.returncode == 0 and "already applied" in again.stdout

    reverted = cli("patch", "revert", "--yes", "--json", env=on_path)
    assert json.loads(reverted.stdout)["outcome"] == "reverted"
    assert tree(latest) == before


def test_cli_conflict_exits_1(cli, latest, on_path):
    (latest / "processor.py").write_text((latest / "processor.py").read_text().replace("cuda", "CUDA", 1))
    done = cli("patch", "apply", env=on_path)
    assert done.returncode == 1
    assert "conflict" in done.stdout and "nothing written" in " ".join(done.stdout.split())


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_cli_read_only_target_is_one_line_exit_2(cli, latest, on_path):
    before = tree(latest)
    for path in [latest / "processor.py", latest]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        done = cli("patch", "apply", "--yes", env=on_path)
    finally:
        latest.chmod(0o755)
        (latest / "processor.py").chmod(0o644)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert tree(latest) == before


def test_cli_diff_prints_the_stored_patch(cli, on_path):
    done = cli("patch", "diff", env=on_path)
    assert done.returncode == 0
    assert done.stdout == patch_for("1.3.0").text
    named = cli("patch", "diff", "--release", "1.1.0", env=on_path)
    assert named.stdout == patch_for("1.1.0").text
    unknown = cli("patch", "diff", "--release", "9.9.9", env=on_path)
    assert unknown.returncode == 2 and "stored: 0.0.0a1" in unknown.stderr


def test_cli_without_liquid_audio_is_one_line_exit_2(cli, tmp_path):
    bare = tmp_path / "venv"
    import venv

    venv.EnvBuilder(with_pip=False).create(bare)  # an interpreter with no liquid-audio
    done = cli("patch", "status", "--python", str(bare / "bin" / "python"), env={"PYTHONPATH": ""})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot import liquid_audio" in lines[0], done.stderr


def test_after_an_upgrade_the_advice_never_names_the_old_release(latest, own_cache):
    """Issue 21 item 11: 1.3.0 patched here, then pip installed a newer release lfmdoctor has no patch for."""
    source.apply_plan(source.plan(latest))
    for name in ("processor.py", "utils.py"):  # the new release's files: neither 1.3.0's nor patched ones
        path = latest / name
        path.write_text(path.read_text() + "\n# liquid-audio 1.4.0\n")
    found = source.plan(latest, version="1.4.0")
    assert "1.3.0" not in found.detail.split("installed files differ")[0]
    assert "--force-reinstall liquid-audio==1.3.0" not in found.detail
    assert "changed after lfmdoctor patched" not in found.detail
