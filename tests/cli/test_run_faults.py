"""``lfmdoctor run`` under faults: signals, stale temporary folders, full disks, user files,
and a target where nothing runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from .conftest import error_line

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """An interpreter with no torch and no liquid-audio: every reproduction is an error there."""
    root = tmp_path_factory.mktemp("bare") / "venv"
    venv.EnvBuilder(with_pip=False).create(root)
    return str(root / "bin" / "python")


def _temp_siblings(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def test_repro_where_no_case_can_run_exits_2(cli, bare_python):
    done = cli("repro", "--python", bare_python, env={"PYTHONPATH": ""})
    assert done.returncode == 2, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("lfmdoctor: error: no case could run") and "lfmdoctor check" in last


def test_run_where_nothing_runs_fails_the_step_and_writes_no_report(cli, bare_python, tmp_path, dead_pid):
    stale = tmp_path / f".out.{dead_pid}.abcd.lfmdoctor-tmp"  # what a killed run left
    stale.mkdir()
    (stale / "report.md").write_text("half")
    done = cli("run", "--no-bench", "--python", bare_python, "--out", str(tmp_path / "out"), env={"PYTHONPATH": ""})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert any(line.startswith("✗ reproduce") for line in lines), done.stderr
    assert "re-run" not in done.stderr  # no (case, fix) pair ran either
    assert lines[-1].startswith("lfmdoctor: error: no reproduction could run")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    assert _temp_siblings(tmp_path, "out") == []  # its own staging folder and the stale one are gone


def test_sigterm_during_run_leaves_nothing_behind(tmp_path, tiny_checkpoint):
    del tiny_checkpoint
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-m", "lfmdoctor", "run", "--no-bench", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _temp_siblings(tmp_path, "out"):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "run never made its staging folder"
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    try:
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines()[-1].startswith("lfmdoctor: error: terminated")
    assert "Traceback" not in stderr
    assert not out.exists()
    assert _temp_siblings(tmp_path, "out") == []


def test_run_out_on_a_full_disk_is_one_line_and_leaves_nothing(cli, small_disk, tiny_checkpoint):
    del tiny_checkpoint
    disk = small_disk(16)
    done = cli("run", "--no-bench", "--out", str(disk / "out"))
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"lfmdoctor: error: cannot write --out {disk / 'out'}: No space left")
    assert "Traceback" not in done.stderr
    assert list(disk.iterdir()) == []


def test_run_from_a_folder_where_nothing_can_be_written(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "lfmdoctor", "run", "--no-bench"],
        capture_output=True,
        text=True,
        cwd="/proc",
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    line = error_line(done)
    assert "cannot write --out lfmdoctor-run" in line
