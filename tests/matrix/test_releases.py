"""The matrix against two real liquid-audio releases (1.0.0 and 1.3.0), laid over this interpreter.

The reproductions run the real releases on the built-in tiny checkpoint; nothing of liquid-audio is
mocked. Expectations are for a machine without a usable GPU or MPS, except where ``cuda_usable`` says
the device bugs cannot show here.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import platform
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lfmdoctor.bugs._spec import CONDITIONS
from lfmdoctor.matrix import MatrixError, MatrixResult, affected_releases, describe_affected
from lfmdoctor.matrix.build import inspect_target
from lfmdoctor.matrix.overlay import (
    ensure_bytecode,
    ensure_provision,
    removed_cache_import,
    transformers_major,
)
from lfmdoctor.matrix.releases import fetch_wheel, pip_command, select_versions, unpack
from lfmdoctor.pythonpath import prepend

pytestmark = pytest.mark.slow

CUDA_BUGS = ("processor-device", "model-device", "detokenizer-device")


def removed_in_target(result: MatrixResult) -> bool:
    return (transformers_major(result.transformers) or 0) >= 5


def no_pip() -> list[str]:
    raise AssertionError("pip was run although everything is cached")


def test_target_is_read_without_importing_anything() -> None:
    """Another interpreter path is asked in a child (metadata only); the answers match this one's."""
    names = [f"python{sys.version_info[0]}.{sys.version_info[1]}", f"python{sys.version_info[0]}", "python"]
    other = next((p for p in map(Path(sys.executable).with_name, names) if p.exists() and str(p) != sys.executable), None)
    if other is None:
        pytest.skip("this environment has no second name for its interpreter")
    target = inspect_target(str(other))
    assert target.version == platform.python_version()
    assert target.transformers == importlib.metadata.version("transformers")
    assert inspect_target(sys.executable) == replace(target, python=sys.executable)  # read in-process


def test_both_releases_are_in_the_matrix(repro_matrix: MatrixResult) -> None:
    assert [r.version for r in repro_matrix.versions] == ["1.0.0", "1.3.0"]
    for release in repro_matrix.versions:
        assert [b.id for b in release.bugs][:3] == ["processor-device", "model-device", "audio-format"]


def test_detections_differ_between_releases(repro_matrix: MatrixResult) -> None:
    old, new = repro_matrix.release("1.0.0"), repro_matrix.release("1.3.0")
    assert old.bug("detokenizer-device").present is False  # 1.0.0 has no detokenizer at all
    assert new.bug("detokenizer-device").present is True
    assert old.bug("dtype-mismatch").present is True  # 1.2.0 started casting the conformer input
    assert new.bug("dtype-mismatch").present is False
    assert old.bug("processor-device").present and new.bug("processor-device").present
    assert affected_releases(repro_matrix, "dtype-mismatch") == ["1.0.0"]
    assert affected_releases(repro_matrix, "detokenizer-device") == ["1.3.0"]
    assert affected_releases(repro_matrix, "processor-device") == ["1.0.0", "1.3.0"]


def test_evidence_points_into_the_release_source(repro_matrix: MatrixResult, wheels: Path) -> None:
    evidence = repro_matrix.release("1.3.0").bug("detokenizer-device").evidence
    assert evidence is not None and evidence.startswith("liquid_audio/processor.py:")
    path, line = evidence.rsplit(":", 1)
    source = (wheels / "overlays" / "1.3.0" / path).read_text().splitlines()
    assert ".cuda()" in source[int(line) - 1]


def test_each_release_resolves_to_its_overlay(repro_matrix: MatrixResult, wheels: Path) -> None:
    for release in repro_matrix.versions:
        assert release.location == str(wheels / "overlays" / release.version / "liquid_audio")
        assert release.overlay[0] == str(wheels / "overlays" / release.version)


