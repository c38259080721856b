"""The matrix result with the reproductions, built in process: its JSON and its table.

The command itself (``lfmdoctor matrix``: exit codes, one-line errors, ``--no-repro``) is tested in
tests/cli/test_matrix.py.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from lfmdoctor.matrix import MatrixResult
from lfmdoctor.matrix.render import print_matrix

pytestmark = pytest.mark.slow


def test_static_detection_agrees_with_the_reproductions(static_json: dict[str, Any], repro_matrix: MatrixResult) -> None:
    for ran, reproduced in zip(static_json["versions"], repro_matrix.to_json()["versions"], strict=True):
        # presence comes from the source: the same with or without the reproductions
        assert [(b["id"], b["present"], b["evidence"]) for b in ran["bugs"]] == [
            (b["id"], b["present"], b["evidence"]) for b in reproduced["bugs"]
        ]
        # importability learnt by importing here agrees with what the engine found
        assert (ran["importable"], ran["import_problem"]) == (reproduced["importable"], reproduced["import_problem"])


def test_json_with_reproductions(repro_matrix: MatrixResult) -> None:
    from tests.cli.test_matrix import assert_contract

    data = json.loads(json.dumps(repro_matrix.to_json()))
    assert_contract(data)
    assert data["repro"] == "ran"
    new = {b["id"]: b for b in data["versions"][1]["bugs"]}
    assert new["dtype-mismatch"]["outcome"] == "not reproduced" and new["audio-format"]["outcome"] == "reproduced"
    assert MatrixResult.from_json(data) == repro_matrix


def test_table(repro_matrix: MatrixResult, cuda_usable: bool) -> None:
    """The table the command prints (rendered in-process from the session's matrix)."""
    buffer = io.StringIO()
    print_matrix(repro_matrix, Console(file=buffer, highlight=False))
    lines = buffer.getvalue().splitlines()
    header = next(line for line in lines if "1.0.0" in line and "1.3.0" in line)
    assert header.index("1.0.0") < header.index("1.3.0")
    dtype = lines.index(next(line for line in lines if "dtype-mismatch" in line))
    assert lines[dtype].index("present") < lines[dtype].index("absent")
    assert "not reproduced" in lines[dtype + 1]
    processor = lines.index(next(line for line in lines if "processor-device" in line))
    assert ("not reproduced" if cuda_usable else "reproduced") in lines[processor + 1]
    assert "• reproductions: ran" in lines
