"""The matrix against two real liquid-audio releases (1.0.0 and 1.3.0), laid over this interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.matrix import MatrixError, MatrixResult, affected_releases
from lfmdoctor.matrix.overlay import (
    check_import,
    ensure_provision,
    overlay_env,
    removed_cache_import,
    transformers_major,
)
from lfmdoctor.matrix.releases import fetch_wheel, pip_command, select_versions, unpack


def test_both_releases_are_in_the_matrix(two_releases: MatrixResult) -> None:
    assert [r.version for r in two_releases.versions] == ["1.0.0", "1.3.0"]
    for release in two_releases.versions:
        assert [b.id for b in release.bugs][:3] == ["processor-device", "model-device", "audio-format"]


def test_detections_differ_between_releases(two_releases: MatrixResult) -> None:
    old, new = two_releases.release("1.0.0"), two_releases.release("1.3.0")
    assert old.bug("detokenizer-device").present is False  # 1.0.0 has no detokenizer at all
    assert new.bug("detokenizer-device").present is True
    assert old.bug("dtype-mismatch").present is True  # 1.2.0 started casting the conformer input
    assert new.bug("dtype-mismatch").present is False
    assert old.bug("processor-device").present and new.bug("processor-device").present
    assert affected_releases(two_releases, "dtype-mismatch") == ["1.0.0"]
    assert affected_releases(two_releases, "detokenizer-device") == ["1.3.0"]


def test_evidence_points_into_the_release_source(two_releases: MatrixResult, wheels: Path) -> None:
    evidence = two_releases.release("1.3.0").bug("detokenizer-device").evidence
    assert evidence is not None and evidence.startswith("liquid_audio/processor.py:")
    path, line = evidence.rsplit(":", 1)
    source = (wheels / "overlays" / "1.3.0" / path).read_text().splitlines()
    assert ".cuda()" in source[int(line) - 1]


def test_each_release_resolves_to_its_overlay(two_releases: MatrixResult, wheels: Path) -> None:
    for release in two_releases.versions:
        assert release.location == str(wheels / "overlays" / release.version / "liquid_audio")
        assert release.overlay[0] == str(wheels / "overlays" / release.version)


def test_importability_follows_the_target_transformers(two_releases: MatrixResult) -> None:
    new = two_releases.release("1.3.0")
    assert new.importable and new.import_problem is None
    assert all(b.outcome is None for b in new.bugs)  # --no-repro: not run
    old = two_releases.release("1.0.0")
    if (transformers_major(two_releases.transformers) or 0) >= 5:
        assert not old.importable
        assert old.import_problem == (
            "liquid-audio 1.0.0 imports Lfm2HybridConvCache (model/lfm2_audio.py:15), removed in transformers 5 "
            "(use --provision)"
        )
        assert {b.outcome for b in old.bugs} == {"cannot run"}
        assert {b.reason for b in old.bugs} == {old.import_problem}
    else:
        assert old.importable


def test_json_shape(two_releases: MatrixResult) -> None:
    data = json.loads(json.dumps(two_releases.to_json()))
    assert [v["version"] for v in data["versions"]] == ["1.0.0", "1.3.0"]
    release = data["versions"][1]
    assert {"version", "importable", "import_problem", "bugs"} <= set(release)
    assert {"id", "present", "evidence", "outcome"} <= set(release["bugs"][0])
    assert data["repro"] == "skipped (--no-repro)"


def test_overlay_wins_over_the_installed_release_in_a_child(wheels: Path) -> None:
    """1.0.0's overlay shadows whatever liquid-audio this interpreter has installed (1.3.0 in dev)."""
    overlay = wheels / "overlays" / "1.0.0"
    code = (
        "import importlib.util, importlib.metadata as m, json; "
        "spec = importlib.util.find_spec('liquid_audio'); "
        "print(json.dumps([list(spec.submodule_search_locations)[0], m.version('liquid-audio')]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=overlay_env([overlay]))
    location, version = json.loads(done.stdout)
    assert Path(location) == overlay / "liquid_audio"
    assert version == "1.0.0"
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(plain.stdout)[0] != location  # the user's environment is untouched


def test_cached_releases_need_no_index(two_releases: MatrixResult, wheels: Path,
                                       unreachable_index: dict[str, str]) -> None:
    """Second run: with the index unreachable, selection, fetch and unpack all come from the cache."""
    del two_releases  # only for the wheels it cached

    def no_pip() -> list[str]:
        raise AssertionError("the index was asked although every wheel is cached")

    versions, listing = select_versions("1.0,1.3.0", no_pip, wheels)
    assert versions == ["1.0.0", "1.3.0"] and listing is None
    for version in versions:
        wheel = fetch_wheel(version, no_pip, wheels)
        assert wheel.parent == wheels
        assert unpack(wheel, version, wheels) == wheels / "overlays" / version


def test_removed_cache_class_is_read_from_the_source(two_releases: MatrixResult, wheels: Path) -> None:
    del two_releases
    old, new = wheels / "overlays" / "1.0.0" / "liquid_audio", wheels / "overlays" / "1.3.0" / "liquid_audio"
    assert removed_cache_import(old, "5.23.0") == 15
    assert removed_cache_import(old, "4.57.6") is None
    assert removed_cache_import(old, None) is None
    assert removed_cache_import(new, "5.23.0") is None  # 1.2.0+ import it inside a version check


@pytest.mark.slow
def test_provision_makes_an_old_release_import(two_releases: MatrixResult, wheels: Path) -> None:
    """--provision: transformers 4.57 (and the hub/tokenizers it needs) laid over the target, once."""
    if (transformers_major(two_releases.transformers) or 0) < 5:
        pytest.skip("this interpreter's transformers is < 5: 1.0.0 imports without provisioning")
    try:
        extra = ensure_provision(sys.executable, pip_command(sys.executable), wheels)
    except MatrixError as exc:  # only an unreachable index may skip this
        if "cannot be reached" in str(exc):
            pytest.skip(str(exc))
        raise
    assert any(pin.startswith("transformers==4.57.") for pin in extra.pins)
    assert (extra.path / "transformers").is_dir()
    facts = check_import(sys.executable, [wheels / "overlays" / "1.0.0", extra.path])
    assert facts.error is None
    assert facts.location == str(wheels / "overlays" / "1.0.0" / "liquid_audio")
    assert facts.transformers is not None and facts.transformers.startswith("4.57.")
    assert facts.transformers_location == str(extra.path / "transformers")
    again = ensure_provision(sys.executable, ["false"], wheels)  # cached: pip is not run again
    assert again == extra


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
