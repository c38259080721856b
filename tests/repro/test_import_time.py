"""A case's time limit is the case's: the interpreter's imports do not count toward it (issue 21 item 15)."""

from __future__ import annotations

import sys

import pytest

from lfmdoctor.bugs import select
from lfmdoctor.repro import engine
from lfmdoctor.repro.models import resolve_model
from lfmdoctor.results import Outcome

SLOW_IMPORT = """\
import time as _time
from pathlib import Path as _Path

_count = _Path({counter!r})
_seen = int(_count.read_text()) if _count.exists() else 0
_count.write_text(str(_seen + 1))
if _seen:  # every interpreter after the worker's first: the fresh ones a case runs in
    _time.sleep({seconds})
"""


@pytest.mark.slow
def test_a_slow_import_in_a_fresh_interpreter_does_not_time_the_case_out(liquid_audio_copy, tmp_path, monkeypatch):
    """liquid-audio 1.1.0's imports take long; a case run in a fresh interpreter (where forking is unsafe)."""
    init = liquid_audio_copy.package / "__init__.py"
    init.write_text(SLOW_IMPORT.format(counter=str(tmp_path / "imports"), seconds=12) + init.read_text())
    build_job = engine.build_job
    monkeypatch.setattr(engine, "build_job", lambda *args: {**build_job(*args), "spawn": True})
    [result] = engine.run_cases(
        sys.executable,
        select(["local-path"]),
        resolve_model("fixture"),
        timeout=8,  # shorter than the import
        extra_pythonpath=[str(liquid_audio_copy)],
    )
    assert result.outcome is not Outcome.ERROR, result.reason
