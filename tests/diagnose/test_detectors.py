"""The detection engine: every bug's detector over one package, whatever state the package is in.

What each bug's detector finds on every release, and on copies edited to fix or reword the bug, is
tested in that bug's own file, tests/bugs/test_<id>.py. This file names no bug: it picks bugs from the
registry by the file they live in.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest

from lfmdoctor.bugs import BUG_IDS, BUGS
from lfmdoctor.bugs._anatomy import MODEL_CLASS, MODEL_FILE, UTILS_FILE
from lfmdoctor.bugs._ast import _without_type_params
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.diagnose import detectors
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.results import BugFinding

LATEST = RELEASES[-1]
FILES = sorted({bug.module for bug in BUGS})  # the liquid-audio files the detectors read


def by_id(findings: list[BugFinding]) -> dict[str, BugFinding]:
    return {finding.id: finding for finding in findings}


def ids_in(module: str) -> list[str]:
    """The ids of the bugs that live in this liquid-audio file."""
    return [bug.id for bug in BUGS if bug.module == module]


def assert_others_unchanged(findings: dict[str, BugFinding], baseline: dict[str, BugFinding], changed: list[str]) -> None:
    for bug_id in BUG_IDS:
        if bug_id not in changed:
            assert findings[bug_id].present is baseline[bug_id].present, bug_id


@pytest.mark.parametrize("release", RELEASES)
def test_findings_follow_the_registry(release_package, release: str) -> None:
    findings = detect_all(release_package(release))

    assert [finding.id for finding in findings] == list(BUG_IDS)
    assert [finding.title for finding in findings] == [bug.title for bug in BUGS]
    assert all(finding.affects_here is None for finding in findings)
    assert all(finding.present is not None for finding in findings), [f.detail for f in findings]


def test_evidence_follows_moved_lines(latest_copy: Path, release_findings) -> None:
    shift = 7
    for module in FILES:
        path = latest_copy / module
        path.write_text("# moved\n" * shift + path.read_text())

    findings = by_id(detect_all(latest_copy))

    with_evidence = 0
    for bug_id, before in release_findings(LATEST).items():
        after = findings[bug_id]
        assert after.present is before.present
        if before.evidence is not None:
            with_evidence += 1
            assert int(after.evidence.rsplit(":", 1)[1]) == int(before.evidence.rsplit(":", 1)[1]) + shift
    assert with_evidence


@pytest.mark.parametrize("module", FILES)
def test_missing_file_is_unknown_for_its_bugs_only(latest_copy: Path, release_findings, module: str) -> None:
    (latest_copy / module).unlink()

    findings = by_id(detect_all(latest_copy))

    for bug_id in ids_in(module):
        assert findings[bug_id].present is None
        assert findings[bug_id].evidence is None
        assert "does not exist" in findings[bug_id].detail
    assert_others_unchanged(findings, release_findings(LATEST), ids_in(module))


@pytest.mark.parametrize("module", FILES)
def test_syntax_error_is_unknown_without_raising(latest_copy: Path, release_findings, module: str) -> None:
    with (latest_copy / module).open("a") as source:
        source.write("\ndef broken(:\n")

    findings = by_id(detect_all(latest_copy))

    for bug_id in ids_in(module):
        assert findings[bug_id].present is None
        assert "does not parse" in findings[bug_id].detail
    assert_others_unchanged(findings, release_findings(LATEST), ids_in(module))


def test_missing_function_is_unknown(latest_copy: Path) -> None:
    path = latest_copy / UTILS_FILE
    text = path.read_text()
    assert text.count("def get_model_dir(") == 1
    path.write_text(text.replace("def get_model_dir(", "def find_model_dir("))

    findings = by_id(detect_all(latest_copy))

    assert ids_in(UTILS_FILE)
    for bug_id in ids_in(UTILS_FILE):
        assert findings[bug_id].present is None
        assert "get_model_dir" in findings[bug_id].detail


def test_missing_class_is_unknown(latest_copy: Path) -> None:
    path = latest_copy / MODEL_FILE
    path.write_text(path.read_text().replace(f"class {MODEL_CLASS}(", "class AudioModel("))

    findings = by_id(detect_all(latest_copy))

    assert ids_in(MODEL_FILE)
    for bug_id in ids_in(MODEL_FILE):
        assert findings[bug_id].present is None
        assert MODEL_CLASS in findings[bug_id].detail


def odd_package_dirs(tmp_path: Path) -> dict[str, object]:
    a_file = tmp_path / "a_file.py"
    a_file.write_text("x = 1\n")
    nul_bytes = tmp_path / "nul" / "liquid_audio"
    empty_files = tmp_path / "empty" / "liquid_audio"
    folders = tmp_path / "folders" / "liquid_audio"
    for module in FILES:
        for root in (nul_bytes, empty_files):
            (root / module).parent.mkdir(parents=True, exist_ok=True)
        (nul_bytes / module).write_bytes(b"x = 1\x00\xff\xfe\n")
        (empty_files / module).write_text("")
        (folders / module).mkdir(parents=True)
    return {
        "missing": tmp_path / "nowhere",
        "str": str(tmp_path / "nowhere"),
        "file": a_file,
        "nul-bytes": nul_bytes,
        "empty-files": empty_files,
        "folders-named-like-files": folders,
        "none": None,
    }


@pytest.mark.parametrize("kind", ["missing", "str", "file", "nul-bytes", "empty-files", "folders-named-like-files", "none"])
def test_odd_input_gives_unknown_without_raising(tmp_path: Path, kind: str) -> None:
    findings = detect_all(odd_package_dirs(tmp_path)[kind])  # type: ignore[arg-type]

    assert [finding.id for finding in findings] == list(BUG_IDS)
    for finding in findings:
        assert finding.present is None
        assert finding.evidence is None
        assert finding.detail


def test_unexpected_detector_error_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bug = BUGS[0]
    (tmp_path / bug.module).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / bug.module).write_text("x = 1\n")

    def broken(source: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(detectors, "BUGS", (replace(bug, detect=broken), *BUGS[1:]))

    finding = by_id(detect_all(tmp_path))[bug.id]

    assert finding.present is None
    assert finding.evidence is None
    assert "ZeroDivisionError: boom" in finding.detail


def test_type_parameters_are_removed_in_place_for_older_parsers() -> None:
    source = (
        "def first[T: (int, str)](x: T) -> T:\n"
        "    return x\n"
        "class Box[\n"
        "    T,\n"
        "    U: list[int],\n"
        "](Base):\n"
        "    type Inner[T] = list[T]\n"
        "def after():\n"
        "    pass\n"
    )

    tree = ast.parse(_without_type_params(source), feature_version=(3, 10))

    functions = {node.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert functions == {"first": 1, "after": 8}


def test_released_utils_parse_for_older_pythons(release_package) -> None:
    text = (release_package(LATEST) / UTILS_FILE).read_text()
    with pytest.raises(SyntaxError):
        ast.parse(text, feature_version=(3, 10))

    tree = ast.parse(_without_type_params(text), feature_version=(3, 10))

    lines = {node.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert lines["get_model_dir"] == text.splitlines().index("def get_model_dir(") + 1
