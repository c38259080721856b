"""Pure parts of the matrix: version parsing, pip output, listing fallbacks, table building, reproductions per release."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import platform
import sys
from pathlib import Path

import pytest
from rich.console import Console

from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.child_protocol import KEY
from lfmdoctor.matrix import (
    MatrixResult,
    ReleaseBug,
    ReleaseResult,
    affected_releases,
    describe_affected,
    describe_releases,
    releases_with_outcome,
)
from lfmdoctor.matrix.build import inspect_target, relative_evidence
from lfmdoctor.matrix.overlay import ensure_bytecode, pins_from_report, provision_dir_name
from lfmdoctor.matrix.releases import (
    MatrixError,
    list_releases,
    match_version,
    parse_version_spec,
    sort_versions,
    versions_from_pip_error,
    versions_from_pip_text,
)
from lfmdoctor.matrix.render import matrix_table, print_matrix
from lfmdoctor.matrix.reproduce import aggregate, import_error_of
from lfmdoctor.matrix.results import OUTCOMES
from lfmdoctor.pythonpath import prepend
from lfmdoctor.results import ExceptionInfo, Outcome, ReproOutcome


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("all", None),
        (" ALL ", None),
        ("1.3.0", ["1.3.0"]),
        ("1.3.0, 1.0.0,1.3.0", ["1.3.0", "1.0.0"]),
        ("1.0", ["1.0"]),
        ("v1.2.0,", ["1.2.0"]),
        ("0.0.0A1", ["0.0.0a1"]),
    ],
)
def test_parse_version_spec(spec: str, expected: list[str] | None) -> None:
    assert parse_version_spec(spec) == expected


@pytest.mark.parametrize("spec", ["1.x", "latest", "1.0.0,,banana", ",", ""])
def test_parse_version_spec_rejects(spec: str) -> None:
    with pytest.raises(MatrixError) as info:
        parse_version_spec(spec)
    assert "\n" not in str(info.value)


def test_versions_sort_as_versions_and_match_loosely() -> None:
    assert sort_versions(["1.10.0", "1.3.0", "0.0.0a1", "1.3"]) == ["0.0.0a1", "1.3.0", "1.10.0"]
    assert match_version("1.0", RELEASES) == "1.0.0"
    assert match_version("1.4.0", RELEASES) is None


def test_pip_outputs() -> None:
    error = (
        "ERROR: Could not find a version that satisfies the requirement liquid-audio==9 "
        "(from versions: 0.0.0a1, 1.0.0, 1.3.0)\nERROR: No matching distribution found"
    )
    assert versions_from_pip_error(error) == ["0.0.0a1", "1.0.0", "1.3.0"]
    assert versions_from_pip_error("ERROR: ... (from versions: none)") == []
    assert versions_from_pip_error("ERROR: something else") is None
    text = "liquid-audio (1.3.0)\nAvailable versions: 1.3.0, 1.2.0, 1.1.0\n  INSTALLED: 1.3.0\n"
    assert versions_from_pip_text(text) == ["1.3.0", "1.2.0", "1.1.0"]


def fake_pip(answer: tuple[int | None, str, str], calls: list[list[str]]):
    def runner(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
        calls.append(argv)
        return answer

    return runner


def test_listing_is_cached_for_a_day(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    ok = (0, json.dumps({"name": "liquid-audio", "versions": ["1.3.0", "1.0.0"]}), "")
    first = list_releases(["pip"], tmp_path, runner=fake_pip(ok, calls), now=lambda: 1000.0)
    assert first.versions == ["1.0.0", "1.3.0"] and first.source == "package index"
    assert calls[0][1:4] == ["index", "versions", "liquid-audio"] and "--pre" in calls[0]
    again = list_releases(["pip"], tmp_path, runner=fake_pip(ok, calls), now=lambda: 2000.0)
    assert again.versions == first.versions and len(calls) == 1 and "cached" in again.source
    down = (1, "", "WARNING: Retrying ... NewConnectionError('[Errno 111] Connection refused')\nERROR: No matching")
    stale = list_releases(["pip"], tmp_path, runner=fake_pip(down, calls), now=lambda: 1000.0 + 2 * 86400)
    assert stale.versions == first.versions and "cached package-index listing" in stale.source
    assert "Connection refused" in stale.source


def test_listing_falls_back_to_the_labelled_known_list(tmp_path: Path) -> None:
    down = (1, "", "ERROR: No matching distribution found for liquid-audio")
    listing = list_releases(["pip"], tmp_path, runner=fake_pip(down, []))
    assert listing.versions == list(RELEASES)
    assert listing.source.startswith("lfmdoctor's built-in list of known releases")


def test_old_pip_without_json(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
        calls.append(argv)
        if "--json" in argv:
            return 2, "", "ERROR: no such option: --json"
        return 0, "liquid-audio (1.3.0)\nAvailable versions: 1.3.0, 1.2.0\n", ""

    assert list_releases(["pip"], tmp_path, runner=runner).versions == ["1.2.0", "1.3.0"]
    assert len(calls) == 2


def test_inspect_target_reads_the_target_record() -> None:
    calls: list[list[str]] = []
    ok = (0, "noise\n" + json.dumps({KEY: "target", "python": "3.12.1", "transformers": "5.23.0"}) + "\n", "")
    target = inspect_target("/t/python", runner=fake_pip(ok, calls))
    assert (target.version, target.transformers) == ("3.12.1", "5.23.0")
    assert calls[0][0] == "/t/python" and calls[0][-1] == "--target"
    old = (0, json.dumps({KEY: "target", "python": "3.11.9", "transformers": None}), "")
    with pytest.raises(MatrixError, match=r"^/t/python is Python 3.11.9; every liquid-audio release needs Python >= 3.12"):
        inspect_target("/t/python", runner=fake_pip(old, []))
    with pytest.raises(MatrixError, match=r"^cannot run /t/python: No such file"):
        inspect_target("/t/python", runner=fake_pip((None, "", "No such file or directory"), []))
    # this interpreter is read in-process: no child
    own = inspect_target(sys.executable, runner=fake_pip((1, "", "must not run"), []))
    assert own.version == platform.python_version()


def test_versions_come_from_the_dist_info_beside_the_package(tmp_path: Path) -> None:
    from lfmdoctor.matrix.import_check_child import version

    (tmp_path / "liquid_audio").mkdir()
    (tmp_path / "liquid_audio-1.0.0.dist-info").mkdir()
    (tmp_path / "liquid_audio_extra-9.9.dist-info").mkdir()  # another distribution: not a match
    assert version("liquid-audio", str(tmp_path / "liquid_audio")) == "1.0.0"
    (tmp_path / "liquid_audio-1.3.0.dist-info").mkdir()  # two copies: ask importlib.metadata instead
    assert version("liquid-audio", str(tmp_path / "liquid_audio")) == importlib.metadata.version("liquid-audio")
    assert version("no-such-distribution-xyz", str(tmp_path / "nothing")) is None


def test_describe_releases() -> None:
    among = list(RELEASES)
    assert describe_releases(among, among) == "all checked releases (0.0.0a1–1.3.0)"
    assert describe_releases(["1.1.0", "1.2.0", "1.3.0"], among) == "1.1.0–1.3.0"
    assert describe_releases(["0.0.0a1", "1.0.0", "1.1.0"], among) == "0.0.0a1–1.1.0"
    assert describe_releases(["1.0.0", "1.3.0"], among) == "1.0.0, 1.3.0"
    assert describe_releases([], among) == "none"


def release(version: str, cells: dict[str, tuple[bool | None, str]]) -> ReleaseResult:
    """A release where only ``cells`` (bug id -> (present, outcome)) differ from "absent, not reproduced"."""
    bugs = []
    for bug_id in BUG_IDS:
        present, outcome = cells.get(bug_id, (False, "not reproduced"))
        bugs.append(ReleaseBug(bug_id, present, None, outcome))
    return ReleaseResult(version, True, None, bugs)


def matrix_of(*releases: ReleaseResult) -> MatrixResult:
    return MatrixResult("/venv/bin/python", "5.23.0", "package index", False, "ran", list(releases))


def test_outcomes_are_stable_strings() -> None:
    assert OUTCOMES == ("reproduced", "not reproduced", "cannot run", "not run")
    assert ReleaseBug("local-path", True, None).outcome == "not run"  # the default: never null in JSON


def test_affected_releases_use_the_source_and_the_runs() -> None:
    result = matrix_of(
        release("1.0.0", {"dtype-mismatch": (True, "cannot run"), "local-path": (True, "reproduced")}),
        release("1.1.0", {"dtype-mismatch": (True, "reproduced"), "local-path": (None, "reproduced")}),
        release("1.2.0", {"dtype-mismatch": (False, "reproduced"), "local-path": (True, "not reproduced")}),
        release("1.3.0", {"local-path": (True, "not run")}),
    )
    # present, or reproduced although the source reading said absent / could not tell
    assert affected_releases(result, "dtype-mismatch") == ["1.0.0", "1.1.0", "1.2.0"]
    assert affected_releases(result, "local-path") == ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    # "not reproduced" here does not clear a release whose source has the bug (e.g. CUDA works here)
    assert "1.2.0" in affected_releases(result, "local-path")
    assert affected_releases(result, "eoa-code") == []
    assert releases_with_outcome(result, "dtype-mismatch", "reproduced") == ["1.1.0", "1.2.0"]
    assert releases_with_outcome(result, "local-path", "not run") == ["1.3.0"]
    with pytest.raises(ValueError):
        releases_with_outcome(result, "local-path", "reproduced?")


def test_describe_affected() -> None:
    result = matrix_of(
        release(
            "1.0.0",
            {
                "dtype-mismatch": (True, "cannot run"),
                "local-path": (True, "reproduced"),
                "train-mode": (True, "reproduced"),
                "mimi-device": (True, "cannot run"),
            },
        ),
        release(
            "1.1.0",
            {"dtype-mismatch": (True, "reproduced"), "local-path": (True, "reproduced"), "mimi-device": (True, "cannot run")},
        ),
        release(
            "1.2.0",
            {"local-path": (True, "not reproduced"), "train-mode": (True, "reproduced"), "mimi-device": (True, "cannot run")},
        ),
    )
    assert describe_affected(result, "eoa-code") == "none"
    assert describe_affected(result, "train-mode") == "1.0.0, 1.2.0 (reproduced here)"
    assert describe_affected(result, "dtype-mismatch") == (
        "1.0.0–1.1.0 (from the source; reproduced here with 1.1.0; could not run here with 1.0.0)"
    )
    assert describe_affected(result, "local-path") == (
        "all checked releases (1.0.0–1.2.0) (from the source; reproduced here with 1.0.0–1.1.0; "
        "not reproduced here with 1.2.0)"
    )
    assert describe_affected(result, "mimi-device") == (
        "all checked releases (1.0.0–1.2.0) (from the source; could not run here)"
    )
    static = matrix_of(release("1.0.0", {"local-path": (True, "not run")}))
    assert describe_affected(static, "local-path") == "1.0.0 (from the source; not run)"


def test_matrix_json_round_trip() -> None:
    result = sample_result()
    data = json.loads(json.dumps(result.to_json()))
    assert MatrixResult.from_json(data) == result
    assert {bug["outcome"] for release in data["versions"] for bug in release["bugs"]} <= set(OUTCOMES)


def test_bytecode_is_compiled_once(tmp_path: Path) -> None:
    (tmp_path / "liquid_audio").mkdir()
    (tmp_path / "liquid_audio" / "__init__.py").write_text("X = 1\n")
    assert ensure_bytecode(sys.executable, tmp_path, "3.x")
    assert list((tmp_path / "liquid_audio" / "__pycache__").glob("__init__.*.pyc"))
    assert ensure_bytecode(sys.executable, tmp_path, "3.x", runner=fake_pip((1, "", "not run again"), []))
    assert not ensure_bytecode(sys.executable, tmp_path, "3.y", runner=fake_pip((1, "", "boom"), []))
    assert not (tmp_path / ".lfmdoctor-bytecode-3.y").exists()


def test_overlay_paths_go_first_on_pythonpath() -> None:
    env = prepend([Path("/a"), "/b"], {"PYTHONPATH": "/user", "X": "1"})
    assert env == {"PYTHONPATH": os.pathsep.join(["/a", "/b", "/user"]), "X": "1"}
    assert prepend(["/a"], {})["PYTHONPATH"] == "/a"


def test_provision_pins_from_a_pip_report() -> None:
    report = {
        "install": [
            {"metadata": {"name": "transformers", "version": "4.57.6"}},
            {"metadata": {"name": "huggingface_hub", "version": "0.36.2"}},
            {"metadata": {"name": "tokenizers", "version": "0.22.2"}},
        ]
    }
    pins = pins_from_report(report)
    assert pins == ["huggingface-hub==0.36.2", "tokenizers==0.22.2", "transformers==4.57.6"]
    assert provision_dir_name(pins) == provision_dir_name(list(reversed(pins)))
    assert provision_dir_name(pins).startswith("transformers-4.57-")
    assert provision_dir_name(pins) != provision_dir_name(pins[1:])


def test_relative_evidence(tmp_path: Path) -> None:
    overlay = tmp_path / "overlays" / "1.3.0"
    assert relative_evidence(f"{overlay}/liquid_audio/processor.py:151", overlay) == "liquid_audio/processor.py:151"
    assert relative_evidence("/elsewhere/x.py:3", overlay) == "/elsewhere/x.py:3"
    assert relative_evidence(None, overlay) is None


def sample_result() -> MatrixResult:
    def bugs(present: dict[str, bool | None], outcome: str, reason: str | None = None) -> list[ReleaseBug]:
        return [ReleaseBug(i, present.get(i, True), None, outcome, reason) for i in BUG_IDS]

    problem = "liquid-audio 1.0.0 imports Lfm2HybridConvCache (model/lfm2_audio.py:15), removed in transformers 5"
    return MatrixResult(
        python="/venv/bin/python",
        transformers="5.23.0",
        listing="package index",
        provision=True,
        repro="ran",
        versions=[
            ReleaseResult("1.0.0", False, problem, bugs({"detokenizer-device": False}, "cannot run", problem)),
            ReleaseResult("1.1.0", True, None, bugs({}, "reproduced"), provisioned=["transformers==4.57.6"]),
            ReleaseResult("1.3.0", True, None, bugs({"dtype-mismatch": False, "eoa-code": None}, "not run", "--no-repro")),
        ],
    )


def test_matrix_table_cells() -> None:
    table = matrix_table(sample_result())
    assert table.header == ["bug", "1.0.0", "1.1.0†", "1.3.0"]
    assert table.rows[0] == [["imports"], ["no"], ["yes"], ["yes"]]
    rows = {row[0][0]: row[1:] for row in table.rows[1:]}
    assert list(rows) == list(BUG_IDS)
    assert rows["detokenizer-device"] == [["absent", "cannot run"], ["present", "reproduced"], ["present", "not run"]]
    assert rows["dtype-mismatch"][2] == ["absent", "not run"]
    assert rows["eoa-code"][2] == ["unknown", "not run"]
    assert table.notes[0].startswith("1.0.0: cannot run: liquid-audio 1.0.0 imports Lfm2HybridConvCache")
    assert table.notes[1] == "1.1.0†: run with transformers==4.57.6 laid over the target (--provision)"
    assert table.notes[-2:] == ["reproductions: ran", "releases listed from: package index"]


def test_print_matrix_is_not_squeezed_into_80_columns() -> None:
    buffer = io.StringIO()
    print_matrix(sample_result(), Console(file=buffer, width=80, highlight=False))
    text = buffer.getvalue()
    assert "detokenizer-device" in text and "cannot run" in text and "…" not in text
    note = next(line for line in text.splitlines() if line.startswith("• 1.0.0"))
    assert note.endswith("removed in transformers 5")  # one line per note


def case(bug: str, outcome: Outcome, reason: str = "") -> ReproOutcome:
    return ReproOutcome(f"{bug}:x", bug, outcome, ExceptionInfo("E", "m"), [], 0.1, reason)


def test_reproduce_aggregates_cases_into_one_cell_per_bug() -> None:
    cells = aggregate(
        [
            case("audio-format", Outcome.NOT_REPRODUCED, "ok"),
            case("audio-format", Outcome.REPRODUCED, "AssertionError from processor.py:227"),
            case("local-path", Outcome.NOT_REPRODUCED, "loaded"),
            case("mimi-device", Outcome.SKIPPED, "needs an Apple Silicon Mac"),
            case("train-mode", Outcome.NOT_REPRODUCED, "eval"),
            case("train-mode", Outcome.ERROR, "setup failed"),
        ]
    )
    assert cells["audio-format"] == ("reproduced", "AssertionError from processor.py:227")
    assert cells["local-path"] == ("not reproduced", "loaded")
    assert cells["mimi-device"] == ("cannot run", "needs an Apple Silicon Mac")
    assert cells["train-mode"] == ("not reproduced", "1 of 2 cases could not run: setup failed")


def test_reproduce_reads_the_engine_import_failure() -> None:
    reason = "liquid-audio does not import: ImportError: cannot import name 'Lfm2HybridConvCache'"
    failed = [case(b, Outcome.ERROR, reason) for b in ("audio-format", "local-path")]
    assert import_error_of(failed) == "ImportError: cannot import name 'Lfm2HybridConvCache'"
    assert import_error_of([*failed, case("train-mode", Outcome.REPRODUCED)]) is None
    assert import_error_of([]) is None
