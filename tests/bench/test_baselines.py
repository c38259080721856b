"""Whisper baselines: probing (skipped unless installed and cached) and the run, scored like the main model.

openai-whisper and faster-whisper are not installed here and their weights cannot be downloaded, so the
run path is exercised with a stand-in ``whisper`` package (a distribution named openai-whisper whose
``transcribe`` returns fixed text) and a file where its cache keeps a model. That tests lfmdoctor's
plumbing, not Whisper.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lfmdoctor.bench.aggregate import ClipPlan
from lfmdoctor.bench.core import run_baselines
from lfmdoctor.bench.inputs import gather, load_clips

np = pytest.importorskip("numpy")

FAKE_WHISPER = """
TEXTS = iter(open(__file__.replace("__init__.py", "texts.txt")).read().splitlines() * 2)
class _Model:
    device = "cpu"
    def transcribe(self, audio, language=None, fp16=False):
        assert audio.dtype.name == "float32" and audio.ndim == 1
        return {"text": " " + next(TEXTS)}
def load_model(name):
    assert name == "tiny.en"
    return _Model()
"""


def plans_and_files(tmp_path: Path) -> tuple[list[ClipPlan], list[Path]]:
    specs, _ = gather([], [], None)
    clips = load_clips(specs[:2])
    files = []
    for index, clip in enumerate(clips):
        files.append(tmp_path / f"clip{index}.npy")
        np.save(files[-1], clip.samples)
    plans = [ClipPlan(c.id, c.path, c.reference, c.seconds, c.sample_rate, c.channels, ((0, c.frames),), (64,)) for c in clips]
    return plans, files


def _installed(dist: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(dist)
    except PackageNotFoundError:
        return False
    return True


def test_not_installed_is_skipped(tmp_path):
    plans, files = plans_and_files(tmp_path)
    found = {b.name: (b.status, b.detail) for b in run_baselines(sys.executable, plans, files)}
    assert set(found) == {"openai-whisper", "faster-whisper"}
    for name, (status, detail) in found.items():
        if not _installed(name):
            assert (status, detail) == ("skipped", "not installed")


def stand_in(tmp_path: Path, texts: list[str]) -> Path:
    site = tmp_path / "site"
    package = site / "whisper"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_WHISPER)
    (package / "texts.txt").write_text("\n".join(texts))
    meta = site / "openai_whisper-0.0.0.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: openai-whisper\nVersion: 0.0.0\n")
    return site


def test_installed_but_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(stand_in(tmp_path, ["x"])))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    plans, files = plans_and_files(tmp_path)
    found = {b.name: (b.status, b.detail) for b in run_baselines(sys.executable, plans, files)}
    assert found["openai-whisper"] == ("skipped", "not cached")


def test_installed_and_cached_runs_and_is_scored(tmp_path, monkeypatch):
    plans, files = plans_and_files(tmp_path)
    texts = ["The quick brown fox jumps over the lazy dog!", "it is ten past nine and we are almost finished"]
    monkeypatch.setenv("PYTHONPATH", str(stand_in(tmp_path, texts)))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "whisper").mkdir(parents=True)
    (tmp_path / "cache" / "whisper" / "tiny.en.pt").write_bytes(b"weights")
    found = {b.name: b for b in run_baselines(sys.executable, plans, files)}
    whisper = found["openai-whisper"]
    assert whisper.status == "ok", whisper.detail
    assert whisper.model == "tiny.en"
    # warm-up consumed the first text; the clips then got texts[1], texts[0]: scored against their references
    assert whisper.hypotheses == [texts[1], texts[0]]
    assert whisper.wer is not None and whisper.wer > 0.5
    assert whisper.rtfx is not None and whisper.rtf == pytest.approx(1 / whisper.rtfx)