def test_reproductions_against_1_3_0(repro_matrix: MatrixResult, cuda_usable: bool) -> None:
    assert repro_matrix.repro == "ran"
    new = repro_matrix.release("1.3.0")
    assert new.importable and new.import_problem is None
    for bug_id in CUDA_BUGS:
        bug = new.bug(bug_id)
        if cuda_usable:
            assert (bug.outcome, bug.reason) == ("not reproduced", CONDITIONS["cuda_unusable"].unmet)
        else:
            assert bug.outcome == "reproduced", bug.reason
    if not cuda_usable:
        assert new.bug("processor-device").reason.startswith("RuntimeError from liquid_audio/processor.py:")
        assert "liquid_audio/processor.py:151" in new.bug("detokenizer-device").reason  # the hard-coded .cuda()
    for bug_id in ("audio-format", "local-path", "train-mode", "eoa-code"):
        assert new.bug(bug_id).outcome == "reproduced", new.bug(bug_id).reason
    dtype = new.bug("dtype-mismatch")  # 1.2.0 casts: gone, and the real run agrees with the source
    assert (dtype.present, dtype.outcome) == (False, "not reproduced")
    assert dtype.reason == "the call worked: the liquid-audio code in use handles it"
    mimi = new.bug("mimi-device")
    assert mimi.outcome == "cannot run" and mimi.reason.startswith(CONDITIONS["mps"].unmet), mimi.reason
    if importlib.util.find_spec("flash_attn") is None:
        assert (new.bug("flash-attn").outcome, new.bug("flash-attn").reason) == ("cannot run", CONDITIONS["flash_attn"].unmet)


def test_1_0_0_cannot_run_without_provision(repro_matrix: MatrixResult) -> None:
    old = repro_matrix.release("1.0.0")
    if not removed_in_target(repro_matrix):
        assert old.importable and {b.outcome for b in old.bugs} <= {"reproduced", "not reproduced", "cannot run"}
        return
    assert not old.importable
    assert old.import_problem == (
        "liquid-audio 1.0.0 imports Lfm2HybridConvCache (model/lfm2_audio.py:15), removed in transformers 5 (use --provision)"
    )
    assert {(b.outcome, b.reason) for b in old.bugs} == {("cannot run", old.import_problem)}
    assert describe_affected(repro_matrix, "dtype-mismatch") == "1.0.0 (from the source; could not run here)"


def test_one_worker_run_per_importable_release(repro_matrix: MatrixResult, repro_calls: Any, wheels: Path) -> None:
    """The cost contract: an importable release costs one engine run, beside a locate-only check (no
    torch import); a release that cannot import gets one real import instead of a worker run."""
    new, old = str(wheels / "overlays" / "1.3.0"), str(wheels / "overlays" / "1.0.0")
    assert sorted(repro_calls.checks) == sorted([(new, False), (old, removed_in_target(repro_matrix))])
    assert repro_calls.reproductions == ([new] if removed_in_target(repro_matrix) else [old, new])


def test_overlays_are_byte_compiled_once(repro_matrix: MatrixResult, wheels: Path) -> None:
    """An unpacked wheel has no bytecode; the matrix compiles it once so no run compiles it again."""
    version = repro_matrix.release("1.3.0")  # the matrix ran: the overlay is compiled
    overlay = wheels / "overlays" / version.version
    python = platform.python_version()  # what the target reports (this interpreter is the target)
    assert (overlay / f".lfmdoctor-bytecode-{python}").is_file()
    assert (overlay / "liquid_audio" / "__pycache__" / f"processor.{sys.implementation.cache_tag}.pyc").is_file()

    def no_compile(argv: list[str], timeout: float) -> tuple[int, str, str]:
        raise AssertionError(f"compiled again: {argv}")

    assert ensure_bytecode(sys.executable, overlay, python, runner=no_compile)


