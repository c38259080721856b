"""``patch apply|revert`` under faults: killed at every step, leftovers of a kill, a hand edit after a patch."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lfmdoctor.patches import source

from .conftest import copy_package, tree

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and renames")

KILL_AT_STEP = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from lfmdoctor.patches import source

    action, package, when = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

    def hook(step):
        if step == when:
            os.kill(os.getpid(), signal.SIGKILL)

    source.STEP_HOOK = hook
    plan = source.plan(package)
    source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
    """
)

# Checks each line of roots it reads (JSON) in a child forked from an interpreter that has already imported what
# liquid_audio imports first (torch, transformers' modelling code): for each root, liquid_audio and its main modules
# import from that root. Prints each check's failures, {root: error}, as one JSON line.
IMPORTER = textwrap.dedent(
    """
    import importlib, json, os, sys
    import torch, transformers.modeling_utils

    def import_each(roots):
        failures = {}
        for root in roots:
            sys.path.insert(0, root)
            try:
                for name in ("liquid_audio", "liquid_audio.utils", "liquid_audio.processor", "liquid_audio.model.lfm2_audio"):
                    importlib.import_module(name)
                assert sys.modules["liquid_audio"].__file__.startswith(root), sys.modules["liquid_audio"].__file__
            except BaseException as exc:
                failures[root] = f"{type(exc).__name__}: {exc}"
            sys.path.remove(root)
            for name in [n for n in sys.modules if n == "liquid_audio" or n.startswith("liquid_audio.")]:
                del sys.modules[name]
        return failures

    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                print(json.dumps(import_each(json.loads(line))), flush=True)
            except BaseException as exc:
                print(json.dumps({"the check": repr(exc)}), flush=True)
            finally:
                os._exit(0)
        if os.waitpid(pid, 0)[1]:
            print(json.dumps({"the check": "its process was killed"}), flush=True)
    """
)


@pytest.fixture(scope="module")
def import_failures():
    """``import_failures(roots)``: {root: error} for the package folders under ``roots`` that do not import."""
    child = subprocess.Popen([sys.executable, "-c", IMPORTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def check(roots: list[str]) -> dict[str, str]:
        child.stdin.write(json.dumps(roots) + "\n")
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], 300)
        line = child.stdout.readline() if ready else ""
        assert line, f"the importer gave no answer (exit code {child.poll()})"
        return json.loads(line)

    yield check
    child.stdin.close()
    child.wait(timeout=60)


