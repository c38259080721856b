"""Ctrl-C, early (while lfmdoctor loads) or mid-run: one line saying what was left and how to go on, exit 130
(issue 21 item 24)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def ctrl_c(args: list[str], after: float) -> subprocess.CompletedProcess:
    """Start ``lfmdoctor ARGS`` and, ``after`` seconds, send SIGINT to its whole group, as a terminal does."""
    command = subprocess.Popen(
        [sys.executable, "-m", "lfmdoctor", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(after)
    os.killpg(command.pid, signal.SIGINT)
    out, err = command.communicate(timeout=120)
    return subprocess.CompletedProcess(command.args, command.returncode, out, err)


@pytest.mark.parametrize(("args", "after"), [(["check", "--fresh"], 0.3), (["repro"], 6.0)], ids=["early", "mid-run"])
def test_ctrl_c_is_one_line_and_exit_130(args, after, tiny_checkpoint):
    del tiny_checkpoint
    done = ctrl_c(args, after)
    if done.returncode == 0:
        pytest.skip("the command finished before Ctrl-C came (a fast machine)")
    assert done.returncode == 128 + signal.SIGINT, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lfmdoctor: error: interrupted"), done.stderr
    assert "run the same command again" in lines[0]
