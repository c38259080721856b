"""``lfmdoctor matrix`` end to end, in a child process, against the cached real releases.

stderr is a pipe here, as in CI: an error must stay one line even where rich would wrap at 80 columns.
The release cache and the ``--no-repro`` run come from tests/matrix/conftest.py (one cache for both).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from lfmdoctor.matrix import MatrixResult
from lfmdoctor.matrix.render import print_matrix
from tests.matrix.conftest import cache_home, cli_env, static_json, unreachable_index  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

# The JSON contract: these strings are what consumers of ``lfmdoctor matrix --json`` match on.
OUTCOME_STRINGS = {"reproduced", "not reproduced", "cannot run", "not run"}


def assert_contract(data: dict[str, Any]) -> None:
    assert isinstance(data["versions"], list) and data["versions"]
    for release in data["versions"]:
        assert isinstance(release["version"], str)
        assert {"importable", "import_problem", "bugs"} <= set(release)
        for bug in release["bugs"]:
            assert {"id", "present", "evidence", "outcome", "reason"} <= set(bug)
            assert bug["present"] in (True, False, None)
            assert bug["outcome"] in OUTCOME_STRINGS, bug


def test_json_without_reproductions(static_json: dict[str, Any]) -> None:  # noqa: F811
    """--no-repro: detection and a real ``import liquid_audio`` per release, outcome "not run"."""
    assert_contract(static_json)
    assert [v["version"] for v in static_json["versions"]] == ["1.0.0", "1.3.0"]
    assert static_json["repro"] == "skipped (--no-repro)"
    # a warm cache answers without the index; a fresh one (CI) asks it once
    assert static_json["listing"] in ("cached wheels (the index was not asked)", "package index")
    for release in static_json["versions"]:
        if release["importable"]:
            assert {(b["outcome"], b["reason"]) for b in release["bugs"]} == {("not run", "--no-repro")}
        else:
            assert {(b["outcome"], b["reason"]) for b in release["bugs"]} == {("cannot run", release["import_problem"])}


def test_table_without_reproductions(static_json: dict[str, Any]) -> None:  # noqa: F811
    buffer = io.StringIO()
    print_matrix(MatrixResult.from_json(static_json), Console(file=buffer, highlight=False))
    text = buffer.getvalue()
    assert "not run" in text and "reproduced" not in text
    assert "• reproductions: skipped (--no-repro)" in text.splitlines()


def test_unknown_version_is_one_line_exit_2(cli, static_json: dict[str, Any], cli_env: dict[str, str]) -> None:  # noqa: F811
    del static_json  # only for the wheels it cached
    done = cli("matrix", "--versions", "1.0.0,9.9.9", env=cli_env)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lfmdoctor: error: unknown liquid-audio version 9.9.9; known: ")
    assert "1.0.0" in lines[0] and "1.3.0" in lines[0]


def test_bad_version_is_one_line_exit_2(cli, cli_env: dict[str, str]) -> None:  # noqa: F811
    done = cli("matrix", "--versions", "one.two", env=cli_env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "invalid version 'one.two'" in done.stderr


def test_unreachable_index_with_nothing_cached(cli, tmp_path: Path, unreachable_index: dict[str, str]) -> None:  # noqa: F811
    env = dict(os.environ, LFMDOCTOR_CACHE=str(tmp_path))
    done = cli("matrix", "--versions", "1.3.0", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("lfmdoctor: error: cannot download liquid-audio 1.3.0 and it is not cached in ")
    assert lines[0].endswith("the package index cannot be reached (Connection refused)")
    everything = cli("matrix", env=env)  # "all": listed from the built-in list, nothing to fetch it with
    assert everything.returncode == 2 and len(everything.stderr.strip().splitlines()) == 1
    assert "cannot download liquid-audio 0.0.0a1" in everything.stderr


# --- --with, --emit-workflow, --merge -------------------------------------------------------------


def test_with_mistakes_are_one_line_exit_2(cli, one_error) -> None:
    cases = [
        (["--with", "transformers"], "lfmdoctor: error: invalid --with 'transformers'; use PACKAGE=SPEC[,SPEC...]"),
        (["--with", "transformers=4.x"], "lfmdoctor: error: invalid version pattern '4.x' in --with"),
        (["--with", "transformers=latest", "--provision"], "lfmdoctor: error: --provision and --with exclude each other"),
        (
            ["--with", "transformers=latest", "--json", "--markdown"],
            "lfmdoctor: error: --json and --markdown exclude each other",
        ),
        (["--markdown"], "lfmdoctor: error: --markdown shows the cells table: pass --with (or --merge)"),
        (["--merge", "/nonexistent/cells"], "lfmdoctor: error: --merge /nonexistent/cells: no such folder"),
        (["--merge", ".", "--with", "torch=latest"], "lfmdoctor: error: --merge only reads cells"),
    ]
    for args, start in cases:
        assert one_error(cli("matrix", *args)).startswith(start), args


def test_emit_workflow(cli, static_json: dict[str, Any], cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """The workflow for the cells, written without running them (the wheels are cached: no index)."""
    del static_json  # only for the wheels it cached
    from lfmdoctor.matrix.deps import parse_with
    from lfmdoctor.matrix.workflow import workflow_cells

    path = tmp_path / "matrix.yml"
    done = cli(
        "matrix",
        "--versions",
        "1.3.0,1.0.0",
        "--with",
        "transformers=4.57.*,latest",
        "--emit-workflow",
        str(path),
        env=cli_env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {path}: 4 cell(s) × 2 runners (ubuntu-latest, macos-14) = 8 jobs"
    text = path.read_text()
    assert text.startswith("# Written by lfmdoctor matrix --versions 1.3.0,1.0.0 --with 'transformers=4.57.*,latest' ")
    cells = workflow_cells(["1.0.0", "1.3.0"], parse_with(["transformers=4.57.*,latest"]))
    for cell in cells:
        assert json.dumps(cell["args"]) in text
    yaml = pytest.importorskip("yaml", reason="no YAML parser installed (the structure is tested as data)")
    data = yaml.safe_load(text)
    assert data["jobs"]["cell"]["strategy"]["matrix"] == {"os": ["ubuntu-latest", "macos-14"], "cell": cells}


def test_merge_shows_the_table_of_downloaded_cells(cli, tmp_path: Path) -> None:
    from tests.matrix.test_cells_pure import CELLS, write_artifacts

    write_artifacts(tmp_path, CELLS)
    table = cli("matrix", "--merge", str(tmp_path))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("lfmdoctor matrix  (merged)")
    rows = [line for line in lines if line.startswith("│ 1.")]
    assert [row.split("│")[1:3] for row in rows][:1] == [[" 1.1.0        ", " 4.57.6       "]]
    assert any("transformers → 5.40.0 (past-key-values)" in line for line in lines)
    assert "• reproductions: merged from CI artifacts" in lines
    merged = cli("matrix", "--merge", str(tmp_path), "--json")
    assert merged.returncode == 0, merged.stderr
    assert len(json.loads(merged.stdout)["cells"]) == len(CELLS)
