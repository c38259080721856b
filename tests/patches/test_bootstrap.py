"""Environments for children that run with a strategy active (bench, verify, exec)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.patches import strategy_environment
from lfmdoctor.patches.bootstrap import RUNTIME_FILE

from .conftest import copy_package, tree


def test_runtime_environment_is_a_sitecustomize_folder(own_cache):
    folder = Path(strategy_environment("runtime", sys.executable)["PYTHONPATH"])
    text = (folder / "sitecustomize.py").read_text()
    assert str(RUNTIME_FILE) in text and folder.is_relative_to(own_cache)
    assert strategy_environment("runtime", sys.executable)["PYTHONPATH"] == str(folder)  # written once


def test_source_environment_is_a_patched_copy(release_package, tmp_path, own_cache, monkeypatch):
    installed = copy_package(release_package("1.3.0"), tmp_path / "site")
    before = tree(installed)
    monkeypatch.setenv("PYTHONPATH", str(installed.parent))
    overlay = Path(strategy_environment("source", sys.executable)["PYTHONPATH"])
    assert [f.id for f in detect_all(overlay / "liquid_audio") if f.present] == []
    assert tree(installed) == before  # the install is only read


def test_source_environment_refuses_files_it_does_not_know(release_package, tmp_path, own_cache, monkeypatch):
    installed = copy_package(release_package("1.3.0"), tmp_path / "site")
    (installed / "utils.py").write_text((installed / "utils.py").read_text() + "# edited\n")
    monkeypatch.setenv("PYTHONPATH", str(installed.parent))
    with pytest.raises(LookupError, match=r"utils\.py \(differs\)"):
        strategy_environment("source", sys.executable)


def test_unknown_strategy_is_a_lookup_error():
    with pytest.raises(LookupError, match="runtime and source"):
        strategy_environment("magic", sys.executable)


def test_bench_gets_the_patched_strategies(own_cache):
    from lfmdoctor.bench.strategy import child_setup

    setup = child_setup("runtime", sys.executable)
    assert setup.mode == "user"  # the seed's code, unmodified
    assert (Path(setup.env["PYTHONPATH"]) / "sitecustomize.py").is_file()