def test_overlay_wins_over_the_installed_release_in_a_child(wheels: Path, repro_matrix: MatrixResult) -> None:
    """1.0.0's overlay shadows whatever liquid-audio this interpreter has installed (1.3.0 in dev)."""
    del repro_matrix  # only for the overlay it unpacked
    overlay = wheels / "overlays" / "1.0.0"
    code = (
        "import importlib.util, importlib.metadata as m, json; "
        "spec = importlib.util.find_spec('liquid_audio'); "
        "print(json.dumps([list(spec.submodule_search_locations)[0], m.version('liquid-audio')]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=prepend([overlay]))
    location, version = json.loads(done.stdout)
    assert Path(location) == overlay / "liquid_audio"
    assert version == "1.0.0"
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(plain.stdout)[0] != location  # the user's environment is untouched


def test_cached_releases_need_no_index(repro_matrix: MatrixResult, wheels: Path, unreachable_index: dict[str, str]) -> None:
    """Second run: with the index unreachable, selection, fetch and unpack all come from the cache."""
    del repro_matrix  # only for the wheels it cached
    versions, listing = select_versions("1.0,1.3.0", no_pip, wheels)
    assert versions == ["1.0.0", "1.3.0"] and listing is None
    for version in versions:
        wheel = fetch_wheel(version, no_pip, wheels)
        assert wheel.parent == wheels
        assert unpack(wheel, version, wheels) == wheels / "overlays" / version


def test_removed_cache_class_is_read_from_the_source(repro_matrix: MatrixResult, wheels: Path) -> None:
    del repro_matrix
    old, new = wheels / "overlays" / "1.0.0" / "liquid_audio", wheels / "overlays" / "1.3.0" / "liquid_audio"
    assert removed_cache_import(old, "5.23.0") == 15
    assert removed_cache_import(old, "4.57.6") is None
    assert removed_cache_import(old, None) is None
    assert removed_cache_import(new, "5.23.0") is None  # 1.2.0+ import it inside a version check


@pytest.mark.slow
def test_provision_makes_1_0_0_run(
    provisioned_json: dict[str, Any], repro_matrix: MatrixResult, wheels: Path, cuda_usable: bool
) -> None:
    """--provision: transformers 4.57 (and the hub/tokenizers it needs) laid over the target, once; then
    1.0.0's own bugs reproduce, and the ones it cannot have (no detokenizer before 1.1.0) do not."""
    if not removed_in_target(repro_matrix):
        pytest.skip("this interpreter's transformers is < 5: 1.0.0 runs without provisioning")
    assert provisioned_json["repro"] == "ran" and provisioned_json["provision"] is True
    [old] = provisioned_json["versions"]
    bugs = {b["id"]: b for b in old["bugs"]}
    assert old["version"] == "1.0.0" and old["importable"] and old["import_problem"] is None
    assert old["transformers"].startswith("4.57.")
    assert any(pin.startswith("transformers==4.57.") for pin in old["provisioned"])
    assert old["overlay"][1].startswith(str(wheels / "provision" / "transformers-4.57-"))
    assert bugs["dtype-mismatch"]["outcome"] == "reproduced", bugs["dtype-mismatch"]["reason"]
    assert "liquid_audio/model/conformer/subsampling.py" in bugs["dtype-mismatch"]["reason"]
    for bug_id in ("detokenizer-device", "eoa-code"):
        assert bugs[bug_id]["present"] is False
        assert bugs[bug_id]["outcome"] == "not reproduced" and CONDITIONS["decode"].unmet in bugs[bug_id]["reason"]
    for bug_id in ("audio-format", "local-path", "train-mode"):
        assert bugs[bug_id]["outcome"] == "reproduced", bugs[bug_id]["reason"]
    for bug_id in ("processor-device", "model-device"):
        assert bugs[bug_id]["outcome"] == ("not reproduced" if cuda_usable else "reproduced"), bugs[bug_id]["reason"]
    # Cached now: a second provisioning neither asks the index nor runs pip, and the target is untouched.
    again = ensure_provision(sys.executable, no_pip, wheels)
    assert again.pins == old["provisioned"] and str(again.path) == old["overlay"][1]
    assert importlib.metadata.version("transformers") == repro_matrix.transformers


def test_fetch_downloads_once_and_names_unknown_versions(tmp_path: Path) -> None:
    """A fresh cache: pip downloads the wheel (then it is reused); pip's own answer names the releases."""
    pip = pip_command(sys.executable)
    try:
        wheel = fetch_wheel("1.0", lambda: pip, tmp_path)
    except MatrixError as exc:
        if "cannot be reached" in str(exc):
            pytest.skip(str(exc))
        raise
    assert wheel == tmp_path / "liquid_audio-1.0.0-py3-none-any.whl"
    assert fetch_wheel("1.0.0", lambda: ["false"], tmp_path) == wheel
    assert fetch_wheel("1.0", lambda: ["false"], tmp_path) == wheel
    assert [p.name for p in tmp_path.iterdir()] == [wheel.name]  # no staging left behind
    with pytest.raises(MatrixError) as info:
        fetch_wheel("9.9.9", lambda: pip, tmp_path)
    assert str(info.value).startswith("unknown liquid-audio version 9.9.9; known: 0.0.0a1, 1.0.0, ")
