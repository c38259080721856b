"""Pure parts of ``matrix --with``: axes and specs, the cached package listing, cell overlays through a
fake pip, cells that cannot be built, deprecations, the cells table, the workflow and --merge."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.matrix.build import Target
from lfmdoctor.matrix.cells import CellEvents, cell_record, run_cell
from lfmdoctor.matrix.deps import Axis, Resolved, parse_with, pick, resolve_axis
from lfmdoctor.matrix.overlay import MANIFEST, ensure_packages
from lfmdoctor.matrix.releases import MatrixError
from lfmdoctor.matrix.render import cells_markdown, cells_table
from lfmdoctor.matrix.reproduce import deprecations
from lfmdoctor.matrix.results import CellMatrix, CellResult, ReleaseBug
from lfmdoctor.matrix.workflow import (
    ARTIFACT_PREFIX,
    RUNNERS,
    cell_key,
    merge_cells,
    to_yaml,
    workflow,
    workflow_cells,
)
from lfmdoctor.results import BugFinding

TRANSFORMERS = ["4.55.4", "4.57.0", "4.57.6", "5.0.0rc1", "5.0.0", "5.23.0", "5.24.0"]


# --- axes and specs -------------------------------------------------------------------------------


def test_parse_with() -> None:
    axes = parse_with(["transformers=4.57.*, 5.0.*,latest,LATEST", "Torch=2.8.*"])
    assert axes == [Axis("transformers", ("4.57.*", "5.0.*", "latest")), Axis("torch", ("2.8.*",))]
    assert parse_with(["huggingface_hub=<1"]) == [Axis("huggingface-hub", ("<1",))]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["transformers"], "invalid --with 'transformers'; use PACKAGE=SPEC"),
        (["=4.57.*"], "invalid --with '=4.57.*'"),
        (["transformers="], "--with transformers names no version"),
        (["transformers=banana"], "invalid version pattern 'banana' in --with"),
        (["transformers=4.57.*", "transformers=latest"], "--with transformers given twice"),
        (["liquid_audio=1.3.0"], "pick liquid-audio releases with --versions"),
    ],
)
def test_parse_with_rejects(values: list[str], message: str) -> None:
    with pytest.raises(MatrixError) as info:
        parse_with(values)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_pick() -> None:
    assert pick("latest", TRANSFORMERS) == "5.24.0"
    assert pick("4.57.*", TRANSFORMERS) == "4.57.6"
    assert pick("4.57.0", TRANSFORMERS) == "4.57.0"
    assert pick("5.0.*", TRANSFORMERS) == "5.0.0"  # a final release over its candidates
    assert pick("5.0.0rc1", TRANSFORMERS) == "5.0.0rc1"  # named: taken
    assert pick("<5", TRANSFORMERS) == "4.57.6"
    assert pick("~=4.56", TRANSFORMERS) == "4.57.6"
    assert pick("4.50.*", TRANSFORMERS) is None
    assert pick("latest", ["1.0rc1"]) == "1.0rc1"  # nothing final: the newest there is
    assert pick("latest", []) is None


def fake_pip(answers: dict[str, tuple[int | None, str, str]], calls: list[list[str]]):
    """A runner that answers by the pip subcommand ("index", "install"), recording each call."""

    def runner(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
        calls.append(argv)
        verb = next(word for word in argv if word in answers)
        return answers[verb]

    return runner


def test_axis_listing_is_cached_and_used_offline(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    listing = (0, json.dumps({"name": "transformers", "versions": TRANSFORMERS[::-1]}), "")
    resolved, source = resolve_axis(
        Axis("transformers", ("4.57.*", "latest", "4.50.*")),
        lambda: ["pip"],
        tmp_path,
        runner=fake_pip({"index": listing}, calls),
        now=lambda: 1000.0,
    )
    assert [(r.spec, r.version) for r in resolved] == [("4.57.*", "4.57.6"), ("latest", "5.24.0"), ("4.50.*", None)]
    assert resolved[2].problem == (
        "no transformers release matches 4.50.* for this interpreter (newest: 4.57.6, 5.0.0rc1, 5.0.0, 5.23.0, 5.24.0)"
    )
    assert source == "package index" and calls[0][1:4] == ["index", "versions", "transformers"]
    assert (tmp_path / "index" / "transformers.json").is_file()
    # within a day: the saved listing, no pip (a spec that matches nothing refreshes once)
    calls.clear()
    again, source = resolve_axis(
        Axis("transformers", ("latest",)), lambda: ["pip"], tmp_path, runner=fake_pip({}, calls), now=lambda: 2000.0
    )
    assert again[0].version == "5.24.0" and calls == [] and "cached" in source
    # a week later, the index down: the last listing still answers
    down = (1, "", "WARNING: Retrying ... NewConnectionError('[Errno 111] Connection refused')\nERROR: nope")
    offline, source = resolve_axis(
        Axis("transformers", ("4.57.*",)), lambda: ["pip"], tmp_path, runner=fake_pip({"index": down}, calls), now=lambda: 9e5
    )
    assert offline[0].version == "4.57.6" and source.startswith("cached package-index listing from ")
    assert "the package index cannot be reached (Connection refused)" in source
    # never listed and the index down: one line, exit 2
    with pytest.raises(MatrixError, match=r"^cannot list torch releases from the package index: the package index cannot"):
        resolve_axis(Axis("torch", ("latest",)), lambda: ["pip"], tmp_path, runner=fake_pip({"index": down}, []))


# --- a cell's overlay through pip -----------------------------------------------------------------


def pip_that_installs(report: dict[str, Any], calls: list[list[str]], *, install_fails: str = ""):
    """``pip install --dry-run --report F`` writes ``report``; ``pip install --target D`` makes D."""

    def runner(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
        calls.append(argv)
        if "--dry-run" in argv:
            Path(argv[argv.index("--report") + 1]).write_text(json.dumps(report))
            return 0, "", ""
        if install_fails:
            return 1, "", f"ERROR: {install_fails}"
        site = Path(argv[argv.index("--target") + 1])
        site.mkdir(parents=True)
        return 0, "", ""

    return runner


def report_of(*pins: str) -> dict[str, Any]:
    return {"install": [{"metadata": {"name": p.split("==")[0], "version": p.split("==")[1]}} for p in pins]}


def no_pip() -> list[str]:
    raise AssertionError("pip was looked up although the resolution is cached")


def test_cell_packages_are_resolved_once_and_reused(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    report = report_of("liquid-audio==1.1.0", "transformers==4.57.6", "huggingface_hub==0.36.2")
    requirements = ["liquid-audio==1.1.0", "transformers==4.57.6"]
    options = {"record": cell_record("/py", requirements), "label": "transformers-4.57.6", "what": "pip"}
    first = ensure_packages(
        "/py",
        requirements,
        lambda: ["pip"],
        tmp_path,
        drop=["liquid-audio"],
        find_links=[tmp_path],
        runner=pip_that_installs(report, calls),
        **options,
    )
    assert first.pins == ["huggingface-hub==0.36.2", "transformers==4.57.6"]  # liquid-audio itself: the overlay
    assert first.path is not None and first.path.name.startswith("transformers-4.57.6-") and (first.path / MANIFEST).is_file()
    resolve, install = calls
    assert resolve[-len(requirements) - 4 : -4] == requirements and resolve[resolve.index("--find-links") + 1] == str(tmp_path)
    assert install[install.index("--target") + 2 :][:2] == first.pins and "--no-deps" in install
    again = ensure_packages("/py", requirements, no_pip, tmp_path, **options)
    assert again == first
    # the target already has everything: nothing laid over, and that is remembered too
    nothing = {**options, "record": cell_record("/py", ["liquid-audio==1.3.0"])}
    empty = ensure_packages(
        "/py", ["liquid-audio==1.3.0"], lambda: ["pip"], tmp_path, drop=["liquid-audio"],
        runner=pip_that_installs(report_of("liquid-audio==1.3.0"), []), **nothing,
    )  # fmt: skip
    assert (empty.path, empty.pins) == (None, [])
    assert ensure_packages("/py", ["liquid-audio==1.3.0"], no_pip, tmp_path, **nothing) == empty


def test_cell_records_differ_by_interpreter_and_requirements() -> None:
    one = cell_record("/a/python", ["liquid-audio==1.1.0", "transformers==4.57.6"])
    assert one == cell_record("/a/python", ["transformers==4.57.6", "liquid-audio==1.1.0"])
    assert one != cell_record("/b/python", ["liquid-audio==1.1.0", "transformers==4.57.6"])
    assert one != cell_record("/a/python", ["liquid-audio==1.3.0", "transformers==4.57.6"])


TARGET = Target("/py", "3.12.1", "5.24.0", "Linux x86_64")
FINDINGS = [BugFinding(id=bug_id, title="t", present=True, evidence=None, detail="") for bug_id in BUG_IDS]


def test_a_cell_that_cannot_be_built_is_a_result(tmp_path: Path) -> None:
    """No release matches, or pip cannot resolve / install: every bug "cannot run", with the reason."""
    unresolved = Resolved("transformers", "4.50.*", None, "no transformers release matches 4.50.* for this interpreter")
    cell = run_cell("/py", TARGET, "1.3.0", tmp_path, FINDINGS, [unresolved], tmp_path, no_pip)
    assert (cell.built, cell.importable, cell.deps, cell.specs) == (
        False,
        False,
        {"transformers": None},
        {"transformers": "4.50.*"},
    )
    assert cell.import_problem == unresolved.problem
    assert {(b.outcome, b.reason) for b in cell.bugs} == {("cannot run", unresolved.problem)}
    assert cell.label == "1.3.0 × transformers 4.50.*" and cell.platform == "Linux x86_64" and cell.python == "3.12.1"

    def conflict(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
        return 1, "", "ERROR: Cannot install liquid-audio==1.3.0 and transformers==4.50.0 because these package versions "
        "have conflicting dependencies.\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io"

    pinned = Resolved("transformers", "4.50.0", "4.50.0")
    cell = run_cell("/py", TARGET, "1.3.0", tmp_path, FINDINGS, [pinned], tmp_path, lambda: ["pip"], runner=conflict)
    assert not cell.built and cell.deps == {"transformers": "4.50.0"}
    assert cell.import_problem.startswith(
        "cannot build this cell: pip cannot resolve liquid-audio==1.3.0 transformers==4.50.0 for this interpreter: "
    )
    broken = pip_that_installs(report_of("torch==2.8.0"), [], install_fails="No matching distribution found for torch==2.8.0")
    cell = run_cell(
        "/py",
        TARGET,
        "1.3.0",
        tmp_path,
        FINDINGS,
        [Resolved("torch", "2.8.*", "2.8.0")],
        tmp_path,
        lambda: ["pip"],
        runner=broken,
    )
    assert (
        cell.import_problem
        == "cannot build this cell: pip could not install torch==2.8.0: No matching distribution found for torch==2.8.0"
    )


class Recorder(CellEvents):
    def __init__(self) -> None:
        self.started: list[str] = []

    def cell_started(self, label: str) -> None:
        self.started.append(label)


def test_events_name_the_cell(tmp_path: Path) -> None:
    events = Recorder()
    run_cell(
        "/py", TARGET, "1.3.0", tmp_path, FINDINGS, [Resolved("torch", "9.*", None, "none")], tmp_path, no_pip, events=events
    )
    assert events.started == ["1.3.0 × torch 9.*"]


def test_deprecations_come_from_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """``lfmdoctor.repro.deprecations.collect`` decides; without it a cell simply lists none."""
    seen: list[Any] = []
    found = {
        "library": "transformers",
        "version": "5.24.0",
        "removal_version": "5.40.0",
        "message": "past_key_values is deprecated and will be removed in version 5.40.0",
        "frame": "liquid_audio/model/lfm2_audio.py:201",
        "bug": "past-key-values",
    }
    stub = types.ModuleType("lfmdoctor.repro.deprecations")
    stub.collect = lambda outcomes: seen.append(outcomes) or [found]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lfmdoctor.repro.deprecations", stub)
    assert deprecations(["an outcome"]) == [found] and seen == [["an outcome"]]
    monkeypatch.setitem(sys.modules, "lfmdoctor.repro.deprecations", None)  # not there: ImportError
    assert deprecations(["an outcome"]) == []


# --- the table ------------------------------------------------------------------------------------

WARNING = {
    "library": "transformers",
    "version": "5.24.0",
    "removal_version": "5.40.0",
    "message": "past_key_values is deprecated and will be removed in version 5.40.0 for Lfm2Model.forward.",
    "frame": "liquid_audio/model/lfm2_audio.py:201",
    "bug": "past-key-values",
}
PROBLEM = "liquid-audio 1.1.0 imports Lfm2HybridConvCache (model/lfm2_audio.py:15), removed in transformers 5"


def cell(version: str, transformers: str | None, *, reproduced: tuple[str, ...] = (), **extra: Any) -> CellResult:
    importable = extra.pop("importable", True)
    outcome = "not reproduced" if importable else "cannot run"
    bugs = [ReleaseBug(b, True, None, "reproduced" if b in reproduced else outcome) for b in BUG_IDS]
    return CellResult(
        version,
        {"transformers": transformers},
        importable,
        None if importable else PROBLEM,
        bugs,
        specs={"transformers": extra.pop("spec", transformers or "?")},
        platform=extra.pop("platform", "Linux x86_64"),
        python="3.12.1",
        **extra,
    )


CELLS = [
    cell("1.3.0", "5.24.0", reproduced=("local-path",), deprecations=[WARNING, WARNING], spec="latest"),
    cell("1.1.0", "5.24.0", importable=False, spec="latest"),
    cell("1.3.0", "4.57.6", spec="4.57.*"),
    cell("1.1.0", "4.57.6", reproduced=("local-path", "audio-format"), spec="4.57.*"),
]


def test_cells_table() -> None:
    table = cells_table(CELLS)
    assert table.header == [
        "liquid-audio",
        "transformers",
        "imports",
        "reproduced",
        "not reproduced",
        "cannot run",
        "deprecations",
    ]
    assert [row[:3] for row in table.rows] == [
        [["1.1.0"], ["4.57.6"], ["yes"]],
        [["1.1.0"], ["5.24.0"], ["no"]],
        [["1.3.0"], ["4.57.6"], ["yes"]],
        [["1.3.0"], ["5.24.0"], ["yes"]],
    ]
    assert table.rows[0][3] == [b for b in BUG_IDS if b in ("local-path", "audio-format")]  # registry order
    assert table.rows[0][4:] == [[str(len(BUG_IDS) - 2)], ["0"], ["—"]]
    assert table.rows[1][3:] == [["—"]] * 4
    assert table.rows[3][6] == ["transformers → 5.40.0 (past-key-values)"]  # each once
    assert table.notes == [
        f"1.1.0 × transformers 5.24.0: cannot run: {PROBLEM}",
        "deprecation: transformers 5.24.0 at liquid_audio/model/lfm2_audio.py:201: " + WARNING["message"],
    ]
    assert cells_table(list(reversed(CELLS))) == table  # the order cells arrive in does not matter


def test_cells_table_shows_the_platform_only_when_cells_differ() -> None:
    mac = cell("1.3.0", "5.24.0", platform="Darwin arm64", spec="latest")
    table = cells_table([*CELLS, mac])
    assert table.header[:3] == ["liquid-audio", "transformers", "platform"]
    assert [row[2] for row in table.rows][-2:] == [["Darwin arm64"], ["Linux x86_64"]]
    assert any(note.startswith("1.1.0 × transformers 5.24.0 on Linux x86_64: cannot run") for note in table.notes)


def test_cells_markdown() -> None:
    text = cells_markdown(CELLS)
    lines = text.splitlines()
    assert lines[0] == "| liquid-audio | transformers | imports | reproduced | not reproduced | cannot run | deprecations |"
    assert lines[1] == "|---|---|---|---|---|---|---|"
    assert lines[3] == "| 1.1.0 | 5.24.0 | no | — | — | — | — |"
    assert lines[5].endswith("| transformers → 5.40.0 (past-key-values) |")
    assert lines[6] == "" and lines[7] == f"- 1.1.0 × transformers 5.24.0: cannot run: {PROBLEM}"
    odd = cell("1.3.0", "5.24.0", importable=False, spec="latest")
    odd.import_problem = "a | b"
    assert cells_markdown([odd]).splitlines()[-1] == "- 1.3.0 × transformers 5.24.0: cannot run: a \\| b"


def test_cells_json_round_trip() -> None:
    result = CellMatrix("/py", "5.24.0", {"transformers": ["4.57.*", "latest"]}, "package index", "ran", CELLS)
    data = json.loads(json.dumps(result.to_json()))
    assert CellMatrix.from_json(data) == result
    first = data["cells"][0]
    assert {"liquid_audio", "deps", "importable", "import_problem", "bugs", "deprecations"} <= set(first)
    assert {"id", "present", "outcome", "reason"} <= set(first["bugs"][0])
    assert first["deps"] == {"transformers": "5.24.0"} and first["deprecations"][0]["removal_version"] == "5.40.0"


# --- the workflow ---------------------------------------------------------------------------------

AXES = [Axis("transformers", ("4.57.*", "latest")), Axis("torch", ("2.8.*",))]


def test_workflow_cells() -> None:
    cells = workflow_cells(["1.1.0", "1.3.0"], AXES)
    assert [c["key"] for c in cells] == [
        "1.1.0-transformers-4.57.x-torch-2.8.x",
        "1.1.0-transformers-latest-torch-2.8.x",
        "1.3.0-transformers-4.57.x-torch-2.8.x",
        "1.3.0-transformers-latest-torch-2.8.x",
    ]
    assert cells[0]["name"] == "liquid-audio 1.1.0 × transformers 4.57.* × torch 2.8.*"
    assert cells[0]["args"] == "--versions 1.1.0 --with 'transformers=4.57.*' --with 'torch=2.8.*'"
    assert workflow_cells(["1.3.0"], [], repro=False) == [
        {"name": "liquid-audio 1.3.0", "key": "1.3.0", "args": "--versions 1.3.0 --no-repro"}
    ]
    assert cell_key("1.0.0", [("torch", "<2.9,>=2.8")]) == "1.0.0-torch-2.9-2.8"


def check_workflow(data: dict[str, Any], versions: list[str]) -> None:
    """What the emitted workflow must hold, whether read back by a YAML parser or built as data."""
    assert data["name"] == "lfmdoctor matrix"
    assert "workflow_dispatch" in data["on"] and data["on"]["schedule"][0]["cron"]
    cell_job, table_job = data["jobs"]["cell"], data["jobs"]["table"]
    matrix = cell_job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "macos-14"] and cell_job["strategy"]["fail-fast"] is False
    assert matrix["cell"] == workflow_cells(versions, AXES)
    assert cell_job["runs-on"] == "${{ matrix.os }}"
    steps = cell_job["steps"]
    run = next(step["run"] for step in steps if step.get("name") == "Run the cell")
    assert run.startswith("lfmdoctor matrix ${{ matrix.cell.args }} --json > cell.json")
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == ARTIFACT_PREFIX + "${{ matrix.os }}-${{ matrix.cell.key }}"
    assert upload["with"]["path"] == "cell.json"
    assert table_job["needs"] == "cell"
    download = next(step for step in table_job["steps"] if str(step.get("uses", "")).startswith("actions/download-artifact@"))
    assert download["with"] == {"pattern": ARTIFACT_PREFIX + "*", "path": "cells"}
    assert any("lfmdoctor matrix --merge cells --markdown" in step.get("run", "") for step in table_job["steps"])


def test_workflow_is_valid_yaml_with_the_expected_matrix() -> None:
    data = workflow(["1.1.0", "1.3.0"], AXES, command="lfmdoctor matrix --emit-workflow x.yml")
    check_workflow(data, ["1.1.0", "1.3.0"])  # the structure, as data
    text = to_yaml(data)
    assert text.startswith("# Written by lfmdoctor matrix --emit-workflow x.yml\nname: lfmdoctor matrix\n")
    assert '\n"on":\n' in text  # quoted: a YAML 1.1 reader would read a bare on as true
    yaml = pytest.importorskip("yaml", reason="no YAML parser installed; the structure was checked as data")
    parsed = yaml.safe_load(text)
    check_workflow(parsed, ["1.1.0", "1.3.0"])
    data.pop("#")
    assert parsed == data  # the writer loses nothing


def test_yaml_scalars() -> None:
    yaml = pytest.importorskip("yaml")
    odd = {
        "plain": "ubuntu-latest",
        "words": ["yes", "no", "on", "off", "null", "true", "~", "1.10", "3.12", "0x1F", "-x", "a: b", "#c", "*", "&a"],
        "block": "line one\n  indented\n\nlast\n",
        "block_no_newline": "a\nb",
        "expression": "${{ matrix.os }}",
        "empty": {},
        "none": [],
        "nested": [{"a": 1, "b": [True, False, None]}, "x"],
        "unicode": "liquid-audio 1.1.0 × transformers 4.57.*",
    }
    assert yaml.safe_load(to_yaml(odd)) == odd


# --- --merge --------------------------------------------------------------------------------------


def write_artifacts(root: Path, cells: list[CellResult]) -> None:
    """As actions/download-artifact lays them out: one folder per artifact, each with its cell.json."""
    for number, item in enumerate(cells):
        folder = root / f"{ARTIFACT_PREFIX}{RUNNERS[0]}-{number}"
        folder.mkdir(parents=True)
        document = CellMatrix("/py", "5.24.0", {}, "package index", "ran", [item]).to_json()
        (folder / "cell.json").write_text(json.dumps(document))


def test_merge_gives_the_table_of_the_cells(tmp_path: Path) -> None:
    write_artifacts(tmp_path, CELLS)
    merged = merge_cells(tmp_path)
    assert cells_table(merged.cells) == cells_table(CELLS)
    assert cells_markdown(merged.cells) == cells_markdown(CELLS)
    assert merged.axes == {"transformers": ["latest", "4.57.*"]}
    (tmp_path / "single.json").write_text(json.dumps(CELLS[0].to_json()))  # a bare cell is read too
    (tmp_path / "failed-job").mkdir()
    (tmp_path / "failed-job" / "cell.json").write_text("")  # its lfmdoctor exited 2: left out, and said so
    again = merge_cells(tmp_path)
    assert len(again.cells) == len(CELLS) + 1
    assert again.listing.endswith("; empty, so left out (their job failed): failed-job/cell.json")


def test_merge_errors(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match=r"no such folder"):
        merge_cells(tmp_path / "missing")
    with pytest.raises(MatrixError, match=r"no cell JSON files found"):
        merge_cells(tmp_path)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(MatrixError, match=r"^--merge: cannot read .*broken.json"):
        merge_cells(tmp_path)
    (tmp_path / "broken.json").write_text(json.dumps({"something": "else"}))
    with pytest.raises(MatrixError, match=r"holds no lfmdoctor matrix cells"):
        merge_cells(tmp_path)


def test_a_resolution_conflict_names_its_causes() -> None:
    from lfmdoctor.matrix.overlay import conflict

    output = (
        "Requirement already satisfied: torch>=2.8.0 in /venv (2.11.0)\n"
        "ERROR: Cannot install liquid-audio==1.3.0 and transformers==4.50.3 because these package versions have "
        "conflicting dependencies.\n\nThe conflict is caused by:\n    The user requested transformers==4.50.3\n"
        "    liquid-audio 1.3.0 depends on transformers>=4.55.4\n\nAdditionally, some packages ...\n"
    )
    assert conflict(output) == (
        "conflict: The user requested transformers==4.50.3; liquid-audio 1.3.0 depends on transformers>=4.55.4"
    )
    assert conflict("ERROR: No matching distribution found for torch==9") is None


def test_a_resolution_is_not_reused_once_the_target_changed(tmp_path: Path, monkeypatch) -> None:
    """A cell resolved while the target had huggingface-hub 2.4 must be resolved again after pip installed
    something that changed the target (the demo extra downgrades hub to 1.33): reused, its overlay of
    transformers 5.25 without hub 2.x made the release unimportable."""
    from lfmdoctor.matrix import overlay

    requirements = ["liquid-audio==1.3.0", "transformers==5.25.0"]
    options = {
        "record": cell_record("/py", requirements),
        "label": "transformers-5.25.0",
        "what": "pip",
        "drop": ["liquid-audio"],
    }
    monkeypatch.setattr(overlay, "target_state", lambda python: "hub-2.4")
    before = report_of("liquid-audio==1.3.0", "transformers==5.25.0")
    first = ensure_packages("/py", requirements, lambda: ["pip"], tmp_path, runner=pip_that_installs(before, []), **options)
    assert first.pins == ["transformers==5.25.0"]
    assert ensure_packages("/py", requirements, no_pip, tmp_path, **options) == first  # unchanged target: reused
    monkeypatch.setattr(overlay, "target_state", lambda python: "hub-1.33")
    after = report_of("liquid-audio==1.3.0", "transformers==5.25.0", "huggingface_hub==2.4.0")
    again = ensure_packages("/py", requirements, lambda: ["pip"], tmp_path, runner=pip_that_installs(after, []), **options)
    assert again.pins == ["huggingface-hub==2.4.0", "transformers==5.25.0"]


def test_the_target_state_names_each_distribution_and_version(tmp_path: Path) -> None:
    import sys

    from lfmdoctor.matrix.overlay import target_state

    here = target_state(sys.executable)
    assert len(here) == 16 and here == target_state(sys.executable)
    assert target_state(str(tmp_path / "no-python")) == ""
