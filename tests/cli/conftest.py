"""What the command tests share."""

from __future__ import annotations

import subprocess

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
