"""Past one machine: the same cells as a GitHub Actions job matrix, and the table from its artifacts.

``workflow(...)`` builds the workflow as data (one job per cell and runner: ubuntu-latest for CPU,
macos-14 for Apple Silicon and MPS; each job runs ``lfmdoctor matrix`` for its one cell and uploads
the cell's JSON), ``to_yaml`` writes it (no YAML library needed; the subset it writes is plain YAML),
and ``merge_cells`` reads the downloaded artifacts back into one ``CellMatrix``, whose table is the
one a local run of the same cells prints.

The specs go into the workflow as given: a job with ``transformers=latest`` runs with the newest
transformers of the day it runs, so a scheduled run shows tomorrow's break the day it ships.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lfmdoctor.matrix.deps import Axis
from lfmdoctor.matrix.releases import MatrixError
from lfmdoctor.matrix.results import CellMatrix, CellResult, MatrixResult

RUNNERS = ("ubuntu-latest", "macos-14")
ARTIFACT_PREFIX = "lfmdoctor-cell-"
CELL_FILE = "cell.json"
PYTHON_VERSION = "3.12"
# How a job gets lfmdoctor and the stack it studies: the workflow is meant for a checkout of lfmdoctor.
INSTALL = 'python -m pip install ".[reference]"'
MERGE_INSTALL = "python -m pip install ."


def cell_args(version: str, specs: Sequence[tuple[str, str]], repro: bool = True) -> list[str]:
    """The ``lfmdoctor matrix`` arguments that run exactly one cell."""
    args = ["--versions", version]
    for package, spec in specs:
        args += ["--with", f"{package}={spec}"]
    return args + ([] if repro else ["--no-repro"])


def cell_key(version: str, specs: Sequence[tuple[str, str]]) -> str:
    """A name for the cell that is safe in an artifact name: "1.1.0-transformers-4.57.x"."""
    text = "-".join([version] + [f"{package}-{spec}" for package, spec in specs])
    return re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", text.replace("*", "x"))).strip("-")


def workflow_cells(versions: Sequence[str], axes: Sequence[Axis], repro: bool = True) -> list[dict[str, str]]:
    """One entry per cell: its name, artifact key and the arguments of its ``lfmdoctor matrix`` run."""
    cells = []
    combos: list[list[tuple[str, str]]] = [[]]
    for axis in axes:
        combos = [[*combo, (axis.package, spec)] for combo in combos for spec in axis.specs]
    for version in versions:
        for combo in combos:
            name = " × ".join([f"liquid-audio {version}"] + [f"{package} {spec}" for package, spec in combo])
            args = " ".join(shlex.quote(arg) for arg in cell_args(version, combo, repro))
            cells.append({"name": name, "key": cell_key(version, combo), "args": args})
    return cells


def workflow(
    versions: Sequence[str], axes: Sequence[Axis], *, repro: bool = True, command: str = "", runners: Sequence[str] = RUNNERS
) -> dict[str, Any]:
    """The GitHub Actions workflow, as data: a ``cell`` job per (runner, cell), then a ``table`` job."""
    setup = [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": PYTHON_VERSION}},
    ]
    cell_job = {
        "name": "${{ matrix.cell.name }} (${{ matrix.os }})",
        "runs-on": "${{ matrix.os }}",
        "timeout-minutes": 60,
        "strategy": {
            "fail-fast": False,
            "matrix": {"os": list(runners), "cell": workflow_cells(versions, axes, repro)},
        },
        "env": {"LFMDOCTOR_CACHE": "${{ github.workspace }}/.lfmdoctor-cache"},
        "steps": [
            *setup,
            {"name": "Install lfmdoctor and the stack it studies", "run": INSTALL},
            {
                "name": "Cache liquid-audio wheels and cell packages",
                "uses": "actions/cache@v4",
                "with": {
                    "path": ".lfmdoctor-cache/wheels",
                    "key": "lfmdoctor-${{ runner.os }}-${{ runner.arch }}-${{ matrix.cell.key }}",
                },
            },
            {
                "name": "Run the cell",
                "run": f"lfmdoctor matrix ${{{{ matrix.cell.args }}}} --json > {CELL_FILE}\ncat {CELL_FILE}",
            },
            {
                "name": "Upload the cell's JSON",
                "if": "always()",
                "uses": "actions/upload-artifact@v4",
                "with": {
                    "name": f"{ARTIFACT_PREFIX}${{{{ matrix.os }}}}-${{{{ matrix.cell.key }}}}",
                    "path": CELL_FILE,
                    "if-no-files-found": "error",
                },
            },
        ],
    }
    table_job = {
        "name": "The table",
        "needs": "cell",
        "if": "always()",
        "runs-on": "ubuntu-latest",
        "steps": [
            *setup,
            {"name": "Install lfmdoctor", "run": MERGE_INSTALL},
            {"uses": "actions/download-artifact@v4", "with": {"pattern": f"{ARTIFACT_PREFIX}*", "path": "cells"}},
            {
                "name": "Merge the cells",
                "run": 'lfmdoctor matrix --merge cells --markdown | tee matrix.md >> "$GITHUB_STEP_SUMMARY"\n'
                "lfmdoctor matrix --merge cells --json > matrix.json",
            },
            {"uses": "actions/upload-artifact@v4", "with": {"name": "lfmdoctor-matrix", "path": "matrix.md\nmatrix.json"}},
        ],
    }
    header = f"Written by {command}" if command else "Written by lfmdoctor matrix --emit-workflow"
    return {
        "#": header,
        "name": "lfmdoctor matrix",
        "on": {"workflow_dispatch": {}, "schedule": [{"cron": "17 5 * * 1"}]},
        "permissions": {"contents": "read"},
        "jobs": {"cell": cell_job, "table": table_job},
    }


# --- YAML -----------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_]([A-Za-z0-9_./ -]*[A-Za-z0-9_./-])?$")  # no ":", "#", quotes or edge spaces
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for key, item in value.items():
            out += _entry(pad + _scalar(key) + ":", item, indent)
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        for item in value:
            if isinstance(item, dict) and item:
                inner = _lines(item, indent + 2)
                out.append(pad + "- " + inner[0][indent + 2 :])
                out += inner[1:]
            else:
                out += _entry(pad + "-", item, indent)
        return out
    return [pad + _scalar(value)]


def _entry(lead: str, item: Any, indent: int) -> list[str]:
    if isinstance(item, str) and "\n" in item:
        text = item.removesuffix("\n")
        chomp = "" if item.endswith("\n") else "-"
        return [f"{lead} |{chomp}", *(" " * (indent + 2) + line if line else "" for line in text.split("\n"))]
    if isinstance(item, dict | list) and item:
        return [lead, *_lines(item, indent + 2)]
    return [lead + " " + _lines(item, 0)[0]]


def to_yaml(data: dict[str, Any]) -> str:
    """Block-style YAML of dicts, lists and scalars; a top-level "#" key becomes a comment line."""
    data = dict(data)
    comment = data.pop("#", None)
    lines = [f"# {line}" for line in str(comment).splitlines()] if comment else []
    return "\n".join(lines + _lines(data, 0)) + "\n"


# --- merging --------------------------------------------------------------------------------------


def _cells_of(data: Any, source: Path) -> list[CellResult]:
    if isinstance(data, dict) and isinstance(data.get("cells"), list):
        return [CellResult.from_json(cell) for cell in data["cells"]]
    if isinstance(data, dict) and "liquid_audio" in data and "bugs" in data:
        return [CellResult.from_json(data)]
    if isinstance(data, dict) and isinstance(data.get("versions"), list):  # a plain ``matrix --json``
        result = MatrixResult.from_json(data)
        return [
            CellResult(r.version, {}, r.importable, r.import_problem, r.bugs, transformers=r.transformers)
            for r in result.versions
        ]
    raise MatrixError(f"{source} holds no lfmdoctor matrix cells")


def merge_cells(folder: Path) -> CellMatrix:
    """Every cell in the JSON files under ``folder`` (e.g. ``gh run download`` or download-artifact output)."""
    if not folder.is_dir():
        raise MatrixError(f"--merge {folder}: no such folder; download the workflow's artifacts there first")
    cells: list[CellResult] = []
    empty: list[str] = []  # a job whose ``lfmdoctor matrix`` failed uploads an empty cell.json
    files = sorted(path for path in folder.rglob("*.json") if path.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            if not text.strip():
                empty.append(path.relative_to(folder).as_posix())
                continue
            data = json.loads(text)
        except (OSError, UnicodeError, ValueError) as exc:
            raise MatrixError(f"--merge: cannot read {path}: {exc}") from None
        try:
            cells += _cells_of(data, path)
        except (TypeError, KeyError) as exc:
            raise MatrixError(f"--merge: {path} is not an lfmdoctor matrix cell ({exc})") from None
    if not cells:
        raise MatrixError(f"--merge {folder}: no cell JSON files found under it")
    axes: dict[str, list[str]] = {}
    for cell in cells:
        for package, spec in cell.specs.items():
            if spec not in axes.setdefault(package, []):
                axes[package].append(spec)
    skipped = f"; empty, so left out (their job failed): {', '.join(empty)}" if empty else ""
    return CellMatrix(
        python="(merged)",
        transformers=None,
        axes=axes,
        listing=f"{len(files)} file(s) under {folder}{skipped}",
        repro="merged from CI artifacts",
        cells=cells,
    )
