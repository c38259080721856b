"""What the command tests share."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one line a command that exits 2 prints: exactly one on stderr, nothing on stdout, no traceback."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lfmdoctor: error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="session")
def one_error():
    """``one_error(done)``: the single error line of a finished ``cli(...)`` run that exited 2."""
    return error_line


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(kib)``: a fresh tmpfs of that size (unmounted after the test); skips where none can be mounted."""
    mounted = []

    def make(kib: int) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder)], capture_output=True)
        except OSError as exc:
            pytest.skip(f"cannot mount a tmpfs here: {exc}")
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
