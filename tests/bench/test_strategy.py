"""The --strategy hook."""

from __future__ import annotations

import os
import sys

import pytest

from lfmdoctor.bench.strategy import ChildSetup, StrategyUnavailable, child_setup
from lfmdoctor.patches import bootstrap


def test_none_runs_the_user_code():
    setup = child_setup("none", sys.executable)
    assert setup.mode == "user" and setup.env == {} and setup.callsite_file is None


def test_callsite_points_at_a_loadable_file():
    setup = child_setup("callsite", sys.executable)
    assert setup.mode == "callsite"
    assert setup.callsite_file and os.path.isfile(setup.callsite_file)
    assert setup.callsite_file.endswith("callsite.py")


def test_patched_strategy_uses_the_patches_environment(monkeypatch):
    calls = []

    def provider(strategy, python):
        calls.append((strategy, python))
        if strategy == "source":
            raise LookupError("no patched copy for this liquid-audio")
        return {"PYTHONPATH": "/patched", "LFMDOCTOR_PATCH": "1"}

    monkeypatch.setattr(bootstrap, "strategy_environment", provider)
    setup = child_setup("runtime", "/py")
    assert setup.mode == "user" and calls == [("runtime", "/py")]
    env = setup.environment({"PYTHONPATH": "/inherited", "HOME": "/h"})
    assert env == {"PYTHONPATH": os.pathsep.join(["/patched", "/inherited"]), "LFMDOCTOR_PATCH": "1", "HOME": "/h"}
    with pytest.raises(StrategyUnavailable, match="no patched copy"):
        child_setup("source", "/py")


def test_unknown_strategy():
    with pytest.raises(StrategyUnavailable, match="unknown strategy"):
        child_setup("magic", sys.executable)


def test_environment_without_extras_is_the_base():
    assert ChildSetup("none", "user").environment({"A": "1"}) == {"A": "1"}
