"""Run ``smoke_script.py`` on a checkpoint in the target interpreter."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("smoke_script.py")


class SmokeError(Exception):
    pass


def run_smoke(python: str, checkpoint: Path, timeout: float = 300) -> dict:
    try:
        done = subprocess.run([python, str(SCRIPT), str(checkpoint)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SmokeError(f"the smoke run took over {timeout:g} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        errors = [line for line in done.stderr.splitlines() if line.strip()]
        raise SmokeError(f"the smoke run failed: {errors[-1] if errors else done.returncode}")
    return json.loads(lines[-1])
