"""``run_check``: ``lfmdoctor check``'s report; an interpreter that cannot be inspected is one line."""

from __future__ import annotations

import pytest

from lfmdoctor.diagnose import environment
from lfmdoctor.diagnose.run import run_check
from lfmdoctor.errors import UsageError


def test_a_bad_interpreter_is_a_usage_error():
    with pytest.raises(UsageError, match="/nonexistent/python.*--python"):
        run_check("/nonexistent/python")


def test_run_check_takes_the_cli_options(monkeypatch):
    seen = {}

    def collect(python, timeout, cache_dir, fresh):
        seen.update(python=python, timeout=timeout, fresh=fresh)
        raise environment.TargetUnusable("basics probe exited 1")

    monkeypatch.setattr(environment, "collect", collect)
    with pytest.raises(UsageError, match=r"cannot inspect /x/python: basics probe exited 1; pass --python"):
        run_check("/x/python", timeout=5.0, fresh=True)
    assert seen == {"python": "/x/python", "timeout": 5.0, "fresh": True}