def _steps(package: Path, action: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The steps one uninterrupted ``action`` goes through (recorded on a throwaway copy)."""
    seen: list[str] = []
    monkeypatch.setattr(source, "STEP_HOOK", seen.append)
    plan = source.plan(package)
    source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
    monkeypatch.setattr(source, "STEP_HOOK", None)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("action", ["apply", "revert"])
def test_a_kill_at_any_step_leaves_one_whole_importable_package(
    action, release_package, tmp_path, own_cache, monkeypatch, import_failures
):
    original = copy_package(release_package("1.3.0"), tmp_path / "original")
    patched = copy_package(original, tmp_path / "patched")
    source.apply_plan(source.plan(patched), backup=False)
    wanted = {"apply": tree(patched), "revert": tree(original)}[action]
    start = original if action == "apply" else patched
    steps = _steps(copy_package(start, tmp_path / "record"), action, monkeypatch)
    assert steps[0] == "copied" and steps[-1] == "cleaned"
    from lfmdoctor.patches.stored import patch_for

    files = len(patch_for("1.3.0").diffs)
    assert sum(step.startswith("wrote ") for step in steps) == files  # one write per file of the patch

    roots = []
    for number, step in enumerate(steps):
        package = copy_package(start, tmp_path / f"kill-{number}")
        done = subprocess.run(
            [sys.executable, "-c", KILL_AT_STEP, action, str(package), step],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LFMDOCTOR_CACHE": str(own_cache)},
        )
        assert done.returncode == -signal.SIGKILL, (step, done.stderr)
        now = source.plan(package)
        assert now.state in (source.APPLICABLE, source.APPLIED), (step, now.state, now.detail)  # never a mix
        exchanged = steps.index("exchanged") <= number
        assert tree(package) == (wanted if exchanged else tree(start)), step
        source.recover(package)
        assert sorted(p.name for p in package.parent.iterdir()) == ["liquid_audio"], step
        assert source.leftovers(package) == []
        roots.append(str(package.parent))

    assert import_failures(roots) == {}


def test_leftovers_of_a_killed_write_are_found_and_removed(cli, release_package, tmp_path, dead_pid):
    package = copy_package(release_package("1.3.0"), tmp_path / "overlay")
    before = tree(package)
    temp_file = package / "model" / ".lfm2_audio.py.x1y2z3.lfmdoctor-tmp"
    temp_file.write_text("half a file")
    temp_file.chmod(0o600)
    staging = package.parent / f".liquid_audio.{dead_pid}.abcd{source.TEMP_SUFFIX}"
    copy_package(package, staging.parent / "tmp-copy").rename(staging)
    (staging.parent / "tmp-copy").rmdir()
    alive = package.parent / f".liquid_audio.{os.getpid()}.abcd{source.TEMP_SUFFIX}"  # a write under way
    alive.mkdir()
    assert set(source.leftovers(package)) == {temp_file, staging}

    done = cli("patch", "status", env={"PYTHONPATH": str(package.parent), "LFMDOCTOR_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert "leftover" in done.stderr and str(temp_file) in " ".join(done.stderr.split())
    assert not temp_file.exists() and not staging.exists()
    assert alive.is_dir()
    assert tree(package) == before


def test_a_hand_edit_after_a_patch_is_a_conflict(cli, release_package, tmp_path):
    package = copy_package(release_package("1.3.0"), tmp_path / "overlay")
    env = {"PYTHONPATH": str(package.parent), "LFMDOCTOR_CACHE": str(tmp_path / "cache")}
    assert cli("patch", "apply", "--yes", env=env).returncode == 0
    utils = package / "utils.py"
    utils.write_text(utils.read_text() + "LOCAL = 1\n")
    edited = tree(package)

    for action in ("status", "apply", "revert"):
        done = cli("patch", action, "--json", *(["--yes"] if action != "status" else []), env=env)
        assert done.returncode == 1, (action, done.stdout, done.stderr)
        data = json.loads(done.stdout)
        assert data["outcome"] == "conflict", action
        assert "utils.py was changed after lfmdoctor patched" in data["detail"]
        assert tree(package) == edited


@pytest.mark.parametrize("swap", ["atomic exchange", "no exchange"])
@pytest.mark.parametrize("action", ["apply", "revert"])
def test_an_importer_never_misses_the_package(
    action, swap, release_package, tmp_path, own_cache, monkeypatch, import_failures
):
    """Issue 21 item 10: ``revert`` while another process imports liquid_audio made that import fail. With the
    atomic exchange (Linux renameat2, macOS renamex_np) and on a file system without it (NFS, some overlayfs):
    what an importer finds after each step of the write must import."""
    import errno
    import shutil

    package = copy_package(release_package("1.3.0"), tmp_path / "live")
    if action == "revert":
        source.apply_plan(source.plan(package))

    def no_exchange(a, b):
        raise OSError(errno.ENOTSUP, "not supported here")

    seen: list[str] = []

    def observed(real):
        def step(a, b, *args, **kwargs):
            real(a, b, *args, **kwargs)
            snapshot = tmp_path / f"seen-{len(seen)}"
            snapshot.mkdir()
            if package.is_dir():
                shutil.copytree(package, snapshot / "liquid_audio", ignore=shutil.ignore_patterns("__pycache__"))
            seen.append(str(snapshot))

        return step

    exchanged: list[str] = []

    def atomic(a, b):
        observed(source_exchange)(a, b)
        exchanged.append(str(b))

    source_exchange = source.exchange
    monkeypatch.setattr(source, "exchange", no_exchange if swap == "no exchange" else atomic)
    monkeypatch.setattr(os, "rename", observed(os.rename))
    monkeypatch.setattr(os, "replace", observed(os.replace))
    plan = source.plan(package)
    result = source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
    monkeypatch.undo()
    assert result.outcome in ("applied", "reverted")
    assert seen, "the write made no step to observe"
    if swap == "atomic exchange" and not exchanged:
        pytest.skip("this file system has no atomic exchange of two folders")
    assert import_failures(seen) == {}


@pytest.fixture
def chattr():
    """``chattr(path, "+i")``; every flag set is cleared after the test. Skips where chattr cannot set it."""
    import shutil

    done: list[tuple[Path, str]] = []

    def set_flag(path: Path, flag: str) -> None:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not installed here")
        result = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"chattr {flag} is not supported here: {result.stderr.strip()}")
        done.append((path, flag.replace("+", "-")))

    yield set_flag
    for path, flag in done:
        subprocess.run(["chattr", flag, str(path)], capture_output=True)


@pytest.mark.parametrize("flag", ["+i", "+a"])
@pytest.mark.parametrize("action", ["apply", "revert"])
def test_an_immutable_or_append_only_file_stops_the_write(action, flag, chattr, release_package, tmp_path, own_cache):
    """Issue 21 item 7: ``chattr +i``/``+a`` on a file the patch does not change (``__init__.py``)."""
    package = copy_package(release_package("1.3.0"), tmp_path / "overlay")
    if action == "revert":
        source.apply_plan(source.plan(package))
    chattr(package / "__init__.py", flag)
    before = tree(package)
    plan = source.plan(package)
    with pytest.raises(source.NotWritable, match=rf"__init__\.py is .*\(chattr \{flag}\)"):
        source.apply_plan(plan) if action == "apply" else source.revert_plan(plan)
    assert tree(package) == before
    assert sorted(p.name for p in package.parent.iterdir()) == ["liquid_audio"]  # no hidden folder left
