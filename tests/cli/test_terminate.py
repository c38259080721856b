"""SIGTERM in the middle of a command: no child of it keeps running, no temporary file or folder stays
(issue 21 item 9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find the children")


def tagged(tag: str, but: int) -> list[int]:
    """The processes whose environment holds ``tag`` (the command's descendants), ``but`` aside."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == but:
            continue
        try:
            if tag.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def a_child(tag: str, pid: int, tmp: Path) -> bool:
    return bool(tagged(tag, pid))


def a_temporary_repository(tag: str, pid: int, tmp: Path) -> bool:
    return any(tmp.rglob("lfmdoctor-series-*"))


def a_pip_download(tag: str, pid: int, tmp: Path) -> bool:
    """pip is resolving transformers 4.57 into the provision folder's scratch space."""
    return any((tmp.parent / "wheels" / "provision").glob(".provision-*/*")) and a_child(tag, pid, tmp)


PROVISION = ["matrix", "--versions", "1.1.0", "--provision", "--no-repro"]
CASES: dict[str, tuple[list[str], Callable[[str, int, Path], bool]]] = {
    "bench": (["bench", "--runs", "100000", "--no-baselines"], a_child),
    "repro": (["repro"], a_child),
    "patch series": (["patch", "series", "--out", "{tmp}/series"], a_temporary_repository),
    "matrix --provision": (PROVISION, a_pip_download),
}


@pytest.fixture
def own_cache(name, tmp_path) -> dict[str, str]:
    """matrix --provision gets a wheel cache of its own (so that pip must run), with the release wheels linked in."""
    if name != "matrix --provision":
        return {}
    from lfmdoctor.matrix.releases import wheel_cache

    own = tmp_path / "wheels"
    own.mkdir()
    for wheel in wheel_cache().glob("*.whl"):
        (own / wheel.name).symlink_to(wheel)
    return {"LFMDOCTOR_CACHE": str(tmp_path)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sigterm_ends_every_child_and_removes_every_temporary(name, tmp_path, tiny_checkpoint, own_cache):
    del tiny_checkpoint
    args, started = CASES[name]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tag = uuid.uuid4().hex
    command = subprocess.Popen(
        [sys.executable, "-m", "lfmdoctor", *(arg.replace("{tmp}", str(tmp_path)) for arg in args)],
        env=dict(os.environ, TMPDIR=str(tmp), OMP_NUM_THREADS="1", LFMDOCTOR_TEST_TAG=tag, **own_cache),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not started(tag, command.pid, tmp):
            assert command.poll() is None, command.communicate()[1]
            assert time.monotonic() < deadline, f"{name} never got to the point to stop it at"
            time.sleep(0.05)
        command.send_signal(signal.SIGTERM)
        stderr = command.communicate(timeout=60)[1]
    finally:
        command.kill()
    assert command.returncode == 128 + signal.SIGTERM, stderr
    time.sleep(0.5)
    assert tagged(tag, command.pid) == []
    assert list(tmp.iterdir()) == []
    assert not [path for path in (tmp_path / "wheels" / "provision").glob("*") if not path.name.endswith(".json")]
