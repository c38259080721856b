"""The wheel is what users install: build it, install it in a fresh venv, run the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_for_the_wheel():
    """setuptools ships only the packages ``[tool.setuptools] packages`` names: a new subpackage must be there."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join([package, *init.parent.relative_to(ROOT / folder).parts])
        for package, folder in setuptools["package-dir"].items()
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert "lfmdoctor.patches" in on_disk and "lfmdoctor.cli" in on_disk
    assert on_disk <= set(setuptools["packages"]), sorted(on_disk - set(setuptools["packages"]))


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("lfmdoctor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"lfmdoctor"}, top_level  # no generic top-level import names in site-packages
    for sub in ("diagnose", "repro", "patches", "patches/series", "report"):
        assert f"lfmdoctor/{sub}/__init__.py" in names
    assert "lfmdoctor/repro/fixture_builder.py" in names and "lfmdoctor/diagnose/probe_child.py" in names
    assert "lfmdoctor/child_protocol.py" in names  # the children load it by path, from lfmdoctor/<sub>/
    assert "lfmdoctor/bench/assets/asr_clips.jsonl" in names  # the default bench clips
    assert "lfmdoctor/patches/liquid-audio+1.3.0.patch" in names  # the stored source fixes

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], capture_output=True, text=True
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    for argv in ([str(venv / "bin" / "lfmdoctor"), "--help"], [str(venv / "bin" / "python"), "-m", "lfmdoctor", "--help"]):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "check" in done.stdout and "repro" in done.stdout
    # The light install inspects another interpreter's heavy stack: this test's own.
    done = subprocess.run(
        [str(venv / "bin" / "lfmdoctor"), "check", "--json", "--python", sys.executable],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode in (0, 1), done.stderr
    assert '"processor-device"' in done.stdout
    # A child of the installed layout finds the protocol beside its folder, even where lfmdoctor does not import.
    [child] = (venv / "lib").glob("python*/site-packages/lfmdoctor/matrix/import_check_child.py")
    done = subprocess.run([sys.executable, "-I", str(child), "--target"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and '"lfmdoctor": "target"' in done.stdout, done.stderr
