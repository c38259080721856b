"""``lfmdoctor --version``: lfmdoctor's version, and the liquid-audio and torch this interpreter has."""

from __future__ import annotations

from importlib import metadata

import lfmdoctor
from lfmdoctor.cli import version


def test_version_names_lfmdoctor_liquid_audio_and_torch(cli):
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"lfmdoctor {lfmdoctor.__version__}",
        f"liquid-audio {metadata.version('liquid-audio')}",
        f"torch {metadata.version('torch')}",
    ]
    assert done.stderr == ""


def test_version_comes_before_any_command(cli):
    done = cli("--version", "check", "--python", "/nonexistent/python")
    assert done.returncode == 0 and done.stdout.startswith("lfmdoctor ")


def test_a_missing_package_is_named_not_installed(monkeypatch):
    monkeypatch.setattr(version, "SEEN", ("liquid-audio", "no-such-distribution-lfmdoctor-test"))
    lines = version.versions_text().splitlines()
    assert lines[-1] == "no-such-distribution-lfmdoctor-test not installed"
    assert lines[1] == f"liquid-audio {metadata.version('liquid-audio')}"


def test_version_imports_nothing_heavy():
    import subprocess
    import sys

    code = "import sys; from lfmdoctor.cli import version; version.versions_text(); print(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = done.stdout
    for heavy in ("'torch'", "'liquid_audio'", "'numpy'", "'transformers'"):
        assert heavy not in modules, heavy
