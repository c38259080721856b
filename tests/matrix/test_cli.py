"""``lfmdoctor matrix`` end to end, in a child process, against the cached real releases.

stderr is a pipe here, as in CI: an error must stay one line even where rich would wrap at 80 columns.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from lfmdoctor.matrix import MatrixResult
from lfmdoctor.matrix.render import print_matrix


def lfmdoctor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lfmdoctor", *args], check=False, capture_output=True,
                          text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)


def test_json_for_two_releases(two_releases: MatrixResult, cli_env: dict[str, str]) -> None:
    done = lfmdoctor("matrix", "--versions", "1.3.0,1.0.0", "--json", env=cli_env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [v["version"] for v in data["versions"]] == ["1.0.0", "1.3.0"]
    assert data["repro"] == "not run: the reproduction engine is not wired into the matrix yet"
    assert data["listing"] == "cached wheels (the index was not asked)"
    for ran, fixture in zip(data["versions"], two_releases.to_json()["versions"]):
        assert [(b["id"], b["present"], b["evidence"]) for b in ran["bugs"]] == [
            (b["id"], b["present"], b["evidence"]) for b in fixture["bugs"]
        ]
        assert ran["importable"] == fixture["importable"]


def test_table(two_releases: MatrixResult) -> None:
    """The table the command prints (rendered in-process: one CLI run above already costs two imports)."""
    buffer = io.StringIO()
    print_matrix(two_releases, Console(file=buffer, highlight=False))
    lines = buffer.getvalue().splitlines()
    header = next(line for line in lines if "1.0.0" in line and "1.3.0" in line)
    assert header.index("1.0.0") < header.index("1.3.0")
    dtype = next(line for line in lines if "dtype-mismatch" in line)
    assert dtype.index("present") < dtype.index("absent")
    assert "• reproductions: skipped (--no-repro)" in lines


def test_unknown_version_is_one_line_exit_2(two_releases: MatrixResult, cli_env: dict[str, str]) -> None:
    done = lfmdoctor("matrix", "--versions", "1.0.0,9.9.9", env=cli_env)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: unknown liquid-audio version 9.9.9; known: ")
    assert "1.0.0" in lines[0] and "1.3.0" in lines[0]


def test_bad_version_is_one_line_exit_2(cli_env: dict[str, str]) -> None:
    done = lfmdoctor("matrix", "--versions", "one.two", env=cli_env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "invalid version 'one.two'" in done.stderr


def test_unreachable_index_with_nothing_cached(tmp_path: Path, unreachable_index: dict[str, str]) -> None:
    env = dict(os.environ, LFMDOCTOR_CACHE=str(tmp_path))
    done = lfmdoctor("matrix", "--versions", "1.3.0", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot download liquid-audio 1.3.0 and it is not cached in ")
    assert lines[0].endswith("the package index cannot be reached (Connection refused)")
    everything = lfmdoctor("matrix", env=env)  # "all": listed from the built-in list, nothing to fetch it with
    assert everything.returncode == 2 and len(everything.stderr.strip().splitlines()) == 1
    assert "cannot download liquid-audio 0.0.0a1" in everything.stderr
