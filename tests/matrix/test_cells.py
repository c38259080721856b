"""``matrix --with`` against real releases and real transformers wheels, laid over this interpreter.

``cells_static`` (tests/matrix/conftest.py) is 1.0.0 and 1.3.0 x transformers 4.57.* and latest without
the reproductions: each cell is resolved with pip once (then cached in the test cache) and imported
for real. The merge test runs the emitted workflow's per-cell commands here, as its jobs would, and
merges their JSON; the slow test is the issue's own command, with the reproductions.
"""

from __future__ import annotations

import importlib.metadata
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.matrix.cells import cell_record
from lfmdoctor.matrix.deps import parse_with
from lfmdoctor.matrix.overlay import ensure_packages, transformers_major
from lfmdoctor.matrix.render import cells_markdown, cells_table
from lfmdoctor.matrix.results import CellMatrix
from lfmdoctor.matrix.workflow import ARTIFACT_PREFIX, merge_cells, workflow_cells
from tests.matrix.conftest import CELL_AXES, CELL_RELEASES, cli_json

pytestmark = pytest.mark.slow


def no_pip() -> list[str]:
    raise AssertionError("pip was run although the cell is cached")


def by_label(result: CellMatrix) -> dict[tuple[str, int | None], Any]:
    """(release, transformers major) -> cell."""
    return {(cell.liquid_audio, transformers_major(cell.deps["transformers"])): cell for cell in result.cells}


def test_cells_without_reproductions(cells_static: CellMatrix) -> None:
    assert cells_static.axes == {"transformers": ["4.57.*", "latest"]}
    assert cells_static.repro == "skipped (--no-repro)"
    cells = by_label(cells_static)
    assert set(cells) == {("1.0.0", 4), ("1.0.0", 5), ("1.3.0", 4), ("1.3.0", 5)}
    for cell in cells_static.cells:
        assert cell.built and cell.platform and cell.python
        assert cell.deps["transformers"] == cell.transformers  # the overlay gave the release what the cell says
        assert cell.specs["transformers"] in ("4.57.*", "latest")
        assert [b.id for b in cell.bugs] == list(BUG_IDS)
    old_new, old_old = cells[("1.0.0", 5)], cells[("1.0.0", 4)]
    assert not old_new.importable
    assert old_new.import_problem.startswith("liquid-audio 1.0.0 imports Lfm2HybridConvCache (model/lfm2_audio.py:15)")
    assert f"this cell has transformers {old_new.deps['transformers']}" in old_new.import_problem
    assert {b.outcome for b in old_new.bugs} == {"cannot run"}
    assert old_old.importable and old_old.deps["transformers"].startswith("4.57.")
    assert any(pin.startswith("transformers==4.57.") for pin in old_old.provisioned)
    for cell in (old_old, cells[("1.3.0", 4)], cells[("1.3.0", 5)]):
        assert cell.importable, cell.import_problem
        assert {(b.outcome, b.reason) for b in cell.bugs} == {("not run", "--no-repro")}
    # the user's environment is never touched
    assert importlib.metadata.version("transformers") == cells_static.transformers


def test_a_cell_is_resolved_once(cells_static: CellMatrix) -> None:
    """A second run neither runs pip nor asks the index: the cell's resolution is remembered."""
    cache = Path(cells_static.cells[0].overlay[0]).parents[1]
    for cell in cells_static.cells:
        requirements = [f"liquid-audio=={cell.liquid_audio}", f"transformers=={cell.deps['transformers']}"]
        again = ensure_packages(
            sys.executable,
            requirements,
            no_pip,
            cache,
            record=cell_record(sys.executable, requirements),
            label="-",
            what="pip",
        )
        assert again.pins == cell.provisioned
        assert cell.overlay[1:] == ([str(again.path)] if again.path else [])


def test_merge_of_the_workflow_cells_gives_the_local_table(
    cli, cli_env: dict[str, str], cells_static: CellMatrix, unreachable_index: dict[str, str], tmp_path: Path
) -> None:
    """Each job's command of the emitted workflow, run here with the index unreachable (the cells are
    cached: offline after the first run); their JSON merged = the table of one local run."""
    offline = {**cli_env, **unreachable_index}
    jobs = workflow_cells(CELL_RELEASES.split(","), parse_with(CELL_AXES), repro=False)
    assert len(jobs) == len(cells_static.cells)
    for job in jobs:
        folder = tmp_path / f"{ARTIFACT_PREFIX}ubuntu-latest-{job['key']}"
        folder.mkdir()
        done = cli("matrix", *shlex.split(job["args"]), "--json", env=offline)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["cells"][0]["built"]
        (folder / "cell.json").write_text(done.stdout)
    merged = merge_cells(tmp_path)
    assert cells_table(merged.cells) == cells_table(cells_static.cells)
    done = cli("matrix", "--merge", str(tmp_path), "--markdown", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == cells_markdown(cells_static.cells)
    assert "| 1.0.0 | 4.57." in done.stdout and "cannot run: liquid-audio 1.0.0 imports Lfm2HybridConvCache" in done.stdout


@pytest.mark.slow
def test_the_issue_command(cli, cli_env: dict[str, str]) -> None:
    """``matrix --versions 1.1.0,1.3.0 --with transformers=4.57.*,latest --json``, reproductions and all."""
    data = cli_json(cli, "--versions", "1.1.0,1.3.0", "--with", "transformers=4.57.*,latest", env=cli_env)
    result = CellMatrix.from_json(data)
    assert result.repro == "ran"
    cells = by_label(result)
    assert set(cells) == {("1.1.0", 4), ("1.1.0", 5), ("1.3.0", 4), ("1.3.0", 5)}
    blocked = cells[("1.1.0", 5)]
    assert not blocked.importable and "imports Lfm2HybridConvCache" in blocked.import_problem
    ran = cells[("1.1.0", 4)]
    assert ran.importable and ran.bug("dtype-mismatch").outcome == "reproduced", ran.bug("dtype-mismatch").reason
    assert ran.bug("local-path").outcome == "reproduced"
    newest = cells[("1.3.0", 5)]
    assert newest.importable and newest.bug("dtype-mismatch").outcome == "not reproduced"
    try:
        import lfmdoctor.repro.deprecations  # noqa: F401
    except ImportError:
        assert newest.deprecations == []
        return
    if "past-key-values" in BUG_IDS and transformers_major(newest.deps["transformers"]) == 5:
        removal = {(d["library"], d["removal_version"], d["bug"]) for d in newest.deprecations}
        assert ("transformers", "5.40.0", "past-key-values") in removal, newest.deprecations
        assert all(d["bug"] != "past-key-values" for d in cells[("1.3.0", 4)].deprecations)
